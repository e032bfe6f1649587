"""Long work followed from a shell: `connector job` and `connector replay --follow`."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time

import pytest
from flask import Flask, request
from sqlalchemy import update

from connector.bulk.runner import BulkRunner
from connector.cli.progress import Progress
from connector.delivery.targets import TargetPolicy
from connector.delivery.worker import DeliveryWorker
from connector.store import database
from connector.store.keyring import Keyring
from connector.store.tables import subscriptions
from tests.conftest import API_KEY, serving

from . import KEY, SECRET_KEY, seed


def command(environment, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "connector", *args],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run_until_exit(process: subprocess.Popen, step, timeout: float = 30) -> None:
    """Call ``step`` (the worker's work) until the command has exited."""
    deadline = time.monotonic() + timeout
    while process.poll() is None and time.monotonic() < deadline:
        step()
        time.sleep(0.1)
    process.wait(5)


def environment_for(url: str, secret_key: str, instance: str) -> dict:
    return {
        **os.environ,
        "CONNECTOR_DATABASE_URL": url,
        "CONNECTOR_SECRET_KEY": secret_key,
        "CONNECTOR_INSTANCE_PATH": instance,
    }


def test_follows_a_bulk_job_to_the_end(app, client, auth, settings):
    """Each change is one line in a log; at the end the bad row says what to fix,
    and the exit status says a row failed."""
    rows = [
        {"from_number": "+14155550100", "to_number": f"+1415555012{n}"}
        for n in range(3)
    ] + [{"from_number": "+14155550100", "to_number": "4155550129"}]
    response = client.post(
        "/v1/actions/create-phone-calls", json={"rows": rows}, headers=auth
    )
    assert response.status_code == 202, response.get_json()
    job_id = response.get_json()["job_id"]
    services = app.extensions["connector"]
    bulk = BulkRunner(services.engine, services.keyring, services.retell, default_cps=5)
    process = command(
        environment_for(
            settings.database_url, settings.secret_key, settings.instance_path
        ),
        "job",
        job_id,
        "--key",
        API_KEY,
        "--follow",
        "--timeout",
        "30",
    )
    # The bad row failed when the job was made; nothing is placed until the
    # runner runs, which it does once the command has shown the start.
    first = process.stdout.readline()
    assert first == "1/4 rows finished: 0 placed, 1 failed, 3 waiting (running)\n"
    run_until_exit(process, bulk.run_once)
    out, err = process.communicate()
    lines = [first.strip(), *out.splitlines()]
    assert process.returncode == 1, err
    assert "4/4 rows finished: 3 placed, 1 failed, 0 waiting (done)" in lines
    assert lines[-1].startswith("row 3 failed: to_number:")
    assert "+1" in lines[-1]  # the message shows the expected form
    assert len(lines) == len(set(lines)), "a line is repeated when nothing changed"
    assert API_KEY not in out + err


def test_an_unknown_job_exits_2(settings, app):
    process = command(
        environment_for(
            settings.database_url, settings.secret_key, settings.instance_path
        ),
        "job",
        "job_nope",
        "--key",
        API_KEY,
    )
    out, err = process.communicate(timeout=30)
    assert process.returncode == 2
    assert "no job job_nope" in err


@pytest.fixture
def dead_letters(tmp_path):
    """The seeded store with the key's subscriptions pointed at a live receiver."""
    url = f"sqlite:///{tmp_path / 'connector.db'}"
    engine = database.connect(url)
    seeded = seed(engine)
    received = []
    receiver = Flask(__name__)

    @receiver.post("/")
    def hook():
        received.append(request.headers["webhook-id"])
        return "", 204

    with serving(receiver) as hook_url:
        with engine.begin() as conn:
            conn.execute(
                update(subscriptions)
                .where(subscriptions.c.account_id == seeded.mine)
                .values(target_url=hook_url + "/")
            )
        yield engine, environment_for(url, SECRET_KEY, str(tmp_path)), received
    engine.dispose()


def test_replay_follows_until_every_delivery_arrived(dead_letters):
    engine, environment, received = dead_letters
    worker = DeliveryWorker(
        engine,
        Keyring(SECRET_KEY),
        targets=TargetPolicy(
            allow_private=True, resolver=lambda _host, _port: ["127.0.0.1"]
        ),
    )
    process = command(environment, "replay", "--key", KEY, "--follow")
    run_until_exit(process, worker.run_once)
    out, err = process.communicate()
    assert process.returncode == 0, err
    assert "3/3 delivered, 0 waiting, 0 dead" in out.splitlines()
    assert {"msg_3", "msg_4", "msg_5"} <= set(received)


def test_replay_follow_times_out_with_the_rows_still_queued(dead_letters):
    _, environment, _ = dead_letters
    process = command(
        environment, "replay", "--key", KEY, "--follow", "--timeout", "1"
    )
    out, err = process.communicate(timeout=30)
    assert process.returncode == 1
    assert "0/3 delivered, 3 waiting, 0 dead" in out
    assert "3 not delivered yet" in err


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_gets_one_redrawn_line_with_a_bar():
    screen = Terminal()
    progress = Progress(4, screen)
    progress.show(1, "placed")
    progress.show(1, "placed")
    progress.show(4, "placed")
    progress.close()
    text = screen.getvalue()
    assert text.count("\r") == 2
    assert "[######..................] 1/4 placed" in text
    assert "[########################] 4/4 placed" in text
    assert text.endswith("\n")


def test_failed_rows_cannot_drive_the_terminal(client, auth, settings):
    """A row's own value quoted in its error shows escaped, not as a control code."""
    response = client.post(
        "/v1/actions/create-phone-calls",
        json={"rows": [{"from_number": "+14155550100", "to_number": "\x1b[2J415"}]},
        headers=auth,
    )
    assert response.status_code == 202, response.get_json()
    process = command(
        environment_for(
            settings.database_url, settings.secret_key, settings.instance_path
        ),
        "job",
        response.get_json()["job_id"],
        "--key",
        API_KEY,
    )
    out, err = process.communicate(timeout=30)
    assert process.returncode == 1, err
    assert "\x1b" not in out
    assert "\\x1b[2J415" in out
