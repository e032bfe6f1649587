"""The n8n community node package of the connector, made from the catalog.

``manifests/n8n/`` is an npm package in the layout n8n's node tooling
(``@n8n/node-cli``, ``n8n-node build``) builds and n8n loads (docs.n8n.io,
"Creating nodes", "Community nodes"):

``package.json``
    the ``n8n`` section names the built credential and nodes; the tooling is pinned
``credentials/RetellConnectorApi.credentials.ts``
    the Retell API key and the connector's address; the key goes out as a Bearer
    header, and n8n tests the credential on ``GET /v1/me``
``nodes/Retell/Retell.node.ts``
    a declarative node: one operation per catalog action, each with ``routing``
    (``POST /v1/actions/<key>``) and one parameter per input property; dropdowns
    load ``GET /v1/options/<key>``; a refusal fails with the connector's detail
``nodes/RetellTrigger/RetellTrigger.node.ts`` (+ ``standardWebhooks.ts``)
    a webhook trigger that subscribes the workflow's URL when the workflow is
    activated, unsubscribes it when deactivated, and checks each delivery's
    Standard Webhooks signature before it starts the workflow

The descriptions are data written here from the JSON Schemas in
:func:`connector.catalog.schemas.documents`; the TypeScript around them is fixed.
``package-lock.json`` (the build tooling's, for ``npm ci``) is not generated.
"""

from __future__ import annotations

import json
import re

from .. import __version__, catalog
from ..catalog import schemas
from ..catalog.schemas import DROPDOWNS, NOTICE, alternatives, free_text

ROOT = "manifests/n8n"
PACKAGE = "n8n-nodes-retell-connector"
CREDENTIAL = "retellConnectorApi"

#: The build tooling, pinned exactly. n8n-workflow is the version n8n 2.8.4 runs
#: (its package.json), for the types only: n8n provides the module at run time.
#: @n8n/node-cli 0.19.0 is the newest without @n8n/ai-node-sdk, which 0.23 and
#: later pull in (0.48.3: 683 MB, with isolated-vm wanting Node 24); it installs in
#: 15 s (147 MB) and builds on Node 20.
TOOLING = {
    "@n8n/node-cli": "0.19.0",
    # The Node that n8n 2.8.4 runs on here (crypto, Buffer, http headers).
    "@types/node": "20.19.43",
    "eslint": "9.29.0",
    "n8n-workflow": "2.8.0",
    "typescript": "5.9.2",
}

#: Array inputs that n8n users fill with an expression (``{{ $input.all() ... }}``)
#: or JSON text: the bulk action's rows, each a create-phone-call input.
JSON_ARRAYS = {("create-phone-calls", "rows")}

#: n8n's dateTime picker gives local time without an offset, in the workflow's
#: time zone, which n8n's expressions (luxon) use too; the connector wants an
#: offset, so picked times get one. Anything else (epoch ms) goes as typed.
_WITH_OFFSET = (
    "={{ DateTime.fromISO(String($value)).isValid"
    " ? DateTime.fromISO(String($value)).toISO() : $value }}"
)
#: What n8n says under every dropdown (its lint asks for these words).
_DROPDOWN_HELP = (
    "Choose from the list, or specify an ID using an "
    '<a href="https://docs.n8n.io/code/expressions/">expression</a>.'
)
#: JSON text typed into the field becomes the array the connector expects.
_PARSED = '={{ typeof $value === "string" ? JSON.parse($value) : $value }}'


def render() -> dict[str, str]:
    """The package's files, by path relative to the project root, with their text."""
    files = {
        "package.json": _dump(package_document()),
        ".npmrc": NPMRC,
        "tsconfig.json": f"// {NOTICE}\n" + _dump(TSCONFIG),
        # No notice here: in strict mode (n8n's bar for verified community nodes)
        # `n8n-node lint` refuses any eslint.config.mjs but its default, verbatim.
        "eslint.config.mjs": ESLINT_CONFIG,
        "README.md": README,
        "icons/retell.svg": ICON,
        "credentials/RetellConnectorApi.credentials.ts": CREDENTIALS_TS,
        "nodes/Retell/Retell.node.ts": _typescript(
            NODE_TS.replace("__methods__", _load_options_methods()),
            "description",
            node_description(),
        ),
        "nodes/RetellTrigger/RetellTrigger.node.ts": _typescript(
            TRIGGER_TS, "description", trigger_description()
        ),
        "nodes/RetellTrigger/standardWebhooks.ts": f"// {NOTICE}\n" + SIGNATURE_TS,
    }
    return {f"{ROOT}/{name}": text for name, text in files.items()}


