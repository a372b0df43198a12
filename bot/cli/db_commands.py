"""`recbot db ...`: schema migrations."""

from __future__ import annotations

import click

from bot.cli.context import CliContext, pass_context
from db import migrate
from db.session import safe_url


@click.group("db")
def db_group() -> None:
    """Create or upgrade the database schema."""


@db_group.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Target revision.")
@pass_context
def upgrade(ctx: CliContext, revision: str) -> None:
    """Apply every pending schema migration."""
    engine = ctx.raw_engine()
    before = migrate.current_revision(engine)
    migrate.upgrade(engine, revision)
    after = migrate.current_revision(engine)
    if before == after:
        click.echo(f"{safe_url(engine)}: already at {after}")
    else:
        click.echo(f"{safe_url(engine)}: upgraded {before or 'empty'} -> {after}")


@db_group.command("current")
@pass_context
def current(ctx: CliContext) -> None:
    """Show the schema revision of the database and the one this code needs."""
    engine = ctx.raw_engine()
    click.echo(
        f"{safe_url(engine)}: at {migrate.current_revision(engine) or 'empty'}, "
        f"code needs {migrate.head_revision(engine)}"
    )


def register(cli: click.Group) -> None:
    cli.add_command(db_group)
