"""A local, offline stand-in for the Retell AI API (retell-sdk 6.2.13 shapes).

It answers Retell's own paths with Retell's shapes, status codes and error bodies
(``{"status": "error", "message": ...}``), plays calls out on a scaled clock and
sends signed ``call_started`` / ``call_ended`` / ``call_analyzed`` webhooks. It
imports nothing from the rest of ``connector``: its behaviour is checked against the
official SDK, so a bug in the connector cannot hide behind the same bug here.

* seed data of every workspace (details in :mod:`connector.simulator.seed`): the
  agents "Appointment Reminder (demo)" and "Lead Qualifier (demo)", and the numbers
  +14155550100 ("Main line"), +14155550101 (Telnyx), +14155550105, +14155550109
  (no outbound agent) and +442079460000 (custom telephony);
* reserved destination numbers: :data:`RESERVED_NUMBERS`
  (:mod:`connector.simulator.destinations`);
* call timing and webhook retries: :mod:`connector.simulator.lifecycle`;
* test and dashboard hooks under ``/_simulator/``: :mod:`connector.simulator.admin`.
"""

from .app import create_app, serve
from .cli import add_arguments, config_from_args
from .config import SimulatorConfig, Workspace
from .destinations import RESERVED_NUMBERS

__all__ = [
    "RESERVED_NUMBERS",
    "SimulatorConfig",
    "Workspace",
    "add_arguments",
    "config_from_args",
    "create_app",
    "serve",
]