def _dump(document: dict) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _typescript(template: str, name: str, value: dict) -> str:
    """``template`` with ``__<name>__`` replaced by ``value`` as a TS literal."""
    # The literal sits one level into a class body.
    return f"// {NOTICE}\n" + template.replace(f"__{name}__", ts_literal(value, 1))


_IDENTIFIER = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")


class Code(str):
    """A name from the TypeScript around a description (a function), not text."""


def ts_literal(value: object, depth: int = 0) -> str:
    """``value`` as a TypeScript literal in n8n's style: bare keys where they are
    identifiers (n8n's lint rules read only those), single-quoted strings, tabs."""
    inner, outer = "\t" * (depth + 1), "\t" * depth
    if isinstance(value, dict):
        if not value:
            return "{}"
        entries = [
            f"{inner}{key if _IDENTIFIER.match(key) else _quote(key)}: "
            f"{ts_literal(item, depth + 1)},"
            for key, item in value.items()
        ]
        return "{\n" + "\n".join(entries) + f"\n{outer}}}"
    if isinstance(value, list):
        if not value:
            return "[]"
        items = [f"{inner}{ts_literal(item, depth + 1)}," for item in value]
        return "[\n" + "\n".join(items) + f"\n{outer}]"
    if isinstance(value, Code):
        return str(value)
    if isinstance(value, str):
        return _quote(value)
    return json.dumps(value)


def _quote(text: str) -> str:
    body = json.dumps(text, ensure_ascii=False)[1:-1]
    return "'" + body.replace('\\"', '"').replace("'", "\\'") + "'"


def package_document() -> dict:
    return {
        "x-generated": NOTICE,
        "name": PACKAGE,
        "version": __version__,
        "description": "n8n nodes for the Retell connector: place Retell AI phone "
        "calls and start workflows from their events.",
        # The project's own licence (setup.cfg: Proprietary); n8n's lint asks for
        # MIT, which is the owner's call, not the generator's.
        "license": "UNLICENSED",
        "author": {"name": "retell-connector"},
        "keywords": ["n8n-community-node-package", "retell", "voice-ai"],
        "files": ["dist"],
        "scripts": {"build": "n8n-node build", "lint": "n8n-node lint"},
        "n8n": {
            "n8nNodesApiVersion": 1,
            "strict": True,
            "credentials": ["dist/credentials/RetellConnectorApi.credentials.js"],
            "nodes": [
                "dist/nodes/Retell/Retell.node.js",
                "dist/nodes/RetellTrigger/RetellTrigger.node.js",
            ],
        },
        "devDependencies": dict(TOOLING),
        "peerDependencies": {"n8n-workflow": "*"},
    }


def camel(key: str) -> str:
    """n8n's camelCase values: ``create-phone-call`` → ``createPhoneCall``."""
    head, *rest = re.split(r"[-_\s]+", key)
    return head.lower() + "".join(word.capitalize() for word in rest)


def _label(key: str) -> str:
    words = key.replace("__", " ").replace("_", " ")
    return words[:1].upper() + words[1:]


# n8n's style for node texts (docs.n8n.io, "UI elements" and "Node UI design"),
# which its lint enforces (eslint-plugin-n8n-nodes-base): names in title case,
# actions in sentence case, "ID", a final period only after several sentences,
# boolean descriptions starting with "Whether". The catalog's texts are written
# once for every platform; these turn them into n8n's spelling.
_SMALL_WORDS = {"a", "an", "and", "as", "at", "by", "for", "in", "of", "on", "or"}
_SMALL_WORDS |= {"the", "to", "via", "with"}


def title(text: str) -> str:
    """Title case as n8n's lint wants it: every word capitalised but small ones."""
    words = re.split(r"([\s:\-–—]+)", text)
    cased = []
    for index, word in enumerate(words):
        inner = 0 < index < len(words) - 1
        if inner and word.lower() in _SMALL_WORDS:
            cased.append(word)
        else:
            cased.append(re.sub(r"[A-Za-z0-9]", lambda m: m[0].upper(), word, count=1))
    return "".join(cased)


def sentence(text: str) -> str:
    """Sentence case of a label, without its punctuation (n8n's "action")."""
    words = re.findall(r"[A-Za-z0-9]+", text)
    return " ".join([words[0].capitalize(), *(word.lower() for word in words[1:])])


