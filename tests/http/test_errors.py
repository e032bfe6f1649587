"""Every failure is a problem document a no-code user can act on; never a 500."""

from __future__ import annotations

import pytest

URL = "/v1/actions/create-phone-call"
BODY = {"from_number": "+14155550100", "to_number": "+14155550134"}


def problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["code"] == code
    assert {"type", "title", "status", "detail"} <= body.keys()
    assert body["status"] == status
    return body


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Basic a2V5OnNlY3JldA==",
        "Bearer two words",
        "key_test_0000",
    ],
    ids=["missing", "empty", "no-key", "blank-key", "basic", "spaces", "no-scheme"],
)
def test_missing_or_malformed_key_is_401(client, header):
    """No usable Bearer key: 401 that says where the key goes."""
    headers = {} if header is None else {"Authorization": header}
    body = problem(client.post(URL, json=BODY, headers=headers), 401, "unauthorized")
    assert "Bearer" in body["detail"]


def test_key_retell_rejects_is_401_with_a_hint(client):
    """B19: Retell's 401 comes back as 401, without echoing the key."""
    response = client.post(
        URL, json=BODY, headers={"Authorization": "Bearer key_not_known_1"}
    )
    body = problem(response, 401, "unauthorized")
    assert "key_not_known_1" not in response.get_data(as_text=True)
    assert body["detail"]


@pytest.mark.parametrize(
    ("to_number", "status", "code"),
    [
        ("+14155550179", 429, "rate_limited"),
        ("+14155550177", 502, "upstream_unavailable"),
    ],
    ids=["retell-429", "retell-500"],
)
def test_upstream_failures_keep_their_class(app, client, auth, to_number, status, code):
    """B19/B10: Retell's 429 stays 429 with Retry-After; its 5xx becomes 502."""
    response = client.post(URL, json={**BODY, "to_number": to_number}, headers=auth)
    problem(response, status, code)
    if status == 429:
        assert int(response.headers["Retry-After"]) >= 1


def test_number_not_owned_passes_retells_message_through(client, auth):
    """B19: a from_number the account does not own fails loudly with Retell's words."""
    response = client.post(
        URL, json={**BODY, "from_number": "+14155550142"}, headers=auth
    )
    assert 400 <= response.status_code < 500
    body = response.get_json()
    assert body["code"] in ("upstream_rejected", "not_found")
    assert body["detail"]


def test_number_without_outbound_agent_is_a_clear_4xx(client, auth):
    """B19: no agent bound to the number is Retell's 400, passed on, not silence."""
    response = client.post(
        URL, json={**BODY, "from_number": "+14155550109"}, headers=auth
    )
    body = problem(response, 400, "upstream_rejected")
    assert "agent" in body["detail"].lower()


def test_unknown_call_is_404(client, auth):
    """get-call with an id Retell does not know is a 404 (Retell says 422)."""
    response = client.post(
        "/v1/actions/get-call", json={"call_id": "call_nope"}, headers=auth
    )
    problem(response, 404, "not_found")


def test_unknown_action_is_404(client, auth):
    """A typo in the action key names the actions that exist."""
    body = problem(
        client.post("/v1/actions/create-call", json={}, headers=auth), 404, "not_found"
    )
    assert "create-phone-call" in body["detail"]


def test_unknown_route_and_method_are_problems(client, auth):
    """Werkzeug's own 404 and 405 come back as problem documents too."""
    problem(client.get("/nowhere"), 404, "not_found")
    problem(client.get(URL, headers=auth), 405, "method_not_allowed")


def test_unknown_field_is_named(client, auth):
    """A field the action does not have is a 422 naming it (a mapper typo)."""
    response = client.post(URL, json={**BODY, "to_numbr": "+14155550134"}, headers=auth)
    body = problem(response, 422, "validation_failed")
    assert "to_numbr" in {error["field"] for error in body["errors"]}


