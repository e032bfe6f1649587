"""The one error shape: RFC 9457 problem documents, for every failure on every route.

No request, however malformed, gets an HTML page or a bare 500: Flask's and
Werkzeug's own errors are converted here too.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, json
from marshmallow import ValidationError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from ..errors import ConnectorError
from ..mapping import field_errors

log = logging.getLogger(__name__)

MEDIA_TYPE = "application/problem+json"

#: Werkzeug's errors under stable machine codes; anything else becomes "http_<n>".
_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    431: "headers_too_large",
}


def problem(
    status: int,
    code: str,
    title: str,
    detail: str,
    *,
    errors: list[dict] | None = None,
    headers: dict[str, str] | None = None,
    **extra,
) -> Response:
    body = {
        "type": f"urn:retell-connector:problem:{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if errors is not None:
        body["errors"] = errors
    body.update(extra)
    response = Response(
        json.dumps(body, ensure_ascii=False), status=status, mimetype=MEDIA_TYPE
    )
    response.headers.update(headers or {})
    return response


def validation_problem(errors: list[dict]) -> Response:
    fields = ", ".join(sorted({error["field"] or "(body)" for error in errors}))
    first = errors[0]["message"] if errors else "The input is not valid."
    return problem(
        422,
        "validation_failed",
        "The input does not pass validation",
        f"Check {fields}: {first}" if len(errors) == 1 else f"Check {fields}.",
        errors=errors,
    )


def register(app: Flask) -> None:
    """Install the handlers that turn every exception into a problem document."""

    @app.errorhandler(ValidationError)
    def on_validation(err: ValidationError):
        return validation_problem(field_errors(err))

    @app.errorhandler(ConnectorError)
    def on_connector_error(err: ConnectorError):
        return problem(
            err.status,
            err.code,
            err.title,
            err.detail,
            errors=err.errors or None,
            headers=err.headers,
            **err.extra,
        )

    @app.errorhandler(HTTPException)
    def on_http_error(err: HTTPException):
        status = err.code or 500
        headers = {}
        if status == 405 and err.valid_methods:
            headers["Allow"] = ", ".join(err.valid_methods)
        return problem(
            status,
            _HTTP_CODES.get(status, f"http_{status}"),
            err.name,
            err.description or err.name,
            headers=headers,
        )

    @app.errorhandler(OperationalError)
    def on_database_unavailable(err: OperationalError):
        # The database is down, or SQLite's lock was not free within its budget
        # (field case B25): a passing condition, so the platform should retry,
        # not fail the run for good. Its message names tables and values: logged
        # by class only, never shown.
        log.warning("database unavailable: %s", type(err.orig).__name__)
        return problem(
            503,
            "database_unavailable",
            "The connector's database is busy",
            "The connector could not use its database just now; send the same "
            "request again in a few seconds (a create with the same "
            "Idempotency-Key, so that it cannot place a second call).",
            headers={"Retry-After": "5"},
        )

    @app.errorhandler(Exception)
    def on_unexpected(err: Exception):
        # A bug, not bad input; logged with its traceback, answered without details.
        log.exception("unhandled error")
        return problem(
            500,
            "internal_error",
            "Something went wrong in the connector",
            "The connector hit an unexpected error; its log has the details.",
        )