def help_text(text: str, *, boolean_name: str = "") -> str:
    """A catalog description in n8n's spelling; a boolean's says what true does."""
    if boolean_name and not text.startswith("Whether"):
        text = f"Whether to {boolean_name[:1].lower()}{boolean_name[1:]}. {text}"
    # Header names too ("X-Campaign-Id"): they are case-insensitive (RFC 9110).
    text = re.sub(r"\b[iI]d(s?)\b", r"ID\1", text)
    # n8n shows descriptions as HTML.
    text = text.replace("<", "&lt;").replace(">", "&gt;")
    several = ". " in text.replace("e.g.", "")
    if several and not text.endswith("."):
        text += "."
    if not several and text.endswith("."):
        text = text[:-1]
    return text


def node_description() -> dict:
    """The declarative Retell node's description (n8n-workflow INodeTypeDescription)."""
    files = schemas.documents()
    nouns = list(dict.fromkeys(action.noun for action in catalog.ACTIONS))
    resource = {
        "displayName": "Resource",
        "name": "resource",
        "type": "options",
        "noDataExpression": True,
        "options": sorted(
            ({"name": title(noun), "value": camel(noun)} for noun in nouns),
            key=lambda option: option["name"],
        ),
        "default": camel(nouns[0]),
    }
    properties = [resource]
    for noun in nouns:
        actions = [action for action in catalog.ACTIONS if action.noun == noun]
        properties.append(
            {
                "displayName": "Operation",
                "name": "operation",
                "type": "options",
                "noDataExpression": True,
                "displayOptions": {"show": {"resource": [camel(noun)]}},
                "options": sorted(
                    (_operation(action) for action in actions),
                    key=lambda option: option["name"],
                ),
                "default": camel(actions[0].key),
            }
        )
    for action in catalog.ACTIONS:
        document = files[f"actions/{action.key}.input.json"]
        properties.extend(_parameters(action, document))
    return {
        "displayName": "Retell",
        "name": "retell",
        "icon": "file:../../icons/retell.svg",
        "group": ["output"],
        "version": 1,
        "subtitle": '={{$parameter["operation"] + ": " + $parameter["resource"]}}',
        "description": "Place Retell AI phone calls and read them, through the "
        "Retell connector",
        "defaults": {"name": "Retell"},
        "usableAsTool": True,
        "inputs": ["main"],
        "outputs": ["main"],
        "credentials": [{"name": CREDENTIAL, "required": True}],
        "requestDefaults": {
            "baseURL": "={{$credentials.baseUrl}}",
            # Refusals reach raiseProblem, which fails with the connector's words.
            "ignoreHttpStatusErrors": True,
            "headers": {
                "Accept": "application/json",
                "Content-Type": "application/json",
            },
        },
        "properties": properties,
    }


def _operation(action: catalog.Action) -> dict:
    return {
        "name": title(action.label),
        "value": camel(action.key),
        "action": sentence(action.label),
        "description": help_text(action.description),
        "routing": {
            "request": {"method": "POST", "url": f"/v1/actions/{action.key}"},
            "output": {"postReceive": [Code("raiseProblem")]},
        },
    }


def _parameters(action: catalog.Action, document: dict) -> list[dict]:
    """Required inputs as parameters of their own, the rest in one collection
    (n8n's "Additional Fields"), so that only what the user adds is sent and the
    connector's defaults apply to the rest."""
    show = {
        "show": {"resource": [camel(action.noun)], "operation": [camel(action.key)]}
    }
    required = set(document.get("required", ()))
    found, optional = [], []
    for key, prop in document["properties"].items():
        if key in required:
            found.append(
                {
                    **parameter(key, prop, required=True, action=action.key),
                    "displayOptions": show,
                }
            )
        else:
            optional.append(parameter(key, prop, required=False, action=action.key))
    if optional:
        found.append(
            {
                "displayName": "Additional Fields",
                "name": "additionalFields",
                "type": "collection",
                "placeholder": "Add Field",
                "default": {},
                "displayOptions": show,
                "options": sorted(optional, key=lambda item: item["displayName"]),
            }
        )
    return found


