"""The Retell client against a loopback stub: paths, retries, timeouts, secrecy."""

from __future__ import annotations

import logging

import pytest

from connector.errors import FatalError, RetriableError
from connector.retell.client import USER_AGENT
from connector.retell.errors import UpstreamError

from .conftest import API_KEY, Reply

CALL = {"call_id": "call_0001", "call_status": "registered"}


def create(client, **extra):
    body = {"from_number": "+14155550100", "to_number": "+14155550134", **extra}
    return client.create_phone_call(API_KEY, body)


@pytest.mark.parametrize(
    ("invoke", "method", "uri", "body"),
    [
        (lambda c: create(c), "POST", "/v2/create-phone-call", "create"),
        (lambda c: c.get_call(API_KEY, "call_1"), "GET", "/v2/get-call/call_1", None),
        (
            lambda c: c.list_calls(API_KEY, {"limit": 5}),
            "POST",
            "/v3/list-calls",
            {"limit": 5},
        ),
        (
            lambda c: c.get_phone_number(API_KEY, "+14155550100"),
            "GET",
            "/get-phone-number/%2B14155550100",
            None,
        ),
        (
            lambda c: c.update_phone_number(API_KEY, "+14155550100", {"nickname": "x"}),
            "PATCH",
            "/update-phone-number/%2B14155550100",
            {"nickname": "x"},
        ),
        (lambda c: c.get_concurrency(API_KEY), "GET", "/get-concurrency", None),
    ],
    ids=[
        "create_phone_call",
        "get_call",
        "list_calls",
        "get_phone_number",
        "update_phone_number",
        "get_concurrency",
    ],
)
def test_each_operation_uses_the_sdk_method_and_path(
    stub, make_client, invoke, method, uri, body
):
    """Each call goes to the SDK's path with bearer auth, JSON and our User-Agent."""
    stub.reply(Reply(200, {"ok": True}))

    assert invoke(make_client(stub.url)) == {"ok": True}

    (seen,) = stub.seen
    assert (seen.method, seen.uri) == (method, uri)
    assert seen.headers["Authorization"] == f"Bearer {API_KEY}"
    assert seen.headers["User-Agent"] == USER_AGENT
    assert seen.headers["Accept"] == "application/json"
    if body == "create":
        assert seen.json["to_number"] == "+14155550134"
    elif body is not None:
        assert seen.json == body


@pytest.mark.parametrize(
    ("call_id", "uri"),
    [
        ("call_1", "/v2/get-call/call_1"),
        ("a/b", "/v2/get-call/a%2Fb"),
        ("../get-concurrency", "/v2/get-call/..%2Fget-concurrency"),
        ("x?y=1#z", "/v2/get-call/x%3Fy%3D1%23z"),
        ("sp ace+plus", "/v2/get-call/sp%20ace%2Bplus"),
        ("ñ", "/v2/get-call/%C3%B1"),
    ],
    ids=["plain", "slash", "traversal", "query-and-fragment", "space-plus", "unicode"],
)
def test_path_parameters_stay_inside_their_segment(stub, make_client, call_id, uri):
    """A path parameter is percent-encoded so it cannot reach another endpoint."""
    stub.reply(Reply(200, CALL))

    make_client(stub.url).get_call(API_KEY, call_id)

    assert stub.seen[0].uri == uri


@pytest.mark.parametrize("call_id", ["", ".", ".."], ids=["empty", "dot", "dot-dot"])
def test_unsendable_ids_are_refused_before_sending(stub, make_client, call_id):
    """Empty and dot-segment ids would be normalised away, so they are refused."""
    with pytest.raises(FatalError) as caught:
        make_client(stub.url).get_call(API_KEY, call_id)

    assert (caught.value.status, caught.value.code) == (422, "validation_failed")
    assert stub.seen == []


def test_list_agents_follows_pagination(stub, make_client):
    """Pages are fetched with the previous pagination_key until has_more is false."""
    stub.reply(
        Reply(
            200,
            {"items": [{"agent_id": "a1"}], "has_more": True, "pagination_key": "k1"},
        ),
        Reply(200, {"items": [{"agent_id": "a2"}], "has_more": False}),
    )

    agents = make_client(stub.url).list_agents(API_KEY)

    assert [a["agent_id"] for a in agents] == ["a1", "a2"]
    assert [s.uri for s in stub.seen] == [
        "/v2/list-agents?limit=1000",
        "/v2/list-agents?limit=999&pagination_key=k1",
    ]
    assert [(s.method, s.json) for s in stub.seen] == [("POST", {}), ("POST", {})]


