"""Settings, read once from the environment (prefix ``CONNECTOR_``).

Every setting has an embedded default so that a fresh checkout runs on SQLite and the
built-in simulator; production overrides them through the environment.
"""

from __future__ import annotations

import math
import os
import secrets
import time
from dataclasses import dataclass, fields, replace
from pathlib import Path

PREFIX = "CONNECTOR_"
RETELL_API = "https://api.retellai.com"


class SettingsError(ValueError):
    """A ``CONNECTOR_*`` variable that cannot be used; the message says which."""


#: The range of the settings other promises rest on: a create waits at most 30 s
#: for its slot and 45 s for Retell, less than the 90 s after which an idempotency
#: reservation counts as abandoned (store/idempotency.py).
BOUNDS = {
    "pacing_max_wait": (0.0, 30.0, "seconds"),
    "upstream_timeout": (1.0, 45.0, "seconds"),
    "default_cps": (0.01, 1000.0, "calls per second"),
    # Shorter than one delivery can take (about 25 s), a lease lets a second
    # worker send the same delivery while the first still does; allowed for tests.
    "delivery_lease": (2.0, 3600.0, "seconds"),
}


@dataclass(frozen=True)
class Settings:
    """What the service needs to know about its surroundings."""

    #: SQLAlchemy URL; empty means a SQLite file in the instance folder.
    database_url: str = ""
    #: Where Retell's API lives; the demo and the tests point it at the simulator.
    retell_base_url: str = RETELL_API
    #: How Retell and the platforms reach this service (used in webhook URLs).
    public_url: str = "http://127.0.0.1:8080"
    #: Keys account fingerprints and encrypts stored keys; empty means one kept in
    #: the instance folder, made on first start.
    secret_key: str = ""
    #: Seconds to wait for Retell on one request (reads and creates).
    upstream_timeout: float = 20.0
    #: Calls per second for accounts that have not set theirs; Retell's default.
    default_cps: float = 1.0
    #: Longest a create waits for its calls-per-second slot before answering 429;
    #: well inside the platforms' own HTTP timeouts (Zapier's is 30 s).
    pacing_max_wait: float = 10.0
    #: Seconds a worker holds a delivery before another may take it over; longer
    #: than one delivery can take (connect, headers and body caps: about 25 s).
    delivery_lease: float = 60.0
    #: Allow http:// and private or loopback webhook targets (development only).
    allow_private_targets: bool = False
    #: Folder for the SQLite file and the generated secret key.
    instance_path: str = "instance"
    #: Logging level name.
    log_level: str = "INFO"

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        """Build settings from ``CONNECTOR_*`` variables, defaults for the rest."""
        environ = os.environ if environ is None else environ
        values = {}
        for field in fields(cls):
            raw = environ.get(PREFIX + field.name.upper())
            if raw is None or raw == "":
                continue
            values[field.name] = _parse(field.type, raw, PREFIX + field.name.upper())
        for name, (low, high, unit) in BOUNDS.items():
            if name in values and not low <= values[name] <= high:
                raise SettingsError(
                    f"{PREFIX}{name.upper()} must be from {low:g} to {high:g} "
                    f"{unit}, not {values[name]:g}"
                )
        return cls(**values)

    def resolved(self) -> Settings:
        """Fill the defaults that depend on the instance folder (made if missing)."""
        instance = Path(self.instance_path).resolve()
        instance.mkdir(parents=True, exist_ok=True)
        database_url = self.database_url or f"sqlite:///{instance / 'connector.db'}"
        secret_key = self.secret_key or _instance_secret(instance / "secret_key")
        return replace(
            self,
            instance_path=str(instance),
            database_url=database_url,
            secret_key=secret_key,
        )


def _parse(kind: str, raw: str, name: str):
    if kind == "float":
        try:
            value = float(raw)
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            raise SettingsError(f"{name} must be a number, not {raw!r}")
        return value
    if kind == "bool":
        if raw.lower() in ("1", "true", "yes", "on"):
            return True
        if raw.lower() in ("0", "false", "no", "off"):
            return False
        raise SettingsError(f"{name} must be true or false, not {raw!r}")
    return raw


def _instance_secret(path: Path) -> str:
    """Read the instance's secret key, making it on first use.

    Kept on disk (mode 0600) rather than per process so that stored keys stay
    readable and account ids stay stable across restarts and gunicorn workers.
    """
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    key = secrets.token_urlsafe(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        # Another worker made it first; wait for it to finish writing, use theirs.
        for _ in range(50):
            key = path.read_text().strip()
            if key:
                return key
            time.sleep(0.02)
        raise RuntimeError(f"{path} exists but is empty") from None
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key
