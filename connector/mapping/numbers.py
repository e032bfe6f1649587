"""Phone numbers and agents as the platforms show them: flat records and dropdowns."""

from __future__ import annotations

from marshmallow import Schema, fields


class PhoneNumberOutput(Schema):
    phone_number = fields.String(metadata={"description": "The number, in E.164 form."})
    phone_number_type = fields.String(
        allow_none=True,
        metadata={
            "description": "retell-twilio or retell-telnyx for numbers bought from "
            "Retell, custom for imported (SIP) numbers."
        },
    )
    nickname = fields.String(allow_none=True, metadata={"description": "Its name."})
    inbound_agent_id = fields.String(
        allow_none=True, metadata={"description": "Agent that answers calls to it."}
    )
    inbound_agent_version = fields.Raw(
        allow_none=True, metadata={"description": "Version of the inbound agent."}
    )
    outbound_agent_id = fields.String(
        allow_none=True, metadata={"description": "Agent that places calls from it."}
    )
    outbound_agent_version = fields.Raw(
        allow_none=True, metadata={"description": "Version of the outbound agent."}
    )
    number = fields.Dict(
        metadata={"description": "The whole phone number record from Retell."}
    )


def _first_agent(number: dict, side: str) -> tuple[str | None, object]:
    # SDK 6.2.13 lists weighted agents per side; older records have one agent id.
    agents = number.get(f"{side}_agents") or []
    if agents:
        return agents[0].get("agent_id"), agents[0].get("agent_version")
    return number.get(f"{side}_agent_id"), number.get(f"{side}_agent_version")


def flatten_phone_number(number: dict) -> dict:
    """A Retell phone number record as flat, always-present keys plus the original."""
    inbound_id, inbound_version = _first_agent(number, "inbound")
    outbound_id, outbound_version = _first_agent(number, "outbound")
    return {
        "phone_number": number.get("phone_number"),
        "phone_number_type": number.get("phone_number_type"),
        "nickname": number.get("nickname"),
        "inbound_agent_id": inbound_id,
        "inbound_agent_version": inbound_version,
        "outbound_agent_id": outbound_id,
        "outbound_agent_version": outbound_version,
        "number": number,
    }


def is_retell_managed(number: dict) -> bool:
    """Numbers bought from Retell (as opposed to imported SIP/custom numbers)."""
    return str(number.get("phone_number_type", "")).startswith("retell-")


def agent_option(agent: dict) -> dict:
    name = agent.get("agent_name") or "Unnamed agent"
    return {"value": agent["agent_id"], "label": f"{name} ({agent['agent_id']})"}


def number_option(number: dict) -> dict:
    phone = number["phone_number"]
    name = number.get("nickname") or number.get("phone_number_pretty")
    return {"value": phone, "label": f"{name} ({phone})" if name else phone}
