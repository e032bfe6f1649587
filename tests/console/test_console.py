"""The operator console: sign-in, one account's data only, CSRF, and no key shown."""

from __future__ import annotations

import base64
import json
import os
import re
import zlib
from pathlib import Path

import pytest
from sqlalchemy import select, update
from werkzeug.wrappers import Request, Response

from connector.delivery.worker import DeliveryWorker
from connector.http import console
from connector.retell.signatures import sign
from connector.store import jobs as job_queries
from connector.store.tables import outbox
from tests.conftest import API_KEY, OTHER_KEY, serving

NOW_MS = 1767225660000
CHROMIUM = "/usr/bin/chromium"
#: Nothing of Chromium's own may reach the network: only the console on loopback.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


class FailingHook:
    """A hook receiver that answers 500 to everything, like a broken scenario."""

    def __call__(self, environ, start_response):
        Request(environ).get_data()
        return Response(status=500)(environ, start_response)


@pytest.fixture
def console_app(app):
    # The lead registers the blueprint in create_app; until then the tests do.
    if "console" not in app.blueprints:
        app.register_blueprint(console.bp)
    app.extensions["connector"].clock = lambda: NOW_MS
    return app


@pytest.fixture
def browser_client(console_app):
    return console_app.test_client()


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def sign_in(client, key: str = API_KEY):
    token = csrf_of(client.get("/console").get_data(as_text=True))
    return client.post("/console/sign-in", data={"csrf": token, "api_key": key})


def account_of(app, key: str) -> str:
    return app.extensions["connector"].keyring.account_id(key)


def subscribe(client, key: str, url: str) -> dict:
    response = client.post(
        "/v1/triggers/call_ended/subscriptions",
        json={"target_url": url},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code in (200, 201), response.get_json()
    return response.get_json()


def call_ended(client, account_id: str, key: str, call_id: str) -> None:
    body = {"event": "call_ended", "call": {"call_id": call_id, "call_status": "ended"}}
    raw = json.dumps(body, separators=(",", ":")).encode()
    response = client.post(
        f"/v1/webhooks/retell/{account_id}",
        data=raw,
        content_type="application/json",
        headers={"x-retell-signature": sign(raw, key, NOW_MS)},
    )
    assert response.status_code == 200, response.get_json()


def dead_letter(app, client, key: str, hook_url: str, call_id: str) -> dict:
    """Subscribe a failing hook, receive one event, fail once, and give it up."""
    subscription = subscribe(client, key, hook_url)
    call_ended(client, account_of(app, key), key, call_id)
    services = app.extensions["connector"]
    DeliveryWorker(
        services.engine, services.keyring, targets=services.targets
    ).run_once()
    with services.engine.begin() as conn:
        # Exhausting every backoff would take minutes; the state is what matters.
        conn.execute(
            update(outbox)
            .where(outbox.c.subscription_id == subscription["id"])
            .values(state="dead", finished_at=NOW_MS)
        )
    return subscription


def state_of(app, subscription_id: str) -> str:
    with app.extensions["connector"].engine.connect() as conn:
        return conn.execute(
            select(outbox.c.state).where(outbox.c.subscription_id == subscription_id)
        ).scalar_one()


def cookie_payload(raw: str) -> str:
    """The readable part of an itsdangerous token (it is signed, not encrypted)."""
    compressed = raw.startswith(".")
    body = raw.lstrip(".").split(".")[0]
    data = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    return (zlib.decompress(data) if compressed else data).decode()


def test_console_shows_the_sign_in_form(browser_client):
    """GET /console without a session offers the API key field and a CSRF token."""
    response = browser_client.get("/console")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<label for="api_key">Retell API key</label>' in html
    assert csrf_of(html)


def test_an_accepted_key_signs_in_to_the_overview(browser_client, console_app):
    """A key Retell accepts leads to its account's overview."""
    response = sign_in(browser_client)
    assert response.status_code == 303
    page = browser_client.get("/console").get_data(as_text=True)
    assert account_of(console_app, API_KEY) in page
    assert "Dead letters" in page and "Sign out" in page


@pytest.mark.parametrize(
    ("key", "status", "message"),
    [
        ("", 422, "That is not a Retell API key"),
        ("key with spaces", 422, "That is not a Retell API key"),
        ("key_nobody_has_0000", 403, "Retell did not accept this key"),
    ],
    ids=["empty", "pasting-mistake", "unknown-to-retell"],
)
def test_a_refused_key_is_explained_on_the_form(browser_client, key, status, message):
    """A bad key re-shows the form with a reason, never the key, and no session."""
    response = sign_in(browser_client, key)
    html = response.get_data(as_text=True)
    assert response.status_code == status
    assert message in html and 'name="api_key"' in html
    assert not key or key not in html
    assert "Sign out" not in browser_client.get("/console").get_data(as_text=True)


def test_an_unreachable_retell_is_a_message_not_a_500(console_app, simulator):
    """When Retell cannot check the key the form says so, with a 503."""
    services = console_app.extensions["connector"]
    services.retell.base_url = "http://127.0.0.1:9"
    services.retell.max_retries = 0
    response = sign_in(console_app.test_client())
    assert response.status_code == 503
    assert "could not be reached" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("base_url", "secure"),
    [("http://localhost", False), ("https://localhost", True)],
    ids=["http", "https"],
)
def test_session_cookie_is_flagged_and_holds_no_key(console_app, base_url, secure):
    """The cookie is HttpOnly, SameSite=Lax, Secure on https, and has no key in it."""
    client = console_app.test_client()
    token = csrf_of(client.get("/console", base_url=base_url).get_data(as_text=True))
    response = client.post(
        "/console/sign-in",
        data={"csrf": token, "api_key": API_KEY},
        base_url=base_url,
    )
    header = response.headers["Set-Cookie"]
    value = header.split(";")[0].split("=", 1)[1]
    assert "HttpOnly" in header and "SameSite=Lax" in header
    assert ("Secure" in header) is secure
    assert API_KEY not in header and API_KEY not in cookie_payload(value)
    assert account_of(console_app, API_KEY) in cookie_payload(value)


