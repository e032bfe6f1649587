"""The ``connector`` command: serve, deliver, generate, simulate, demo, replay, job."""

from __future__ import annotations

import argparse
import logging
import signal
import subprocess
import sys
import threading
from pathlib import Path

from .. import logs
from ..config import Settings, SettingsError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="connector",
        description="Retell phone calls for Make.com, Zapier and n8n.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser(
        "serve", help="run the HTTP service under gunicorn and a delivery worker"
    )
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    serve.add_argument(
        "--no-delivery",
        action="store_true",
        help="do not start a delivery worker (run `connector worker` elsewhere)",
    )
    serve.set_defaults(run=_serve)

    worker = commands.add_parser("worker", help="deliver queued events to hooks")
    worker.add_argument("--concurrency", type=int, default=8)
    worker.set_defaults(run=_worker)

    generate = commands.add_parser(
        "generate", help="write schemas/ and manifests/ from the catalog"
    )
    generate.add_argument("--root", type=Path, default=Path.cwd())
    generate.add_argument(
        "--check", action="store_true", help="only report stale files (exit 1)"
    )
    generate.set_defaults(run=_generate)

    from .. import simulator

    simulate = commands.add_parser(
        "simulator", help="run the built-in Retell API simulator"
    )
    simulator.add_arguments(simulate)
    simulate.set_defaults(run=_simulator)

    demo = commands.add_parser(
        "demo", help="place calls end to end on the embedded defaults"
    )
    demo.add_argument(
        "--speed",
        type=float,
        default=4.0,
        help="how much faster than real time the simulated calls run",
    )
    demo.add_argument("--timeout", type=float, default=60.0)
    demo.set_defaults(run=_demo)

    from . import replay

    replay_parser = commands.add_parser(
        "replay", help="queue an account's dead-lettered deliveries again"
    )
    replay.add_arguments(replay_parser)
    replay_parser.set_defaults(run=replay.run)

    from . import job

    job_parser = commands.add_parser("job", help="show or follow a bulk job's progress")
    job.add_arguments(job_parser)
    job_parser.set_defaults(run=job.run)

    args = parser.parse_args(argv)
    logs.configure()
    try:
        return args.run(args) or 0
    except SettingsError as err:
        print(f"connector {args.command}: {err}", file=sys.stderr)
        return 2


def _serve(args) -> int:
    """Run gunicorn and a delivery worker, restarting the worker if it dies."""
    log = logging.getLogger(__name__)
    web = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--config",
            "python:connector.gunicorn_config",
            "--bind",
            f"{args.host}:{args.port}",
            "--workers",
            str(args.workers),
            "connector.app:create_app()",
        ]
    )

    def start_worker():
        return subprocess.Popen([sys.executable, "-m", "connector", "worker"])

    worker = None if args.no_delivery else start_worker()
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    restart_delay = 1.0
    while not stopping.wait(0.5):
        if web.poll() is not None:
            log.error("gunicorn exited with %s; stopping", web.returncode)
            break
        if worker is not None and worker.poll() is not None:
            # Deliveries wait in the outbox meanwhile; nothing is lost, but nothing
            # is sent until a worker runs again.
            log.error(
                "delivery worker exited with %s; restarting in %.0f s",
                worker.returncode,
                restart_delay,
            )
            if stopping.wait(restart_delay):
                break
            worker = start_worker()
            restart_delay = min(restart_delay * 2, 30.0)
    for child in (web, worker):
        if child is not None and child.poll() is None:
            child.terminate()
    codes = [child.wait() for child in (web, worker) if child is not None]
    return 0 if stopping.is_set() else max(codes + [1])


def _worker(args) -> int:
    from .. import __version__
    from ..bulk.runner import BulkRunner
    from ..delivery.targets import TargetPolicy
    from ..delivery.worker import DeliveryWorker
    from ..retell.client import RetellClient
    from ..store import database
    from ..store.keyring import Keyring

    settings = Settings.from_env().resolved()
    engine = database.connect(settings.database_url)
    keyring = Keyring(settings.secret_key)
    delivery = DeliveryWorker(
        engine,
        keyring,
        concurrency=args.concurrency,
        lease_ms=int(settings.delivery_lease * 1000),
        targets=TargetPolicy(allow_private=settings.allow_private_targets),
    )
    bulk = BulkRunner(
        engine,
        keyring,
        RetellClient(
            settings.retell_base_url,
            timeout=settings.upstream_timeout,
            user_agent=f"retell-connector/{__version__}",
        ),
        default_cps=settings.default_cps,
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    runner = threading.Thread(target=bulk.run, args=(stop,), name="bulk")
    runner.start()
    logging.getLogger(__name__).info("worker started: deliveries and bulk jobs")
    try:
        delivery.run(stop)
    finally:
        # If deliveries stop for any reason, the whole process ends, so that
        # `connector serve`, systemd or the platform restarts it rather than
        # leaving a worker that only places bulk calls.
        crashed = not stop.is_set()
        stop.set()
        runner.join()
    if crashed:
        logging.getLogger(__name__).error("the delivery loop ended; exiting")
        return 1
    return 0


def _generate(args) -> int:
    from ..manifests import files

    if args.check:
        stale = files.stale(args.root)
        for name in stale:
            print(f"stale: {name}")
        return 1 if stale else 0
    for name in files.write(args.root):
        print(f"wrote {name}")
    return 0


def _simulator(args) -> int:
    from .. import simulator

    simulator.serve(args.host, args.port, simulator.config_from_args(args))
    return 0


def _demo(args) -> int:
    from . import demo

    return demo.run(speed=args.speed, timeout=args.timeout)
