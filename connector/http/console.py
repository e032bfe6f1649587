"""The operator console: a server-rendered view of one account's calls, hooks,
deliveries and bulk jobs, signed in with the account's Retell API key.

The session is a cookie signed with the service secret (itsdangerous, as Flask's own
sessions are) that holds the account id and a CSRF token, never the key. The console
only reads the store and replays dead letters, so it never needs the key again after
sign-in; the key the account calls with already lives sealed in ``accounts``. Keeping
it out of the cookie means a stolen or logged cookie cannot be turned into a key.
"""

from __future__ import annotations

import hmac
import json
import secrets
from datetime import UTC, datetime
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import Engine, func, select

from ..errors import ConnectorError, RetriableError
from ..mapping.account import API_KEY
from ..store import accounts, outbox
from ..store.tables import events, job_rows, jobs, subscriptions
from .context import open_account, services

bp = Blueprint("console", __name__, url_prefix="/console")

COOKIE = "console_session"
#: A working day; after that the operator signs in again with the key.
MAX_AGE_SECONDS = 8 * 3600
#: How much of each list one page shows, newest first.
LISTED = 50
#: Events read to group into the recent calls (a call has at most a handful).
EVENTS_READ = 200

#: Texts the page may show after a redirect, chosen by code so that nothing from the
#: query string is ever echoed into the page.
NOTICES = {
    "replayed": "The dead letter is queued again and goes out with the next delivery.",
    "not-dead": "That delivery is not a dead letter of this account any more.",
    "signed-out": "You are signed out.",
}


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(
        services().settings.secret_key, salt="retell-connector console session"
    )


def _read_session() -> dict:
    """The cookie's content if its signature holds and it has not expired."""
    raw = request.cookies.get(COOKIE)
    if not raw:
        return {}
    try:
        found = _serializer().loads(raw, max_age=MAX_AGE_SECONDS)
    except BadSignature:  # also SignatureExpired
        return {}
    return found if isinstance(found, dict) else {}


def _write_session(response: Response, content: dict) -> Response:
    response.set_cookie(
        COOKIE,
        _serializer().dumps(content),
        max_age=MAX_AGE_SECONDS,
        path=bp.url_prefix,
        # Secure only when the browser came over https: the tests and the demo serve
        # plain http on loopback, where a Secure cookie would never come back.
        secure=request.is_secure,
        httponly=True,
        samesite="Lax",
    )
    return response


def _signed_in_account(session: dict) -> str | None:
    account_id = session.get("account")
    if not isinstance(account_id, str):
        return None
    # An account removed from the store ends its sessions too.
    if not accounts.exists(services().engine, account_id):
        return None
    g.account_id = account_id  # for the request's log line
    return account_id


def _csrf_holds(session: dict) -> bool:
    """Whether the form carries the session's token (OWASP synchronizer token)."""
    expected = session.get("csrf")
    sent = request.form.get("csrf", "")
    return isinstance(expected, str) and hmac.compare_digest(
        expected.encode(), sent.encode()
    )


@bp.after_request
def _harden(response: Response) -> Response:
    # Pages are per account: never cached, never framed (clickjacking on Replay),
    # and they load nothing from anywhere (inline CSS only).
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _sign_in_form(session: dict, *, error: str | None = None, status: int = 200):
    """The sign-in page, with a fresh anonymous session if there is none."""
    if not isinstance(session.get("csrf"), str):
        session = {"csrf": secrets.token_urlsafe(32)}
    notice = NOTICES.get(request.args.get("notice", ""))
    page = render_template(
        "console/sign_in.html", csrf=session["csrf"], error=error, notice=notice
    )
    return _write_session(make_response(page, status), session)


def _refused() -> Response:
    page = render_template("console/refused.html")
    return make_response(page, 403)


@bp.get("")
def index():
    session = _read_session()
    account_id = _signed_in_account(session)
    if account_id is None:
        return _sign_in_form(session)
    engine = services().engine
    page = render_template(
        "console/overview.html",
        account_id=account_id,
        csrf=session["csrf"],
        notice=NOTICES.get(request.args.get("notice", "")),
        calls=recent_calls(engine, account_id),
        subscriptions=subscription_health(engine, account_id),
        deliveries=outbox.listing(engine, account_id, state=None, limit=LISTED),
        dead_letters=outbox.listing(engine, account_id, state="dead", limit=LISTED),
        jobs=job_progress(engine, account_id),
        when=when,
    )
    return page


@bp.post("/sign-in")
def sign_in():
    session = _read_session()
    if not _csrf_holds(session):
        return _refused()
    key = request.form.get("api_key", "").strip()
    try:
        account_id = account_for_key(key)
    except SignInRefused as err:
        return _sign_in_form(session, error=err.message, status=err.status)
    g.account_id = account_id
    # A new token on sign-in, so one planted before it is worthless after.
    fresh = {"account": account_id, "csrf": secrets.token_urlsafe(32)}
    return _write_session(redirect(url_for("console.index"), 303), fresh)


@bp.post("/sign-out")
def sign_out():
    session = _read_session()
    if not _csrf_holds(session):
        return _refused()
    response = redirect(url_for("console.index", notice="signed-out"), 303)
    response.delete_cookie(COOKIE, path=bp.url_prefix)
    return response


