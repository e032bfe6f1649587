"""Input for subscriptions and account settings."""

from __future__ import annotations

from urllib.parse import urlsplit

from marshmallow import RAISE, Schema, ValidationError, fields, validates


class SubscriptionInput(Schema):
    class Meta:
        unknown = RAISE

    target_url = fields.String(
        required=True,
        metadata={
            "description": "Where to POST each event: the webhook URL that Make, "
            "Zapier or n8n gave you."
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

    @validates("target_url")
    def _check_url(self, value: str, **_kwargs) -> None:
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValidationError(
                f"'{value}' is not a web address; paste the full webhook URL, "
                "starting with https://"
            )

    @validates("filters")
    def _check_filters(self, value: dict, **_kwargs) -> None:
        nested = [key for key, item in value.items() if isinstance(item, dict | list)]
        if nested:
            raise ValidationError(
                f"filter values must be text, numbers or true/false; {nested[0]} is not"
            )


class WebhookKeyInput(Schema):
    class Meta:
        unknown = RAISE

    key = fields.String(
        required=True,
        allow_none=True,
        metadata={
            "description": "The Retell API key that carries the webhook badge in the "
            "Retell dashboard; null to go back to the calling key."
        },
    )