def test_list_agents_stops_at_the_limit(stub, make_client):
    """No further page is requested once ``limit`` items have been collected."""
    page = {
        "items": [{"agent_id": "a1"}, {"agent_id": "a2"}],
        "has_more": True,
        "pagination_key": "k1",
    }
    stub.reply(Reply(200, page))

    agents = make_client(stub.url).list_agents(API_KEY, limit=1)

    assert agents == [{"agent_id": "a1"}]
    assert len(stub.seen) == 1


def test_list_phone_numbers_stops_on_a_repeated_key(stub, make_client):
    """A pagination_key that comes back again ends the walk instead of looping."""
    page = {
        "items": [{"phone_number": "+14155550100"}],
        "has_more": True,
        "pagination_key": "same",
    }
    stub.reply(Reply(200, page), Reply(200, page))

    numbers = make_client(stub.url).list_phone_numbers(API_KEY)

    assert len(numbers) == 2
    assert [s.uri for s in stub.seen] == [
        "/v2/list-phone-numbers?limit=1000",
        "/v2/list-phone-numbers?limit=999&pagination_key=same",
    ]


def test_list_accepts_the_legacy_bare_array(stub, make_client):
    """A legacy bare-array answer is taken as the whole list."""
    stub.reply(Reply(200, [{"phone_number": "+14155550100"}]))

    assert make_client(stub.url).list_phone_numbers(API_KEY) == [
        {"phone_number": "+14155550100"}
    ]


@pytest.mark.parametrize(
    ("retry_after", "expected_sleep"),
    [("2", (2.0, 2.0)), (None, (0.005, 0.01))],
    ids=["with-retry-after", "without-retry-after"],
)
def test_create_retries_a_429_then_succeeds(
    stub, make_client, sleeps, retry_after, expected_sleep
):
    """A 429 means Retell placed nothing, so even a keyless create is retried."""
    headers = {"Retry-After": retry_after} if retry_after else {}
    stub.reply(
        Reply(429, {"status": "error", "message": "rate"}, headers), Reply(201, CALL)
    )

    assert create(make_client(stub.url)) == CALL

    assert len(stub.seen) == 2
    (slept,) = sleeps
    assert expected_sleep[0] <= slept <= expected_sleep[1]


def test_backoff_doubles_with_jitter(stub, make_client, sleeps):
    """Waits without Retry-After grow 1x, 2x, 4x the base, each jittered down."""
    stub.reply(*[Reply(503)] * 3, Reply(200, CALL))

    make_client(stub.url).get_call(API_KEY, "call_1")

    for slept, step in zip(sleeps, (0.01, 0.02, 0.04), strict=True):
        assert step / 2 <= slept <= step


def test_retries_stop_after_three_and_the_429_is_returned(stub, make_client, sleeps):
    """After three retries the 429 goes back with a default Retry-After."""
    stub.reply(*[Reply(429, {"status": "error", "message": "slow down"})] * 5)

    with pytest.raises(RetriableError) as caught:
        create(make_client(stub.url))

    assert len(stub.seen) == 4
    assert len(sleeps) == 3
    error = caught.value
    assert (error.status, error.code, error.retry_after) == (429, "rate_limited", 2)
    assert error.headers == {"Retry-After": "2"}


def test_a_retry_after_beyond_the_cap_is_handed_back(stub, make_client, sleeps):
    """A Retry-After longer than the cap is not waited for but passed on."""
    stub.reply(Reply(429, {}, {"Retry-After": "60"}))

    with pytest.raises(UpstreamError) as caught:
        make_client(stub.url).get_call(API_KEY, "call_1")

    assert len(stub.seen) == 1
    assert sleeps == []
    assert caught.value.retry_after == 60


def test_total_waiting_stays_within_max_wait(stub, make_client, sleeps):
    """Retries stop when the next wait would exceed the budget (platform timeouts)."""
    stub.reply(*[Reply(429, {}, {"Retry-After": "10"})] * 4)

    with pytest.raises(UpstreamError):
        make_client(stub.url, max_wait=15).get_call(API_KEY, "call_1")

    assert sleeps == [10.0]
    assert len(stub.seen) == 2


