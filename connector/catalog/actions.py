"""The actions: what a scenario can ask Retell to do through the connector."""

from __future__ import annotations

import secrets

from marshmallow import ValidationError

from ..errors import FatalError
from ..mapping import field_errors, inputs, numbers, outputs
from ..mapping.fields import region_of
from . import samples
from .operations import Action, Context, OptionSource


def create_phone_call(ctx: Context, data: dict) -> dict:
    warnings = data.pop("warnings", [])
    _refuse_foreign_destination(ctx, data, {})
    # Without a key of the caller's, Retell still gets one of ours, so the client may
    # retry a create that timed out without placing a second call.
    data.setdefault("idempotency_key", "connector-" + secrets.token_hex(16))
    ctx.wait_for_slot()
    call = ctx.retell.create_phone_call(
        ctx.api_key, data, before_retry=ctx.wait_for_slot
    )
    return {**outputs.flatten_call(call), "warnings": warnings}


def create_phone_calls(ctx: Context, data: dict) -> dict:
    """Check every row on its own, then queue the good ones as one job."""
    rows, lookups, keys = [], {}, {}
    for index, raw in enumerate(data["rows"]):
        try:
            body = inputs.CreatePhoneCallInput().load(raw)
            body.pop("warnings")
            _refuse_repeated_key(body, index, keys)
            _refuse_foreign_destination(ctx, body, lookups)
        except ValidationError as err:
            rows.append((None, field_errors(err)))
        except FatalError as err:
            rows.append((None, err.errors or [{"field": "", "message": err.detail}]))
        else:
            rows.append((body, []))
    return ctx.start_job(rows)


def _refuse_repeated_key(body: dict, index: int, keys: dict) -> None:
    """Two rows with one idempotency key would be one call for two people: Retell
    answers the second with the first's call. Refuse the repeat on its row."""
    key = body.get("idempotency_key")
    if key is None:
        return
    if key in keys:
        message = (
            f"repeats the idempotency key of row {keys[key]}; give each row its own"
        )
        raise ValidationError({"idempotency_key": [message]})
    keys[key] = index


def _refuse_foreign_destination(ctx: Context, body: dict, lookups: dict) -> None:
    """Numbers bought from Retell dial domestic destinations only (Retell docs,
    deploy/outbound-call); say so here rather than let the call fail upstream.

    ``lookups`` caches the from-numbers already looked up in this request."""
    if body.get("ignore_e164_validation"):
        return
    from_number, to_number = body["from_number"], body["to_number"]
    source, destination = region_of(from_number), region_of(to_number)
    if source == destination:
        return
    if from_number not in lookups:
        try:
            lookups[from_number] = ctx.retell.get_phone_number(ctx.api_key, from_number)
        except FatalError:
            # Not one of the account's numbers (or not readable): Retell's own
            # answer to the create says which, so let it.
            lookups[from_number] = None
    number = lookups[from_number]
    if number and numbers.is_retell_managed(number):
        message = (
            f"{from_number} was bought from Retell ({source}), and Retell numbers can "
            f"only call destinations in the same country; {to_number} is in "
            f"{destination}. Use a number imported from your own telephony provider "
            "for international calls."
        )
        raise FatalError(
            message,
            status=422,
            code="validation_failed",
            title="The input does not pass validation",
            errors=[{"field": "to_number", "message": message}],
        )


def get_call(ctx: Context, data: dict) -> dict:
    return outputs.flatten_call(ctx.retell.get_call(ctx.api_key, data["call_id"]))


def list_calls(ctx: Context, data: dict) -> dict:
    found = ctx.retell.list_calls(ctx.api_key, inputs.list_calls_body(data))
    return {
        "calls": [outputs.flatten_call(call) for call in found.get("items", [])],
        "has_more": bool(found.get("has_more")),
        "pagination_key": found.get("pagination_key"),
    }


def bind_agent_to_number(ctx: Context, data: dict) -> dict:
    number = ctx.retell.update_phone_number(
        ctx.api_key, data["phone_number"], inputs.bind_agent_body(data)
    )
    return numbers.flatten_phone_number(number)


