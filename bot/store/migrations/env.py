"""Alembic environment: runs migrations on the engine that bot.store.database passes in."""

from alembic import context

from bot.store.tables import metadata

config = context.config
target_metadata = metadata
engine = config.attributes["engine"]

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