def parameter(key: str, prop: dict, *, required: bool, action: str = "") -> dict:
    """One n8n node parameter (INodeProperties) from one JSON Schema property.

    The parameter gets the n8n type a user fills in most naturally for the shapes
    the property accepts; its routing puts the value into the request body under
    the property's own name.
    """
    label = prop.get("title") or _label(key)
    param: dict = {"displayName": title(label), "name": key}
    alts = alternatives(prop)
    kinds = {alt["type"] for alt in alts}
    choices = list(
        dict.fromkeys(
            value
            for alt in alts
            for value in alt.get("enum", alt.get("items", {}).get("enum", []))
            if isinstance(value, str)
        )
    )
    send: dict = {"type": "body", "property": key}
    default: object = ""
    if key in DROPDOWNS:
        param["type"] = "options"
        param["typeOptions"] = {"loadOptionsMethod": camel(DROPDOWNS[key])}
    elif "boolean" in kinds:
        param["type"] = "boolean"
        default = bool(prop.get("default", False))
    elif (action, key) in JSON_ARRAYS:
        param["type"] = "json"
        default = "[]"
        send["value"] = _PARSED
    elif "object" in kinds:
        # JSON text, which the connector parses and checks field by field.
        param["type"] = "json"
    elif choices:
        param["type"] = "multiOptions" if "array" in kinds else "options"
        param["options"] = [
            {"name": title(_label(value)), "value": value} for value in choices
        ]
        default = [] if "array" in kinds else choices[0]
    elif any(alt.get("format") == "date-time" for alt in alts):
        param["type"] = "dateTime"
        send["value"] = _WITH_OFFSET
    elif kinds & {"integer", "number"} and not any(map(free_text, alts)):
        param["type"] = "number"
        number = next(alt for alt in alts if alt["type"] in ("integer", "number"))
        options = {
            name: number[bound]
            for name, bound in (("minValue", "minimum"), ("maxValue", "maximum"))
            if bound in number
        }
        if number["type"] == "integer":
            options["numberPrecision"] = 0
        if options:
            param["typeOptions"] = options
        default = prop.get("default", number.get("minimum", 0))
    else:
        param["type"] = "string"
    param["default"] = default
    if required:
        param["required"] = True
    if key == "limit":
        # n8n's wording for every limit parameter (its lint insists); the range
        # is in the parameter's bounds.
        param["description"] = "Max number of results to return"
    elif prop.get("description"):
        boolean = label if param["type"] == "boolean" else ""
        param["description"] = help_text(prop["description"], boolean_name=boolean)
    if key in DROPDOWNS:
        # n8n names a dropdown "<Thing> Name or ID" and says a mapped ID works too;
        # a label's "(this call only)" is in its help text already.
        thing = re.sub(r"\s*\(.*\)$", "", label)
        param["displayName"] = f"{title(thing)} Name or ID"
        helped = param.get("description", "").removesuffix(".")
        param["description"] = (
            f"{helped}. {_DROPDOWN_HELP}" if helped else _DROPDOWN_HELP
        )
    if prop.get("examples") and param["type"] in ("string", "dateTime", "json"):
        param["placeholder"] = str(prop["examples"][0])
    param["routing"] = {"send": send}
    return param


def _load_options_methods() -> str:
    """One loadOptions method per option source, named as the fields name it."""
    return "\n".join(
        f"\t\t\tasync {camel(source.key)}(this: ILoadOptionsFunctions) {{\n"
        f"\t\t\t\treturn await choices.call(this, '{source.key}');\n"
        "\t\t\t},"
        for source in catalog.OPTION_SOURCES
    )


def trigger_description() -> dict:
    """The RetellTrigger node's description: one webhook, the event to follow."""
    subscription = schemas.documents()["triggers/subscription.input.json"]
    return {
        "displayName": "Retell Trigger",
        "name": "retellTrigger",
        "icon": "file:../../icons/retell.svg",
        "group": ["trigger"],
        "version": 1,
        "subtitle": '={{$parameter["event"]}}',
        "description": "Starts the workflow when a Retell AI call starts, ends, is "
        "analysed or fails, through the Retell connector",
        "defaults": {"name": "Retell Trigger"},
        "inputs": [],
        "outputs": ["main"],
        "credentials": [{"name": CREDENTIAL, "required": True}],
        "webhooks": [
            {
                "name": "default",
                "httpMethod": "POST",
                "responseMode": "onReceived",
                "path": "webhook",
            }
        ],
        "properties": [
            {
                "displayName": "Event",
                "name": "event",
                "type": "options",
                "required": True,
                "default": catalog.TRIGGERS[0].key,
                "options": [
                    {
                        "name": title(trigger.label),
                        "value": trigger.key,
                        "description": help_text(trigger.description),
                    }
                    for trigger in sorted(catalog.TRIGGERS, key=lambda t: t.label)
                ],
            },
            {
                "displayName": "Filters",
                "name": "filters",
                "type": "json",
                "default": "{}",
                "description": help_text(
                    subscription["properties"]["filters"]["description"]
                ),
            },
        ],
    }


NPMRC = f"""# {NOTICE}
# eslint-plugin-n8n-nodes-base (a dependency of @n8n/node-cli) ships its own
# repository's "preinstall: npx only-allow pnpm", which fails every npm install of
# it (npm/cli#2660); none of the tooling needs an install script to build or lint.
ignore-scripts=true
"""

