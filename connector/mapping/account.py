"""Input for subscriptions and account settings (webhook key, pacing)."""

from __future__ import annotations

import re

from marshmallow import RAISE, Schema, ValidationError, fields, validates
from marshmallow.validate import Length, OneOf, Range, Regexp


class SubscriptionInput(Schema):
    class Meta:
        unknown = RAISE

    # Whether the address may be used is the delivery guard's call (it resolves the
    # host); here it only has to be text of a sane length.
    target_url = fields.String(
        required=True,
        validate=Length(min=1, max=2048),
        metadata={
            "format": "uri",
            "description": "Where to POST each event: the webhook URL that Make, "
            "Zapier or n8n gave you.",
        },
    )
    filters = fields.Dict(
        keys=fields.String(),
        values=fields.Raw(allow_none=True),
        load_default=dict,
        metadata={
            "description": "Only send events whose output fields equal these values, "
            'e.g. {"agent_id": "agent_..."}. Values compare as text.'
        },
    )

    @validates("filters")
    def _check_filters(self, value: dict, **_kwargs) -> None:
        nested = [key for key, item in value.items() if isinstance(item, dict | list)]
        if nested:
            raise ValidationError(
                f"filter values must be text, numbers or true/false; {nested[0]} is not"
            )


#: Retell keys are opaque tokens of visible ASCII; anything with spaces or control
#: characters is a pasting mistake, not a key.
API_KEY = re.compile(r"[\x21-\x7e]{8,512}")


class WebhookKeyInput(Schema):
    class Meta:
        unknown = RAISE

    key = fields.String(
        required=True,
        allow_none=True,
        validate=Regexp(
            API_KEY,
            error="is not a Retell API key: copy the whole key, without spaces",
        ),
        metadata={
            "description": "The Retell API key that carries the webhook badge in the "
            "Retell dashboard; null to go back to the calling key."
        },
    )


#: Retell's calls-per-second caps per telephony provider (Retell docs, deploy/
#: outbound-call; CpsConfig in its OpenAPI). Custom telephony allows concurrency / 20.
PROVIDER_MAX_CPS = {"twilio": 5, "telnyx": 16}


class PacingInput(Schema):
    class Meta:
        unknown = RAISE

    provider = fields.String(
        required=True,
        validate=OneOf(
            ["twilio", "telnyx", "custom"],
            error="must be twilio, telnyx or custom (your numbers' telephony)",
        ),
        metadata={
            "description": "Whose telephony your numbers use: twilio or telnyx for "
            "numbers bought from Retell, custom for imported (SIP) numbers."
        },
    )
    cps = fields.Float(
        required=True,
        allow_nan=False,
        validate=Range(min=0.1, error="must be at least 0.1 calls per second"),
        metadata={
            "description": "Calls per second to place at most, as set for your "
            "Retell account. Twilio allows up to 5, Telnyx 16, custom telephony "
            "your concurrency divided by 20."
        },
    )
