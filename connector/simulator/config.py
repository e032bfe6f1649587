"""Settings for the simulated Retell API.

A :class:`Workspace` stands for one Retell organisation: its API keys, the key that
carries the "webhook" badge in Retell's dashboard (Retell signs webhooks with it, see
https://docs.retellai.com/features/secure-webhook) and the account-level webhook URL.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Workspace:
    """One simulated Retell workspace; every key in ``api_keys`` reaches its data."""

    api_keys: list[str]
    webhook_key: str | None = None
    webhook_url: str | None = None

    def __post_init__(self) -> None:
        if not self.api_keys or not all(
            isinstance(key, str) and key for key in self.api_keys
        ):
            raise ValueError("a workspace needs at least one non-empty API key")
        if self.webhook_key is None:
            # Retell signs with the key marked "webhook"; by default that is the
            # first key a new workspace gets.
            self.webhook_key = self.api_keys[0]


@dataclass
class SimulatorConfig:
    """Everything the simulator app needs; no environment is read."""

    workspaces: list[Workspace] = field(default_factory=list)
    speed: float = 1.0
    cps: float | None = None
    webhook_timeout: float = 10.0

    def __post_init__(self) -> None:
        if not self.workspaces:
            raise ValueError("the simulator needs at least one workspace")
        seen: set[str] = set()
        for workspace in self.workspaces:
            for key in workspace.api_keys:
                if key in seen:
                    raise ValueError("an API key may belong to one workspace only")
                seen.add(key)
        if not self.speed > 0:
            raise ValueError("speed must be a positive number")
        if self.cps is not None and not self.cps > 0:
            raise ValueError("cps must be a positive number or None")
        if not self.webhook_timeout > 0:
            raise ValueError("webhook_timeout must be a positive number of seconds")
