"""What a failed Retell request means to the person who built the automation.

Retell answers errors with ``{"status": "error", "message": "..."}`` (Retell OpenAPI,
``components/responses``). A no-code user sees our problem document, so each upstream
failure becomes an :class:`UpstreamError` that keeps Retell's own message as ``detail``,
adds a plain-language ``hint`` and says, through its base class, whether sending the
same request again later can help (:class:`~connector.errors.RetriableError`) or the
request itself must change (:class:`~connector.errors.FatalError`).

Nothing here may carry the API key or any request header: the exception text, its
``extra`` and its ``repr`` end up in logs and in responses to the platforms.
"""

from __future__ import annotations

import email.utils
import json
import math
import time
from collections.abc import Sequence

import requests

from connector.errors import ConnectorError, FatalError, RetriableError

#: Operations whose 404 or 422 means "no such thing" rather than "bad reference".
#: Retell answers an unknown call id with 422 ("cannot find requested asset under
#: given api key", Retell OpenAPI get-call), so both become our 404.
LOOKUP_OPERATIONS = frozenset({"get_call", "get_phone_number"})

#: Used when Retell sends a 429 without Retry-After, which is the norm: Retell
#: documents no rate-limit headers (field case B10).
DEFAULT_RETRY_AFTER = 2

#: Retell's message is shown to users; cap it so an HTML error page or a huge
#: validation dump cannot flood a problem document.
MAX_DETAIL_CHARS = 500

HINT_API_KEY = (
    "Retell rejected the API key. Check it in the Retell dashboard (Settings > "
    "API Keys) and paste it again without spaces or quotes."
)
HINT_BILLING = (
    "Retell needs a payment method or more credit for this (for example, the trial "
    "has ended). Check billing in the Retell dashboard."
)
HINT_FORBIDDEN = (
    "The API key is valid but may not do this. Check that it belongs to the "
    "workspace that owns the agent and the phone number."
)
HINT_RATE_LIMIT = (
    "Retell limits how fast an account may place calls and how many may run at "
    "once. Space the calls out (see the pacing setting) and try again later."
)
HINT_UNAVAILABLE = "Retell had a temporary problem. Try again in a minute."
HINT_TIMEOUT = "Retell did not answer in time. Try again in a minute."
#: A create that failed after it was sent may still have placed the call
#: (field case B11), so say so instead of inviting a blind retry.
HINT_CALL_MAYBE_PLACED = (
    "The call may or may not have been placed. Check the Retell call history before "
    "retrying, or send an idempotency_key so a retry cannot place a second call."
)
HINT_REJECTED = (
    "Retell did not accept the request as sent. The message says which field to change."
)
HINT_NOT_FOUND = {
    "get_call": (
        "No call with this call_id exists for this API key. Calls are visible only "
        "to the workspace whose key created them."
    ),
    "get_phone_number": (
        "This number is not in the Retell workspace of this API key. Buy or import "
        "it in the Retell dashboard first."
    ),
}
HINT_UNKNOWN_REFERENCE = (
    "Retell could not find something the request refers to. Check override_agent_id "
    "and that from_number belongs to the workspace of this API key."
)

#: Hints for the usual causes of a rejected create-phone-call (field case B19, from
#: the Retell community thread "make an outbound call does nothing"). Retell's
#: wording is not documented, so each entry matches loose keywords; the first
#: entry whose keywords all appear wins.
CAUSE_HINTS: tuple[tuple[tuple[tuple[str, ...], ...], str], ...] = (
    (
        (("outbound agent", "no agent", "not bound", "bind"),),
        "Bind an outbound agent to the from_number in the Retell dashboard (Phone "
        "Numbers), or set override_agent_id.",
    ),
    (
        (("from_number", "from number"),),
        "from_number must be a number bought in Retell or imported into it, in the "
        "workspace of this API key, written in E.164 (for example +14155550100).",
    ),
    (
        (("agent",), ("not found", "invalid", "does not exist", "cannot find")),
        "Check override_agent_id: copy the agent id from the Retell dashboard.",
    ),
    (
        (("e.164", "e164", "phone number format", "invalid phone", "invalid number"),),
        "Phone numbers must be in E.164 form: +, country code and number, digits "
        "only, for example +14155550134.",
    ),
    (
        (("country", "international", "region", "geo"),),
        "Numbers bought in Retell call domestic destinations only. Use an imported "
        "number whose provider allows this country.",
    ),
    (
        (("dnc", "do not call", "do-not-call"),),
        "The destination is on the do-not-call list, so Retell refused the call "
        "(honor_internal_dnc).",
    ),
)


