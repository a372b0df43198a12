"""`recbot demo`: a realistic dataset in the database, ready to explore."""

from __future__ import annotations

import os
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path

import click
from sqlalchemy import Engine, func, select

from bot.cli.context import CliContext, pass_context
from bot.cli.generate_command import companion_paths
from bot.cli.serving_commands import text_lines
from db import serving
from db.imports import import_masters, import_transactions
from db.models import Customer, Product, RepAssignment, SalesRep, Transaction
from db.queries import CUSTOMER_COLUMNS, customer_ref
from db.session import safe_url
from db.synthetic import B2BParams, b2b_profile, write_csv

DEMO_PARAMS = B2BParams(customers=600, products=300, weeks=78, seed=7)


@click.command("demo", short_help="Load a realistic B2B demo dataset and show it.")
@click.option(
    "--data-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("demo-data"),
    show_default=True,
    help="Where the generated CSV files are written.",
)
@click.option(
    "--train/--no-train",
    default=True,
    show_default=True,
    help="Train a model (if none is live) and show a few customers' recommendations.",
)
@pass_context
def demo(ctx: CliContext, data_dir: Path, train: bool) -> None:
    """Load a realistic B2B dataset with sales reps, train a model and show recommendations."""
    engine = ctx.engine()
    data_dir.mkdir(parents=True, exist_ok=True)
    transactions_file = data_dir / "transactions.csv"
    paths = companion_paths(transactions_file)
    if not transactions_file.exists():
        click.echo(
            f"Generating {DEMO_PARAMS.customers} customers, {DEMO_PARAMS.products} "
            f"products, {DEMO_PARAMS.weeks} weeks of purchases in {data_dir}/ …"
        )
        data = b2b_profile(DEMO_PARAMS)
        for frame, path in (
            (data.customers, paths["customers"]),
            (data.products, paths["products"]),
            (data.reps, paths["reps"]),
            (data.transactions, transactions_file),
        ):
            write_csv(frame, path)
    import_masters(engine, paths["customers"], "customers")
    import_masters(engine, paths["products"], "products")
    report = import_transactions(engine, transactions_file)
    import_masters(engine, paths["reps"], "reps")
    if report.already_imported_at is None:
        click.echo(f"Imported {report.rows_imported:,} transactions.")
    else:
        click.echo("Transactions were already imported; nothing added.")
    click.echo(summary(engine))
    if train:
        train_if_none_live(engine)
        show_busiest(engine)


def train_if_none_live(engine: Engine) -> None:
    with engine.connect() as conn:
        if serving.live_model_id(conn) is not None:
            return
    from model.pipeline import train_and_publish  # TensorFlow loads only when training
    from model.train import RankerParams

    click.echo("Training the recommendation model …")
    res = train_and_publish(engine, RankerParams(), log=click.echo)
    click.echo(f"version {res.version_id}: {res.status} - {res.reason}")


def show_busiest(engine: Engine, customers: int = 3, top: int = 5) -> None:
    """The busiest accounts' answers, as `recbot recommend` (and Slack) show them."""
    now = datetime.now(UTC).replace(tzinfo=None)
    with engine.connect() as conn:
        model = serving.live_model(conn)
        if model is None:
            return
        busiest = conn.execute(
            select(*CUSTOMER_COLUMNS)
            .join(Transaction, Transaction.customer_id == Customer.id)
            .group_by(*CUSTOMER_COLUMNS)
            .order_by(func.count().desc(), Customer.id)
            .limit(customers)
        ).all()
        for row in busiest:
            served = serving.served(conn, model, customer_ref(row), top, now)
            click.echo("\n" + "\n".join(text_lines(served, new_only=False)))
    example = busiest[0].external_id if busiest else "<customer>"
    recbot = recbot_command()
    click.echo(f"\nTry: {recbot} recommend {example} [--new] [--slack], {recbot} models list")
    if recbot != "recbot":
        click.echo("     (or `source .venv/bin/activate` once, then plain `recbot ...`)")


def recbot_command() -> str:
    """How to run recbot from here: plain `recbot` when that is what runs, else its path."""
    exe = Path(sys.argv[0])
    if exe.name != "recbot":
        return "recbot"
    found = shutil.which("recbot")
    if found and Path(found).resolve() == exe.resolve():
        return "recbot"
    absolute = exe.resolve()
    return os.path.relpath(absolute) if absolute.is_relative_to(Path.cwd()) else str(absolute)


def summary(engine: Engine) -> str:
    """A few lines on what the database holds."""
    with engine.connect() as conn:
        n_tx, first, last = conn.execute(
            select(
                func.count(), func.min(Transaction.occurred_at), func.max(Transaction.occurred_at)
            )
        ).one()
        n_customers = conn.scalar(select(func.count()).select_from(Customer))
        n_products = conn.scalar(select(func.count()).select_from(Product))
        n_reps = conn.scalar(select(func.count()).select_from(SalesRep))
        n_assigned = conn.scalar(select(func.count()).select_from(RepAssignment))
        top = conn.execute(
            select(Customer.name, Customer.segment, func.count().label("lines"))
            .join(Transaction, Transaction.customer_id == Customer.id)
            .group_by(Customer.id, Customer.name, Customer.segment)
            .order_by(func.count().desc(), Customer.name)
            .limit(5)
        ).all()
    lines = [
        f"Database: {safe_url(engine)}",
        f"  {n_tx:,} transactions from {first:%Y-%m-%d} to {last:%Y-%m-%d}"
        if n_tx
        else "  no transactions",
        f"  {n_customers:,} customers, {n_products:,} products, {n_reps:,} sales reps "
        f"({n_assigned:,} account assignments)",
        "  Busiest accounts:",
    ]
    lines += [
        f"    {name} ({segment or 'no segment'}): {count:,} lines" for name, segment, count in top
    ]
    return "\n".join(lines)


def register(cli: click.Group) -> None:
    cli.add_command(demo)
