"""Fixtures for the mapping tests: Retell call objects from tests/fixtures/retell."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "retell"


def load_fixture(name: str) -> dict:
    """Read one JSON fixture, fresh for each caller so tests can't share edits."""
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@pytest.fixture
def analyzed_call() -> dict:
    """The call object of Retell's call_analyzed webhook fixture."""
    return load_fixture("webhook.call_analyzed.json")["call"]


@pytest.fixture
def ended_call() -> dict:
    """The call object of Retell's call_ended webhook fixture (no analysis)."""
    return load_fixture("webhook.call_ended.json")["call"]


@pytest.fixture
def registered_call() -> dict:
    """A fresh create-phone-call response (status registered)."""
    return load_fixture("create-phone-call.response.json")
