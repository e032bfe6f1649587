"""The one error family of the connector.

Every failure a caller can see is a :class:`ConnectorError`; the HTTP layer turns it
into an RFC 9457 problem document. Subclasses say what the caller should do about it:
fix the input (:class:`FatalError`) or try again later (:class:`RetriableError`).
"""

from __future__ import annotations


class ConnectorError(Exception):
    """A failure with everything needed to explain it to a no-code user."""

    status = 500
    code = "internal_error"
    title = "Something went wrong in the connector"

    def __init__(
        self,
        detail: str,
        *,
        status: int | None = None,
        code: str | None = None,
        title: str | None = None,
        errors: list[dict] | None = None,
        headers: dict[str, str] | None = None,
        extra: dict | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        if status is not None:
            self.status = status
        if code is not None:
            self.code = code
        if title is not None:
            self.title = title
        self.errors = errors or []
        self.headers = headers or {}
        self.extra = extra or {}


class FatalError(ConnectorError):
    """The request cannot succeed as sent; the caller must change it."""

    status = 400
    code = "bad_request"
    title = "The request cannot be processed as sent"


class RetriableError(ConnectorError):
    """The request may succeed if sent again later."""

    status = 503
    code = "unavailable"
    title = "Temporarily unavailable, try again later"
