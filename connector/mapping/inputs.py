"""Input schemas of the actions, as Make, Zapier and n8n users fill them in.

Each schema is the single description of an action's input: the HTTP layer loads
requests with it, and the catalog turns it into JSON Schema, OpenAPI and the platform
manifests, where the ``title`` and ``description`` metadata become the help texts.

Rules shared by all inputs (:class:`InputSchema`):

- unknown fields are refused, naming the fields that exist;
- ``null`` and empty text mean "not set" (mappers send them for empty cells), so an
  optional field left empty is simply not sent, and a required one is reported
  missing.
"""

from __future__ import annotations

import typing
from collections.abc import Mapping

from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    post_load,
    pre_load,
    validates_schema,
)
from marshmallow import fields as ma_fields
from marshmallow.validate import Length

from .fields import (
    AgentVersion,
    DynamicVariableMap,
    DynamicVariables,
    EpochMillis,
    ExemptFromE164,
    Identifier,
    JSONObject,
    PhoneNumber,
    StrictBoolean,
    StringMap,
    WholeNumber,
    describe_type,
    quote,
)
from .outputs import Option

__all__ = [
    "BindAgentInput",
    "CALL_STATUS_FILTERS",
    "CreatePhoneCallInput",
    "GetCallInput",
    "InputSchema",
    "ListCallsInput",
    "Option",
    "bind_agent_body",
    "list_calls_body",
]

# Retell documents 50 kB for metadata on update-call; assumed for create-phone-call
# (retell-api.md section 1). Counted as 50,000 bytes, the stricter reading.
METADATA_MAX_BYTES = 50_000

AGENT_OVERRIDE_KEYS = ("agent", "retell_llm", "conversation_flow")

# Values the v3 list-calls filter accepts: every status except "registered"
# (retell-sdk 6.2.13, call_list_params.FilterCriteriaCallStatus).
CALL_STATUS_FILTERS = ("not_connected", "ongoing", "ended", "error")


def _text(title: str, description: str, **extra: typing.Any) -> dict:
    return {"title": title, "description": description, **extra}


class InputSchema(Schema):
    """Base of every action input: strict about names, forgiving about emptiness."""

    class Meta:
        unknown = RAISE

    error_messages = {"type": "the input must be a JSON object of fields"}

    def __init__(self, *args: typing.Any, **kwargs: typing.Any) -> None:
        super().__init__(*args, **kwargs)
        known = ", ".join(sorted(f.data_key or name for name, f in self.fields.items()))
        self.error_messages = {
            **self.error_messages,
            "unknown": f"is not a field of this action; the fields are: {known}",
        }

    def on_bind_field(self, field_name: str, field_obj: ma_fields.Field) -> None:
        field_obj.error_messages = {
            **field_obj.error_messages,
            "required": "is required, but it was missing or empty",
            "null": "is required, but it was empty",
        }

    @pre_load
    def _prepare(self, data: object, **kwargs: typing.Any) -> object:
        if not isinstance(data, Mapping):
            return data
        declared = {f.data_key or name for name, f in self.fields.items()}
        cleaned = {
            key: value
            for key, value in data.items()
            if not (key in declared and _is_empty(value))
        }
        return self.prepare(cleaned)

    def prepare(self, data: dict) -> dict:
        """Adjust the raw input before fields load it; subclasses override."""
        return data

    @post_load
    def _finish(self, data: dict, **kwargs: typing.Any) -> dict:
        return self.finish({key: v for key, v in data.items() if v is not None})

    def finish(self, data: dict) -> dict:
        """Shape the loaded fields (unset ones already removed); subclasses override."""
        return data


