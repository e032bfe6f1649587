"""What an operation is: the one declaration that routes, schemas and manifests use."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from marshmallow import Schema


class Context(Protocol):
    """What an action needs from the request it runs in (provided by the HTTP layer)."""

    api_key: str
    account_id: str
    retell: Any  # connector.retell.client.RetellClient

    def wait_for_slot(self) -> None:
        """Block until the account may place its next call (CPS pacing)."""

    def start_job(self, rows: list[tuple[dict | None, list[dict]]]) -> dict:
        """Queue a bulk job of (Retell body, []) or (None, errors) rows; its view."""


@dataclass(frozen=True)
class Action:
    """An operation a scenario runs: ``POST /v1/actions/<key>``."""

    key: str
    label: str
    description: str
    input: type[Schema]
    output: type[Schema]
    sample: dict
    perform: Callable[[Context, dict], dict]
    #: "create" places or changes something, "search" only reads; the platform
    #: manifests file each kind where its users look for it.
    kind: str = "create"
    status: int = 200
    #: The noun the platforms show ("Call", "Phone number").
    noun: str = "Call"
    #: Whether the action honours idempotency keys.
    idempotent: bool = False


@dataclass(frozen=True)
class OptionSource:
    """A dropdown's choices: ``GET /v1/options/<key>`` → ``[{value, label}]``."""

    key: str
    label: str
    description: str
    perform: Callable[[Context], list[dict]]


@dataclass(frozen=True)
class Trigger:
    """An event a scenario starts from, delivered by REST hook or polled."""

    key: str
    label: str
    description: str
    output: type[Schema]
    sample: dict
    noun: str = "Call"
