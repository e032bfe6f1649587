"""Serving under gunicorn: its settings, and its own errors in our error shape.

gunicorn answers requests it cannot parse (a header over its limits, a broken
request line) itself, before Flask sees them, with a small HTML page. The worker
class below turns those answers into the same problem+json documents as every
other error, so a platform's HTTP module shows a readable reason.
"""

from __future__ import annotations

import json
import re

from gunicorn.workers.gthread import ThreadWorker

#: gunicorn's error answers start with a status line we read the status from.
_STATUS_LINE = re.compile(rb"^HTTP/1\.[01] (\d{3}) ([^\r\n]*)")

_DETAILS = {
    400: "The request could not be read as HTTP; check the URL and headers.",
    414: "The URL is too long; send the data in a JSON body instead.",
    431: "A header, or all headers together, are too large; send the data in a "
    "JSON body instead.",
}


def problem_bytes(raw: bytes) -> bytes:
    """Rewrite one of gunicorn's HTML error responses as a problem document."""
    match = _STATUS_LINE.match(raw)
    if match is None:
        return raw
    status, reason = int(match.group(1)), match.group(2).decode("latin-1")
    code = {414: "uri_too_long", 431: "headers_too_large"}.get(status, "bad_request")
    body = json.dumps(
        {
            "type": f"urn:retell-connector:problem:{code}",
            "title": reason,
            "status": status,
            "detail": _DETAILS.get(status, reason),
            "code": code,
        }
    ).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/problem+json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode("latin-1")
    return head + body


class _ProblemSocket:
    """The client socket, except that what gunicorn writes is rewritten."""

    def __init__(self, sock) -> None:
        self._sock = sock

    def __getattr__(self, name):
        return getattr(self._sock, name)

    def sendall(self, data: bytes) -> None:
        self._sock.sendall(problem_bytes(data))


class ProblemWorker(ThreadWorker):
    """gunicorn's threaded worker, answering its own errors as problem+json."""

    def handle_error(self, req, client, addr, exc):
        super().handle_error(req, _ProblemSocket(client), addr, exc)
