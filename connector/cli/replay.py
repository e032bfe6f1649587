"""``connector replay``: queue an account's dead letters again, from a shell.

The same as POST /v1/deliveries/replay, for an operator who has the database but no
HTTP route to the service (or wants it in a runbook). It works on the store
directly, like ``connector worker``; a running worker then sends the deliveries.
"""

from __future__ import annotations

import argparse
import sys

from ..config import Settings

DESCRIPTION = """\
Queue the dead-lettered deliveries of the account that owns KEY again, now, with
their original webhook-id, so a receiver can still recognise an event it already
got. A running `connector worker` (or `connector serve`) then sends them.
The database and secret key come from CONNECTOR_DATABASE_URL and
CONNECTOR_SECRET_KEY (or the instance folder), as for the other commands."""


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


def run(args: argparse.Namespace) -> int:
    """Replay and print one line of progress; 2 if the key's account is unknown."""
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
        count = outbox.replay(engine, account_id, subscription_id=args.subscription)
        print(f"replayed {count}: queued for delivery by the worker")
    finally:
        engine.dispose()
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the subcommand on its own (``python -m connector.cli.replay``)."""
    parser = argparse.ArgumentParser(prog="connector replay")
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
