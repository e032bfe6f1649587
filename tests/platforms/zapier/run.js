'use strict';

// Runs methods of the Zapier app in argv[2] through zapier-platform-core's app
// tester, as Zapier's runtime would. Reads {"authData", "steps": [{"method",
// "bundle"}]} on stdin, where method is a path into the app such as
// "creates.create_phone_call.operation.perform"; prints a JSON list with each
// step's {"result"} or {"error": {"name", "message"}}.

const path = require('path');
const { createRequire } = require('module');

const appDir = path.resolve(process.argv[2]);
const appRequire = createRequire(path.join(appDir, 'index.js'));
const zapier = appRequire('zapier-platform-core');
const app = appRequire('./index.js');

const read = async (stream) => {
  const chunks = [];
  for await (const chunk of stream) {
    chunks.push(chunk);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
};

// The tester wants the function itself, not its path (platform-tooling notes).
const resolve = (dotted) =>
  dotted.split('.').reduce((found, key) => (found || {})[key], app);

// z.errors.Error carries {message, code, status} as JSON in its message.
const describe = (error) => {
  let message = error.message;
  try {
    message = JSON.parse(error.message);
  } catch (err) {
    // A plain message.
  }
  return { name: error.name, message };
};

const main = async () => {
  const { authData = {}, steps } = await read(process.stdin);
  const tester = zapier.createAppTester(app);
  const outcomes = [];
  for (const { method, bundle = {} } of steps) {
    const found = resolve(method);
    if (typeof found !== 'function') {
      outcomes.push({ error: { name: 'NoSuchMethod', message: method } });
      continue;
    }
    try {
      const result = await tester(found, { authData, ...bundle });
      outcomes.push({ result: result === undefined ? null : result });
    } catch (error) {
      outcomes.push({ error: describe(error) });
    }
  }
  process.stdout.write(JSON.stringify(outcomes) + '\n');
};

main().catch((error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
