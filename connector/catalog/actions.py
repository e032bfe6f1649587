"""The actions: what a scenario can ask Retell to do through the connector."""

from __future__ import annotations

from ..errors import FatalError
from ..mapping import inputs, numbers, outputs
from ..mapping.fields import region_of
from . import samples
from .operations import Action, Context, OptionSource


def create_phone_call(ctx: Context, data: dict) -> dict:
    warnings = data.pop("warnings", [])
    if not data.get("ignore_e164_validation"):
        _refuse_foreign_destination(ctx, data["from_number"], data["to_number"])
    ctx.wait_for_slot()
    call = ctx.retell.create_phone_call(ctx.api_key, data)
    return {**outputs.flatten_call(call), "warnings": warnings}


def _refuse_foreign_destination(ctx: Context, from_number: str, to_number: str):
    """Numbers bought from Retell dial domestic destinations only (Retell docs,
    deploy/outbound-call); say so here rather than let the call fail upstream."""
    source, destination = region_of(from_number), region_of(to_number)
    if source == destination:
        return
    try:
        number = ctx.retell.get_phone_number(ctx.api_key, from_number)
    except FatalError:
        # Not one of the account's numbers (or not readable): Retell's own answer to
        # the create says which, so let it.
        return
    if numbers.is_retell_managed(number):
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
