"""Bulk calls: one request, a job paced to CPS, per-row results, crash-safe."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import update

from connector.bulk import runner as runner_module
from connector.bulk.runner import BulkRunner
from connector.store import jobs
from connector.store.tables import job_rows
from tests.conftest import OTHER_KEY

pytestmark = pytest.mark.both_databases

URL = "/v1/actions/create-phone-calls"


def row(to_number: str, **fields) -> dict:
    return {"from_number": "+14155550100", "to_number": to_number, **fields}


def runner(app) -> BulkRunner:
    services = app.extensions["connector"]
    retell = services.retell
    return BulkRunner(services.engine, services.keyring, retell, default_cps=5.0)


def drain(app, limit: int = 50) -> None:
    """Run the job runner until nothing is due (retries made due at once)."""
    bulk = runner(app)
    for _ in range(limit):
        with app.extensions["connector"].engine.begin() as conn:
            conn.execute(update(job_rows).values(next_attempt_at=0))
        if not bulk.run_once():
            return


def job(client, auth, job_id: str) -> dict:
    response = client.get(f"/v1/jobs/{job_id}", headers=auth)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_rows_become_calls_and_bad_rows_fail_alone(app, client, auth, simulator):
    """A sheet with one bad row: 202 at once, three calls, the bad row explained."""
    response = client.post(
        URL,
        headers=auth,
        json={
            "rows": [
                row("+14155550123", metadata={"row_id": 1}),
                row("(415) 555-0124"),
                row("+14155550125", retell_llm_dynamic_variables={"n": 5}),
                row("+14155550126"),
            ]
        },
    )
    assert response.status_code == 202, response.get_json()
    started = response.get_json()
    assert started["counts"] == {"done": 0, "failed": 1, "pending": 3}
    assert simulator.creates() == []
    drain(app)
    final = job(client, auth, started["job_id"])
    assert final["status"] == "done"
    assert final["counts"] == {"done": 3, "failed": 1, "pending": 0}
    assert final["eta_seconds"] == 0
    bad = final["rows"][1]
    assert bad["status"] == "failed" and bad["errors"][0]["field"] == "to_number"
    assert all(r["call_id"] for r in final["rows"] if r["status"] == "done")
    sent = [c["body"] for c in simulator.creates()]
    assert [b["to_number"] for b in sent] == [
        "+14155550123",
        "+14155550125",
        "+14155550126",
    ]
    assert sent[1]["retell_llm_dynamic_variables"] == {"n": "5"}


def test_rows_are_paced_to_the_accounts_cps(app, client, auth, simulator):
    """Rows reach Retell no faster than the account's CPS."""
    client.put("/v1/me/pacing", json={"provider": "twilio", "cps": 2}, headers=auth)
    client.post(
        URL,
        headers=auth,
        json={"rows": [row(f"+1415555013{index}") for index in range(4)]},
    )
    drain(app)
    arrivals = [item["at_ms"] for item in simulator.creates()]
    gaps = [b - a for a, b in itertools.pairwise(arrivals)]
    assert len(arrivals) == 4 and min(gaps) >= 480, gaps


def test_a_row_interrupted_after_sending_is_not_called_twice(
    app, client, auth, simulator
):
    """A runner that died after Retell took the row leaves it to the next one,
    which re-sends the same key: one call, and the row done with it."""
    services = app.extensions["connector"]
    started = client.post(
        URL, headers=auth, json={"rows": [row("+14155550140")]}
    ).get_json()
    taken = jobs.claim(services.engine, lease_ms=60_000)
    placed = services.retell.create_phone_call("key_test_0000", taken.input)
    # ... and the runner dies here, before recording the result.
    assert runner(app).run_once() is False  # still leased
    with services.engine.begin() as conn:
        conn.execute(update(job_rows).values(lease_until=0))
    assert runner(app).run_once() is True
    final = job(client, auth, started["job_id"])
    assert final["rows"][0]["call_id"] == placed["call_id"]
    assert len(simulator.calls()) == 1


