// generated - do not edit; run `connector generate`
import type {
	IAuthenticateGeneric,
	ICredentialTestRequest,
	ICredentialType,
	INodeProperties,
} from 'n8n-workflow';

// The connector takes the caller's Retell API key as a Bearer token on every /v1
// route (its contract, "Auth"), and checks it with Retell on GET /v1/me.
export class RetellConnectorApi implements ICredentialType {
	name = 'retellConnectorApi';

	displayName = 'Retell Connector API';

	icon = 'file:../icons/retell.svg' as const;

	documentationUrl = 'https://docs.retellai.com/accounts/api-keys';

	properties: INodeProperties[] = [
		{
			displayName: 'Retell API Key',
			name: 'apiKey',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			description: 'Your key from the Retell dashboard (Settings, API Keys)',
		},
		{
			displayName: 'Connector URL',
			name: 'baseUrl',
			type: 'string',
			default: '',
			required: true,
			placeholder: 'https://connector.example.com',
			description: 'Where your Retell connector runs',
		},
	];

	authenticate: IAuthenticateGeneric = {
		type: 'generic',
		properties: {
			headers: {
				Authorization: '=Bearer {{$credentials.apiKey}}',
			},
		},
	};

	test: ICredentialTestRequest = {
		request: {
			baseURL: '={{$credentials.baseUrl}}',
			url: '/v1/me',
		},
	};
}
