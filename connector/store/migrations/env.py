"""Alembic environment: migrations run on the engine the connector opens.

``connector.store.database.connect`` runs them at start-up, so every process upgrades
the schema before it serves; a lock makes concurrent starts take turns.
"""

from alembic import context
from sqlalchemy import text

from connector.store.tables import metadata

#: Any constant; PostgreSQL advisory locks are named by a number.
MIGRATION_LOCK = 7_140_532_201


def run() -> None:
    connection = context.config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # Held until the transaction ends: gunicorn workers starting together
            # migrate one after the other, and the later ones find nothing to do.
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK}
            )
        context.run_migrations()


run()
