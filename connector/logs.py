"""Log output: plain lines for people, or one JSON object per line for machines.

``CONNECTOR_LOG_FORMAT=json`` selects JSON; every record then carries its logger,
level, message and the structured facts passed as ``extra={"facts": {...}}``.
Nothing here adds keys, secrets or bodies: callers log only ids, statuses and times.
"""

from __future__ import annotations

import json
import logging
import os
import time

PLAIN = "%(asctime)s %(levelname)s %(name)s %(message)s"


class JSONFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            **getattr(record, "facts", {}),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def formatter_config() -> dict:
    """The ``formatters`` entry of a logging dictConfig for the chosen format."""
    if os.environ.get("CONNECTOR_LOG_FORMAT", "plain").lower() == "json":
        return {"()": "connector.logs.JSONFormatter"}
    return {"format": PLAIN}


def configure(level: str | None = None) -> None:
    """Set up the root logger for a connector process (CLI commands)."""
    handler = logging.StreamHandler()
    config = formatter_config()
    handler.setFormatter(
        JSONFormatter() if "()" in config else logging.Formatter(config["format"])
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level or os.environ.get("CONNECTOR_LOG_LEVEL", "INFO"))
    # Alembic says which plugins it loaded at INFO on every start; a migration
    # that runs is still logged at WARNING and above by its own messages.
    logging.getLogger("alembic").setLevel(logging.WARNING)
