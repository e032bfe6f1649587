"""``connector demo``: the whole loop on the embedded defaults, watched step by step.

Starts the Retell simulator, the connector under gunicorn with a delivery worker,
and a hook receiver standing in for a Make/Zapier/n8n webhook, all on 127.0.0.1. It
then does what a scenario does: subscribes the four triggers, places one call that
connects and one to a busy line with mapper-style input, and waits for every event
to arrive, signed.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack, closing

import requests
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from ..delivery import signing

DEMO_KEY = "key_demo_0000000000000000"
TRIGGERS = ("call_started", "call_ended", "call_analyzed", "call_failed")
#: The simulator's reserved destination for a busy line.
BUSY_NUMBER = "+14155550170"


def say(text: str = "") -> None:
    print(text, flush=True)


def free_port() -> int:
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class HookReceiver:
    """A local webhook endpoint: records each delivery and checks its signature."""

    def __init__(self) -> None:
        self.secrets: dict[str, str] = {}
        self.received: list[dict] = []
        self.problems: list[str] = []
        self.arrived = threading.Condition()
        self.server = make_server("127.0.0.1", 0, self._app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def _app(self, environ, start_response):
        request = Request(environ)
        trigger = request.path.rsplit("/", 1)[-1]
        body = request.get_data()
        try:
            signing.verify(request.headers, body, self.secrets[trigger])
            verdict = "signature ok"
        except (KeyError, ValueError) as err:
            verdict = f"BAD SIGNATURE ({err})"
            self.problems.append(f"{trigger}: {verdict}")
        event = json.loads(body)
        say(
            f"  <- hook {trigger:<14} {event['id']:<40} "
            f"status={event.get('call_status')} {verdict}"
        )
        if trigger == "call_analyzed" and event.get("call_summary"):
            say(f"     call_summary: {event['call_summary']!r}")
        if trigger == "call_failed":
            say(
                f"     failure_reason: {event.get('failure_reason')!r}, "
                f"retry_recommended: {event.get('retry_recommended')}"
            )
        # Recorded after printing, so the summary line comes after every event.
        with self.arrived:
            self.received.append(event)
            self.arrived.notify_all()
        return Response(status=204)(environ, start_response)

    def __enter__(self):
        threading.Thread(
            target=self.server.serve_forever,
            kwargs={"poll_interval": 0.05},
            daemon=True,
        ).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def wait_for(self, ids: set[str], deadline: float) -> set[str]:
        """Wait until every event id in ``ids`` arrived; returns those missing."""
        with self.arrived:
            while True:
                missing = ids - {event["id"] for event in self.received}
                left = deadline - time.monotonic()
                if not missing or left <= 0:
                    return missing
                self.arrived.wait(left)


def _spawn(stack: ExitStack, args: list[str], env: dict, log_path: str):
    log = stack.enter_context(open(log_path, "wb"))
    process = subprocess.Popen(
        [sys.executable, "-m", "connector", *args],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    stack.callback(_stop, process)
    return process


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _wait_up(url: str, process: subprocess.Popen, log_path: str, seconds=30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            with open(log_path, encoding="utf-8", errors="replace") as log:
                raise SystemExit(f"{url} did not start:\n{log.read()[-2000:]}")
        try:
            requests.get(url, timeout=2)
            return
        except requests.RequestException:
            # Not listening yet, or listening while its workers still boot.
            time.sleep(0.2)
    raise SystemExit(f"{url} did not answer within {seconds} s")


def run(*, speed: float = 4.0, timeout: float = 60.0) -> int:
    """Run the demo; 0 when every expected event arrived correctly signed."""
    started = time.monotonic()
    # The hook receiver's access log would drown the steps out.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    with ExitStack() as stack:
        workdir = stack.enter_context(tempfile.TemporaryDirectory(prefix="demo-"))
        hooks = stack.enter_context(HookReceiver())
        sim_port, app_port = free_port(), free_port()
        simulator = f"http://127.0.0.1:{sim_port}"
        connector = f"http://127.0.0.1:{app_port}"
        env = dict(
            os.environ,
            CONNECTOR_INSTANCE_PATH=workdir,
            CONNECTOR_DATABASE_URL=f"sqlite:///{workdir}/connector.db",
            CONNECTOR_RETELL_BASE_URL=simulator,
            CONNECTOR_PUBLIC_URL=connector,
            CONNECTOR_LOG_LEVEL="WARNING",
            # The stand-in hook listens on loopback, which real deployments refuse.
            CONNECTOR_ALLOW_PRIVATE_TARGETS="true",
        )
        say("1. Starting the Retell simulator, the connector and a hook receiver")
        sim_log, app_log = f"{workdir}/simulator.log", f"{workdir}/connector.log"
        sim = _spawn(
            stack,
            [
                "simulator",
                "--port",
                str(sim_port),
                "--api-key",
                DEMO_KEY,
                "--speed",
                str(speed),
            ],
            env,
            sim_log,
        )
        app = _spawn(
            stack, ["serve", "--port", str(app_port), "--workers", "2"], env, app_log
        )
        _wait_up(f"{simulator}/_simulator/requests", sim, sim_log)
        _wait_up(f"{connector}/healthz", app, app_log)
        say(f"   simulator {simulator}, connector {connector}, hooks {hooks.url}")

        api = requests.Session()
        api.headers["Authorization"] = f"Bearer {DEMO_KEY}"

        say("2. Connection test (GET /v1/me), as the platforms do when you connect")
        me = _expect(api.get(f"{connector}/v1/me", timeout=10), 200)
        say(f"   account {me['account_id']}, webhook URL {me['webhook_url']}")
        _expect(
            api.put(
                f"{simulator}/_simulator/webhook-url",
                json={"url": me["webhook_url"]},
                timeout=10,
            ),
            200,
        )
        say("   pasted the webhook URL into the (simulated) Retell dashboard")

        say("3. Subscribing a hook to each trigger (what turning a scenario on does)")
        for trigger in TRIGGERS:
            sub = _expect(
                api.post(
                    f"{connector}/v1/triggers/{trigger}/subscriptions",
                    json={"target_url": f"{hooks.url}/hooks/{trigger}"},
                    timeout=10,
                ),
                201,
            )
            hooks.secrets[trigger] = sub["secret"]
            say(f"   {trigger:<14} -> {sub['id']}")

        say("4. A mapper sends a sloppy number; the connector says how to fix it")
        bad = api.post(
            f"{connector}/v1/actions/create-phone-call",
            json={"from_number": "+14155550100", "to_number": "(415) 555-0134"},
            timeout=10,
        )
        problem = _expect(bad, 422)
        for error in problem["errors"]:
            say(f"   {bad.status_code} {error['field']}: {error['message']}")

        say("5. Placing a call the way a Make HTTP module maps a sheet row")
        row = {
            "from_number": "+1 415-555-0100",
            "to_number": "+1 415-555-0123",
            "retell_llm_dynamic_variables": {
                "customer_name": "Jordan Sample",
                "slot_hour": 14,
                "is_returning": True,
                "middle_name": None,
            },
            "metadata": json.dumps({"crm_contact_id": "ct_000123", "row": 2}),
            "agent_override": {"agent": {"max_call_duration_ms": 600000}},
        }
        placed = _expect(
            api.post(f"{connector}/v1/actions/create-phone-call", json=row, timeout=30),
            201,
        )
        say(
            f"   201 {placed['call_id']} {placed['from_number']} -> "
            f"{placed['to_number']} ({placed['call_status']})"
        )
        say(f"   dynamic variables sent: {placed['retell_llm_dynamic_variables']}")
        for warning in placed["warnings"]:
            say(f"   warning: {warning}")

        say("6. Placing a call to a line that is busy")
        busy = _expect(
            api.post(
                f"{connector}/v1/actions/create-phone-call",
                json={
                    "from_number": "+14155550100",
                    "to_number": BUSY_NUMBER,
                    "metadata": {"crm_contact_id": "ct_000124"},
                },
                timeout=30,
            ),
            201,
        )
        say(f"   201 {busy['call_id']} -> {busy['to_number']}")

        say("7. Waiting for the events to reach the hooks")
        expected = {
            f"{placed['call_id']}:{event}"
            for event in ("call_started", "call_ended", "call_analyzed")
        } | {
            f"{busy['call_id']}:{event}"
            for event in ("call_ended", "call_analyzed", "call_failed")
        }
        missing = hooks.wait_for(expected, started + timeout)
        unexpected = {event["id"] for event in hooks.received} - expected
        ok = not missing and not hooks.problems and not unexpected
        say()
        for event_id in sorted(missing):
            say(f"MISSING: {event_id} did not arrive within {timeout:.0f} s")
        for event_id in sorted(unexpected):
            say(f"UNEXPECTED: {event_id}")
        for text in hooks.problems:
            say(f"PROBLEM: {text}")
        elapsed = time.monotonic() - started
        if ok:
            say(
                f"Done in {elapsed:.1f} s: {len(expected)} events delivered, every "
                "signature verified."
            )
            return 0
        say(f"Demo FAILED after {elapsed:.1f} s; logs were in {workdir}")
        for path in (app_log, sim_log):
            with open(path, encoding="utf-8", errors="replace") as log:
                say(f"--- {path}\n{log.read()[-3000:]}")
        return 1


def _expect(response: requests.Response, status: int) -> dict:
    if response.status_code != status:
        raise SystemExit(
            f"{response.request.method} {response.url} answered "
            f"{response.status_code}, expected {status}: {response.text[:1000]}"
        )
    return response.json() if response.content else {}
