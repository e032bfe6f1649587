"""Seed data every simulated workspace starts with.

Agents (ids are ``agent_`` plus 26 hex characters, derived from the workspace's first
API key, so they are stable across restarts and differ between workspaces):

=================  ================================  ========  ============
slug               agent_name                        versions  tag ``prod``
=================  ================================  ========  ============
``reminder``       Appointment Reminder (demo)       0 - 3     version 3
``qualifier``      Lead Qualifier (demo)             0 - 1     version 1
=================  ================================  ========  ============

Phone numbers (555-01xx numbers are fictional; 020 7946 is Ofcom's drama range):

==================  ===============  ============  ==============================
number              type             nickname      bound agents (in and out)
==================  ===============  ============  ==============================
``+14155550100``    retell-twilio    Main line     reminder
``+14155550101``    retell-telnyx    -             qualifier
``+14155550105``    retell-twilio    -             reminder
``+14155550109``    retell-twilio    -             none: creates need an override
``+442079460000``   custom           -             qualifier (SIP trunk)
==================  ===============  ============  ==============================
"""

from __future__ import annotations

import hashlib
from typing import Any

AGENT_SEEDS: tuple[dict[str, Any], ...] = (
    {"slug": "reminder", "agent_name": "Appointment Reminder (demo)", "latest": 3},
    {"slug": "qualifier", "agent_name": "Lead Qualifier (demo)", "latest": 1},
)

NUMBER_SEEDS: tuple[dict[str, Any], ...] = (
    {
        "phone_number": "+14155550100",
        "phone_number_type": "retell-twilio",
        "phone_number_pretty": "+1 (415) 555-0100",
        "area_code": 415,
        "nickname": "Main line",
        "agent": "reminder",
    },
    {
        "phone_number": "+14155550101",
        "phone_number_type": "retell-telnyx",
        "phone_number_pretty": "+1 (415) 555-0101",
        "area_code": 415,
        "agent": "qualifier",
    },
    {
        "phone_number": "+14155550105",
        "phone_number_type": "retell-twilio",
        "phone_number_pretty": "+1 (415) 555-0105",
        "area_code": 415,
        "agent": "reminder",
    },
    {
        "phone_number": "+14155550109",
        "phone_number_type": "retell-twilio",
        "phone_number_pretty": "+1 (415) 555-0109",
        "area_code": 415,
        "agent": None,
    },
    {
        "phone_number": "+442079460000",
        "phone_number_type": "custom",
        "phone_number_pretty": "+44 20 7946 0000",
        "agent": "qualifier",
        "sip_outbound_trunk_config": {
            "termination_uri": "sip.trunk.example.invalid",
            "transport": "TCP",
        },
    },
)


def agent_id_for(workspace_seed: str, slug: str) -> str:
    """The deterministic id of seed agent ``slug`` in the workspace seeded so."""
    digest = hashlib.sha256(f"retell-simulator:{workspace_seed}:{slug}".encode())
    return "agent_" + digest.hexdigest()[:26]


def seed_agents(workspace_seed: str, now_ms: int) -> dict[str, dict[str, Any]]:
    """The seed agents, keyed by agent id, with their internal bookkeeping."""
    agents = {}
    for offset, seed in enumerate(AGENT_SEEDS):
        agent_id = agent_id_for(workspace_seed, seed["slug"])
        agents[agent_id] = {
            "agent_id": agent_id,
            "agent_name": seed["agent_name"],
            "channel": "voice",
            "is_suspended": False,
            "is_transfer_agent": False,
            "tags": {"prod": {"version": seed["latest"]}},
            # Distinct timestamps keep list ordering deterministic.
            "user_modified_timestamp": now_ms - offset * 1000,
            "slug": seed["slug"],
            "latest_version": seed["latest"],
        }
    return agents


def seed_numbers(workspace_seed: str, now_ms: int) -> dict[str, dict[str, Any]]:
    """The seed phone numbers, keyed by E.164 number, as Retell returns them."""
    numbers = {}
    for offset, seed in enumerate(NUMBER_SEEDS):
        number = {
            key: value
            for key, value in seed.items()
            if key not in {"agent", "sip_outbound_trunk_config"}
        }
        bound = []
        if seed["agent"] is not None:
            agent_id = agent_id_for(workspace_seed, seed["agent"])
            bound = [{"agent_id": agent_id, "weight": 1}]
        number["inbound_agents"] = [dict(item) for item in bound]
        number["outbound_agents"] = [dict(item) for item in bound]
        if "sip_outbound_trunk_config" in seed:
            number["sip_outbound_trunk_config"] = dict(
                seed["sip_outbound_trunk_config"]
            )
        number["last_modification_timestamp"] = now_ms - offset * 1000
        numbers[seed["phone_number"]] = number
    return numbers