def test_a_tampered_cookie_is_not_a_session(browser_client, console_app):
    """A cookie naming another account without the service's signature is ignored."""
    sign_in(browser_client)
    forged = json.dumps({"account": account_of(console_app, OTHER_KEY), "csrf": "x"})
    browser_client.set_cookie(
        console.COOKIE,
        base64.urlsafe_b64encode(forged.encode()).decode() + ".AAAA.BBBB",
        path="/console",
    )
    html = browser_client.get("/console").get_data(as_text=True)
    assert 'name="api_key"' in html


def test_pages_show_no_key_secret_or_hook_url(console_app, browser_client, client):
    """Neither the API key, a subscription secret nor a hook's full URL is shown."""
    with serving(FailingHook()) as hook_url:
        target = f"{hook_url}/hooks/catch/1/capability-part/"
        subscription = dead_letter(console_app, client, API_KEY, target, "call_k")
    sign_in(browser_client)
    html = browser_client.get("/console").get_data(as_text=True)
    assert "call_k" in html and subscription["id"] in html
    assert API_KEY not in html
    assert subscription["secret"] not in html
    assert "capability-part" not in html


def test_another_accounts_data_never_shows(console_app, browser_client, client):
    """Signed in as one account, nothing of another account's calls or hooks shows."""
    client.get(
        "/v1/triggers/call_ended/events",
        headers={"Authorization": f"Bearer {OTHER_KEY}"},
    )
    with serving(FailingHook()) as hook_url:
        theirs = dead_letter(console_app, client, OTHER_KEY, hook_url, "call_theirs")
        ours = dead_letter(console_app, client, API_KEY, hook_url, "call_ours")
    job_queries.create(
        console_app.extensions["connector"].engine,
        account_of(console_app, OTHER_KEY),
        [(None, [{"field": "to_number", "message": "missing"}])],
    )
    sign_in(browser_client)
    html = browser_client.get("/console").get_data(as_text=True)
    assert "call_ours" in html and ours["id"] in html
    assert "call_theirs" not in html and theirs["id"] not in html
    assert account_of(console_app, OTHER_KEY) not in html
    assert "No bulk jobs yet." in html


def test_replay_refuses_another_accounts_dead_letter(
    console_app, browser_client, client
):
    """Replaying a message id of another account changes nothing there."""
    client.get(
        "/v1/triggers/call_ended/events",
        headers={"Authorization": f"Bearer {OTHER_KEY}"},
    )
    with serving(FailingHook()) as hook_url:
        theirs = dead_letter(console_app, client, OTHER_KEY, hook_url, "call_x")
    with console_app.extensions["connector"].engine.connect() as conn:
        message_id = conn.execute(select(outbox.c.message_id)).scalar_one()
    sign_in(browser_client)
    token = csrf_of(browser_client.get("/console").get_data(as_text=True))
    response = browser_client.post(
        f"/console/deliveries/{message_id}/replay", data={"csrf": token}
    )
    assert response.status_code == 303 and "not-dead" in response.location
    assert state_of(console_app, theirs["id"]) == "dead"


def test_replay_queues_the_dead_letter_again(console_app, browser_client, client):
    """The Replay form puts an own dead letter back to pending."""
    with serving(FailingHook()) as hook_url:
        ours = dead_letter(console_app, client, API_KEY, hook_url, "call_r")
    sign_in(browser_client)
    html = browser_client.get("/console").get_data(as_text=True)
    action = re.search(r'action="(/console/deliveries/[^"]+/replay)"', html).group(1)
    response = browser_client.post(action, data={"csrf": csrf_of(html)})
    assert response.status_code == 303
    assert state_of(console_app, ours["id"]) == "pending"
    assert "queued again" in browser_client.get(response.location).get_data(
        as_text=True
    )


