"""Fixtures for the Retell simulator: the app, a live loopback server, the official
SDK pointed at it, and a hook receiver that records raw webhook bytes."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pydantic
import pytest
from retell import Retell
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from connector.simulator import SimulatorConfig, Workspace, create_app

KEY = "key_sim_test_0001"
WEBHOOK_KEY = "key_sim_test_webhook_0001"
OTHER_KEY = "key_sim_test_other_0001"
SPEED = 20.0
FIXTURES = Path(__file__).parent / "fixtures"


def load_fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def bearer(key: str = KEY) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def wait_for(predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
    """Poll ``predicate`` until it returns something truthy, or fail."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.01)
    raise AssertionError(f"condition not met within {timeout} s")


def strictly(model: type[pydantic.BaseModel], data: Any) -> pydantic.BaseModel:
    """Validate ``data`` with an SDK model in strict mode and no unknown fields."""
    parsed = model.model_validate(data, strict=True)
    _no_extra(parsed, model.__name__)
    return parsed


def _no_extra(value: Any, where: str) -> None:
    # SDK models allow extra keys; a field the SDK does not know is a typo here.
    if isinstance(value, pydantic.BaseModel):
        assert not value.model_extra, f"{where}: unknown fields {value.model_extra}"
        for name in type(value).model_fields:
            _no_extra(getattr(value, name), f"{where}.{name}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _no_extra(item, f"{where}[{index}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            _no_extra(item, f"{where}.{key}")


@contextmanager
def serving(wsgi_app: Any) -> Iterator[str]:
    """Serve ``wsgi_app`` on an ephemeral loopback port while the block runs."""
    server = make_server("127.0.0.1", 0, wsgi_app, threaded=True)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@dataclass
class Hit:
    path: str
    headers: dict[str, str]
    raw: bytes
    at: float

    @property
    def payload(self) -> dict[str, Any]:
        return json.loads(self.raw.decode("utf-8"))


@dataclass
class HookReceiver:
    """A loopback webhook target; ``statuses`` are answered first, then 204."""

    url: str = ""
    hits: list[Hit] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, environ: dict, start_response: Callable) -> Any:
        request = Request(environ)
        hit = Hit(request.path, dict(request.headers), request.get_data(), time.time())
        with self.lock:
            self.hits.append(hit)
            status = self.statuses.pop(0) if self.statuses else 204
        if self.delay:
            time.sleep(self.delay)
        return Response(status=status)(environ, start_response)

    def events(self, call_id: str | None = None) -> list[str]:
        with self.lock:
            hits = list(self.hits)
        return [
            hit.payload["event"]
            for hit in hits
            if call_id is None or hit.payload["call"]["call_id"] == call_id
        ]

    def for_call(self, call_id: str) -> list[Hit]:
        with self.lock:
            return [h for h in self.hits if h.payload["call"]["call_id"] == call_id]


@pytest.fixture
def hook() -> Iterator[HookReceiver]:
    receiver = HookReceiver()
    with serving(receiver) as url:
        receiver.url = f"{url}/retell"
        yield receiver


@pytest.fixture
def sim_config(hook: HookReceiver) -> SimulatorConfig:
    return SimulatorConfig(
        workspaces=[
            Workspace(
                api_keys=[KEY, WEBHOOK_KEY],
                webhook_key=WEBHOOK_KEY,
                webhook_url=hook.url,
            ),
            Workspace(api_keys=[OTHER_KEY]),
        ],
        speed=SPEED,
        webhook_timeout=0.5,
    )


@pytest.fixture
def sim_app(sim_config: SimulatorConfig) -> Iterator[Any]:
    app = create_app(sim_config)
    yield app
    app.simulator.stop()


@pytest.fixture
def sim(sim_app: Any) -> Any:
    """A Flask test client for checks that need no socket."""
    return sim_app.test_client()


@pytest.fixture
def live(sim_app: Any) -> Iterator[str]:
    """The simulator's base URL on a real threaded loopback server."""
    with serving(sim_app) as url:
        yield url


@pytest.fixture
def retell(live: str) -> Iterator[Retell]:
    """The official SDK pointed at the simulator, without its own retries."""
    with Retell(api_key=KEY, base_url=live, max_retries=0) as client:
        yield client


def create_body(**fields: Any) -> dict[str, Any]:
    """A valid create-phone-call body from the seeded main line."""
    return {"from_number": "+14155550100", "to_number": "+14155550123", **fields}
