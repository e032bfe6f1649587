"""Spec: webhook bodies are JSON.stringify-compact and signed like Retell signs."""

from __future__ import annotations

import json

import pytest
from retell.lib import verify

from connector.simulator.signing import compact_json, signature_header

from .conftest import load_fixture


@pytest.mark.parametrize(
    ("body", "key", "timestamp", "expected"),
    [
        pytest.param(
            '{"event":"call_ended"}',
            "test-api-key",
            1700000000000,
            "v=1700000000000,d=07024cabe7dd8f6d1c6e4a8324ca92c812e6ad4a7ee506c04f7e"
            "462e3321823e",
            id="retell-python-sdk-test-vector",
        ),
    ],
)
def test_signature_matches_published_vector(body, key, timestamp, expected):
    """The header equals the vector from Retell's own SDK tests."""
    assert signature_header(body, key, timestamp) == expected


def test_signature_matches_fixture_vector():
    """The compact call_ended fixture signs to the vector in our research notes."""
    body = json.dumps(
        load_fixture("webhook.call_ended.json"),
        separators=(",", ":"),
        ensure_ascii=False,
    )
    assert len(body.encode("utf-8")) == 2548
    header = signature_header(body, "key_simulator_do_not_use_0001", 1767283248000)
    assert header == (
        "v=1767283248000,"
        "d=dc5a18bff96f5b31362cdc7e6220c1ffc90bcd822af1082d81f2155d96809f1d"
    )


def test_sdk_verify_accepts_fresh_signature():
    """retell.lib.verify accepts a header stamped now, on a non-ASCII body."""
    body = compact_json({"event": "call_ended", "call": {"transcript": "mañana"}})
    assert verify(body, "key_x", signature_header(body, "key_x"))
    assert not verify(body + " ", "key_x", signature_header(body, "key_x"))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param({"a": 1, "b": [1, 2]}, '{"a":1,"b":[1,2]}', id="no-whitespace"),
        pytest.param({"t": "mañana"}, '{"t":"mañana"}', id="non-ascii-raw"),
        pytest.param({"t": "é\u2028"}, '{"t":"é\u2028"}', id="line-separator-raw"),
        pytest.param({"p50": 812.0}, '{"p50":812}', id="integral-float-like-js"),
        pytest.param({"c": 0.1167}, '{"c":0.1167}', id="fraction-kept"),
        pytest.param({"k": None, "b": True}, '{"k":null,"b":true}', id="literals"),
        pytest.param({"z": 1, "a": 2}, '{"z":1,"a":2}', id="key-order-kept"),
    ],
)
def test_compact_json_is_like_json_stringify(value, expected):
    """compact_json writes what JavaScript's JSON.stringify writes."""
    assert compact_json(value) == expected
