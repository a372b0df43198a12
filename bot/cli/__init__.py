"""The `recbot` command line: one click group, one module per family of commands."""

from __future__ import annotations

import click
from sqlalchemy.exc import DBAPIError, OperationalError

from bot.cli.context import CliContext
from core.errors import RecbotError


class RecbotGroup(click.Group):
    """Turns the errors a user can fix into one line on stderr and a non-zero exit."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except RecbotError as exc:
            raise click.ClickException(str(exc)) from None
        except OperationalError as exc:
            message = f"database unreachable or failing: {_first_line(exc)}"
            raise click.ClickException(message) from None
        except DBAPIError as exc:
            raise click.ClickException(f"database error: {_first_line(exc)}") from None
        except ModuleNotFoundError as exc:
            if (exc.name or "").split(".")[0] not in TRAINING_MODULES:
                raise
            raise click.ClickException(
                f"this command trains or evaluates models and needs {exc.name}, which this "
                "installation leaves out (the serving image does): pip install 'recbot[train]'"
            ) from None


# What the `train` extra brings; only the commands that train or evaluate import them.
TRAINING_MODULES = frozenset({"tensorflow", "keras", "scipy", "matplotlib"})


def _first_line(exc: DBAPIError) -> str:
    text = str(exc.orig) if exc.orig is not None else str(exc)
    return (text.strip().splitlines() or ["unknown error"])[0]


@click.group(
    cls=RecbotGroup,
    context_settings={
        "help_option_names": ["-h", "--help"],
        "max_content_width": 120,
        "terminal_width": 120,
    },
)
@click.pass_context
def cli(ctx: click.Context) -> None:
    """recbot: product recommendations for B2B sales reps, in Slack."""
    ctx.obj = CliContext.from_env()


def _register() -> None:
    from bot.cli import (
        catalogue_commands,
        db_commands,
        demo_command,
        generate_command,
        import_commands,
        job_commands,
        model_commands,
        report_command,
        serve_command,
        serving_commands,
        sync_command,
    )

    for module in (
        db_commands,
        import_commands,
        generate_command,
        demo_command,
        model_commands,
        serving_commands,
        serve_command,
        job_commands,
        sync_command,
        catalogue_commands,
        report_command,
    ):
        module.register(cli)


_register()


def main() -> None:
    cli(prog_name="recbot")