def test_create_without_key_is_not_retried_on_500(stub, make_client, sleeps):
    """A keyless create that got a 5xx may have placed the call: one request only."""
    stub.reply(Reply(500, {"status": "error", "message": "boom"}), Reply(201, CALL))

    with pytest.raises(RetriableError) as caught:
        create(make_client(stub.url))

    assert len(stub.seen) == 1
    assert sleeps == []
    assert (caught.value.status, caught.value.code) == (502, "upstream_unavailable")
    assert "may or may not have been placed" in caught.value.hint


def test_create_without_key_is_not_retried_after_a_read_timeout(stub, make_client):
    """A keyless create whose answer timed out is not sent again (field case B11)."""
    stub.reply(Reply(201, CALL, delay=5), Reply(201, CALL))

    with pytest.raises(RetriableError) as caught:
        create(make_client(stub.url, timeout=0.2))

    assert len(stub.seen) == 1
    assert (caught.value.status, caught.value.code) == (504, "upstream_timeout")


def test_create_without_key_is_not_retried_after_a_dropped_connection(
    dropper, make_client, sleeps
):
    """A connection lost after the request was sent is not retried for a create."""
    with pytest.raises(RetriableError) as caught:
        create(make_client(dropper.url))

    assert dropper.connections == 1
    assert sleeps == []
    assert caught.value.status == 502


def test_reads_are_retried_after_a_dropped_connection(dropper, make_client, sleeps):
    """A read whose connection dropped is sent again, up to three retries."""
    with pytest.raises(RetriableError):
        make_client(dropper.url).get_call(API_KEY, "call_1")

    assert dropper.connections == 4
    assert len(sleeps) == 3


@pytest.mark.parametrize(
    "invoke",
    [lambda c: create(c), lambda c: c.get_call(API_KEY, "call_1")],
    ids=["create", "get_call"],
)
def test_connection_refused_is_retried_then_reported(
    closed_port_url, make_client, sleeps, invoke
):
    """Nothing was sent when connecting failed, so even a keyless create retries."""
    with pytest.raises(RetriableError) as caught:
        invoke(make_client(closed_port_url))

    assert len(sleeps) == 3
    assert (caught.value.status, caught.value.code) == (502, "upstream_unavailable")


@pytest.mark.parametrize(
    "first",
    [Reply(500), Reply(201, CALL, delay=5)],
    ids=["500", "read-timeout"],
)
def test_create_with_idempotency_key_is_retried(stub, make_client, first):
    """With an idempotency_key Retell drops the repeat, so a create may retry."""
    stub.reply(first, Reply(201, CALL))

    call = create(make_client(stub.url, timeout=0.3), idempotency_key="row-42")

    assert call == CALL
    assert len(stub.seen) == 2
    assert stub.seen[0].body == stub.seen[1].body


def test_get_call_retries_a_503(stub, make_client):
    """Reads are retried on 5xx."""
    stub.reply(
        Reply(503, "<html>busy</html>", content_type="text/html"), Reply(200, CALL)
    )

    assert make_client(stub.url).get_call(API_KEY, "call_1") == CALL
    assert len(stub.seen) == 2


@pytest.mark.parametrize("status", [400, 401, 402, 403, 404, 422])
@pytest.mark.parametrize(
    "invoke",
    [
        lambda c: create(c, idempotency_key="k"),
        lambda c: c.get_call(API_KEY, "call_1"),
        lambda c: c.list_agents(API_KEY),
    ],
    ids=["create", "get_call", "list_agents"],
)
def test_client_errors_are_never_retried(stub, make_client, sleeps, status, invoke):
    """A 4xx other than 429 fails the same way again, so it is sent once."""
    stub.reply(Reply(status, {"status": "error", "message": "no"}), Reply(200, CALL))

    with pytest.raises(FatalError):
        invoke(make_client(stub.url))

    assert len(stub.seen) == 1
    assert sleeps == []


@pytest.mark.parametrize(
    "reply",
    [
        Reply(200, "not json", content_type="text/plain"),
        Reply(200, [1, 2]),
        Reply(302, "", {"Location": "http://127.0.0.1:1/elsewhere"}),
    ],
    ids=["not-json", "not-an-object", "redirect"],
)
def test_unusable_success_answers_are_upstream_errors(stub, make_client, reply):
    """An answer the operation cannot use is a 502, and redirects are not followed."""
    stub.reply(reply)

    with pytest.raises(UpstreamError) as caught:
        make_client(stub.url).get_call(API_KEY, "call_1")

    assert (caught.value.status, caught.value.code) == (
        502,
        "upstream_invalid_response",
    )
    assert len(stub.seen) == 1


