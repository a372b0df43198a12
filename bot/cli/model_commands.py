"""`recbot train | evaluate | models`: the recommendation model's commands.

TensorFlow is imported only by the commands that train (train, evaluate).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from bot.cli.context import CliContext, pass_context

ARCHS = ("ranker", "seed")


def _as_of(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=None) if value else None


@click.command("train")
@click.option(
    "--arch",
    type=click.Choice(ARCHS),
    default="ranker",
    show_default=True,
    help="ranker: pair features (+ towers), sampled softmax; seed: the blog's recipe.",
)
@click.option(
    "--as-of",
    type=click.DateTime(),
    default=None,
    help="Train on transactions before this date (default: the newest one's next day).",
)
@click.option("--epochs", type=int, default=None, help="Maximum epochs (early stopping decides).")
@click.option("--seed", type=int, default=7, show_default=True)
@click.option(
    "--tolerance",
    type=float,
    default=0.05,
    show_default=True,
    help="How far below the live version's holdout NDCG@10 a new one may be.",
)
@click.option("--no-promote", is_flag=True, help="Keep a gate-passing version as a candidate.")
@click.option(
    "--towers", is_flag=True, help="Add the two embedding towers to the pair features (ablation)."
)
@click.option("--no-features", is_flag=True, help="Ablation: the embedding towers only.")
@pass_context
def train(
    ctx: CliContext,
    arch: str,
    as_of: datetime | None,
    epochs: int | None,
    seed: int,
    tolerance: float,
    no_promote: bool,
    towers: bool,
    no_features: bool,
) -> None:
    """Train a model version from the database and, if it passes the gate, serve it."""
    from model.pipeline import train_and_publish
    from model.train import RankerParams

    params = RankerParams(
        arch=arch, seed=seed, use_embeddings=towers or no_features, use_features=not no_features
    )
    if epochs is not None:
        params.epochs = params.seed_epochs = epochs
    res = train_and_publish(
        ctx.engine(), params, _as_of(as_of), tolerance, not no_promote, log=click.echo
    )
    h, pop = res.metrics["holdout"], res.metrics["holdout_popularity"]
    click.echo("")
    click.echo(f"version {res.version_id} ({arch}): {res.status.upper()} - {res.reason}")
    click.echo(
        f"  data:     {res.n_rows:,} transactions, {res.n_customers:,} customers, "
        f"{res.n_products:,} products"
    )
    click.echo(
        f"  holdout:  last {res.metrics['holdout_weeks']} weeks, NDCG@10 all "
        f"{h['all']:.4f} / new {h['new']:.4f} (popularity {pop['all']:.4f} / "
        f"{pop['new']:.4f})"
    )
    similar = res.metrics.get("similar")
    if similar:
        judged = similar["holdout"]
        click.echo(
            f"  similar:  from {similar['served']} (holdout NDCG@{similar['k']} all / new: "
            + ", ".join(
                f"{name} {m['all']['ndcg']:.4f} / {m['new']['ndcg']:.4f}"
                for name, m in judged.items()
            )
            + ")"
        )
    click.echo(
        f"  served:   {res.rows_written:,} recommendation rows written"
        if res.rows_written
        else "  served:   nothing changed"
    )
    click.echo("  time:     " + ", ".join(f"{k} {v:.1f}s" for k, v in res.timings.items()))


@click.command("evaluate")
@click.option(
    "--cutoff",
    type=click.DateTime(),
    required=True,
    help="Train before this date, score against purchases from it on.",
)
@click.option("--until", type=click.DateTime(), default=None, help="End of the test period.")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    default=Path("bench/out"),
    show_default=True,
    help="Folder for evaluation.json and evaluation.png.",
)
@click.option("--name", default="evaluation", show_default=True, help="Output file stem.")
@click.option("--quick", is_flag=True, help="Skip the slow baselines (ALS, blog recipe).")
@click.option("--ablation", is_flag=True, help="Add towers-only and towers+features rankers.")
@click.option("--seed", type=int, default=7, show_default=True)
@pass_context
def evaluate(
    ctx: CliContext,
    cutoff: datetime,
    until: datetime | None,
    out_dir: Path,
    name: str,
    quick: bool,
    ablation: bool,
    seed: int,
) -> None:
    """Compare the Keras ranker with the baselines on a time split, in both modes."""
    from model.compare import evaluate_database

    evaluate_database(
        ctx.engine(),
        cutoff.replace(tzinfo=None),
        _as_of(until),
        out_dir,
        name,
        quick,
        seed,
        ablation,
        log=click.echo,
    )


@click.group("models")
def models_group() -> None:
    """List, promote and roll back model versions."""


@models_group.command("list")
@click.option("--limit", type=int, default=20, show_default=True)
@pass_context
def models_list(ctx: CliContext, limit: int) -> None:
    """Versions, newest first, with their holdout NDCG@10 and fate."""
    from model.registry import holdout_score, list_versions

    rows = list_versions(ctx.engine(), limit)
    if not rows:
        click.echo("no model versions yet: run `recbot train`")
        return
    click.echo(
        f"{'id':>4}  {'status':<9} {'arch':<7} {'trained':<16} {'customers':>9} "
        f"{'ndcg@10':>8}  reason"
    )
    for v in rows:
        trained = f"{v.trained_at:%Y-%m-%d %H:%M}" if v.trained_at else "-"
        score = holdout_score(v.metrics)
        shown = f"{score:.4f}" if score is not None else "-"
        click.echo(
            f"{v.id:>4}  {v.status:<9} {v.arch:<7} {trained:<16} {v.n_customers or 0:>9} "
            f"{shown:>8}  {v.reason or ''}"
        )


@models_group.command("promote")
@click.argument("version_id", type=int)
@pass_context
def models_promote(ctx: CliContext, version_id: int) -> None:
    """Serve a stored version (a candidate, or the previous live one)."""
    from model.registry import promote

    promote(ctx.engine(), version_id)
    click.echo(f"model version {version_id} is live")


@models_group.command("rollback")
@pass_context
def models_rollback(ctx: CliContext) -> None:
    """Go back to the previous live version."""
    from model.registry import rollback

    old, new = rollback(ctx.engine())
    click.echo(f"rolled back: version {old} retired, version {new} is live again")


def register(cli: click.Group) -> None:
    for command in (train, evaluate, models_group):
        cli.add_command(command)
