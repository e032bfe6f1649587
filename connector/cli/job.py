"""``connector job``: a bulk job's progress, from a shell.

The same figures as GET /v1/jobs/<job_id>, read from the store like ``connector
replay``, for an operator watching a campaign go out: how many rows are placed,
failed and waiting, and at the end each failed row with what to fix.
"""

from __future__ import annotations

import argparse
import sys
import time

from ..config import Settings
from .progress import Progress

DESCRIPTION = """\
Show the progress of bulk job JOB_ID (POST /v1/actions/create-phone-calls) of the
account that owns KEY: rows placed, failed and still waiting. With --follow the line
is redrawn until the job is finished, then each failed row is listed with its
errors. Exit 1 when some row failed (or --follow timed out before the end), 2
when the key's account has no such job, else 0. The database and secret key
come from CONNECTOR_DATABASE_URL and CONNECTOR_SECRET_KEY (or the instance folder)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = DESCRIPTION
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("job_id", metavar="JOB_ID")
    parser.add_argument(
        "--key",
        required=True,
        help="the account's Retell API key; - reads it from standard input",
    )
    parser.add_argument(
        "--follow", action="store_true", help="watch until the job is finished"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=3600.0,
        metavar="SECONDS",
        help="how long --follow watches (default 3600)",
    )


def run(args: argparse.Namespace) -> int:
    from ..store import database, jobs
    from ..store.keyring import Keyring

    key = sys.stdin.readline().strip() if args.key == "-" else args.key
    settings = Settings.from_env().resolved()
    engine = database.connect(settings.database_url)
    try:
        account_id = Keyring(settings.secret_key).account_id(key)
        view = jobs.view(engine, account_id, args.job_id)
        if view is None:
            print(
                f"connector job: no job {args.job_id} for this key's account; check "
                "the job id, the key, and that CONNECTOR_SECRET_KEY is the service's",
                file=sys.stderr,
            )
            return 2
        progress = Progress(view["total"])
        deadline = time.monotonic() + args.timeout
        try:
            while True:
                counts = view["counts"]
                progress.show(
                    counts["done"] + counts["failed"],
                    f"rows finished: {counts['done']} placed, {counts['failed']} "
                    f"failed, {counts['pending']} waiting ({view['status']})",
                )
                if not args.follow or view["status"] != "running":
                    break
                if time.monotonic() >= deadline:
                    break
                time.sleep(1.0)
                view = jobs.view(engine, account_id, args.job_id)
        finally:
            progress.close()
    finally:
        engine.dispose()
    failed = [row for row in view["rows"] if row["status"] == "failed"]
    for row in failed:
        reasons = "; ".join(
            f"{error.get('field') or 'row'}: {error.get('message')}"
            for error in row["errors"]
        )
        print(f"row {row['row']} failed: {printable(reasons or 'no reason recorded')}")
    timed_out = args.follow and view["status"] == "running"
    return 1 if failed or timed_out else 0


def printable(text: str) -> str:
    """``text`` with control characters shown as escapes: messages quote the rows'
    own values, which must not move the cursor or recolour an operator's terminal."""
    return "".join(
        char if char.isprintable() else char.encode("unicode_escape").decode()
        for char in text
    )


def main(argv: list[str] | None = None) -> int:
    """Run the subcommand on its own (``python -m connector.cli.job``)."""
    parser = argparse.ArgumentParser(prog="connector job")
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
