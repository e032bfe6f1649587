"""The one error shape Retell answers with: ``{"status": "error", "message": ...}``.

Status codes follow Retell's OpenAPI responses (400 bad input, 401 key, 422 asset not
found under this key, 429 throttled, 500 unexpected).
"""

from __future__ import annotations


class RetellError(Exception):
    """An API failure that becomes a Retell-shaped error response."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

    def body(self) -> dict[str, str]:
        return {"status": "error", "message": self.message}


def bad_request(message: str) -> RetellError:
    return RetellError(400, message)


def not_found_under_key(what: str) -> RetellError:
    # Retell answers 422, not 404, when an id is unknown to the calling key.
    return RetellError(422, f"Could not find {what} under the given API key.")
