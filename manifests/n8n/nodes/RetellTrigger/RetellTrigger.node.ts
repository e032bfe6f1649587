// generated - do not edit; run `connector generate`
import type {
	IDataObject,
	IHookFunctions,
	IHttpRequestMethods,
	INodeType,
	INodeTypeDescription,
	IWebhookFunctions,
	IWebhookResponseData,
} from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { verifyStandardWebhook } from './standardWebhooks';

const CREDENTIAL = 'retellConnectorApi';

interface Answer {
	statusCode: number;
	body: IDataObject;
}

// One call to the connector with the credential's key; the status is the
// caller's to judge, so that a subscription already gone is not an error.
async function callConnector(
	this: IHookFunctions,
	method: IHttpRequestMethods,
	path: string,
	body?: IDataObject,
): Promise<Answer> {
	const credentials = await this.getCredentials(CREDENTIAL);
	const base = String(credentials.baseUrl).replace(/\/+$/, '');
	const request = this.helpers.httpRequestWithAuthentication;
	const answer = await request.call(this, CREDENTIAL, {
		method,
		url: base + path,
		body,
		json: true,
		returnFullResponse: true,
		ignoreHttpStatusErrors: true,
	});
	return { statusCode: answer.statusCode, body: (answer.body ?? {}) as IDataObject };
}

// The connector answers failures as RFC 9457 problem+json; its detail is written
// for the person building the workflow.
function problem(answer: Answer): string {
	const detail = answer.body.detail ?? answer.body.title;
	return detail ? String(detail) : `The connector answered ${answer.statusCode}.`;
}

function filtersOf(this: IHookFunctions): IDataObject {
	const value = this.getNodeParameter('filters', '{}') as string | IDataObject;
	if (typeof value !== 'string') {
		return value;
	}
	try {
		return value.trim() ? (JSON.parse(value) as IDataObject) : {};
	} catch (error) {
		throw new NodeOperationError(this.getNode(), 'Filters must be a JSON object', {
			description: (error as Error).message,
		});
	}
}

// A trigger starts a workflow; it cannot be an AI agent's tool, and n8n would
// otherwise list a "Retell Trigger Tool" (n8n/dist/tool-generation/ai-tools.js).
// eslint-disable-next-line @n8n/community-nodes/node-usable-as-tool
export class RetellTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Retell Trigger',
		name: 'retellTrigger',
		icon: 'file:../../icons/retell.svg',
		group: [
			'trigger',
		],
		version: 1,
		subtitle: '={{$parameter["event"]}}',
		description: 'Starts the workflow when a Retell AI call starts, ends, is analysed or fails, through the Retell connector',
		defaults: {
			name: 'Retell Trigger',
		},
		inputs: [],
		outputs: [
			'main',
		],
		credentials: [
			{
				name: 'retellConnectorApi',
				required: true,
			},
		],
		webhooks: [
			{
				name: 'default',
				httpMethod: 'POST',
				responseMode: 'onReceived',
				path: 'webhook',
			},
		],
		properties: [
			{
				displayName: 'Event',
				name: 'event',
				type: 'options',
				required: true,
				default: 'call_started',
				options: [
					{
						name: 'Call Analyzed',
						value: 'call_analyzed',
						description: 'Fires when Retell has analysed an ended call: summary, sentiment, success and your custom analysis fields',
					},
					{
						name: 'Call Ended',
						value: 'call_ended',
						description: 'Fires when a call ends, with its transcript, recording, duration and why it ended. Calls that never connected end too.',
					},
					{
						name: 'Call Failed',
						value: 'call_failed',
						description: 'Fires when a call ends without a conversation (busy, no answer, invalid number, error), with a plain-language reason and whether retrying later makes sense',
					},
					{
						name: 'Call Started',
						value: 'call_started',
						description: 'Fires when a call connects and the conversation begins',
					},
				],
			},
			{
				displayName: 'Filters',
				name: 'filters',
				type: 'json',
				default: '{}',
				description: 'Only send events whose output fields equal these values, e.g. {"agent_id": "agent_..."}. Values compare as text.',
			},
		],
	};

	// n8n calls these when the workflow is activated (checkExists, then create)
	// and deactivated (delete). The subscription's id and secret live in the
	// node's static data, which n8n saves with the workflow.
	webhookMethods = {
		default: {
			async checkExists(this: IHookFunctions): Promise<boolean> {
				// Always subscribe again on activation: the connector answers the
				// same subscription, secret included, for the same event and URL,
				// and one removed meanwhile (by an operator, or after its hook
				// answered 410) comes back instead of leaving the trigger silent.
				return false;
			},

			async create(this: IHookFunctions): Promise<boolean> {
				const event = this.getNodeParameter('event') as string;
				const targetUrl = this.getNodeWebhookUrl('default') as string;
				const answer = await callConnector.call(
					this,
					'POST',
					`/v1/triggers/${encodeURIComponent(event)}/subscriptions`,
					{ target_url: targetUrl, filters: filtersOf.call(this) },
				);
				if (answer.statusCode >= 300) {
					throw new NodeOperationError(this.getNode(), problem(answer));
				}
				const data = this.getWorkflowStaticData('node');
				data.subscriptionId = answer.body.id;
				data.secret = answer.body.secret;
				data.event = event;
				data.targetUrl = targetUrl;
				return true;
			},

			async delete(this: IHookFunctions): Promise<boolean> {
				const data = this.getWorkflowStaticData('node');
				if (data.subscriptionId !== undefined) {
					const id = encodeURIComponent(String(data.subscriptionId));
					const answer = await callConnector.call(
						this,
						'DELETE',
						`/v1/triggers/subscriptions/${id}`,
					);
					// 404: the connector already removed it (a 410 from a target
					// does that), which is the state deactivation wants.
					if (answer.statusCode >= 300 && answer.statusCode !== 404) {
						return false;
					}
				}
				delete data.subscriptionId;
				delete data.secret;
				delete data.event;
				delete data.targetUrl;
				return true;
			},
		},
	};

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		const data = this.getWorkflowStaticData('node');
		const request = this.getRequestObject();
		const verdict = verifyStandardWebhook(
			String(data.secret ?? ''),
			this.getHeaderData(),
			request.rawBody,
			Date.now(),
		);
		if (verdict !== undefined) {
			// Not signed by the connector, or older than five minutes: answer 401
			// and start nothing. A delivery repeated within the window (the
			// connector's own retry) does start the workflow again: its
			// webhook-id is the same, for a workflow that needs to drop repeats.
			this.getResponseObject().status(401).json({ message: verdict });
			return { noWebhookResponse: true };
		}
		return { workflowData: [this.helpers.returnJsonArray(this.getBodyData())] };
	}
}
