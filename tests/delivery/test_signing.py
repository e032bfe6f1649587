"""Standard Webhooks signing of our deliveries (https://www.standardwebhooks.com/)."""

from __future__ import annotations

import base64
import time

import pytest
from werkzeug.datastructures import Headers

from connector.delivery.signing import (
    new_message_id,
    new_secret,
    sign_headers,
    verify,
)

# The reference vector of the spec's own test suite (standard-webhooks repository,
# libraries/python/tests/test_webhooks.py, test_sign_function).
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SPEC_TIMESTAMP = 1614265330
SPEC_BODY = b'{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

OLD_SECRET = "whsec_" + base64.b64encode(b"o" * 24).decode()
NEW_SECRET = "whsec_" + base64.b64encode(b"n" * 24).decode()
BODY = b'{"event":"call_ended","id":"call_test_0401:call_ended"}'
NOW = 1767225660


def signed(secrets=(NEW_SECRET,), body=BODY, timestamp=NOW) -> dict[str, str]:
    return sign_headers("msg_0001", timestamp, body, list(secrets))


def test_sign_reproduces_the_spec_vector():
    """The spec's reference signature is reproduced exactly."""
    headers = sign_headers(SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY, [SPEC_SECRET])

    assert headers == {
        "webhook-id": SPEC_ID,
        "webhook-timestamp": "1614265330",
        "webhook-signature": SPEC_SIGNATURE,
    }


def test_verify_accepts_the_spec_vector():
    """The spec's reference headers verify at their own time."""
    headers = {
        "webhook-id": SPEC_ID,
        "webhook-timestamp": str(SPEC_TIMESTAMP),
        "webhook-signature": SPEC_SIGNATURE,
    }
    verify(headers, SPEC_BODY, SPEC_SECRET, now=SPEC_TIMESTAMP)


def test_a_secret_without_its_prefix_works_too():
    """Like the spec's libraries, the bare base64 secret is accepted."""
    bare = SPEC_SECRET.removeprefix("whsec_")
    headers = sign_headers(SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY, [bare])

    assert headers["webhook-signature"] == SPEC_SIGNATURE


def test_rotation_signs_with_every_secret():
    """B23: during the overlap both secrets sign, and either one verifies."""
    headers = signed([NEW_SECRET, OLD_SECRET])

    entries = headers["webhook-signature"].split(" ")
    assert len(entries) == 2
    assert all(entry.startswith("v1,") for entry in entries)
    verify(headers, BODY, OLD_SECRET, now=NOW)
    verify(headers, BODY, NEW_SECRET, now=NOW)


def test_after_the_overlap_the_old_secret_fails():
    """B23: once only the new secret signs, a verifier on the old one refuses."""
    with pytest.raises(ValueError, match="no webhook-signature entry matches"):
        verify(signed([NEW_SECRET]), BODY, OLD_SECRET, now=NOW)


@pytest.mark.parametrize(
    "wrap",
    [
        lambda h: {name.title(): value for name, value in h.items()},
        lambda h: {name.upper(): value for name, value in h.items()},
        lambda h: Headers(list(h.items())),
    ],
    ids=["title-case-dict", "upper-case-dict", "werkzeug-headers"],
)
def test_header_names_match_case_insensitively(wrap):
    """B24: header names are found whatever their case or container."""
    verify(wrap(signed()), BODY, NEW_SECRET, now=NOW)


@pytest.mark.parametrize(
    ("offset", "accepted"),
    [(-300, True), (300, True), (-301, False), (301, False)],
    ids=["5-min-old", "5-min-ahead", "too-old", "too-far-ahead"],
)
def test_the_window_is_five_minutes_both_ways(offset, accepted):
    """A timestamp up to five minutes off either way is accepted, not a second more."""
    headers = signed(timestamp=NOW + offset)

    if accepted:
        verify(headers, BODY, NEW_SECRET, now=NOW)
    else:
        with pytest.raises(ValueError, match="tolerance"):
            verify(headers, BODY, NEW_SECRET, now=NOW)


def test_the_clock_defaults_to_now():
    """Without ``now``, the current time is used."""
    verify(signed(timestamp=int(time.time())), BODY, NEW_SECRET)


def change(name: str, value: str | None):
    def edit(headers: dict[str, str]) -> dict[str, str]:
        edited = dict(headers)
        if value is None:
            del edited[name]
        else:
            edited[name] = value
        return edited

    return edit


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        (change("webhook-id", None), "missing"),
        (change("webhook-timestamp", None), "missing"),
        (change("webhook-signature", None), "missing"),
        (change("webhook-signature", ""), "missing"),
        (change("webhook-timestamp", "hello"), "not a Unix time"),
        (change("webhook-timestamp", "1767225660.5"), "not a Unix time"),
        (change("webhook-timestamp", "-1767225660"), "not a Unix time"),
        (change("webhook-timestamp", "9" * 5000), "not a Unix time"),
        (change("webhook-id", "msg_other"), "no webhook-signature entry"),
        (change("webhook-signature", "v1,AAAA"), "no webhook-signature entry"),
        (change("webhook-signature", "v1,é"), "no webhook-signature entry"),
        (change("webhook-signature", "garbage"), "no webhook-signature entry"),
    ],
    ids=[
        "no-id",
        "no-timestamp",
        "no-signature",
        "empty-signature",
        "word-timestamp",
        "fractional-timestamp",
        "negative-timestamp",
        "huge-timestamp",
        "other-id",
        "wrong-signature",
        "non-ascii-signature",
        "no-version",
    ],
)
def test_broken_deliveries_are_refused_with_a_reason(edit, reason):
    """Each broken header set raises ValueError saying what is wrong."""
    with pytest.raises(ValueError, match=reason):
        verify(edit(signed()), BODY, NEW_SECRET, now=NOW)


def test_a_changed_body_is_refused():
    """The signature covers the exact body bytes."""
    with pytest.raises(ValueError, match="no webhook-signature entry"):
        verify(
            signed(), BODY.replace(b"call_ended", b"call_started"), NEW_SECRET, now=NOW
        )


def test_other_signature_versions_are_skipped():
    """Entries of other versions (the spec's v1a) are passed over, not fatal."""
    headers = signed()
    headers["webhook-signature"] = "v1a,AAAA " + headers["webhook-signature"]

    verify(headers, BODY, NEW_SECRET, now=NOW)


@pytest.mark.parametrize(
    "secret",
    ["whsec_not*base64", "whsec_", "whsec_QQ"],
    ids=["not-base64", "empty", "bad-padding"],
)
def test_an_unusable_secret_is_a_value_error(secret):
    """A secret that does not decode cannot sign or verify."""
    with pytest.raises(ValueError, match="secret"):
        sign_headers("msg_1", NOW, BODY, [secret])


def test_signing_needs_a_secret():
    """Signing with no secret at all is refused rather than sending unsigned."""
    with pytest.raises(ValueError):
        sign_headers("msg_1", NOW, BODY, [])


def test_new_secrets_are_whsec_and_24_random_bytes():
    """New secrets follow the spec's form and are not repeated."""
    made = {new_secret() for _ in range(50)}

    assert len(made) == 50
    for secret in made:
        assert secret.startswith("whsec_")
        assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 24
        sign_headers("msg_1", NOW, BODY, [secret])


def test_new_message_ids_are_prefixed_and_unique():
    """Message ids start with msg_ and are not repeated."""
    made = {new_message_id() for _ in range(50)}

    assert len(made) == 50
    assert all(m.startswith("msg_") and len(m) > 20 for m in made)
