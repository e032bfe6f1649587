"""What every route needs: the shared services, the caller's key and account."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import current_app, g, request
from sqlalchemy import Engine

from .. import metrics
from ..config import Settings
from ..delivery.targets import TargetPolicy
from ..errors import FatalError, RetriableError
from ..mapping.account import API_KEY
from ..retell.client import RetellClient
from ..store import accounts, jobs, pacing
from ..store.database import now_ms
from ..store.keyring import Keyring


@dataclass
class Services:
    settings: Settings
    engine: Engine
    keyring: Keyring
    retell: RetellClient
    #: Accounts already recorded by this process, so each request need not write.
    known_accounts: set
    #: Which webhook targets may be subscribed and delivered to (SSRF guard).
    targets: TargetPolicy = TargetPolicy()
    #: Epoch milliseconds; tests freeze it to check signature freshness.
    clock: Callable[[], int] = now_ms


def services() -> Services:
    return current_app.extensions["connector"]


@dataclass(frozen=True)
class Caller:
    """The account a request acts for (satisfies catalog.Context)."""

    api_key: str = field(repr=False)
    account_id: str
    retell: RetellClient = field(repr=False)

    def wait_for_slot(self) -> None:
        """Wait for the account's next calls-per-second slot, or answer 429."""
        found = services()
        max_wait_ms = int(found.settings.pacing_max_wait * 1000)
        wait = pacing.reserve(
            found.engine,
            self.account_id,
            max_wait_ms=max_wait_ms,
            default_cps=found.settings.default_cps,
        )
        if wait is None:
            metrics.PACING_REFUSALS.inc()
            retry_after = max(
                1,
                math.ceil(
                    pacing.backlog_ms(found.engine, self.account_id) / 1000
                    - found.settings.pacing_max_wait
                ),
            )
            raise RetriableError(
                "This account's calls-per-second limit is booked for the next "
                f"{found.settings.pacing_max_wait:g} seconds; retry after "
                f"{retry_after} s, or raise the pacing (PUT /v1/me/pacing) if your "
                "Retell account allows more.",
                status=429,
                code="rate_limited",
                title="Calls per second limit reached",
                headers={"Retry-After": str(retry_after)},
                extra={"scope": "account_cps"},
            )
        metrics.PACING_WAIT_SECONDS.observe(wait / 1000)
        if wait:
            time.sleep(wait / 1000)

    def start_job(self, rows: list[tuple[dict | None, list[dict]]]) -> dict:
        """Queue a bulk job for the runner in the worker process; its first view."""
        return self.job(jobs.create(services().engine, self.account_id, rows))

    def job(self, job_id: str) -> dict | None:
        """One of this account's bulk jobs as the API shows it, with an ETA."""
        found = services()
        view = jobs.view(found.engine, self.account_id, job_id)
        if view is None:
            return None
        pending = view["counts"]["pending"]
        cps = pacing.current(
            found.engine, self.account_id, found.settings.default_cps
        ).cps
        return {
            "job_id": view["job_id"],
            "status": view["status"],
            "status_url": f"/v1/jobs/{job_id}",
            "total": view["total"],
            "counts": view["counts"],
            # The pace is the bound: rows go out at the account's CPS, at best.
            "eta_seconds": round(pending / cps, 1) if pending else 0.0,
            "created_at": view["created_at"],
            "finished_at": view["finished_at"],
            "rows": view["rows"],
        }


class Unauthorized(FatalError):
    status = 401
    code = "unauthorized"
    title = "A Retell API key is needed"


def caller() -> Caller:
    """Authenticate the request by its Bearer key; 401 without a usable one."""
    header = request.headers.get("Authorization", "")
    scheme, _, key = header.partition(" ")
    key = key.strip()
    if not header:
        raise Unauthorized(
            "Send your Retell API key in the Authorization header as "
            "'Bearer <your key>'. You find the key in the Retell dashboard under "
            "API Keys."
        )
    if scheme.lower() != "bearer" or not API_KEY.fullmatch(key):
        raise Unauthorized(
            "The Authorization header must be 'Bearer ' followed by your Retell API "
            "key, with nothing else around it."
        )
    account_id = open_account(key)
    g.account_id = account_id  # for the request's log line; never the key
    return Caller(api_key=key, account_id=account_id, retell=services().retell)


def open_account(key: str) -> str:
    """The id of the account that owns ``key``, recorded on first use.

    Only a key Retell accepts may open an account: otherwise anyone could subscribe
    hooks and register a signing key with a made-up token. Raises Retell's error
    (401 for a refused key) as an UpstreamError.
    """
    found = services()
    account_id = found.keyring.account_id(key)
    if account_id not in found.known_accounts:
        if not accounts.exists(found.engine, account_id):
            found.retell.get_concurrency(key)
            accounts.remember(found.engine, found.keyring, key)
        found.known_accounts.add(account_id)
    return account_id


def webhook_url(account_id: str) -> str:
    base = services().settings.public_url.rstrip("/")
    return f"{base}/v1/webhooks/retell/{account_id}"