TSCONFIG = {
    "compilerOptions": {
        "strict": True,
        "module": "commonjs",
        "moduleResolution": "node",
        "target": "es2019",
        "lib": ["es2019", "es2020", "es2022.error"],
        "removeComments": True,
        "useUnknownInCatchVariables": False,
        "forceConsistentCasingInFileNames": True,
        "noImplicitAny": True,
        "noImplicitReturns": True,
        "noUnusedLocals": True,
        "strictNullChecks": True,
        "esModuleInterop": True,
        "declaration": True,
        "sourceMap": True,
        "skipLibCheck": True,
        "outDir": "./dist/",
    },
    "include": ["credentials/**/*", "nodes/**/*"],
}

ESLINT_CONFIG = """import { config } from '@n8n/node-cli/eslint';

export default config;
"""

README = f"""<!-- {NOTICE} -->
# n8n-nodes-retell-connector

n8n nodes for the Retell connector: **Retell** places, finds and lists Retell AI
phone calls and binds agents to numbers; **Retell Trigger** starts a workflow when a
call starts, ends, is analysed or fails. Both call your connector, which calls
Retell; the credential takes your Retell API key and the connector's address.

Every file here except `package-lock.json` is generated from the connector's
catalog by `connector generate`. Build with `npm ci && npm run build`; n8n loads
`dist/`.
"""

ICON = f"""<!-- {NOTICE} -->
<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64">
  <circle cx="32" cy="32" r="30" fill="#1f2937"/>
  <path d="M22 16h9c7 0 11 4 11 10 0 5-3 8-7 9l8 13h-8l-7-12h-0v12h-6z
           M28 21v9h3c3 0 5-2 5-4.5S34 21 31 21z" fill="#f9fafb"/>
</svg>
"""

CREDENTIALS_TS = f"""// {NOTICE}
import type {{
\tIAuthenticateGeneric,
\tICredentialTestRequest,
\tICredentialType,
\tINodeProperties,
}} from 'n8n-workflow';

// The connector takes the caller's Retell API key as a Bearer token on every /v1
// route (its contract, "Auth"), and checks it with Retell on GET /v1/me.
export class RetellConnectorApi implements ICredentialType {{
\tname = '{CREDENTIAL}';

\tdisplayName = 'Retell Connector API';

\ticon = 'file:../icons/retell.svg' as const;

\tdocumentationUrl = 'https://docs.retellai.com/accounts/api-keys';

\tproperties: INodeProperties[] = [
\t\t{{
\t\t\tdisplayName: 'Retell API Key',
\t\t\tname: 'apiKey',
\t\t\ttype: 'string',
\t\t\ttypeOptions: {{ password: true }},
\t\t\tdefault: '',
\t\t\trequired: true,
\t\t\tdescription: 'Your key from the Retell dashboard (Settings, API Keys)',
\t\t}},
\t\t{{
\t\t\tdisplayName: 'Connector URL',
\t\t\tname: 'baseUrl',
\t\t\ttype: 'string',
\t\t\tdefault: '',
\t\t\trequired: true,
\t\t\tplaceholder: 'https://connector.example.com',
\t\t\tdescription: 'Where your Retell connector runs',
\t\t}},
\t];

\tauthenticate: IAuthenticateGeneric = {{
\t\ttype: 'generic',
\t\tproperties: {{
\t\t\theaders: {{
\t\t\t\tAuthorization: '=Bearer {{{{$credentials.apiKey}}}}',
\t\t\t}},
\t\t}},
\t}};

\ttest: ICredentialTestRequest = {{
\t\trequest: {{
\t\t\tbaseURL: '={{{{$credentials.baseUrl}}}}',
\t\t\turl: '/v1/me',
\t\t}},
\t}};
}}
"""

NODE_TS = """import type {
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
	const base = String(credentials.baseUrl).replace(/\\/+$/, '');
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
		description: fields.join('\\n') || undefined,
		httpCode: String(response.statusCode),
	});
}

// A declarative node (docs.n8n.io, "Declarative-style nodes"): n8n builds each
// request from the routing in the description, made from the connector's catalog.
export class Retell implements INodeType {
	description: INodeTypeDescription = __description__;

	methods = {
		loadOptions: {
__methods__
		},
	};
}
"""

TRIGGER_TS = """import type {
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
	const base = String(credentials.baseUrl).replace(/\\/+$/, '');
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
	description: INodeTypeDescription = __description__;

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
"""

SIGNATURE_TS = """import { createHmac, timingSafeEqual } from 'crypto';
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
"""