@bp.post("/deliveries/<message_id>/replay")
def replay(message_id: str):
    session = _read_session()
    account_id = _signed_in_account(session)
    if account_id is None:
        return redirect(url_for("console.index"), 303)
    if not _csrf_holds(session):
        return _refused()
    count = outbox.replay(services().engine, account_id, message_id=message_id)
    notice = "replayed" if count else "not-dead"
    return redirect(url_for("console.index", notice=notice) + "#dead-letters", 303)


class SignInRefused(Exception):
    """A key the console does not accept, with what to tell the operator."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def account_for_key(key: str) -> str:
    """The account of a Retell API key, opened as ``context.caller()`` opens it.

    Raises :class:`SignInRefused` with a message that never repeats the key.
    """
    if not API_KEY.fullmatch(key):
        raise SignInRefused(
            "That is not a Retell API key. Copy the whole key from the Retell "
            "dashboard (API Keys), without spaces.",
            422,
        )
    try:
        return open_account(key)
    except RetriableError as err:
        raise SignInRefused(
            "Retell could not be reached to check the key. Try again in a minute.",
            503,
        ) from err
    except ConnectorError as err:
        raise SignInRefused(
            "Retell did not accept this key. Check that it is an API key of "
            "your Retell workspace and has not been deleted.",
            403,
        ) from err


def when(epoch_ms: int | None) -> str:
    """An epoch-milliseconds time as UTC text for the page ("" when unset)."""
    if epoch_ms is None:
        return ""
    moment = datetime.fromtimestamp(epoch_ms / 1000, tz=UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def recent_calls(engine: Engine, account_id: str) -> list[dict]:
    """The account's latest calls, newest first, each with its events in order."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                events.c.call_id,
                events.c.event,
                events.c.output,
                events.c.received_at,
            )
            .where(events.c.account_id == account_id)
            .order_by(events.c.id.desc())
            .limit(EVENTS_READ)
        ).all()
    calls: dict[str, dict] = {}
    for row in rows:
        call = calls.setdefault(
            row.call_id, {"call_id": row.call_id, "status": None, "events": []}
        )
        output = _json_object(row.output)
        if call["status"] is None:
            call["status"] = output.get("call_status")
        call["events"].append({"event": row.event, "received_at": row.received_at})
    for call in calls.values():
        call["events"].reverse()
    return list(calls.values())[:LISTED]


def _json_object(raw: str) -> dict:
    try:
        found = json.loads(raw)
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def masked_target(url: str) -> str:
    """A hook URL with its capability part hidden.

    Zapier, Make and n8n hook URLs are bearer secrets in themselves (whoever knows
    one can post to the scenario), so the page shows the host and the path's last
    four characters only, and never the query string.
    """
    parts = urlsplit(url)
    tail = parts.path.rstrip("/")[-4:]
    return f"{parts.scheme}://{parts.netloc}/…{tail}"


def subscription_health(engine: Engine, account_id: str) -> list[dict]:
    """The account's hooks with their last attempt; the secret is not even read."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                subscriptions.c.id,
                subscriptions.c.trigger,
                subscriptions.c.target_url,
                subscriptions.c.last_status,
                subscriptions.c.last_error,
                subscriptions.c.last_attempt_at,
                subscriptions.c.consecutive_failures,
                subscriptions.c.paused_until,
            )
            .where(subscriptions.c.account_id == account_id)
            .order_by(subscriptions.c.created_at.desc())
            .limit(LISTED)
        ).all()
    return [
        {
            "id": row.id,
            "trigger": row.trigger,
            "target": masked_target(row.target_url),
            "last_status": row.last_status,
            "last_error": row.last_error,
            "last_attempt_at": row.last_attempt_at,
            "consecutive_failures": row.consecutive_failures,
            "paused_until": row.paused_until,
        }
        for row in rows
    ]


def job_progress(engine: Engine, account_id: str) -> list[dict]:
    """The account's bulk jobs, newest first, with row counts by outcome."""
    with engine.connect() as conn:
        found = conn.execute(
            select(jobs.c.id, jobs.c.state, jobs.c.total, jobs.c.created_at)
            .where(jobs.c.account_id == account_id)
            .order_by(jobs.c.created_at.desc())
            .limit(LISTED)
        ).all()
        counted = conn.execute(
            select(job_rows.c.job_id, job_rows.c.state, func.count())
            .where(job_rows.c.job_id.in_([job.id for job in found]))
            .group_by(job_rows.c.job_id, job_rows.c.state)
        ).all()
    counts: dict[str, dict[str, int]] = {}
    for job_id, state, count in counted:
        # A row being sent is still pending, as jobs.view() reports it.
        status = "pending" if state == "sending" else state
        tally = counts.setdefault(job_id, {})
        tally[status] = tally.get(status, 0) + count
    return [
        {
            "job_id": job.id,
            "status": job.state,
            "total": job.total,
            "created_at": job.created_at,
            **_progress(counts.get(job.id, {}), job.total),
        }
        for job in found
    ]


def _progress(tally: dict[str, int], total: int) -> dict:
    done, failed = tally.get("done", 0), tally.get("failed", 0)
    finished = done + failed
    return {
        "done": done,
        "failed": failed,
        "pending": max(total - finished, 0),
        "percent": round(100 * finished / total) if total else 100,
    }