@pytest.mark.parametrize(
    "api_key",
    ["", "key with space", "key\r\nX-Evil: 1", "kéy"],
    ids=["empty", "space", "header-injection", "non-ascii"],
)
def test_a_malformed_api_key_is_refused_without_echoing_it(stub, make_client, api_key):
    """A key that cannot be a header value is a 401 that does not repeat the key."""
    with pytest.raises(FatalError) as caught:
        make_client(stub.url).get_call(api_key, "call_1")

    assert (caught.value.status, caught.value.code) == (401, "unauthorized")
    if api_key:
        assert api_key not in str(caught.value)
    assert stub.seen == []


@pytest.mark.parametrize(
    "reply",
    [
        Reply(400, {"status": "error", "message": f"bad key {API_KEY} here"}),
        Reply(401, {"status": "error", "message": f"Invalid API key: {API_KEY}"}),
        Reply(500, {"status": "error", "message": API_KEY}),
        Reply(201, CALL, delay=5),
    ],
    ids=["400-echo", "401-echo", "500-echo", "timeout"],
)
def test_the_api_key_never_appears_in_errors_or_logs(stub, make_client, caplog, reply):
    """Neither the exception's text, repr, extra nor any log record holds the key."""
    stub.reply(reply)
    caplog.set_level(logging.DEBUG)

    with pytest.raises(UpstreamError) as caught:
        create(make_client(stub.url, timeout=0.2))

    error = caught.value
    shown = [str(error), repr(error), str(error.extra), str(error.headers)]
    shown += [record.getMessage() for record in caplog.records]
    assert all(API_KEY not in text for text in shown)
    assert stub.seen[0].headers["Authorization"] == f"Bearer {API_KEY}"


def test_one_log_line_per_attempt_names_the_template(stub, make_client, caplog):
    """Each attempt logs method, path template, status and attempt, not the id."""
    stub.reply(Reply(503), Reply(200, CALL))
    caplog.set_level(logging.INFO, logger="connector.retell.client")

    make_client(stub.url).get_call(API_KEY, "call_secret_id")

    lines = [
        r.getMessage() for r in caplog.records if r.name == "connector.retell.client"
    ]
    assert len(lines) == 2
    assert lines[0].startswith("retell GET /v2/get-call/{call_id} -> 503 in ")
    assert lines[1].endswith("(attempt 2)")
    assert all("call_secret_id" not in line for line in lines)


def test_one_call_never_outlasts_its_time_budget():
    """Retries of a create that keeps timing out stop at the call's total budget
    (below gunicorn's worker timeout), as a 504."""
    import time as time_module

    from connector.retell.client import RetellClient
    from connector.retell.errors import UpstreamError
    from tests.conftest import serving

    def slow(environ, start_response):
        time_module.sleep(0.6)
        start_response("201 Created", [("Content-Type", "application/json")])
        return [b'{"call_id": "call_slow"}']

    with serving(slow) as url:
        client = RetellClient(url, timeout=0.3, total_timeout=1.5, backoff_base=0.01)
        started = time_module.monotonic()
        with pytest.raises(UpstreamError) as caught:
            client.create_phone_call(
                "key_test_0000",
                {
                    "from_number": "+14155550100",
                    "to_number": "+14155550123",
                    "idempotency_key": "k1",
                },
            )
        elapsed = time_module.monotonic() - started
    assert caught.value.status == 504
    assert elapsed < 2.0


def test_retries_of_a_create_take_a_pacing_slot_each():
    """before_retry runs before every repeated attempt, never before the first."""
    from connector.retell.client import RetellClient
    from tests.conftest import serving

    answers = [429, 429, 201]

    def limited(environ, start_response):
        status = answers.pop(0)
        start_response(f"{status} X", [("Content-Type", "application/json")])
        return [b'{"call_id": "call_p"}' if status == 201 else b'{"message": "x"}']

    paced = []
    with serving(limited) as url:
        client = RetellClient(url, backoff_base=0.01)
        call = client.create_phone_call(
            "key_test_0000",
            {"from_number": "+1", "to_number": "+2"},
            before_retry=lambda: paced.append(1),
        )
    assert call["call_id"] == "call_p"
    assert len(paced) == 2
