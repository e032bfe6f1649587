"""Spec: list endpoints filter, sort and paginate like Retell's v2/v3 lists."""

from __future__ import annotations

import pytest

from connector.simulator.seed import agent_id_for

from .conftest import KEY, bearer, create_body

BIG = 10**15


@pytest.fixture
def three_calls(sim_app, sim):
    """Two connected calls and one busy call, all finished."""
    for from_number, to_number in [
        ("+14155550100", "+14155550123"),
        ("+14155550101", "+14155550124"),
        ("+14155550100", "+14155550170"),
    ]:
        body = create_body(from_number=from_number, to_number=to_number)
        assert (
            sim.post("/v2/create-phone-call", json=body, headers=bearer()).status_code
            == 201
        )
    assert sim_app.simulator.wait_idle(10)


def to_numbers(sim, body):
    response = sim.post("/v3/list-calls", json=body, headers=bearer())
    assert response.status_code == 200, response.get_json()
    return {item["to_number"] for item in response.get_json()["items"]}


@pytest.mark.parametrize(
    ("criteria", "expected"),
    [
        pytest.param({}, {"+14155550123", "+14155550124", "+14155550170"}, id="none"),
        pytest.param(
            {"agent": [{"agent_id": agent_id_for(KEY, "reminder")}]},
            {"+14155550123", "+14155550170"},
            id="agent",
        ),
        pytest.param(
            {"agent": [{"agent_id": agent_id_for(KEY, "reminder"), "version": [1]}]},
            set(),
            id="agent-version",
        ),
        pytest.param(
            {"call_status": {"op": "in", "type": "enum", "value": ["not_connected"]}},
            {"+14155550170"},
            id="call-status",
        ),
        pytest.param(
            {"from_number": {"op": "eq", "type": "string", "value": "+14155550101"}},
            {"+14155550124"},
            id="from-number-eq",
        ),
        pytest.param(
            {"to_number": {"op": "sw", "type": "string", "value": "+1415555012"}},
            {"+14155550123", "+14155550124"},
            id="to-number-prefix",
        ),
        pytest.param(
            {
                "disconnection_reason": {
                    "op": "in",
                    "type": "enum",
                    "value": ["dial_busy"],
                }
            },
            {"+14155550170"},
            id="disconnection-reason",
        ),
        pytest.param(
            {"start_timestamp": {"op": "bt", "type": "range", "value": [0, BIG]}},
            {"+14155550123", "+14155550124", "+14155550170"},
            id="start-range-all",
        ),
        pytest.param(
            {"start_timestamp": {"op": "gt", "type": "number", "value": BIG}},
            set(),
            id="start-after-everything",
        ),
        pytest.param(
            {"call_successful": {"op": "eq", "type": "boolean", "value": True}},
            {"+14155550123", "+14155550124"},
            id="call-successful",
        ),
    ],
)
def test_list_calls_filters(sim, three_calls, criteria, expected):
    """filter_criteria narrows list-calls; all conditions are AND-ed."""
    assert to_numbers(sim, {"filter_criteria": criteria}) == expected


def test_list_calls_paginates_without_overlap(sim, three_calls):
    """limit plus pagination_key walks every call exactly once, newest first."""
    seen, cursor = [], None
    for _ in range(5):
        body = {"limit": 2, **({"pagination_key": cursor} if cursor else {})}
        page = sim.post("/v3/list-calls", json=body, headers=bearer()).get_json()
        seen += [item["call_id"] for item in page["items"]]
        cursor = page.get("pagination_key")
        if not page["has_more"]:
            assert cursor is None
            break
    assert len(seen) == len(set(seen)) == 3
    ascending = sim.post(
        "/v3/list-calls", json={"sort_order": "ascending"}, headers=bearer()
    ).get_json()
    assert [item["call_id"] for item in ascending["items"]] == seen[::-1]


@pytest.mark.parametrize(
    ("query", "pages"),
    [
        pytest.param("limit=2", [2, 2, 1], id="limit-2"),
        pytest.param("limit=5", [5], id="limit-5"),
        pytest.param("limit=4&sort_order=ascending", [4, 1], id="ascending"),
    ],
)
def test_list_phone_numbers_paginates(sim, query, pages):
    """list-phone-numbers pages with limit and pagination_key query parameters."""
    sizes, cursor, seen = [], None, []
    while True:
        suffix = f"&pagination_key=%2B{cursor[1:]}" if cursor else ""
        page = sim.get(f"/v2/list-phone-numbers?{query}{suffix}", headers=bearer())
        data = page.get_json()
        sizes.append(len(data["items"]))
        seen += [item["phone_number"] for item in data["items"]]
        cursor = data.get("pagination_key")
        if not data["has_more"]:
            break
    assert sizes == pages
    assert len(set(seen)) == 5