def _is_empty(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _is_true(value: object) -> bool:
    """Whether a raw switch value reads as true, without raising on bad input."""
    try:
        return StrictBoolean().deserialize(value) is True
    except ValidationError:
        return False


class CreatePhoneCallInput(InputSchema):
    """Input of ``create-phone-call``; loads to Retell's request body plus warnings.

    ``load()`` returns only the fields that were set, in Retell's form, and a
    ``warnings`` list (possibly empty) that the caller must pop before sending.
    """

    from_number = PhoneNumber(
        required=True,
        metadata=_text(
            "From number",
            "The number the call comes from: one you bought from Retell or imported"
            " into it. International (E.164) format: + and the country code, e.g."
            " +14155550100. Spaces and dashes are fine.",
        ),
    )
    to_number = PhoneNumber(
        required=True,
        metadata=_text(
            "To number",
            "The number to call, in international (E.164) format: + and the country"
            " code, e.g. +14155550134. Spaces and dashes are fine; numbers without"
            " + or in spreadsheet notation are refused. Map the column as text.",
        ),
    )
    override_agent_id = Identifier(
        allow_none=True,
        metadata=_text(
            "Agent (this call only)",
            "Use this agent for this call instead of the one bound to the from"
            " number. Leave empty to use the number's agent.",
        ),
    )
    override_agent_version = AgentVersion(
        allow_none=True,
        metadata=_text(
            "Agent version (this call only)",
            "Which version of the agent to use: a number such as 3, or a version"
            " tag such as prod. Leave empty for the agent's default.",
        ),
    )
    agent_override = JSONObject(
        object_keys=AGENT_OVERRIDE_KEYS,
        allow_none=True,
        metadata=_text(
            "Agent settings (this call only)",
            "Advanced: agent settings to change for this call only, as an object or"
            " JSON text with any of the keys agent, retell_llm and"
            ' conversation_flow, e.g. {"agent": {"max_call_duration_ms":'
            " 600000}}. Only the settings you give change.",
        ),
    )
    metadata = JSONObject(
        max_bytes=METADATA_MAX_BYTES,
        allow_none=True,
        metadata=_text(
            "Metadata",
            "Your own data to keep with the call, e.g. a CRM contact id, as an"
            " object or JSON text. It comes back unchanged in every call event."
            " At most 50 kB.",
        ),
    )
    retell_llm_dynamic_variables = DynamicVariables(
        allow_none=True,
        metadata=_text(
            "Dynamic variables",
            "Values for the {{placeholders}} in your agent's prompt, e.g."
            " first_name = Ana. String values only: numbers become digits (14 ->"
            ' "14", 12.5 -> "12.5"), true/false become "true"/"false", and'
            " empty (null) values are not sent so the agent's default applies."
            " Objects and lists are refused.",
        ),
    )
    custom_sip_headers = StringMap(
        allow_none=True,
        metadata=_text(
            "Custom SIP headers",
            "Advanced: extra headers for the phone carrier, as an object of text"
            ' values or JSON text, e.g. {"X-Campaign-Id": "spring"}.',
        ),
    )
    ignore_e164_validation = StrictBoolean(
        allow_none=True,
        metadata=_text(
            "Skip phone number format check",
            "Only for numbers on your own SIP trunk that are not in international"
            " format. When true, the from and to numbers are sent as typed. Retell"
            " numbers always need international format.",
            default=False,
        ),
    )
    idempotency_key = Identifier(
        max_length=255,
        allow_none=True,
        metadata=_text(
            "Idempotency key",
            "A unique value per intended call, e.g. your scenario's run id. If the"
            " same request is sent again with the same key, no second call is"
            " placed. 1 to 255 characters.",
        ),
    )
    honor_internal_dnc = StrictBoolean(
        allow_none=True,
        metadata=_text(
            "Respect do-not-call list",
            "When true, the call is refused if the person is on your Retell"
            " do-not-call list.",
            default=False,
        ),
    )

    def prepare(self, data: dict) -> dict:
        # ignore_e164_validation relaxes the format check of both numbers, nothing
        # else; the marker travels with each value (see fields.ExemptFromE164).
        if _is_true(data.get("ignore_e164_validation")):
            for key in ("from_number", "to_number"):
                if isinstance(data.get(key), str):
                    data[key] = ExemptFromE164(data[key])
        return data

    def finish(self, data: dict) -> dict:
        warnings: list[str] = []
        variables = data.get("retell_llm_dynamic_variables")
        if isinstance(variables, DynamicVariableMap):
            warnings.extend(
                f"retell_llm_dynamic_variables.{key} was empty (null), so it was not"
                " sent and the agent's default value applies"
                for key in variables.dropped
            )
            data["retell_llm_dynamic_variables"] = dict(variables)
        return {**data, "warnings": warnings}


class GetCallInput(InputSchema):
    """Input of ``get-call``."""

    call_id = Identifier(
        required=True,
        max_length=128,
        metadata=_text(
            "Call ID",
            "The id of the call, as returned when it was created or in a call"
            " event, e.g. call_8d1e5f2a9b3c4d7e6f0a1b2c3d4.",
        ),
    )


class CallStatuses(ma_fields.Field):
    """One call status or several: a list, or text separated by commas."""

    json_schema: typing.ClassVar[dict] = {
        "anyOf": [
            {"type": "string", "enum": list(CALL_STATUS_FILTERS)},
            {
                "type": "array",
                "items": {"type": "string", "enum": list(CALL_STATUS_FILTERS)},
                "minItems": 1,
            },
            {
                "type": "string",
                "pattern": "^\\s*({0})(\\s*,\\s*({0}))*\\s*$".format(
                    "|".join(CALL_STATUS_FILTERS)
                ),
            },
        ]
    }

    def _deserialize(self, value, attr, data, **kwargs) -> list[str]:
        if isinstance(value, str):
            items: list = [part.strip() for part in value.split(",")]
        elif isinstance(value, list):
            items = value
        else:
            raise ValidationError(
                f"must be a status or a list of statuses, got {describe_type(value)}"
            )
        allowed = ", ".join(CALL_STATUS_FILTERS)
        chosen: list[str] = []
        for item in items:
            if item not in CALL_STATUS_FILTERS:
                raise ValidationError(
                    f"{quote(item)} is not a call status; use one or more of: {allowed}"
                )
            if item not in chosen:
                chosen.append(item)
        if not chosen:
            raise ValidationError(f"is empty; use one or more of: {allowed}")
        return chosen


class ListCallsInput(InputSchema):
    """Input of ``list-calls``; turn the loaded dict into a body with
    :func:`list_calls_body`."""

    agent_id = Identifier(
        allow_none=True,
        metadata=_text("Agent", "Only calls handled by this agent."),
    )
    call_status = CallStatuses(
        allow_none=True,
        metadata=_text(
            "Call status",
            "Only calls with this status: not_connected, ongoing, ended or error."
            " Several can be given as a list or separated by commas.",
        ),
    )
    from_number = PhoneNumber(
        allow_none=True,
        metadata=_text(
            "From number",
            "Only calls from this number, in international (E.164) format, e.g."
            " +14155550100.",
        ),
    )
    to_number = PhoneNumber(
        allow_none=True,
        metadata=_text(
            "To number",
            "Only calls to this number, in international (E.164) format, e.g."
            " +14155550134.",
        ),
    )
    start_after = EpochMillis(
        allow_none=True,
        metadata=_text(
            "Started at or after",
            "Only calls that started at or after this time: an ISO 8601 time with"
            " a time zone, e.g. 2026-01-01T00:00:00Z, or epoch milliseconds.",
        ),
    )
    start_before = EpochMillis(
        allow_none=True,
        metadata=_text(
            "Started at or before",
            "Only calls that started at or before this time: an ISO 8601 time with"
            " a time zone, e.g. 2026-01-31T23:59:59Z, or epoch milliseconds.",
        ),
    )
    limit = WholeNumber(
        minimum=1,
        maximum=1000,
        load_default=50,
        metadata=_text(
            "Limit", "How many calls to return at most, newest first: 1 to 1000."
        ),
    )
    pagination_key = Identifier(
        allow_none=True,
        metadata=_text(
            "Page key",
            "To get the next page, the pagination_key returned with the previous"
            " page. Leave empty for the first page.",
        ),
    )

    @validates_schema
    def _time_range(self, data: dict, **kwargs: typing.Any) -> None:
        after, before = data.get("start_after"), data.get("start_before")
        if after is not None and before is not None and after > before:
            raise ValidationError(
                "is earlier than start_after; no call can match", "start_before"
            )


def list_calls_body(loaded: Mapping[str, typing.Any]) -> dict:
    """Build Retell's ``POST /v3/list-calls`` body from loaded :class:`ListCallsInput`.

    Filters use the v3 operator objects (retell-sdk 6.2.13 ``call_list_params``);
    both time bounds are inclusive. Calls come newest first.
    """
    criteria: dict[str, typing.Any] = {}
    if "agent_id" in loaded:
        criteria["agent"] = [{"agent_id": loaded["agent_id"]}]
    if "call_status" in loaded:
        criteria["call_status"] = {
            "op": "in",
            "type": "enum",
            "value": list(loaded["call_status"]),
        }
    for key in ("from_number", "to_number"):
        if key in loaded:
            criteria[key] = {"op": "eq", "type": "string", "value": loaded[key]}
    after, before = loaded.get("start_after"), loaded.get("start_before")
    if after is not None and before is not None:
        criteria["start_timestamp"] = {
            "op": "bt",
            "type": "range",
            "value": [after, before],
        }
    elif after is not None:
        criteria["start_timestamp"] = {"op": "ge", "type": "number", "value": after}
    elif before is not None:
        criteria["start_timestamp"] = {"op": "le", "type": "number", "value": before}

    body: dict[str, typing.Any] = {
        "sort_order": "descending",
        "limit": loaded.get("limit", 50),
    }
    if criteria:
        body["filter_criteria"] = criteria
    if "pagination_key" in loaded:
        body["pagination_key"] = loaded["pagination_key"]
    return body


class BindAgentInput(InputSchema):
    """Input of ``bind-agent-to-number``; build the request with
    :func:`bind_agent_body` (the phone number goes in the URL path)."""

    phone_number = PhoneNumber(
        required=True,
        metadata=_text(
            "Phone number",
            "Your Retell number to set agents on, in international (E.164) format,"
            " e.g. +14155550100.",
        ),
    )
    inbound_agent_id = Identifier(
        allow_none=True,
        metadata=_text(
            "Inbound agent",
            "The agent that answers calls to this number. Leave empty to keep the"
            " current setting.",
        ),
    )
    inbound_agent_version = AgentVersion(
        allow_none=True,
        metadata=_text(
            "Inbound agent version",
            "Version of the inbound agent: a number such as 3 or a tag such as"
            " prod. Leave empty for the agent's default.",
        ),
    )
    outbound_agent_id = Identifier(
        allow_none=True,
        metadata=_text(
            "Outbound agent",
            "The agent that speaks on calls placed from this number. Leave empty"
            " to keep the current setting.",
        ),
    )
    outbound_agent_version = AgentVersion(
        allow_none=True,
        metadata=_text(
            "Outbound agent version",
            "Version of the outbound agent: a number such as 3 or a tag such as"
            " prod. Leave empty for the agent's default.",
        ),
    )

    @validates_schema
    def _some_agent(self, data: dict, **kwargs: typing.Any) -> None:
        errors: dict[str, list[str]] = {}
        for side in ("inbound", "outbound"):
            if f"{side}_agent_version" in data and f"{side}_agent_id" not in data:
                errors[f"{side}_agent_version"] = [
                    f"needs {side}_agent_id: a version only applies to an agent"
                ]
        if errors:
            raise ValidationError(errors)
        if "inbound_agent_id" not in data and "outbound_agent_id" not in data:
            raise ValidationError(
                "set inbound_agent_id, outbound_agent_id or both; with neither"
                " there is nothing to change"
            )


def bind_agent_body(loaded: Mapping[str, typing.Any]) -> dict:
    """Build the ``PATCH /update-phone-number/{phone_number}`` body.

    retell-sdk 6.2.13 binds agents as weighted lists (``inbound_agents`` /
    ``outbound_agents`` of ``{agent_id, agent_version?, weight}``, weights summing
    to 1); one agent per side gets weight 1. Only the sides given are sent, so the
    other side stays as it is.
    """
    body: dict[str, list[dict]] = {}
    for side in ("inbound", "outbound"):
        agent_id = loaded.get(f"{side}_agent_id")
        if agent_id is None:
            continue
        agent: dict[str, typing.Any] = {"agent_id": agent_id}
        if loaded.get(f"{side}_agent_version") is not None:
            agent["agent_version"] = loaded[f"{side}_agent_version"]
        agent["weight"] = 1
        body[f"{side}_agents"] = [agent]
    return body


#: Rows one bulk request may carry; a larger sheet is sent in several requests.
MAX_BULK_ROWS = 1000


class CreatePhoneCallsInput(InputSchema):
    """Input of ``create-phone-calls``: rows checked one by one, not as a whole.

    A bad row must not sink a sheet of good ones, so the rows are loaded here only
    as objects; each is then checked as a create-phone-call input of its own and,
    if it fails, reported on its own row of the job.
    """

    rows = ma_fields.List(
        # Raw, not Dict: a row that is not an object fails on its own row.
        ma_fields.Raw(),
        required=True,
        validate=Length(
            min=1,
            max=MAX_BULK_ROWS,
            error=f"must hold 1 to {MAX_BULK_ROWS} rows; split larger sheets",
        ),
        metadata=_text(
            "Rows",
            "The calls to place, one object per row, each with the fields of Create"
            " Phone Call (from_number, to_number, dynamic variables, metadata ...)."
            " Rows are placed at your account's calls-per-second pace.",
        ),
    )
    idempotency_key = Identifier(
        max_length=255,
        allow_none=True,
        metadata=_text(
            "Idempotency key",
            "A unique value per batch: the same batch sent again with the same key"
            " gives the first job instead of a second one.",
        ),
    )
