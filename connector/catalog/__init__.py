"""Every operation the connector publishes, declared once.

Routes, ``GET /v1/catalog``, the files in ``schemas/``, OpenAPI and the platform
manifests are all made from these lists; adding an operation means adding it here.
"""

from .actions import ACTIONS, OPTION_SOURCES
from .operations import Action, Context, OptionSource, Trigger
from .triggers import STAGES, TRIGGERS

__all__ = [
    "ACTIONS",
    "OPTION_SOURCES",
    "STAGES",
    "TRIGGERS",
    "Action",
    "Context",
    "OptionSource",
    "Trigger",
    "action",
    "trigger",
]


def action(key: str) -> Action | None:
    return next((item for item in ACTIONS if item.key == key), None)


def trigger(key: str) -> Trigger | None:
    return next((item for item in TRIGGERS if item.key == key), None)
