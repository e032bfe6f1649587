"""Command-line flags for the simulator, shared with the connector's own CLI.

``python -m connector.simulator --port 8090 --api-key K [--api-key K2]
[--webhook-url URL] [--speed 1.0] [--cps N]``. Every ``--api-key`` joins one
workspace (like several keys of one Retell account) unless ``--workspace-per-key``
is given.
"""

from __future__ import annotations

import argparse
import logging
import signal
from collections.abc import Sequence

from .app import serve
from .config import SimulatorConfig, Workspace


def _positive(value: str) -> float:
    number = float(value)
    if not number > 0:
        raise argparse.ArgumentTypeError("must be a positive number")
    return number


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the simulator's flags to ``parser``."""
    parser.add_argument("--host", default="127.0.0.1", help="default: 127.0.0.1")
    parser.add_argument("--port", type=int, default=8090, help="default: 8090")
    parser.add_argument(
        "--api-key",
        dest="api_keys",
        action="append",
        required=True,
        metavar="KEY",
        help="an API key the simulator accepts; repeat for more keys",
    )
    parser.add_argument(
        "--webhook-key",
        metavar="KEY",
        help="the key webhooks are signed with (default: the first --api-key)",
    )
    parser.add_argument(
        "--workspace-per-key",
        action="store_true",
        help="give every --api-key its own workspace and data",
    )
    parser.add_argument(
        "--webhook-url", metavar="URL", help="account-level webhook URL"
    )
    parser.add_argument(
        "--speed",
        type=_positive,
        default=1.0,
        help="clock speed of call lifecycles; 2 runs twice as fast (default: 1)",
    )
    parser.add_argument(
        "--cps",
        type=_positive,
        default=None,
        help="creates per second per workspace before answering 429 (default: off)",
    )
    parser.add_argument(
        "--webhook-timeout",
        type=_positive,
        default=10.0,
        help="seconds to wait for a 2xx before retrying a webhook (default: 10)",
    )
    parser.add_argument(
        "--allow-non-loopback",
        action="store_true",
        help="allow --host to be something other than a loopback address",
    )


def config_from_args(args: argparse.Namespace) -> SimulatorConfig:
    """The :class:`SimulatorConfig` the parsed flags describe."""
    if args.workspace_per_key:
        if args.webhook_key is not None:
            raise ValueError("--webhook-key needs a single workspace")
        workspaces = [
            Workspace(api_keys=[key], webhook_url=args.webhook_url)
            for key in args.api_keys
        ]
    else:
        workspaces = [
            Workspace(
                api_keys=list(args.api_keys),
                webhook_key=args.webhook_key,
                webhook_url=args.webhook_url,
            )
        ]
    return SimulatorConfig(
        workspaces=workspaces,
        speed=args.speed,
        cps=args.cps,
        webhook_timeout=args.webhook_timeout,
    )


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> None:
    """Parse ``argv`` and serve until interrupted."""
    parser = argparse.ArgumentParser(
        prog="python -m connector.simulator",
        description="A local stand-in for the Retell AI API.",
    )
    add_arguments(parser)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    # Containers and process managers stop with SIGTERM; shut down as on Ctrl-C.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        config = config_from_args(args)
        serve(args.host, args.port, config, allow_non_loopback=args.allow_non_loopback)
    except ValueError as err:
        parser.error(str(err))
