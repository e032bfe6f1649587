"""Reserved destination numbers that make the simulator misbehave on purpose.

Dialling any other valid number gives a normal call that connects, talks and ends.

* ``+14155550170`` ``busy``: 201, then ``not_connected`` / ``dial_busy``;
* ``+14155550171`` ``no_answer``: 201, then ``not_connected`` / ``dial_no_answer``;
* ``+14155550172`` ``failed``: 201, then ``not_connected`` / ``dial_failed``;
* ``+14155550173`` ``invalid_destination``: 201, then ``not_connected`` /
  ``invalid_destination``;
* ``+14155550175`` ``do_not_call``: 400 when ``honor_internal_dnc`` is true,
  otherwise an ordinary call;
* ``+14155550176`` ``slow_create``: the create waits 3 s (divided by ``speed``),
  then answers 201;
* ``+14155550177`` ``server_error``: the create answers 500, every time;
* ``+14155550178`` ``rate_limited_once``: the create answers 429 the first time for
  a given (workspace, to_number, metadata), then 201;
* ``+14155550179`` ``rate_limited``: the create answers 429, every time.

Dial failures never send ``call_started``; ``call_ended`` and ``call_analyzed`` are
still sent (https://docs.retellai.com/features/webhook-overview). Retell's docs file
failed dials under ``not_connected`` rather than ``error``, so ``failed`` does too.
"""

from __future__ import annotations

RESERVED_NUMBERS: dict[str, str] = {
    "+14155550170": "busy",
    "+14155550171": "no_answer",
    "+14155550172": "failed",
    "+14155550173": "invalid_destination",
    "+14155550175": "do_not_call",
    "+14155550176": "slow_create",
    "+14155550177": "server_error",
    "+14155550178": "rate_limited_once",
    "+14155550179": "rate_limited",
}

# behaviour -> disconnection_reason of a call that never connects
DIAL_FAILURES: dict[str, str] = {
    "busy": "dial_busy",
    "no_answer": "dial_no_answer",
    "failed": "dial_failed",
    "invalid_destination": "invalid_destination",
}

SLOW_CREATE_SECONDS = 3.0


def behaviour_of(to_number: str) -> str | None:
    """The reserved behaviour for ``to_number``, or None for an ordinary number."""
    return RESERVED_NUMBERS.get(to_number)