class UpstreamError(ConnectorError):
    """Retell, or the way to it, failed; carries what the caller needs to act."""

    status = 502
    code = "upstream_unavailable"
    title = "Retell could not complete the request"

    def __init__(
        self,
        detail: str,
        *,
        status: int,
        code: str,
        title: str | None = None,
        hint: str | None = None,
        upstream_status: int | None = None,
        retry_after: int | None = None,
    ) -> None:
        extra: dict = {}
        if upstream_status is not None:
            extra["upstream_status"] = upstream_status
        if hint:
            extra["hint"] = hint
        headers = {}
        if retry_after is not None:
            headers["Retry-After"] = str(retry_after)
        super().__init__(
            detail,
            status=status,
            code=code,
            title=title,
            headers=headers,
            extra=extra,
        )
        self.hint = hint
        self.upstream_status = upstream_status
        self.retry_after = retry_after

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status}, code={self.code!r}, "
            f"upstream_status={self.upstream_status}, detail={self.detail!r})"
        )


class UpstreamRejected(UpstreamError, FatalError):
    """Retell refused the request; sending it again unchanged will fail again."""

    title = "Retell rejected the request"


class UpstreamUnavailable(UpstreamError, RetriableError):
    """Retell is busy, down or slow; the same request may work later."""

    title = "Retell is temporarily unavailable"


def from_response(
    resp: requests.Response,
    *,
    operation: str,
    redact: Sequence[str] = (),
) -> UpstreamError:
    """Map a non-2xx Retell response to the error the caller sees.

    ``operation`` is the client method name (``"get_call"`` ...); it decides whether
    a 404/422 is "not found" and which hint fits. Any string in ``redact`` (the API
    key) is removed from Retell's message before it is passed on.
    """
    upstream = resp.status_code
    message = _upstream_message(resp, redact)

    if upstream == 401:
        return UpstreamRejected(
            message or "Retell did not accept the API key.",
            status=401,
            code="unauthorized",
            title="Retell rejected the API key",
            hint=HINT_API_KEY,
            upstream_status=upstream,
        )
    if upstream == 402:
        return UpstreamRejected(
            message or "Retell requires payment to do this.",
            status=402,
            code="upstream_rejected",
            hint=HINT_BILLING,
            upstream_status=upstream,
        )
    if upstream == 403:
        return UpstreamRejected(
            message or "Retell refused access to this resource.",
            status=403,
            code="upstream_rejected",
            hint=HINT_FORBIDDEN,
            upstream_status=upstream,
        )
    if upstream in (404, 422) and operation in LOOKUP_OPERATIONS:
        return UpstreamRejected(
            message or "Retell found nothing with this id.",
            status=404,
            code="not_found",
            title="Not found in Retell",
            hint=HINT_NOT_FOUND[operation],
            upstream_status=upstream,
        )
    if upstream == 429:
        retry_after = _retry_after_seconds(resp) or DEFAULT_RETRY_AFTER
        said = f" Retell said: {message}" if message else ""
        return UpstreamUnavailable(
            "Retell's rate limit for this account was reached (too many requests or "
            f"too many concurrent calls); retry after {retry_after} s.{said}",
            status=429,
            code="rate_limited",
            title="Rate limited by Retell",
            hint=HINT_RATE_LIMIT,
            upstream_status=upstream,
            retry_after=retry_after,
        )
    if upstream >= 500:
        said = f": {message}" if message else ""
        return UpstreamUnavailable(
            f"Retell answered with HTTP {upstream}{said}",
            status=502,
            code="upstream_unavailable",
            hint=_after_sending(operation, HINT_UNAVAILABLE),
            upstream_status=upstream,
            retry_after=_retry_after_seconds(resp),
        )
    if 400 <= upstream < 500:
        default = HINT_UNKNOWN_REFERENCE if upstream in (404, 422) else HINT_REJECTED
        return UpstreamRejected(
            message or f"Retell rejected the request (HTTP {upstream}).",
            status=upstream,
            code="upstream_rejected",
            hint=_cause_hint(message) or default,
            upstream_status=upstream,
        )
    # 1xx/3xx: redirects are not followed (the Authorization header must not go
    # elsewhere), and Retell documents none, so the answer cannot be used.
    return invalid_response(operation, upstream_status=upstream)


