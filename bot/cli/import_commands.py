"""`recbot import ...`: load transactions, customers, products and reps from CSV files."""

from __future__ import annotations

from pathlib import Path

import click
from tqdm import tqdm

from bot.cli.context import CliContext, pass_context
from db.imports import (
    ImportRejected,
    ImportReport,
    import_masters,
    import_transactions,
    parse_column_map,
)

SHOWN_REJECTS = 50

_map_option = click.option(
    "--map",
    "mappings",
    multiple=True,
    metavar="CANONICAL=SOURCE",
    help="Read a canonical column from a differently named one, e.g. customer_id=CustomerID.",
)
_skip_option = click.option(
    "--skip-invalid",
    is_flag=True,
    help="Import the valid rows and write the rejected ones to a file, instead of aborting.",
)
_file_argument = click.argument("file", type=click.Path(path_type=Path))


@click.group("import")
def import_group() -> None:
    """Import CSV files (plain or .csv.gz) into the database."""


@import_group.command("transactions")
@_file_argument
@_map_option
@_skip_option
@click.option(
    "--rejects",
    "rejects_path",
    type=click.Path(path_type=Path),
    help="Where --skip-invalid writes rejected lines [default: ./FILE.rejects.csv].",
)
@click.option("--date-format", help="strptime format of occurred_at if it is not ISO 8601.")
@click.option(
    "--source",
    help="Whose line ids the file's line_id column holds; files from one system share it, so a "
    "line seen before replaces its row [default: csv:FILE's name].",
)
@pass_context
def transactions(
    ctx: CliContext,
    file: Path,
    mappings: tuple[str, ...],
    skip_invalid: bool,
    rejects_path: Path | None,
    date_format: str | None,
    source: str | None,
) -> None:
    """Import purchase lines: customer_id,product_id,quantity,occurred_at[,customer_name,
    product_name,amount,line_id]."""
    column_map = parse_column_map(mappings)
    engine = ctx.engine()
    if skip_invalid and rejects_path is None:
        rejects_path = Path.cwd() / f"{file.name.removesuffix('.gz')}.rejects.csv"
    size = file.stat().st_size if file.is_file() else 0
    with tqdm(
        total=size, unit="B", unit_scale=True, desc=file.name, disable=None, leave=False
    ) as bar:

        def progress(position: int) -> None:
            bar.update(position - bar.n)

        try:
            report = import_transactions(
                engine,
                file,
                column_map,
                skip_invalid,
                rejects_path,
                date_format=date_format,
                on_progress=progress,
                source=source,
            )
        except ImportRejected as exc:
            _print_rejections(exc.report)
            raise
    if report.already_imported_at is not None:
        when = f"{report.already_imported_at:%Y-%m-%d %H:%M}"
        click.echo(
            f"{file.name} was already imported on {when} (batch {report.batch_id}); nothing added."
        )
        return
    click.echo(
        f"Imported {report.rows_imported:,} of {report.rows_read:,} rows from {file.name} "
        f"(batch {report.batch_id}); new customers: {report.customers_created:,}, "
        f"new products: {report.products_created:,}."
    )
    if report.rows_updated or report.rows_unchanged:
        click.echo(
            f"Of those, {report.rows_updated:,} replaced an earlier row with the same line_id and "
            f"{report.rows_unchanged:,} were unchanged."
        )
    if report.rows_rejected:
        _print_rejections(report)
        click.echo(
            f"Skipped {report.rows_rejected:,} invalid rows; listed in {report.rejects_path}."
        )


def _print_rejections(report: ImportReport) -> None:
    for rejection in report.rejections[:SHOWN_REJECTS]:
        click.echo(f"{report.path.name}:{rejection.line}: {rejection.reason}", err=True)
    if report.rows_rejected > SHOWN_REJECTS:
        click.echo(f"… and {report.rows_rejected - SHOWN_REJECTS:,} more invalid lines", err=True)


def _masters_command(kind: str, doc: str) -> click.Command:
    @import_group.command(kind, help=doc)
    @_file_argument
    @_map_option
    @_skip_option
    @pass_context
    def command(ctx: CliContext, file: Path, mappings: tuple[str, ...], skip_invalid: bool) -> None:
        column_map = parse_column_map(mappings)
        try:
            report = import_masters(ctx.engine(), file, kind, column_map, skip_invalid)
        except ImportRejected as exc:
            _print_rejections(exc.report)
            raise
        _print_rejections(report)
        extra = f", {report.assignments:,} account assignments" if kind == "reps" else ""
        click.echo(
            f"{kind.capitalize()} from {file.name}: {report.created:,} created, "
            f"{report.updated:,} updated, {report.unchanged:,} unchanged, "
            f"{report.rows_rejected:,} rejected{extra}."
        )

    return command


_masters_command("customers", "Upsert customers: customer_id,name[,segment,region].")
_masters_command("products", "Upsert products: product_id,name[,category].")
_masters_command(
    "reps",
    "Upsert sales reps and their accounts: email,name[,slack_user_id,time_zone,customer_ids] "
    "(customer_ids separated by ';').",
)


def register(cli: click.Group) -> None:
    cli.add_command(import_group)