@pytest.mark.parametrize(
    "token", [None, "", "not-the-token"], ids=["missing", "empty", "wrong"]
)
@pytest.mark.parametrize(
    "path", ["/console/sign-in", "/console/sign-out", "replay"], ids=str
)
def test_forms_without_the_sessions_token_are_refused(
    console_app, browser_client, client, token, path
):
    """A POST without the session's CSRF token is a 403 and does nothing."""
    with serving(FailingHook()) as hook_url:
        ours = dead_letter(console_app, client, API_KEY, hook_url, "call_c")
    sign_in(browser_client)
    html = browser_client.get("/console").get_data(as_text=True)
    if path == "replay":
        path = re.search(r'action="(/console/deliveries/[^"]+/replay)"', html)[1]
    form = {"api_key": API_KEY} if token is None else {"csrf": token}
    response = browser_client.post(path, data=form)
    assert response.status_code == 403
    assert "This form has expired" in response.get_data(as_text=True)
    assert state_of(console_app, ours["id"]) == "dead"
    assert "Sign out" in browser_client.get("/console").get_data(as_text=True)


def test_sign_out_ends_the_session(browser_client):
    """After signing out the console asks for a key again."""
    sign_in(browser_client)
    token = csrf_of(browser_client.get("/console").get_data(as_text=True))
    response = browser_client.post("/console/sign-out", data={"csrf": token})
    assert response.status_code == 303
    html = browser_client.get(response.location).get_data(as_text=True)
    assert 'name="api_key"' in html and "You are signed out." in html


def test_bulk_jobs_show_their_progress(console_app, browser_client):
    """A job with one row failed and one pending shows 50% and both counts."""
    job_id = job_queries.create(
        console_app.extensions["connector"].engine,
        account_of(console_app, API_KEY),
        [
            (None, [{"field": "to_number", "message": "missing"}]),
            ({"from_number": "+14155550100", "to_number": "+14155550101"}, []),
        ],
    )
    sign_in(browser_client)
    html = browser_client.get("/console").get_data(as_text=True)
    assert job_id in html
    assert "0 done, 1 failed, 1 pending" in html
    assert 'value="50"' in html


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "https://hooks.zapier.com/hooks/catch/123/abcdef/",
            "https://hooks.zapier.com/…cdef",
        ),
        (
            "https://hook.eu1.make.com/xyz123?token=s3cret",
            "https://hook.eu1.make.com/…z123",
        ),
    ],
    ids=["zapier", "make-with-query"],
)
def test_hook_urls_are_masked(url, expected):
    """Only the host and the path's last four characters of a hook URL are shown."""
    assert console.masked_target(url) == expected


@pytest.mark.timeout(60)
def test_an_operator_replays_a_dead_letter_in_chromium(console_app, client, tmp_path):
    """In a real browser: sign in, see the call, press Replay, see it pending.

    The screenshots go to CONNECTOR_SCREENSHOTS if set: the README's pictures of
    the console are made this way (``CONNECTOR_SCREENSHOTS=docs``)."""
    shots = Path(os.environ.get("CONNECTOR_SCREENSHOTS") or tmp_path)
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install -y chromium)")
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright is not installed (pip install)"
    )
    with serving(FailingHook()) as hook_url:
        dead_letter(console_app, client, API_KEY, hook_url, "call_seen_in_chromium")
    with serving(console_app) as base, sync_api.sync_playwright() as driver:
        browser = driver.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 375, "height": 812},
        )
        try:
            browser.route(
                "**/*",
                lambda route: (
                    route.continue_()
                    if route.request.url.startswith(base)
                    else route.abort()
                ),
            )
            page = browser.new_page()
            page.goto(f"{base}/console")
            page.get_by_label("Retell API key").fill(API_KEY)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(f"{base}/console")
            assert page.get_by_text("call_seen_in_chromium").count() >= 1
            page.screenshot(path=shots / "console-phone.png", full_page=True)

            page.get_by_role("button", name="Replay call_seen_in_chromium").click()
            page.wait_for_url("**/console?notice=replayed#dead-letters")
            assert (
                page.get_by_role("status")
                .inner_text()
                .startswith("The dead letter is queued again")
            )
            assert page.locator("#deliveries td.state").all_inner_texts() == ["pending"]
            assert page.get_by_text("No dead letters.").is_visible()
            page.set_viewport_size({"width": 1280, "height": 900})
            page.screenshot(path=shots / "console-desktop.png", full_page=True)
            assert API_KEY not in page.content()
        finally:
            browser.close()