def test_rate_limited_rows_are_retried(app, client, auth, simulator):
    """Retell's 429 on a row is retried until the row is placed."""
    started = client.post(
        URL, headers=auth, json={"rows": [row("+14155550178")]}
    ).get_json()
    drain(app)
    final = job(client, auth, started["job_id"])
    assert final["rows"][0]["status"] == "done"


def test_rows_retell_keeps_failing_end_failed(app, client, auth, simulator):
    """A row that gets 5xx every time fails after its attempts, with the reason."""
    started = client.post(
        URL, headers=auth, json={"rows": [row("+14155550177")]}
    ).get_json()
    drain(app)
    final = job(client, auth, started["job_id"])
    assert final["rows"][0]["status"] == "failed"
    assert final["rows"][0]["attempts"] == runner_module.MAX_ATTEMPTS
    assert final["rows"][0]["errors"][0]["code"] == "upstream_unavailable"


def test_rows_retell_refuses_fail_at_once(app, client, auth, simulator):
    """Retell's 4xx on a row (no outbound agent) fails it with Retell's words."""
    started = client.post(
        URL,
        headers=auth,
        json={"rows": [{"from_number": "+14155550109", "to_number": "+14155550123"}]},
    ).get_json()
    drain(app)
    final = job(client, auth, started["job_id"])
    assert final["rows"][0]["status"] == "failed"
    assert final["rows"][0]["attempts"] == 1
    assert "agent" in final["rows"][0]["errors"][0]["message"].lower()


def test_a_foreign_destination_row_fails_before_anything_is_sent(
    client, auth, simulator
):
    """The Retell-number country rule applies to each row."""
    started = client.post(
        URL, headers=auth, json={"rows": [row("+442079460123")]}
    ).get_json()
    assert started["counts"]["failed"] == 1
    assert "same country" in started["rows"][0]["errors"][0]["message"]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"rows": []},
        {"rows": "a,b"},
        {"rows": [row("+14155550123")] * 1001},
    ],
    ids=["missing", "empty", "text", "too-many"],
)
def test_unusable_batches_are_422(client, auth, body):
    """A body without 1 to 1000 row objects is refused whole."""
    response = client.post(URL, json=body, headers=auth)
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"].startswith("rows")


def test_jobs_belong_to_their_account(client, auth):
    """Another key cannot read the job."""
    started = client.post(
        URL, headers=auth, json={"rows": [row("+14155550123")]}
    ).get_json()
    other = client.get(
        f"/v1/jobs/{started['job_id']}",
        headers={"Authorization": f"Bearer {OTHER_KEY}"},
    )
    assert other.status_code == 404


def test_a_batch_resent_with_its_key_is_the_same_job(client, auth):
    """The Idempotency-Key of a batch gives the first job again."""
    headers = {**auth, "Idempotency-Key": "sheet-2026-12-04"}
    body = {"rows": [row("+14155550123")]}
    first = client.post(URL, json=body, headers=headers)
    again = client.post(URL, json=body, headers=headers)
    assert first.status_code == again.status_code == 202
    assert again.get_json()["job_id"] == first.get_json()["job_id"]


def test_rows_repeating_an_idempotency_key_fail_on_their_row(client, auth):
    """Two rows with one key would be one call for two people: the repeat fails."""
    started = client.post(
        URL,
        headers=auth,
        json={
            "rows": [
                row("+14155550128", idempotency_key="dupkey"),
                row("+14155550129", idempotency_key="dupkey"),
            ]
        },
    ).get_json()
    assert [r["status"] for r in started["rows"]] == ["pending", "failed"]
    error = started["rows"][1]["errors"][0]
    assert error["field"] == "idempotency_key" and "row 0" in error["message"]


def test_a_row_that_is_not_an_object_fails_alone(client, auth):
    """A stray value among the rows fails that row, not the batch."""
    response = client.post(
        URL,
        headers=auth,
        json={
            "rows": [
                row("+14155550123"),
                "not an object",
                7,
            ]
        },
    )
    assert response.status_code == 202
    statuses = [r["status"] for r in response.get_json()["rows"]]
    assert statuses == ["pending", "failed", "failed"]
