"""Schema migrations (Alembic), run programmatically on an open engine."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

SCRIPTS = "connector.store:migrations"


def config_for(connection) -> Config:
    config = Config()
    config.set_main_option("script_location", SCRIPTS)
    config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine) -> None:
    """Bring the database to the newest schema; does nothing when it is there."""
    from .database import IMMEDIATE  # database imports this module

    with engine.connect() as connection:
        # Processes starting together take turns (SQLite's write lock from BEGIN),
        # so the later ones find the schema already there.
        connection.execution_options(**{IMMEDIATE: True})
        command.upgrade(config_for(connection), "head")
        connection.commit()


def revision(engine: Engine, message: str) -> None:
    """Write a new migration from the difference between tables.py and the database
    (for developers: ``python -m connector.store.migrate "message"``)."""
    with engine.connect() as connection:
        command.revision(config_for(connection), message=message, autogenerate=True)


if __name__ == "__main__":
    import sys

    from sqlalchemy import create_engine

    target = create_engine("sqlite://")
    upgrade(target)
    revision(target, sys.argv[1])
