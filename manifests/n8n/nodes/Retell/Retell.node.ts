// generated - do not edit; run `connector generate`
import type {
	IExecuteSingleFunctions,
	IN8nHttpFullResponse,
	INodeExecutionData,
	ILoadOptionsFunctions,
	INodePropertyOptions,
	INodeType,
	INodeTypeDescription,
	JsonObject,
} from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';

const CREDENTIAL = 'retellConnectorApi';

interface Choice {
	value: string;
	label: string;
}

// A dropdown's choices, in the connector's order: GET /v1/options/<source>
// answers [{value, label}] from the account's own agents or numbers.
async function choices(
	this: ILoadOptionsFunctions,
	source: string,
): Promise<INodePropertyOptions[]> {
	const credentials = await this.getCredentials(CREDENTIAL);
	const base = String(credentials.baseUrl).replace(/\/+$/, '');
	const request = this.helpers.httpRequestWithAuthentication;
	const found = (await request.call(this, CREDENTIAL, {
		url: `${base}/v1/options/${source}`,
		json: true,
	})) as Choice[];
	return found.map(({ value, label }) => ({ name: label, value }));
}

// n8n's own error for a refused request names only its status ("Your request is
// invalid"). The connector answers every failure as RFC 9457 problem+json whose
// detail says what to change, and errors name each field: fail with those.
async function raiseProblem(
	this: IExecuteSingleFunctions,
	items: INodeExecutionData[],
	response: IN8nHttpFullResponse,
): Promise<INodeExecutionData[]> {
	if (response.statusCode < 400) {
		return items;
	}
	const problem = (response.body ?? {}) as JsonObject;
	const listed = Array.isArray(problem.errors) ? problem.errors : [];
	const fields = (listed as JsonObject[]).map((e) => `${e.field}: ${e.message}`);
	const fallback = `The connector answered ${response.statusCode}.`;
	throw new NodeApiError(this.getNode(), problem, {
		message: String(problem.detail ?? problem.title ?? fallback),
		description: fields.join('\n') || undefined,
		httpCode: String(response.statusCode),
	});
}

