"""Retell webhook signatures (field cases B05, B06, B23 inbound; retell-sdk vector)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from retell.lib import webhook_auth

from connector.retell import signatures
from connector.retell.signatures import SignatureError, sign, verify

#: The exact 218 bytes of the shared B05/B06 fixture (no trailing newline).
BODY = (Path(__file__).parent / "fixtures" / "b05_call_ended.body").read_bytes()
KEY = "key_test_0000"
#: 2026-01-01T00:01:00Z, one minute after the fixture was signed.
NOW_MS = 1767225660000

CORRECT = (
    "v=1767225600000,d=1e7a5256267c04f001b1d41c281573b2616e0200cbbc76d00eb684107bedaf52"
)
REDUMPED = (
    "v=1767225600000,d=69a22e193dd631be5544c483a7504ef29dca339c889b3616940027d54fcdb7a5"
)
BARE = "02781f4cd299970437a102d04cd17011606ea39b1b48b3d566b9e1e59fef3ef2"
STALE = (
    "v=1767225000000,d=762eea2963dd2f3ce02c032c4cda5aadc3d1f3fa742c66baabefd7220baccdcc"
)


def test_fixture_is_the_exact_bytes():
    """The fixture file holds the 218 bytes the vectors were computed over."""
    assert len(BODY) == 218
    assert b"\\/" in BODY and b"1.50" in BODY


def test_the_correct_header_verifies_over_the_raw_bytes():
    """B05: the digest over the raw bytes plus the timestamp verifies."""
    assert verify(BODY, CORRECT, [KEY], now_ms=NOW_MS) == 0


def test_sign_reproduces_the_fixture_header():
    """sign() gives the fixture's header for its body, key and time."""
    assert sign(BODY, KEY, 1767225600000) == CORRECT


def test_sign_reproduces_the_sdk_test_vector():
    """The retell-python-sdk test vector is reproduced exactly."""
    assert sign(b'{"event":"call_ended"}', "test-api-key", 1700000000000) == (
        "v=1700000000000,"
        "d=07024cabe7dd8f6d1c6e4a8324ca92c812e6ad4a7ee506c04f7e462e3321823e"
    )


def test_a_changed_character_fails():
    """B05 negative: one changed character of the transcript fails the check."""
    tampered = BODY.replace("mañana".encode(), b"manana")

    with pytest.raises(SignatureError) as caught:
        verify(tampered, CORRECT, [KEY], now_ms=NOW_MS)

    assert caught.value.code == "invalid_signature"


@pytest.mark.parametrize(
    ("header", "code"),
    [
        (REDUMPED, "invalid_signature"),
        (BARE, "malformed_signature"),
        ("v=1767225600000,d=", "malformed_signature"),
        ("garbage", "malformed_signature"),
        (None, "missing_signature"),
        ("", "missing_signature"),
        (STALE, "stale_signature"),
        ("v=1767225600000,d=" + CORRECT.split(",d=")[1].upper(), "malformed_signature"),
        (CORRECT.replace("d=", "d=" + "0"), "malformed_signature"),
        (CORRECT + ",k=1", "malformed_signature"),
        (" " + CORRECT, "malformed_signature"),
        (CORRECT + "\n", "malformed_signature"),
        ("d=" + CORRECT.split(",d=")[1] + ",v=1767225600000", "malformed_signature"),
        ("v=," + CORRECT.split(",")[1], "malformed_signature"),
        ("v=" + "1" * 5000 + ",d=" + "0" * 64, "malformed_signature"),
        ("v=١٧٦٧٢٢٥٦٠٠٠٠٠,d=" + "0" * 64, "malformed_signature"),
    ],
    ids=[
        "redumped-body",
        "bare-digest",
        "empty-digest",
        "garbage",
        "absent",
        "empty",
        "ten-minutes-old",
        "uppercase-hex",
        "long-digest",
        "extra-field",
        "leading-space",
        "trailing-newline",
        "reversed-order",
        "empty-timestamp",
        "huge-timestamp",
        "non-ascii-digits",
    ],
)
def test_bad_headers_are_refused_with_a_reason(header, code):
    """B06: every wrong scheme or form is refused with its own code, never a crash."""
    with pytest.raises(SignatureError) as caught:
        verify(BODY, header, [KEY], now_ms=NOW_MS)

    assert caught.value.code == code
    assert str(caught.value)


