// generated - do not edit; run `connector generate`
import { createHmac, timingSafeEqual } from 'crypto';
import type { IWebhookFunctions } from 'n8n-workflow';

type Headers = ReturnType<IWebhookFunctions['getHeaderData']>;

// Standard Webhooks (standardwebhooks.com, spec/standard-webhooks.md): the
// connector signs "<webhook-id>.<webhook-timestamp>.<body>" with HMAC-SHA256,
// keyed with the base64 part of the subscription's "whsec_..." secret, and sends
// space-separated "v1,<base64>" signatures (more than one while a secret rotates).

// The spec's replay window: five minutes either side of now.
const TOLERANCE_SECONDS = 5 * 60;

function header(headers: Headers, name: string): string {
	const value = headers[name];
	return Array.isArray(value) ? value[0] : (value ?? '');
}

// Why the delivery is refused, or undefined when it is signed with the secret.
export function verifyStandardWebhook(
	secret: string,
	headers: Headers,
	body: Buffer | undefined,
	nowMs: number,
): string | undefined {
	const id = header(headers, 'webhook-id');
	const timestamp = header(headers, 'webhook-timestamp');
	const signatures = header(headers, 'webhook-signature');
	if (!secret.startsWith('whsec_')) {
		return 'No subscription secret: deactivate and activate the workflow again.';
	}
	if (!id || !/^[0-9]+$/.test(timestamp) || !signatures || body === undefined) {
		return 'Missing or malformed webhook-id, -timestamp or -signature header.';
	}
	if (Math.abs(nowMs / 1000 - Number(timestamp)) > TOLERANCE_SECONDS) {
		return 'The webhook-timestamp is more than five minutes away from now.';
	}
	const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
	const expected = createHmac('sha256', key)
		.update(`${id}.${timestamp}.`)
		.update(body)
		.digest();
	const matches = signatures.split(' ').some((entry) => {
		const [version, value] = entry.split(',', 2);
		const given = Buffer.from(value ?? '', 'base64');
		const sameLength = given.length === expected.length;
		return version === 'v1' && sameLength && timingSafeEqual(given, expected);
	});
	return matches ? undefined : 'No webhook-signature matches this subscription.';
}
