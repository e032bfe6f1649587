"""Loopback stand-ins for Retell: a scripted HTTP stub and a connection dropper."""

from __future__ import annotations

import json
import socket
import socketserver
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from connector.retell.client import RetellClient

API_KEY = "key_secret_do_not_log_0001"


@dataclass
class Reply:
    """One scripted answer; ``delay`` holds it back to provoke read timeouts."""

    status: int = 200
    body: object = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    content_type: str = "application/json"


@dataclass
class Seen:
    """One request as it arrived, with the undecoded request target."""

    method: str
    uri: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> object:
        return json.loads(self.body)


class Stub:
    """Answers requests from a script, in order, and records what arrived."""

    def __init__(self) -> None:
        self.script: list[Reply] = []
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._server = make_server("127.0.0.1", 0, self._app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}
        )

    def reply(self, *replies: Reply) -> None:
        self.script.extend(replies)

    def _app(self, environ, start_response):
        request = Request(environ)
        with self._lock:
            self.seen.append(
                Seen(
                    request.method,
                    environ["REQUEST_URI"],
                    dict(request.headers),
                    request.get_data(),
                )
            )
            reply = self.script.pop(0) if self.script else Reply(599, {"unexpected": 1})
        if reply.delay:
            self._stop.wait(reply.delay)
        body = reply.body
        if not isinstance(body, bytes | str):
            body = json.dumps(body)
        response = Response(
            body,
            status=reply.status,
            headers=reply.headers,
            content_type=reply.content_type,
        )
        return response(environ, start_response)

    def __enter__(self) -> Stub:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


class _DropHandler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        # Read the request head, then hang up without answering: the request was
        # sent, and whether it was acted on cannot be known.
        self.server.connections += 1
        self.request.settimeout(2)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = self.request.recv(65536)
            if not chunk:
                break
            data += chunk


class _DropServer(socketserver.ThreadingTCPServer):
    daemon_threads = False
    connections = 0


@pytest.fixture
def stub() -> Iterator[Stub]:
    with Stub() as running:
        yield running


@pytest.fixture
def dropper() -> Iterator[_DropServer]:
    server = _DropServer(("127.0.0.1", 0), _DropHandler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.01}
    )
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def closed_port_url() -> str:
    """A loopback URL where nothing listens, so connecting is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def sleeps() -> list[float]:
    """Waits the client asked for; recorded instead of slept so tests stay fast."""
    return []


@pytest.fixture
def make_client(monkeypatch, sleeps):
    """Build clients that record their waits, closing them after the test."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    made: list[RetellClient] = []

    def make(base_url: str, **options) -> RetellClient:
        options.setdefault("timeout", 2.0)
        options.setdefault("connect_timeout", 1.0)
        options.setdefault("backoff_base", 0.01)
        options.setdefault("sleep", sleeps.append)
        client = RetellClient(base_url, **options)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()