@pytest.mark.parametrize(
    ("offset_ms", "accepted"),
    [
        (-300_000, True),
        (300_000, True),
        (-300_001, False),
        (300_001, False),
    ],
    ids=["5-min-old", "5-min-ahead", "just-too-old", "just-too-far-ahead"],
)
def test_the_window_is_five_minutes_both_ways_inclusive(offset_ms, accepted):
    """A signature exactly five minutes off either way is accepted, a ms more is not."""
    ts = NOW_MS + offset_ms
    header = sign(BODY, KEY, ts)

    if accepted:
        assert verify(BODY, header, [KEY], now_ms=NOW_MS) == 0
    else:
        with pytest.raises(SignatureError, match="window") as caught:
            verify(BODY, header, [KEY], now_ms=NOW_MS)
        assert caught.value.code == "stale_signature"


def test_the_clock_defaults_to_now():
    """Without now_ms, the current time is used."""
    ts = time.time_ns() // 1_000_000
    assert verify(BODY, sign(BODY, KEY, ts), [KEY]) == 0


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        (["key_test_0001", KEY], 1),
        ([KEY, "key_test_0001"], 0),
        (["", KEY], 1),
    ],
    ids=["previous-key-in-grace", "current-key", "empty-key-skipped"],
)
def test_the_matching_key_is_reported(keys, expected):
    """B23 inbound: the index of the key that matched is returned, for the log."""
    assert verify(BODY, CORRECT, keys, now_ms=NOW_MS) == expected


@pytest.mark.parametrize(
    "keys", [["key_test_0001"], [""]], ids=["other-key-only", "empty-key"]
)
def test_no_matching_key_is_an_invalid_signature(keys):
    """After the grace period only the new key is tried, and the old header fails."""
    with pytest.raises(SignatureError) as caught:
        verify(BODY, CORRECT, keys, now_ms=NOW_MS)

    assert caught.value.code == "invalid_signature"


def test_an_empty_key_list_is_a_programming_error():
    """Verifying against no key at all is a bug in the caller, not a bad webhook."""
    with pytest.raises(ValueError):
        verify(BODY, CORRECT, [], now_ms=NOW_MS)


def test_leading_zeros_in_the_timestamp_sign_like_the_sdk():
    """Like the SDK, the timestamp is signed as its integer value."""
    header = "v=0" + CORRECT.removeprefix("v=")
    assert verify(BODY, header, [KEY], now_ms=NOW_MS) == 0
    assert webhook_auth.symmetric["verify"](
        BODY.decode(), KEY, header, {"timestamp": NOW_MS}
    )


@settings(max_examples=200, deadline=None)
@given(
    body=st.text(),
    key=st.text(min_size=1),
    skew=st.integers(min_value=-299_999, max_value=299_999),
)
def test_agrees_with_the_retell_sdk(body, key, skew):
    """Our sign/verify and retell-sdk's agree both ways on arbitrary text and keys."""
    raw = body.encode()
    ts = NOW_MS + skew
    sdk_header = webhook_auth.symmetric["sign"](body, key, ts)

    assert sign(raw, key, ts) == sdk_header
    assert verify(raw, sdk_header, [key], now_ms=NOW_MS) == 0
    assert webhook_auth.symmetric["verify"](
        body, key, sign(raw, key, ts), {"timestamp": NOW_MS}
    )


def test_agrees_with_the_sdk_public_verify():
    """The SDK's public verify(), on the real clock, accepts what we sign."""
    ts = time.time_ns() // 1_000_000
    assert webhook_auth.verify(BODY.decode(), KEY, sign(BODY, KEY, ts))


def test_every_code_has_a_message():
    """Each failure code comes with a sentence a log reader can act on."""
    for code in (
        "missing_signature",
        "malformed_signature",
        "stale_signature",
        "invalid_signature",
    ):
        assert SignatureError(code).code == code
        assert str(SignatureError(code)).startswith("The x-retell-signature")
    assert signatures.TOLERANCE_MS == 300_000