def from_exception(exc: requests.RequestException, *, operation: str) -> UpstreamError:
    """Map a transport failure (no usable HTTP answer) to the error the caller sees."""
    if isinstance(exc, requests.ConnectTimeout):
        # Nothing was sent, so even a create is known not to have happened.
        return UpstreamUnavailable(
            "Retell could not be reached in time.",
            status=504,
            code="upstream_timeout",
            title="Retell did not answer in time",
            hint=HINT_TIMEOUT,
        )
    if isinstance(exc, requests.Timeout):
        return UpstreamUnavailable(
            "Retell did not answer in time.",
            status=504,
            code="upstream_timeout",
            title="Retell did not answer in time",
            hint=_after_sending(operation, HINT_TIMEOUT),
        )
    return UpstreamUnavailable(
        "The connection to Retell failed.",
        status=502,
        code="upstream_unavailable",
        hint=_after_sending(operation, HINT_UNAVAILABLE),
    )


def invalid_response(
    operation: str, *, upstream_status: int | None = None
) -> UpstreamError:
    """Retell answered, but not with the JSON the operation promises."""
    return UpstreamUnavailable(
        "Retell sent an answer the connector could not read.",
        status=502,
        code="upstream_invalid_response",
        hint=_after_sending(operation, HINT_UNAVAILABLE),
        upstream_status=upstream_status,
    )


def _after_sending(operation: str, hint: str) -> str:
    if operation == "create_phone_call":
        return f"{hint} {HINT_CALL_MAYBE_PLACED}"
    return hint


def _upstream_message(resp: requests.Response, redact: Sequence[str]) -> str | None:
    try:
        body = json.loads(resp.content)
    except ValueError:
        # An HTML page from a proxy or an empty body: nothing worth passing on.
        return None
    if not isinstance(body, dict):
        return None
    message = body.get("message")
    if isinstance(message, list):
        message = "; ".join(str(part) for part in message)
    if not isinstance(message, str) or not message.strip():
        return None
    message = message.strip()
    for secret in redact:
        if secret:
            message = message.replace(secret, "[redacted]")
    if len(message) > MAX_DETAIL_CHARS:
        message = message[: MAX_DETAIL_CHARS - 1] + "…"
    return message


def _cause_hint(message: str | None) -> str | None:
    if not message:
        return None
    text = message.lower()
    for groups, hint in CAUSE_HINTS:
        if all(any(word in text for word in group) for group in groups):
            return hint
    return None


def _retry_after_seconds(resp: requests.Response) -> int | None:
    """Whole seconds from ``Retry-After`` (delta or HTTP date, RFC 9110 10.2.3)."""
    seconds = parse_retry_after(resp.headers.get("Retry-After"))
    return None if seconds is None else max(1, math.ceil(seconds))


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value, or None when absent or unusable."""
    if value is None:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        return None
    return max(0.0, moment.timestamp() - time.time())
