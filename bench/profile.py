"""Where the hot paths spend their time: ``python -m bench.profile webhook``.

Runs one path in-process (the connector app through Flask's test client, the
simulator on 127.0.0.1) under pyinstrument and prints the call tree. The paths:

* ``webhook``: signed ``call_ended`` webhooks into the store, each a new call;
* ``create``: create-phone-call, with pacing set far above any real CPS;
* ``deliver``: the delivery worker's claim, send and settle, one at a time, to four
  loopback subscribers.

``--database`` takes a SQLAlchemy URL (default: a SQLite file in a temporary
folder). Numbers from the profiler are inflated by its own overhead; compare runs
with each other, and use ``bench.run`` for the figures that count.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import tempfile
import threading
import time
import uuid

from pyinstrument import Profiler
from werkzeug.serving import make_server

from bench.run import FIXTURE, FROM_NUMBER, TO_NUMBER, Subscriber
from connector.app import create_app
from connector.config import Settings
from connector.delivery.targets import TargetPolicy
from connector.delivery.worker import DeliveryWorker
from connector.retell.signatures import sign
from connector.simulator import SimulatorConfig, Workspace
from connector.simulator import create_app as create_simulator

KEY = "key_profile_0000"


@contextlib.contextmanager
def simulator():
    """The simulator on an ephemeral loopback port, in this process."""
    app = create_simulator(SimulatorConfig(workspaces=[Workspace(api_keys=[KEY])]))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        app.simulator.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", choices=("webhook", "create", "deliver"))
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--database", default="")
    parser.add_argument("--interval", type=float, default=0.001)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="profile-") as tmp, simulator() as sim:
        app = create_app(
            Settings(
                database_url=args.database or f"sqlite:///{tmp}/profile.db",
                retell_base_url=sim,
                public_url="http://127.0.0.1:9",
                secret_key="profile",
                instance_path=tmp,
                default_cps=1000.0,
                allow_private_targets=True,
            )
        )
        client = app.test_client()
        auth = {"Authorization": f"Bearer {KEY}"}
        account = client.get("/v1/me", headers=auth).get_json()["account_id"]
        template = json.loads(FIXTURE.read_text())

        def webhook() -> None:
            template["call"]["call_id"] = f"call_{uuid.uuid4().hex}"
            body = json.dumps(template).encode()
            response = client.post(
                f"/v1/webhooks/retell/{account}",
                data=body,
                headers={
                    "content-type": "application/json",
                    "x-retell-signature": sign(body, KEY, time.time_ns() // 10**6),
                },
            )
            assert response.status_code == 200, response.data

        def create() -> None:
            response = client.post(
                "/v1/actions/create-phone-call",
                headers=auth,
                json={"from_number": FROM_NUMBER, "to_number": TO_NUMBER},
            )
            assert response.status_code == 201, response.data

        with contextlib.ExitStack() as stack:
            if args.path == "deliver":
                subscribers = [stack.enter_context(Subscriber()) for _ in range(4)]
                for sub in subscribers:
                    client.post(
                        "/v1/triggers/call_ended/subscriptions",
                        headers=auth,
                        json={"target_url": sub.url},
                    )
                for _ in range(args.count // 4):
                    webhook()
                services = app.extensions["connector"]
                worker = DeliveryWorker(
                    services.engine,
                    services.keyring,
                    per_target=args.count,
                    targets=TargetPolicy(allow_private=True),
                )
                step = worker.run_once
            else:
                step = webhook if args.path == "webhook" else create
                for _ in range(20):  # warm-up: connections, caches, imports
                    step()
            profiler = Profiler(interval=args.interval)
            started = time.perf_counter()
            profiler.start()
            if args.path == "deliver":
                done = 0
                while done < args.count and (tried := step()):
                    done += tried
            else:
                for _ in range(args.count):
                    step()
            profiler.stop()
            took = time.perf_counter() - started
        app.extensions["connector"].engine.dispose()
    print(profiler.output_text(unicode=False, color=False))
    each = took / args.count * 1000
    print(f"{args.path}: {args.count} in {took:.2f} s, {each:.2f} ms each")
    return 0


if __name__ == "__main__":
    sys.exit(main())