def agent_options(ctx: Context) -> list[dict]:
    agents = ctx.retell.list_agents(ctx.api_key)
    return [numbers.agent_option(agent) for agent in agents]


def phone_number_options(ctx: Context) -> list[dict]:
    found = ctx.retell.list_phone_numbers(ctx.api_key)
    return [numbers.number_option(number) for number in found]


ACTIONS = [
    Action(
        key="create-phone-call",
        label="Create Phone Call",
        description=(
            "Places an outbound phone call by a Retell voice agent from one of your "
            "numbers, with the variables, metadata and overrides you map in."
        ),
        input=inputs.CreatePhoneCallInput,
        output=outputs.CreatePhoneCallOutput,
        sample={
            **outputs.flatten_call(samples.REGISTERED_CALL),
            "warnings": [],
        },
        perform=create_phone_call,
        status=201,
        idempotent=True,
    ),
    Action(
        key="create-phone-calls",
        label="Create Phone Calls (Bulk)",
        description=(
            "Queues many calls at once, e.g. every row of a sheet, and answers at "
            "once with a job id. The calls are placed at your account's calls per "
            "second; follow them at GET /v1/jobs/<job_id>. A bad row fails alone."
        ),
        input=inputs.CreatePhoneCallsInput,
        output=outputs.JobOutput,
        sample={
            "job_id": "job_4c1d2e3f4a5b6c7d8e9f0a1b",
            "status": "running",
            "status_url": "/v1/jobs/job_4c1d2e3f4a5b6c7d8e9f0a1b",
            "total": 3,
            "counts": {"done": 1, "failed": 1, "pending": 1},
            "eta_seconds": 1.0,
            "created_at": 1767283200000,
            "finished_at": None,
            "rows": [
                {
                    "row": 0,
                    "status": "done",
                    "attempts": 1,
                    "errors": [],
                    "call_id": "call_8d1e5f2a9b3c4d7e6f0a1b2c3d4",
                },
                {
                    "row": 1,
                    "status": "failed",
                    "attempts": 0,
                    "call_id": None,
                    "errors": [
                        {
                            "field": "to_number",
                            "message": "'4155550199' is not an international "
                            "(E.164) phone number",
                        }
                    ],
                },
                {
                    "row": 2,
                    "status": "pending",
                    "attempts": 0,
                    "call_id": None,
                    "errors": [],
                },
            ],
        },
        perform=create_phone_calls,
        status=202,
        idempotent=True,
    ),
    Action(
        key="get-call",
        label="Get Call",
        description=(
            "Finds one call by its id, with its status, transcript, recording, "
            "duration, cost and analysis."
        ),
        input=inputs.GetCallInput,
        output=outputs.CallOutput,
        sample=outputs.flatten_call(samples.ANALYZED_CALL),
        perform=get_call,
        kind="search",
    ),
    Action(
        key="list-calls",
        label="List Calls",
        description=(
            "Lists calls, newest first, filtered by agent, status, time range or "
            "numbers. Use the pagination key to fetch the next page."
        ),
        input=inputs.ListCallsInput,
        output=outputs.CallListOutput,
        sample={
            "calls": [outputs.flatten_call(samples.ANALYZED_CALL)],
            "has_more": False,
            "pagination_key": None,
        },
        perform=list_calls,
        kind="search",
    ),
    Action(
        key="bind-agent-to-number",
        label="Bind Agent to Phone Number",
        description=(
            "Sets which agent answers calls to a number (inbound) and which agent "
            "places calls from it (outbound). A side you leave empty is not changed."
        ),
        input=inputs.BindAgentInput,
        output=numbers.PhoneNumberOutput,
        sample=numbers.flatten_phone_number(samples.PHONE_NUMBER),
        perform=bind_agent_to_number,
        noun="Phone number",
    ),
]

OPTION_SOURCES = [
    OptionSource(
        key="agents",
        label="Agents",
        description="Your Retell voice agents, for an agent dropdown.",
        perform=agent_options,
    ),
    OptionSource(
        key="phone-numbers",
        label="Phone numbers",
        description="Your Retell phone numbers, for a from-number dropdown.",
        perform=phone_number_options,
    ),
]
