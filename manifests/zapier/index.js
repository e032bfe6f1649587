// generated - do not edit; run `connector generate`
'use strict';

// The Zapier app of the Retell connector. Fields, help texts, samples and routes
// come from app.json, made from the connector's catalog; this file only wires them
// to HTTP calls in the shape of Zapier's AppSchema (zapier-platform-schema).

const spec = require('./app.json');

const connectorUrl = (z, bundle, path) => {
  const base = (bundle.authData || {}).base_url || process.env.CONNECTOR_BASE_URL;
  if (!base) {
    throw new z.errors.Error(
      'Set the Connector URL in the connection, or CONNECTOR_BASE_URL in the app.',
      'missing_base_url',
      400,
    );
  }
  return base.replace(/\/+$/, '') + path;
};

// Every /v1 route takes the Retell API key as a Bearer token (contract: Auth).
const addApiKey = (request, z, bundle) => {
  const key = (bundle.authData || {}).api_key;
  if (key) {
    request.headers = { ...request.headers, Authorization: `Bearer ${key}` };
  }
  // The core answers a 429 itself, with a generic text, unless told not to; the
  // connector's 429 says which limit was hit and when to retry.
  request.throwForThrottlingEarly = false;
  return request;
};

// The connector answers every failure as RFC 9457 problem+json, whose detail is
// written for the person building the Zap: show that text.
const problemError = (z, response) => {
  let problem = {};
  try {
    problem = JSON.parse(response.content) || {};
  } catch (err) {
    problem = {};
  }
  const detail =
    problem.detail || problem.title || `The connector answered ${response.status}.`;
  if (response.status === 429) {
    // Zapier retries a throttled step after the delay (seconds) it is given.
    const delay = parseInt(response.headers.get('retry-after') || '', 10);
    return new z.errors.ThrottledError(detail, Number.isNaN(delay) ? 60 : delay);
  }
  return new z.errors.Error(
    detail,
    problem.code || `http_${response.status}`,
    response.status,
  );
};

const raiseProblems = (response, z) => {
  if (response.status >= 400 && !response.skipThrowForStatus) {
    throw problemError(z, response);
  }
  return response;
};

// Zapier passes fields left empty as "" or null; the connector would read those
// as values, so they are left out and its defaults apply.
const isEmpty = (value) => value === '' || value === null || value === undefined;
const compact = (data) => {
  if (Array.isArray(data)) {
    return data.map(compact);
  }
  if (data === null || typeof data !== 'object') {
    return data;
  }
  return Object.fromEntries(
    Object.entries(data)
      .filter(([, value]) => !isEmpty(value))
      .map(([key, value]) => [key, compact(value)]),
  );
};

const post = (z, bundle, path, extra = {}) =>
  z.request({
    method: 'POST',
    url: connectorUrl(z, bundle, path),
    body: compact(bundle.inputData),
    ...extra,
  });

const withFunctions = ({ route, operation, ...rest }, functions) => ({
  ...rest,
  operation: { ...operation, ...functions },
});

const create = (item) =>
  withFunctions(item, {
    perform: async (z, bundle) => (await post(z, bundle, item.route.path)).data,
  });

const search = (item) =>
  withFunctions(item, {
    perform: async (z, bundle) => {
      const response = await post(z, bundle, item.route.path, {
        skipThrowForStatus: true,
      });
      // A search that finds nothing answers an empty list (Zapier's convention,
      // which Find or Create steps rely on), not an error.
      if (response.status === 404 && !item.route.results) {
        return [];
      }
      if (response.status >= 400) {
        throw problemError(z, response);
      }
      const found = response.data;
      return item.route.results ? found[item.route.results] : [found];
    },
  });

const hook = (item) => {
  const event = item.route.event;
  return withFunctions(item, {
    performSubscribe: async (z, bundle) => {
      const response = await z.request({
        method: 'POST',
        url: connectorUrl(z, bundle, `/v1/triggers/${event}/subscriptions`),
        body: compact({
          target_url: bundle.targetUrl,
          filters: (bundle.inputData || {}).filters,
        }),
      });
      return response.data;
    },
    performUnsubscribe: async (z, bundle) => {
      const id = encodeURIComponent(bundle.subscribeData.id);
      await z.request({
        method: 'DELETE',
        url: connectorUrl(z, bundle, `/v1/triggers/subscriptions/${id}`),
      });
      return { id: bundle.subscribeData.id };
    },
    perform: (z, bundle) => [bundle.cleanedRequest],
    performList: async (z, bundle) => {
      const response = await z.request({
        url: connectorUrl(z, bundle, `/v1/triggers/${event}/events`),
        params: { limit: 3 },
      });
      // A new account has no events yet; the sample still shows the fields.
      return response.data.length ? response.data : [item.operation.sample];
    },
  });
};

const dropdown = (item) =>
  withFunctions(item, {
    perform: async (z, bundle) => {
      const url = connectorUrl(z, bundle, item.route.path);
      return (await z.request({ url })).data;
    },
  });

const byKey = (items) => Object.fromEntries(items.map((item) => [item.key, item]));

module.exports = {
  version: spec.version,
  platformVersion: spec.platformVersion,
  authentication: {
    type: 'custom',
    fields: spec.authFields,
    test: async (z, bundle) =>
      (await z.request({ url: connectorUrl(z, bundle, '/v1/me') })).data,
    // bundle.inputData holds what the test answered (GET /v1/me).
    connectionLabel: (z, bundle) => bundle.inputData.account_id,
  },
  beforeRequest: [addApiKey],
  afterResponse: [raiseProblems],
  triggers: byKey([...spec.hooks.map(hook), ...spec.options.map(dropdown)]),
  searches: byKey(spec.searches.map(search)),
  creates: byKey(spec.creates.map(create)),
};
