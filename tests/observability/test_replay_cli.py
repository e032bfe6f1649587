"""`connector replay`: an account's dead letters queued again from the shell."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import select

from connector.store import database
from connector.store.tables import outbox

from . import DELIVERIES, KEY, SECRET_KEY, seed


@pytest.fixture
def store(tmp_path):
    """A seeded SQLite file, and the environment that points the CLI at it."""
    url = f"sqlite:///{tmp_path / 'connector.db'}"
    engine = database.connect(url)
    seeded = seed(engine)
    environment = {
        **os.environ,
        "CONNECTOR_DATABASE_URL": url,
        "CONNECTOR_SECRET_KEY": SECRET_KEY,
        "CONNECTOR_INSTANCE_PATH": str(tmp_path),
    }
    yield engine, seeded, environment
    engine.dispose()


def replay(environment, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    # Run as the command runs in production: its own process, settings from the
    # environment, the database only through the file.
    return subprocess.run(
        [sys.executable, "-m", "connector.cli.replay", *args],
        env=environment,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=30,
    )


def states(engine) -> dict[str, str]:
    with engine.connect() as conn:
        return dict(conn.execute(select(outbox.c.message_id, outbox.c.state)).all())


def seeded_states() -> dict[str, str]:
    return {f"msg_{n}": state for n, (_, _, state) in enumerate(DELIVERIES)}


def expected_after(subscription: str | None) -> dict[str, str]:
    """Dead letters of the key's account (and subscription) pending; nothing else."""
    return {
        f"msg_{n}": "pending"
        if state == "dead"
        and owner == "mine"
        and subscription in (None, subscription_id)
        else state
        for n, (owner, subscription_id, state) in enumerate(DELIVERIES)
    }


@pytest.mark.parametrize(
    ("args", "stdin", "subscription", "replayed"),
    [
        (["--key", KEY], "", None, 3),
        (["--key", KEY, "--state", "dead", "--subscription", "sub_a"], "", "sub_a", 2),
        (["--key", "-"], KEY + "\n", None, 3),
    ],
    ids=["all-dead-letters", "one-subscription", "key-from-stdin"],
)
def test_replays_the_accounts_dead_letters(store, args, stdin, subscription, replayed):
    """Only the key's account's dead letters (of the subscription) become pending."""
    engine, seeded, environment = store
    result = replay(environment, *args, stdin=stdin)
    assert result.returncode == 0, result.stderr
    assert f"account {seeded.mine}: 3 dead letters" in result.stdout
    assert f"replayed {replayed}:" in result.stdout
    assert KEY not in result.stdout + result.stderr
    assert states(engine) == expected_after(subscription)


def test_unknown_key_changes_nothing(store):
    """A key no account uses exits 2 with a hint and replays nothing."""
    engine, _, environment = store
    result = replay(environment, "--key", "key_nobody")
    assert result.returncode == 2
    assert "no account uses this key" in result.stderr
    assert states(engine) == seeded_states()


@pytest.mark.parametrize(
    ("args", "code", "expected"),
    [
        (["--help"], 0, "--subscription ID"),
        (["--key", KEY, "--state", "pending"], 2, "invalid choice: 'pending'"),
        ([], 2, "the following arguments are required: --key"),
    ],
    ids=["help", "only-dead-letters-replay", "key-required"],
)
def test_command_line(store, args, code, expected):
    """--help explains the options; wrong use is an argparse error, exit 2."""
    engine, _, environment = store
    result = replay(environment, *args)
    assert result.returncode == code
    assert expected in result.stdout + result.stderr
    assert states(engine) == seeded_states()
