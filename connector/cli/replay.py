"""``connector replay``: queue an account's dead letters again, from a shell.

The same as POST /v1/deliveries/replay, for an operator who has the database but no
HTTP route to the service (or wants it in a runbook). It works on the store
directly, like ``connector worker``; a running worker then sends the deliveries.
"""

from __future__ import annotations

import argparse
import sys
import time

from ..config import Settings
from .progress import Progress

DESCRIPTION = """\
Queue the dead-lettered deliveries of the account that owns KEY again, now, with
their original webhook-id, so a receiver can still recognise an event it already
got. A running `connector worker` (or `connector serve`) then sends them;
--follow shows them being delivered. The database and secret key come from
CONNECTOR_DATABASE_URL and CONNECTOR_SECRET_KEY (or the instance folder), as for
the other commands."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The subcommand's options, on the parser ``connector`` made for it."""
    parser.description = DESCRIPTION
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument(
        "--key",
        required=True,
        help="the account's Retell API key; - reads it from standard input, "
        "which keeps it out of the shell history and the process list",
    )
    parser.add_argument(
        "--state",
        choices=("dead",),
        default="dead",
        help="which deliveries to replay (only dead letters can be; default dead)",
    )
    parser.add_argument(
        "--subscription",
        metavar="ID",
        help="only the dead letters of this subscription",
    )
    parser.add_argument(
        "--follow",
        action="store_true",
        help="show the replayed deliveries' progress until all are delivered "
        "(exit 0) or --timeout passes (exit 1; they stay queued)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=300.0,
        metavar="SECONDS",
        help="how long --follow watches (default 300)",
    )


def run(args: argparse.Namespace) -> int:
    """Replay and say how many; 2 if the key's account is unknown, and with
    --follow 1 if not all were delivered in time."""
    from ..store import accounts, database, outbox
    from ..store.keyring import Keyring

    key = sys.stdin.readline().strip() if args.key == "-" else args.key
    settings = Settings.from_env().resolved()
    engine = database.connect(settings.database_url)
    try:
        account_id = Keyring(settings.secret_key).account_id(key)
        if not accounts.exists(engine, account_id):
            # A fingerprint under another secret key names no account either, so
            # say both ways this can happen.
            print(
                "connector replay: no account uses this key here; check the key "
                "and that CONNECTOR_SECRET_KEY is the service's",
                file=sys.stderr,
            )
            return 2
        waiting = outbox.counts(engine, account_id)[args.state]
        scope = f"subscription {args.subscription}" if args.subscription else "all"
        print(
            f"account {account_id}: {waiting} dead letters in all; replaying {scope}",
            flush=True,
        )
        followed = outbox.dead_ids(
            engine, account_id, subscription_id=args.subscription
        )
        count = outbox.replay(engine, account_id, subscription_id=args.subscription)
        print(f"replayed {count}: queued for delivery by the worker", flush=True)
        if args.follow and followed:
            return follow(engine, account_id, followed, args.timeout)
    finally:
        engine.dispose()
    return 0


def follow(engine, account_id: str, message_ids: list[str], timeout: float) -> int:
    """Show how many of the replayed deliveries have arrived, until all have."""
    from ..store import outbox

    progress = Progress(len(message_ids))
    deadline = time.monotonic() + timeout
    try:
        while True:
            found = outbox.states(engine, account_id, message_ids)
            delivered = sum(state == "delivered" for state in found.values())
            dead = sum(state == "dead" for state in found.values())
            waiting = len(message_ids) - delivered - dead
            progress.show(delivered, f"delivered, {waiting} waiting, {dead} dead")
            if waiting == 0 or time.monotonic() >= deadline:
                break
            time.sleep(0.5)
    finally:
        progress.close()
    if delivered == len(message_ids):
        return 0
    print(
        f"{waiting + dead} not delivered yet: the worker keeps retrying the waiting "
        "ones; see GET /v1/deliveries or /console for their last errors",
        file=sys.stderr,
    )
    return 1


def main(argv: list[str] | None = None) -> int:
    """Run the subcommand on its own (``python -m connector.cli.replay``)."""
    parser = argparse.ArgumentParser(prog="connector replay")
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