def test_missing_required_fields_are_all_listed(client, auth):
    """An empty body lists every required field at once."""
    body = problem(client.post(URL, json={}, headers=auth), 422, "validation_failed")
    assert {"from_number", "to_number"} <= {e["field"] for e in body["errors"]}


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        (b'{"from_number": "+1415', "application/json"),
        (b"\xff\xfe{}", "application/json"),
        (b"[1, 2]", "application/json"),
        (b'"text"', "application/json"),
        (b"null", "application/json"),
    ],
    ids=["truncated", "not-utf8", "array", "string", "null"],
)
def test_malformed_bodies_are_4xx(client, auth, data, content_type):
    """Bodies that are not a JSON object get a 4xx problem, never a 500."""
    response = client.post(URL, data=data, content_type=content_type, headers=auth)
    assert 400 <= response.status_code < 500
    assert response.mimetype == "application/problem+json"


def test_json_with_charset_and_odd_case_is_accepted(client, auth, simulator):
    """B24: 'Application/JSON; charset=utf-8' from n8n is plain JSON."""
    response = client.post(
        URL,
        data=b'{"from_number":"+14155550105","to_number":"+14155550106"}',
        content_type="Application/JSON; charset=utf-8",
        headers=auth,
    )
    assert response.status_code == 201, response.get_json()


def test_form_body_maps_to_the_same_fields(client, auth, simulator):
    """B24: Make's form body type gives the same call."""
    response = client.post(
        URL,
        data="from_number=%2B14155550105&to_number=%2B14155550106",
        content_type="application/x-www-form-urlencoded",
        headers=auth,
    )
    assert response.status_code == 201, response.get_json()
    assert simulator.creates()[-1]["body"]["to_number"] == "+14155550106"


def test_other_charsets_are_415(client, auth):
    """B24: a body declared in another charset is refused, naming UTF-8."""
    response = client.post(
        URL, data=b"{}", content_type="application/json; charset=latin-1", headers=auth
    )
    body = problem(response, 415, "unsupported_charset")
    assert "UTF-8" in body["detail"]


def test_other_media_types_are_415(client, auth):
    """XML or plain text is a 415 that names application/json."""
    response = client.post(URL, data=b"<call/>", content_type="text/xml", headers=auth)
    body = problem(response, 415, "unsupported_media_type")
    assert "application/json" in body["detail"]


def test_oversized_body_is_413(client, auth):
    """A body over the limit is a 413 problem, not memory spent."""
    response = client.post(
        URL,
        data=b"{" + b" " * (5 * 1024 * 1024) + b"}",
        content_type="application/json",
        headers=auth,
    )
    problem(response, 413, "payload_too_large")


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        (
            "post",
            "/v1/triggers/call_ended/subscriptions",
            {"target_url": "https://a.b/"},
        ),
        ("put", "/v1/me/pacing", {"provider": "twilio", "cps": 1}),
        ("get", "/v1/deliveries", None),
    ],
)
def test_a_database_that_cannot_be_used_is_a_503_to_retry(
    app, client, auth, tmp_path, method, path, body
):
    """Field case B25 for every route: a passing database failure says "retry"
    (503 with Retry-After), never 500, and shows no SQL."""
    from sqlalchemy import create_engine

    client.get("/v1/me", headers=auth)  # the account is known before the outage
    services = app.extensions["connector"]
    services.engine.dispose()
    services.engine = create_engine(f"sqlite:///{tmp_path / 'gone' / 'x.db'}")
    response = getattr(client, method)(path, json=body, headers=auth)
    services.engine.dispose()
    assert response.status_code == 503, response.get_json()
    problem = response.get_json()
    assert problem["code"] == "database_unavailable"
    assert response.headers["Retry-After"] == "5"
    assert "sqlite" not in problem["detail"].lower()


def test_a_webhook_the_database_cannot_take_is_a_503_retell_retries(
    app, client, auth, tmp_path
):
    """B25 on the receiver: the shared 503 with Retry-After, so Retell resends."""
    from sqlalchemy import create_engine

    client.get("/v1/me", headers=auth)
    services = app.extensions["connector"]
    account = next(iter(services.known_accounts))
    services.engine.dispose()
    services.engine = create_engine(f"sqlite:///{tmp_path / 'gone' / 'x.db'}")
    response = client.post(
        f"/v1/webhooks/retell/{account}",
        data=b'{"event": "call_ended", "call": {"call_id": "call_b25"}}',
        content_type="application/json",
        headers={"X-Retell-Signature": "v=1,d=00"},
    )
    services.engine.dispose()
    assert response.status_code == 503
    assert response.get_json()["code"] == "database_unavailable"
    assert response.headers["Retry-After"] == "5"
