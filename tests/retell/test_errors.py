"""How each Retell failure reaches the caller (contract: upstream errors; B10, B19)."""

from __future__ import annotations

import pytest

from connector.errors import FatalError, RetriableError
from connector.retell.errors import UpstreamError

from .conftest import API_KEY, Reply


def retell_error(message: str) -> dict:
    return {"status": "error", "message": message}


def invoke(client, operation: str):
    if operation == "create_phone_call":
        body = {"from_number": "+14155550100", "to_number": "+14155550134"}
        return client.create_phone_call(API_KEY, body)
    if operation == "get_call":
        return client.get_call(API_KEY, "call_unknown")
    if operation == "get_phone_number":
        return client.get_phone_number(API_KEY, "+14155550199")
    if operation == "update_phone_number":
        return client.update_phone_number(API_KEY, "+14155550199", {})
    return client.list_agents(API_KEY)


CREATE, GET = "create_phone_call", "get_call"
REJECTED, UNAVAILABLE = "upstream_rejected", "upstream_unavailable"

# The formatter would put every field on its own line; aligned rows read as a table.
# fmt: off
MAPPING = [
    # upstream answer, operation, (our status, code, family), hint, detail fragment
    pytest.param(Reply(400, retell_error("from_number not found")), CREATE,
                 (400, REJECTED, FatalError), "bought in Retell", "from_number not",
                 id="400-from-number-not-owned"),
    pytest.param(Reply(400, retell_error("No outbound agent bound to from_number")),
                 CREATE, (400, REJECTED, FatalError), "Bind an outbound", "No outb",
                 id="400-no-outbound-agent"),
    pytest.param(Reply(400, retell_error("to_number is not a valid E.164 number")),
                 CREATE, (400, REJECTED, FatalError), "E.164 form", "valid E.164",
                 id="400-e164"),
    pytest.param(Reply(400, retell_error("Destination country not supported")),
                 CREATE, (400, REJECTED, FatalError), "domestic", "country not",
                 id="400-country"),
    pytest.param(Reply(400, retell_error("Contact is on the DNC list")), CREATE,
                 (400, REJECTED, FatalError), "do-not-call", "DNC list",
                 id="400-dnc"),
    pytest.param(Reply(400, retell_error("metadata too large")), CREATE,
                 (400, REJECTED, FatalError), "which field", "metadata too",
                 id="400-other-message"),
    pytest.param(Reply(400, "<html>Bad Request</html>", content_type="text/html"),
                 CREATE, (400, REJECTED, FatalError), "which field", "HTTP 400",
                 id="400-html-body"),
    pytest.param(Reply(400, {"status": "error"}), CREATE,
                 (400, REJECTED, FatalError), "which field", "HTTP 400",
                 id="400-no-message"),
    pytest.param(Reply(401, retell_error("Invalid API key")), GET,
                 (401, "unauthorized", FatalError), "Retell dashboard", "Invalid API",
                 id="401"),
    pytest.param(Reply(401, b"", content_type="text/plain"), "list_agents",
                 (401, "unauthorized", FatalError), "rejected the API key", "API key",
                 id="401-empty-body"),
    pytest.param(Reply(402, retell_error("Trial ended")), CREATE,
                 (402, REJECTED, FatalError), "billing", "Trial ended",
                 id="402-billing"),
    pytest.param(Reply(403, retell_error("Forbidden")), GET,
                 (403, REJECTED, FatalError), "workspace", "Forbidden",
                 id="403"),
    pytest.param(Reply(422, retell_error("cannot find requested asset")), GET,
                 (404, "not_found", FatalError), "call_id", "cannot find",
                 id="422-unknown-call-id"),
    pytest.param(Reply(404, retell_error("Not found")), GET,
                 (404, "not_found", FatalError), "call_id", "Not found",
                 id="404-unknown-call-id"),
    pytest.param(Reply(422, {}), "get_phone_number",
                 (404, "not_found", FatalError), "Buy or import", "found nothing",
                 id="422-unknown-number"),
    pytest.param(Reply(404, retell_error("Agent not found")), CREATE,
                 (404, REJECTED, FatalError), "override_agent_id", "Agent not",
                 id="404-unknown-agent-on-create"),
    pytest.param(Reply(422, retell_error("invalid reference")), "update_phone_number",
                 (422, REJECTED, FatalError), "refers to", "invalid reference",
                 id="422-on-update"),
    pytest.param(Reply(429, retell_error("Account rate limited"), {"Retry-After": "7"}),
                 GET, (429, "rate_limited", RetriableError), "Space the", "rate limit",
                 id="429-retry-after"),
    pytest.param(Reply(429, "Too Many Requests", content_type="text/plain"), CREATE,
                 (429, "rate_limited", RetriableError), "Space the", "after 2 s",
                 id="429-plain-text"),
    pytest.param(Reply(500, retell_error("Internal error")), GET,
                 (502, UNAVAILABLE, RetriableError), "Try again", "HTTP 500",
                 id="500"),
    pytest.param(Reply(503, "<html>maintenance</html>", content_type="text/html"),
                 CREATE, (502, UNAVAILABLE, RetriableError), "may or may", "HTTP 503",
                 id="503-html-on-create"),
]
# fmt: on


@pytest.mark.parametrize(("reply", "operation", "outcome", "hint", "detail"), MAPPING)
def test_upstream_answers_map_to_the_contract(
    stub, make_client, reply, operation, outcome, hint, detail
):
    """Status, code, family, hint and detail follow the contract's mapping table."""
    stub.reply(reply)

    with pytest.raises(UpstreamError) as caught:
        invoke(make_client(stub.url, max_retries=0), operation)

    error = caught.value
    status, code, family = outcome
    assert (error.status, error.code) == (status, code)
    assert isinstance(error, family)
    assert error.upstream_status == reply.status
    assert error.extra == {"upstream_status": reply.status, "hint": error.hint}
    assert hint in error.hint
    assert detail in error.detail


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("7", 7),
        ("0", 1),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 1),
        ("soon", 2),
        (None, 2),
    ],
    ids=["seconds", "zero", "past-http-date", "garbage", "absent"],
)
def test_rate_limit_carries_a_whole_retry_after(stub, make_client, header, expected):
    """A 429 always says when to come back, in whole seconds, as a header too."""
    stub.reply(Reply(429, {}, {"Retry-After": header} if header else {}))

    with pytest.raises(UpstreamError) as caught:
        invoke(make_client(stub.url, max_retries=0), "get_call")

    assert caught.value.retry_after == expected
    assert caught.value.headers == {"Retry-After": str(expected)}


def test_a_long_upstream_message_is_cut(stub, make_client):
    """Retell's message is passed through, but not without bound."""
    stub.reply(Reply(400, retell_error("x" * 5000)))

    with pytest.raises(UpstreamError) as caught:
        invoke(make_client(stub.url, max_retries=0), "create_phone_call")

    assert len(caught.value.detail) == 500


def test_transport_failures_name_no_upstream_status(closed_port_url, make_client):
    """Without an HTTP answer there is no upstream_status to report."""
    with pytest.raises(UpstreamError) as caught:
        invoke(make_client(closed_port_url, max_retries=0), "get_call")

    assert "upstream_status" not in caught.value.extra
    assert caught.value.upstream_status is None
