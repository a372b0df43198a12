"""Alembic environment. Batch mode lets every migration run on SQLite as well as PostgreSQL."""

from alembic import context

from db.models import Base
from db.session import make_engine
from db.settings import Settings

config = context.config


def run_migrations() -> None:
    engine = config.attributes.get("engine") or make_engine(Settings.from_env().database_url)
    with engine.begin() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=True,
            compare_type=True,
        )
        context.run_migrations()


run_migrations()