// A declarative node (docs.n8n.io, "Declarative-style nodes"): n8n builds each
// request from the routing in the description, made from the connector's catalog.
export class Retell implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Retell',
		name: 'retell',
		icon: 'file:../../icons/retell.svg',
		group: [
			'output',
		],
		version: 1,
		subtitle: '={{$parameter["operation"] + ": " + $parameter["resource"]}}',
		description: 'Place Retell AI phone calls and read them, through the Retell connector',
		defaults: {
			name: 'Retell',
		},
		usableAsTool: true,
		inputs: [
			'main',
		],
		outputs: [
			'main',
		],
		credentials: [
			{
				name: 'retellConnectorApi',
				required: true,
			},
		],
		requestDefaults: {
			baseURL: '={{$credentials.baseUrl}}',
			ignoreHttpStatusErrors: true,
			headers: {
				Accept: 'application/json',
				'Content-Type': 'application/json',
			},
		},
		properties: [
			{
				displayName: 'Resource',
				name: 'resource',
				type: 'options',
				noDataExpression: true,
				options: [
					{
						name: 'Call',
						value: 'call',
					},
					{
						name: 'Phone Number',
						value: 'phoneNumber',
					},
				],
				default: 'call',
			},
			{
				displayName: 'Operation',
				name: 'operation',
				type: 'options',
				noDataExpression: true,
				displayOptions: {
					show: {
						resource: [
							'call',
						],
					},
				},
				options: [
					{
						name: 'Create Phone Call',
						value: 'createPhoneCall',
						action: 'Create phone call',
						description: 'Places an outbound phone call by a Retell voice agent from one of your numbers, with the variables, metadata and overrides you map in',
						routing: {
							request: {
								method: 'POST',
								url: '/v1/actions/create-phone-call',
							},
							output: {
								postReceive: [
									raiseProblem,
								],
							},
						},
					},
					{
						name: 'Create Phone Calls (Bulk)',
						value: 'createPhoneCalls',
						action: 'Create phone calls bulk',
						description: 'Queues many calls at once, e.g. every row of a sheet, and answers at once with a job ID. The calls are placed at your account\'s calls per second; follow them at GET /v1/jobs/&lt;job_id&gt;. A bad row fails alone.',
						routing: {
							request: {
								method: 'POST',
								url: '/v1/actions/create-phone-calls',
							},
							output: {
								postReceive: [
									raiseProblem,
								],
							},
						},
					},
					{
						name: 'Get Call',
						value: 'getCall',
						action: 'Get call',
						description: 'Finds one call by its ID, with its status, transcript, recording, duration, cost and analysis',
						routing: {
							request: {
								method: 'POST',
								url: '/v1/actions/get-call',
							},
							output: {
								postReceive: [
									raiseProblem,
								],
							},
						},
					},
					{
						name: 'List Calls',
						value: 'listCalls',
						action: 'List calls',
						description: 'Lists calls, newest first, filtered by agent, status, time range or numbers. Use the pagination key to fetch the next page.',
						routing: {
							request: {
								method: 'POST',
								url: '/v1/actions/list-calls',
							},
							output: {
								postReceive: [
									raiseProblem,
								],
							},
						},
					},
				],
				default: 'createPhoneCall',
			},
			{
				displayName: 'Operation',
				name: 'operation',
				type: 'options',
				noDataExpression: true,
				displayOptions: {
					show: {
						resource: [
							'phoneNumber',
						],
					},
				},
				options: [
					{
						name: 'Bind Agent to Phone Number',
						value: 'bindAgentToNumber',
						action: 'Bind agent to phone number',
						description: 'Sets which agent answers calls to a number (inbound) and which agent places calls from it (outbound). A side you leave empty is not changed.',
						routing: {
							request: {
								method: 'POST',
								url: '/v1/actions/bind-agent-to-number',
							},
							output: {
								postReceive: [
									raiseProblem,
								],
							},
						},
					},
				],
				default: 'bindAgentToNumber',
			},
			{
				displayName: 'From Number Name or ID',
				name: 'from_number',
				type: 'options',
				typeOptions: {
					loadOptionsMethod: 'phoneNumbers',
				},
				default: '',
				required: true,
				description: 'The number the call comes from: one you bought from Retell or imported into it. International (E.164) format: + and the country code, e.g. +14155550100. Spaces and dashes are fine. Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
				routing: {
					send: {
						type: 'body',
						property: 'from_number',
					},
				},
				displayOptions: {
					show: {
						resource: [
							'call',
						],
						operation: [
							'createPhoneCall',
						],
					},
				},
			},
			{
				displayName: 'To Number',
				name: 'to_number',
				type: 'string',
				default: '',
				required: true,
				description: 'The number to call, in international (E.164) format: + and the country code, e.g. +14155550134. Spaces and dashes are fine; numbers without + or in spreadsheet notation are refused. Map the column as text.',
				placeholder: '+14155550134',
				routing: {
					send: {
						type: 'body',
						property: 'to_number',
					},
				},
				displayOptions: {
					show: {
						resource: [
							'call',
						],
						operation: [
							'createPhoneCall',
						],
					},
				},
			},
			{
				displayName: 'Additional Fields',
				name: 'additionalFields',
				type: 'collection',
				placeholder: 'Add Field',
				default: {},
				displayOptions: {
					show: {
						resource: [
							'call',
						],
						operation: [
							'createPhoneCall',
						],
					},
				},
				options: [
					{
						displayName: 'Agent Name or ID',
						name: 'override_agent_id',
						type: 'options',
						typeOptions: {
							loadOptionsMethod: 'agents',
						},
						default: '',
						description: 'Use this agent for this call instead of the one bound to the from number. Leave empty to use the number\'s agent. Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
						routing: {
							send: {
								type: 'body',
								property: 'override_agent_id',
							},
						},
					},
					{
						displayName: 'Agent Settings (This Call Only)',
						name: 'agent_override',
						type: 'json',
						default: '',
						description: 'Advanced: agent settings to change for this call only, as an object or JSON text with any of the keys agent, retell_llm and conversation_flow, e.g. {"agent": {"max_call_duration_ms": 600000}}. Only the settings you give change.',
						routing: {
							send: {
								type: 'body',
								property: 'agent_override',
							},
						},
					},
					{
						displayName: 'Agent Version (This Call Only)',
						name: 'override_agent_version',
						type: 'string',
						default: '',
						description: 'Which version of the agent to use: a number such as 3, or a version tag such as prod. Leave empty for the agent\'s default.',
						placeholder: '3',
						routing: {
							send: {
								type: 'body',
								property: 'override_agent_version',
							},
						},
					},
					{
						displayName: 'Custom SIP Headers',
						name: 'custom_sip_headers',
						type: 'json',
						default: '',
						description: 'Advanced: extra headers for the phone carrier, as an object of text values or JSON text, e.g. {"X-Campaign-ID": "spring"}',
						routing: {
							send: {
								type: 'body',
								property: 'custom_sip_headers',
							},
						},
					},
					{
						displayName: 'Dynamic Variables',
						name: 'retell_llm_dynamic_variables',
						type: 'json',
						default: '',
						description: 'Values for the {{placeholders}} in your agent\'s prompt, e.g. first_name = Ana. String values only: numbers become digits (14 -&gt; "14", 12.5 -&gt; "12.5"), true/false become "true"/"false", and empty (null) values are not sent so the agent\'s default applies. Objects and lists are refused.',
						routing: {
							send: {
								type: 'body',
								property: 'retell_llm_dynamic_variables',
							},
						},
					},
					{
						displayName: 'Idempotency Key',
						name: 'idempotency_key',
						type: 'string',
						default: '',
						description: 'A unique value per intended call, e.g. your scenario\'s run ID. If the same request is sent again with the same key, no second call is placed. 1 to 255 characters.',
						routing: {
							send: {
								type: 'body',
								property: 'idempotency_key',
							},
						},
					},
					{
						displayName: 'Metadata',
						name: 'metadata',
						type: 'json',
						default: '',
						description: 'Your own data to keep with the call, e.g. a CRM contact ID, as an object or JSON text. It comes back unchanged in every call event. At most 50 kB.',
						routing: {
							send: {
								type: 'body',
								property: 'metadata',
							},
						},
					},
					{
						displayName: 'Respect Do-Not-Call List',
						name: 'honor_internal_dnc',
						type: 'boolean',
						default: false,
						description: 'Whether to respect do-not-call list. When true, the call is refused if the person is on your Retell do-not-call list.',
						routing: {
							send: {
								type: 'body',
								property: 'honor_internal_dnc',
							},
						},
					},
					{
						displayName: 'Skip Phone Number Format Check',
						name: 'ignore_e164_validation',
						type: 'boolean',
						default: false,
						description: 'Whether to skip phone number format check. Only for numbers on your own SIP trunk that are not in international format. When true, the from and to numbers are sent as typed. Retell numbers always need international format.',
						routing: {
							send: {
								type: 'body',
								property: 'ignore_e164_validation',
							},
						},
					},
				],
			},
			{
				displayName: 'Rows',
				name: 'rows',
				type: 'json',
				default: '[]',
				required: true,
				description: 'The calls to place, one object per row, each with the fields of Create Phone Call (from_number, to_number, dynamic variables, metadata ...). Rows are placed at your account\'s calls-per-second pace.',
				routing: {
					send: {
						type: 'body',
						property: 'rows',
						value: '={{ typeof $value === "string" ? JSON.parse($value) : $value }}',
					},
				},
				displayOptions: {
					show: {
						resource: [
							'call',
						],
						operation: [
							'createPhoneCalls',
						],
					},
				},
			},
			{
				displayName: 'Additional Fields',
				name: 'additionalFields',
				type: 'collection',
				placeholder: 'Add Field',
				default: {},
				displayOptions: {
					show: {
						resource: [
							'call',
						],
						operation: [
							'createPhoneCalls',
						],
					},
				},
				options: [
					{
						displayName: 'Idempotency Key',
						name: 'idempotency_key',
						type: 'string',
						default: '',
						description: 'A unique value per batch: the same batch sent again with the same key gives the first job instead of a second one',
						routing: {
							send: {
								type: 'body',
								property: 'idempotency_key',
							},
						},
					},
				],
			},
			{
				displayName: 'Call ID',
				name: 'call_id',
				type: 'string',
				default: '',
				required: true,
				description: 'The ID of the call, as returned when it was created or in a call event, e.g. call_8d1e5f2a9b3c4d7e6f0a1b2c3d4',
				routing: {
					send: {
						type: 'body',
						property: 'call_id',
					},
				},
				displayOptions: {
					show: {
						resource: [
							'call',
						],
						operation: [
							'getCall',
						],
					},
				},
			},
			{
				displayName: 'Additional Fields',
				name: 'additionalFields',
				type: 'collection',
				placeholder: 'Add Field',
				default: {},
				displayOptions: {
					show: {
						resource: [
							'call',
						],
						operation: [
							'listCalls',
						],
					},
				},
				options: [
					{
						displayName: 'Agent Name or ID',
						name: 'agent_id',
						type: 'options',
						typeOptions: {
							loadOptionsMethod: 'agents',
						},
						default: '',
						description: 'Only calls handled by this agent. Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
						routing: {
							send: {
								type: 'body',
								property: 'agent_id',
							},
						},
					},
					{
						displayName: 'Call Status',
						name: 'call_status',
						type: 'multiOptions',
						options: [
							{
								name: 'Not Connected',
								value: 'not_connected',
							},
							{
								name: 'Ongoing',
								value: 'ongoing',
							},
							{
								name: 'Ended',
								value: 'ended',
							},
							{
								name: 'Error',
								value: 'error',
							},
						],
						default: [],
						description: 'Only calls with this status: not_connected, ongoing, ended or error. Several can be given as a list or separated by commas.',
						routing: {
							send: {
								type: 'body',
								property: 'call_status',
							},
						},
					},
					{
						displayName: 'From Number Name or ID',
						name: 'from_number',
						type: 'options',
						typeOptions: {
							loadOptionsMethod: 'phoneNumbers',
						},
						default: '',
						description: 'Only calls from this number, in international (E.164) format, e.g. +14155550100. Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
						routing: {
							send: {
								type: 'body',
								property: 'from_number',
							},
						},
					},
					{
						displayName: 'Limit',
						name: 'limit',
						type: 'number',
						typeOptions: {
							minValue: 1,
							maxValue: 1000,
							numberPrecision: 0,
						},
						default: 50,
						description: 'Max number of results to return',
						routing: {
							send: {
								type: 'body',
								property: 'limit',
							},
						},
					},
					{
						displayName: 'Page Key',
						name: 'pagination_key',
						type: 'string',
						default: '',
						description: 'To get the next page, the pagination_key returned with the previous page. Leave empty for the first page.',
						routing: {
							send: {
								type: 'body',
								property: 'pagination_key',
							},
						},
					},
					{
						displayName: 'Started at or After',
						name: 'start_after',
						type: 'dateTime',
						default: '',
						description: 'Only calls that started at or after this time: an ISO 8601 time with a time zone, e.g. 2026-01-01T00:00:00Z, or epoch milliseconds',
						placeholder: '2026-01-01T00:00:00Z',
						routing: {
							send: {
								type: 'body',
								property: 'start_after',
								value: '={{ DateTime.fromISO(String($value)).isValid ? DateTime.fromISO(String($value)).toISO() : $value }}',
							},
						},
					},
					{
						displayName: 'Started at or Before',
						name: 'start_before',
						type: 'dateTime',
						default: '',
						description: 'Only calls that started at or before this time: an ISO 8601 time with a time zone, e.g. 2026-01-31T23:59:59Z, or epoch milliseconds',
						placeholder: '2026-01-01T00:00:00Z',
						routing: {
							send: {
								type: 'body',
								property: 'start_before',
								value: '={{ DateTime.fromISO(String($value)).isValid ? DateTime.fromISO(String($value)).toISO() : $value }}',
							},
						},
					},
					{
						displayName: 'To Number',
						name: 'to_number',
						type: 'string',
						default: '',
						description: 'Only calls to this number, in international (E.164) format, e.g. +14155550134',
						placeholder: '+14155550134',
						routing: {
							send: {
								type: 'body',
								property: 'to_number',
							},
						},
					},
				],
			},
			{
				displayName: 'Phone Number Name or ID',
				name: 'phone_number',
				type: 'options',
				typeOptions: {
					loadOptionsMethod: 'phoneNumbers',
				},
				default: '',
				required: true,
				description: 'Your Retell number to set agents on, in international (E.164) format, e.g. +14155550100. Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
				routing: {
					send: {
						type: 'body',
						property: 'phone_number',
					},
				},
				displayOptions: {
					show: {
						resource: [
							'phoneNumber',
						],
						operation: [
							'bindAgentToNumber',
						],
					},
				},
			},
			{
				displayName: 'Additional Fields',
				name: 'additionalFields',
				type: 'collection',
				placeholder: 'Add Field',
				default: {},
				displayOptions: {
					show: {
						resource: [
							'phoneNumber',
						],
						operation: [
							'bindAgentToNumber',
						],
					},
				},
				options: [
					{
						displayName: 'Inbound Agent Name or ID',
						name: 'inbound_agent_id',
						type: 'options',
						typeOptions: {
							loadOptionsMethod: 'agents',
						},
						default: '',
						description: 'The agent that answers calls to this number. Leave empty to keep the current setting. Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
						routing: {
							send: {
								type: 'body',
								property: 'inbound_agent_id',
							},
						},
					},
					{
						displayName: 'Inbound Agent Version',
						name: 'inbound_agent_version',
						type: 'string',
						default: '',
						description: 'Version of the inbound agent: a number such as 3 or a tag such as prod. Leave empty for the agent\'s default.',
						placeholder: '3',
						routing: {
							send: {
								type: 'body',
								property: 'inbound_agent_version',
							},
						},
					},
					{
						displayName: 'Outbound Agent Name or ID',
						name: 'outbound_agent_id',
						type: 'options',
						typeOptions: {
							loadOptionsMethod: 'agents',
						},
						default: '',
						description: 'The agent that speaks on calls placed from this number. Leave empty to keep the current setting. Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
						routing: {
							send: {
								type: 'body',
								property: 'outbound_agent_id',
							},
						},
					},
					{
						displayName: 'Outbound Agent Version',
						name: 'outbound_agent_version',
						type: 'string',
						default: '',
						description: 'Version of the outbound agent: a number such as 3 or a tag such as prod. Leave empty for the agent\'s default.',
						placeholder: '3',
						routing: {
							send: {
								type: 'body',
								property: 'outbound_agent_version',
							},
						},
					},
				],
			},
		],
	};

	methods = {
		loadOptions: {
			async agents(this: ILoadOptionsFunctions) {
				return await choices.call(this, 'agents');
			},
			async phoneNumbers(this: ILoadOptionsFunctions) {
				return await choices.call(this, 'phone-numbers');
			},
		},
	};
}
