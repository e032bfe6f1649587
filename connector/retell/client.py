"""A small client for the part of the Retell API the connector uses.

Paths and methods follow the official Python SDK ``retell-sdk`` 6.2.13
(``retell/resources/{call,agent,phone_number,concurrency}.py``). The API key is
passed per call, because each platform request carries its own key.

Retries follow urllib3's :class:`~urllib3.util.Retry` rules (per-kind counters,
``allowed_methods``, ``status_forcelist``), but the loop runs here rather than
inside the transport adapter: whether a create-phone-call may be repeated depends
on its body (an ``idempotency_key``), and the waits must be injectable and bounded
so the whole exchange fits inside a platform's own HTTP timeout.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import (
    ConnectTimeoutError,
    MaxRetryError,
    ProtocolError,
    ReadTimeoutError,
)
from urllib3.util import Retry

from connector import __version__
from connector.errors import FatalError
from connector.retell.errors import (
    from_exception,
    from_response,
    invalid_response,
    parse_retry_after,
)

log = logging.getLogger(__name__)

USER_AGENT = f"retell-connector/{__version__}"

#: Statuses after which Retell certainly did nothing (429) or a read may simply be
#: sent again (5xx). The SDK retries the same set, plus 408/409 (retell-api.md §5).
RETRIABLE_STATUSES = frozenset({429, *range(500, 600)})

#: Retell's page size maximum for list endpoints (OpenAPI: limit max 1000).
PAGE_SIZE = 1000

#: Stop following ``pagination_key`` after this many pages, so a misbehaving
#: upstream cannot keep a dropdown request running for ever.
MAX_PAGES = 20


class RetellClient:
    """Calls Retell over one pooled :class:`requests.Session`.

    Every method raises :class:`~connector.retell.errors.UpstreamError` when Retell
    (or the network) fails, and ``FatalError`` for arguments that cannot be sent.
    A ``session`` passed in must not retry on its own (requests' default).
    """

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 20.0,
        connect_timeout: float = 5.0,
        session: requests.Session | None = None,
        max_retries: int = 3,
        backoff_base: float = 1.0,
        retry_after_cap: float = 10.0,
        max_wait: float = 15.0,
        total_timeout: float = 45.0,
        sleep: Callable[[float], None] = time.sleep,
        user_agent: str = USER_AGENT,
        observe: Callable[[str, str, float], None] | None = None,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError("base_url must be an http:// or https:// URL")
        self.base_url = base_url.rstrip("/")
        self.timeout = (connect_timeout, timeout)
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.retry_after_cap = retry_after_cap
        self.max_wait = max_wait
        # One call's whole budget, retries and waits included: below gunicorn's
        # worker timeout (75 s) less the pacing wait (10 s), so a worker is never
        # killed mid-create and the platform always gets an answer.
        self.total_timeout = total_timeout
        self._sleep = sleep
        self._owns_session = session is None
        if session is None:
            session = requests.Session()
            # Zero transport retries: the loop in _request decides (module doc).
            adapter = HTTPAdapter(pool_maxsize=20, max_retries=0)
            session.mount("https://", adapter)
            session.mount("http://", adapter)
        self.session = session
        self.user_agent = user_agent
        #: Called with (path template, outcome, seconds) after every attempt; the
        #: app counts them in /metrics.
        self._observe = observe

    def close(self) -> None:
        """Close the pooled connections if this client created the session."""
        if self._owns_session:
            self.session.close()

    def __enter__(self) -> RetellClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # Calls

    def create_phone_call(
        self,
        api_key: str,
        body: dict,
        *,
        before_retry: Callable[[], None] | None = None,
    ) -> dict:
        """Place an outbound call (``POST /v2/create-phone-call``, 201).

        ``before_retry`` runs before each repeated attempt: the caller's pacing, so
        that retries after Retell's 429 also keep to the account's calls per second.
        """
        # A create that may have reached Retell is repeated only when Retell can
        # recognise the repeat: the body's idempotency_key (SDK 6.x; one hour).
        # Without it, only a 429 (Retell placed nothing) or a failure to connect
        # is retried (field cases B10, B11).
        if body.get("idempotency_key"):
            retry = self._retry(("POST",), RETRIABLE_STATUSES)
        else:
            retry = self._retry(("POST",), {429}, read=0)
        return self._object(
            self._request(
                api_key,
                "POST",
                "/v2/create-phone-call",
                operation="create_phone_call",
                retry=retry,
                json=body,
                before_retry=before_retry,
            ),
            "create_phone_call",
        )

    def get_call(self, api_key: str, call_id: str) -> dict:
        """Fetch one call (``GET /v2/get-call/{call_id}``)."""
        return self._object(
            self._read(
                api_key,
                "GET",
                "/v2/get-call/{call_id}",
                "get_call",
                path={"call_id": call_id},
            ),
            "get_call",
        )

    def list_calls(self, api_key: str, body: dict) -> dict:
        """One page of calls (``POST /v3/list-calls``): items, has_more, key."""
        return self._object(
            self._read(api_key, "POST", "/v3/list-calls", "list_calls", json=body),
            "list_calls",
        )

    def list_agents(self, api_key: str, *, limit: int = 1000) -> list[dict]:
        """Up to ``limit`` agents (``POST /v2/list-agents``), following pages."""
        return self._collect(
            api_key, "POST", "/v2/list-agents", "list_agents", limit, json={}
        )

    def list_phone_numbers(self, api_key: str, *, limit: int = 1000) -> list[dict]:
        """Up to ``limit`` numbers (``GET /v2/list-phone-numbers``), following pages."""
        return self._collect(
            api_key, "GET", "/v2/list-phone-numbers", "list_phone_numbers", limit
        )

    def get_phone_number(self, api_key: str, number: str) -> dict:
        """Fetch one number (``GET /get-phone-number/{phone_number}``)."""
        return self._object(
            self._read(
                api_key,
                "GET",
                "/get-phone-number/{phone_number}",
                "get_phone_number",
                path={"phone_number": number},
            ),
            "get_phone_number",
        )

    def update_phone_number(self, api_key: str, number: str, body: dict) -> dict:
        """Change a number's settings (``PATCH /update-phone-number/{phone_number}``).

        Retried like a read: the body sets fields to absolute values, so applying
        it twice leaves the same state as applying it once.
        """
        return self._object(
            self._read(
                api_key,
                "PATCH",
                "/update-phone-number/{phone_number}",
                "update_phone_number",
                path={"phone_number": number},
                json=body,
            ),
            "update_phone_number",
        )

    def get_concurrency(self, api_key: str) -> dict:
        """The account's concurrency figures (``GET /get-concurrency``)."""
        return self._object(
            self._read(api_key, "GET", "/get-concurrency", "get_concurrency"),
            "get_concurrency",
        )

    # Transport

    def _retry(
        self, methods: tuple[str, ...], statuses: Any, *, read: int | None = None
    ) -> Retry:
        n = self.max_retries
        return Retry(
            total=n,
            connect=n,
            read=n if read is None else read,
            status=n,
            other=0,
            redirect=0,
            allowed_methods=frozenset(methods),
            status_forcelist=frozenset(statuses),
            respect_retry_after_header=True,
            raise_on_status=False,
            raise_on_redirect=False,
        )

    def _read(
        self,
        api_key: str,
        method: str,
        template: str,
        operation: str,
        **kwargs: Any,
    ) -> Any:
        retry = self._retry((method,), RETRIABLE_STATUSES)
        return self._request(
            api_key, method, template, operation=operation, retry=retry, **kwargs
        )

    def _collect(
        self,
        api_key: str,
        method: str,
        template: str,
        operation: str,
        limit: int,
        **kwargs: Any,
    ) -> list[dict]:
        items: list[dict] = []
        seen_keys: set[str] = set()
        params: dict[str, Any] = {}
        for _ in range(MAX_PAGES):
            params["limit"] = min(PAGE_SIZE, limit - len(items))
            page = self._read(
                api_key, method, template, operation, params=params, **kwargs
            )
            if isinstance(page, list):  # the legacy bare-array form
                return (items + page)[:limit]
            if not isinstance(page, dict) or not isinstance(page.get("items"), list):
                raise invalid_response(operation)
            items.extend(page["items"])
            key = page.get("pagination_key")
            if (
                len(items) >= limit
                or not page.get("has_more")
                or not isinstance(key, str)
                or key in seen_keys
            ):
                break
            seen_keys.add(key)
            params["pagination_key"] = key
        return items[:limit]

    def _request(
        self,
        api_key: str,
        method: str,
        template: str,
        *,
        operation: str,
        retry: Retry,
        path: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        before_retry: Callable[[], None] | None = None,
    ) -> Any:
        segments = {name: _segment(name, value) for name, value in (path or {}).items()}
        url = self.base_url + template.format(**segments)
        headers = {
            "Authorization": f"Bearer {_checked_key(api_key)}",
            "Accept": "application/json",
            "User-Agent": self.user_agent,
        }
        waited = 0.0
        attempt = 0
        deadline = time.monotonic() + self.total_timeout
        while True:
            attempt += 1
            if attempt > 1 and before_retry is not None:
                before_retry()
            started = time.monotonic()
            connect, read = self.timeout
            left = deadline - started
            try:
                if left < 1.0:
                    raise requests.Timeout("the time budget for this call ran out")
                resp = self.session.request(
                    method,
                    url,
                    params=params,
                    json=json,
                    headers=headers,
                    timeout=(min(connect, left), min(read, left)),
                    allow_redirects=False,
                )
            except requests.RequestException as exc:
                self._log(method, template, type(exc).__name__, started, attempt)
                delay = self._backoff(attempt)
                try:
                    retry = retry.increment(method, template, error=_cause(exc))
                except Exception:  # Retry re-raises the cause or MaxRetryError: stop
                    raise from_exception(exc, operation=operation) from exc
                if waited + delay > self.max_wait or (
                    time.monotonic() + delay > deadline - 1.0
                ):
                    raise from_exception(exc, operation=operation) from exc
                self._sleep(delay)
                waited += delay
                continue

            self._log(method, template, resp.status_code, started, attempt)
            if 200 <= resp.status_code < 300:
                return _json(resp, operation)
            if retry.is_retry(method, resp.status_code):
                delay = self._delay(resp, attempt)
                if (
                    delay is not None
                    and waited + delay <= self.max_wait
                    and time.monotonic() + delay < deadline - 1.0
                ):
                    try:
                        retry = retry.increment(method, template, response=resp.raw)
                    except MaxRetryError:
                        pass
                    else:
                        resp.close()
                        self._sleep(delay)
                        waited += delay
                        continue
            raise from_response(resp, operation=operation, redact=(api_key,))

    def _delay(self, resp: requests.Response, attempt: int) -> float | None:
        """Seconds to wait before the next attempt, or None to stop now."""
        retry_after = parse_retry_after(resp.headers.get("Retry-After"))
        if retry_after is None:
            return self._backoff(attempt)
        if retry_after > self.retry_after_cap:
            # Waiting this long would outlast the platform's timeout; hand the
            # 429 (with its Retry-After) back so the platform can schedule it.
            return None
        return retry_after

    def _backoff(self, attempt: int) -> float:
        # 1 s, 2 s, 4 s ... with "equal jitter" (a random half of each step), so
        # parallel callers that failed together do not retry together.
        # https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/
        step = self.backoff_base * 2 ** (attempt - 1)
        return step / 2 + random.random() * step / 2

    def _log(
        self, method: str, template: str, outcome: object, started: float, attempt: int
    ) -> None:
        # The path template, not the URL: ids and phone numbers stay out of logs
        # and out of metric labels.
        seconds = time.monotonic() - started
        if self._observe is not None:
            self._observe(template, str(outcome), seconds)
        ms = seconds * 1000
        log.info(
            "retell %s %s -> %s in %.0f ms (attempt %d)",
            method,
            template,
            outcome,
            ms,
            attempt,
        )

    @staticmethod
    def _object(value: Any, operation: str) -> dict:
        if not isinstance(value, dict):
            raise invalid_response(operation)
        return value


def _segment(name: str, value: str) -> str:
    """Percent-encode one path parameter so it stays inside its path segment.

    ``safe=""`` encodes ``/`` and ``+`` too (RFC 3986 §3.3): an id cannot reach
    another endpoint and ``+1415...`` arrives intact. Dot segments would be removed
    by URL normalisation (RFC 3986 §5.2.4), so they are refused.
    """
    if not isinstance(value, str) or value.strip(".") == "":
        raise FatalError(
            f"{name} must be a non-empty string",
            status=422,
            code="validation_failed",
            errors=[{"field": name, "message": "must be a non-empty string"}],
        )
    return quote(value, safe="")


def _checked_key(api_key: str) -> str:
    # requests puts an invalid header value into its exception message; refuse
    # such a key here, without echoing it, instead.
    if (
        not isinstance(api_key, str)
        or not api_key
        or not api_key.isascii()
        or not api_key.isprintable()
        or any(char.isspace() for char in api_key)
    ):
        raise FatalError(
            "The API key is empty or contains characters an API key cannot have.",
            status=401,
            code="unauthorized",
            title="Invalid API key",
        )
    return api_key


def _cause(exc: requests.RequestException) -> Exception:
    """The urllib3 error behind a requests exception, for Retry's classification.

    Retry treats ConnectTimeoutError (incl. NewConnectionError) as "not sent",
    ReadTimeoutError and ProtocolError as "may have been sent"; anything else
    counts as "other", which no policy here retries.
    """
    cause = exc.args[0] if exc.args else None
    if isinstance(cause, MaxRetryError):
        cause = cause.reason
    if isinstance(cause, (ConnectTimeoutError, ReadTimeoutError, ProtocolError)):
        return cause
    if isinstance(exc, requests.ConnectionError | requests.ChunkedEncodingError):
        return ProtocolError("Connection aborted.", cause)
    return exc


def _json(resp: requests.Response, operation: str) -> Any:
    try:
        return resp.json()
    except ValueError:
        raise invalid_response(operation, upstream_status=resp.status_code) from None
