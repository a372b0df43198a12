"""`recbot generate`: synthetic transaction files."""

from __future__ import annotations

from pathlib import Path

import click

from db.synthetic import B2BParams, seed_chunks, write_b2b, write_part


def companion_paths(out: Path) -> dict[str, Path]:
    """Where the b2b profile writes its customers, products and reps files, beside `out`."""
    stem = out.name.removesuffix(".gz").removesuffix(".csv")
    return {kind: out.with_name(f"{stem}.{kind}.csv") for kind in ("customers", "products", "reps")}


@click.command("generate", short_help="Write synthetic transactions (seed or b2b profile).")
@click.option(
    "--profile",
    type=click.Choice(["seed", "b2b"]),
    default="b2b",
    show_default=True,
    help="seed: the original blog's data; b2b: realistic data with hidden structure.",
)
@click.option(
    "--rows",
    type=click.IntRange(min=1),
    help="Rows to write. [seed default: 100000; b2b default: natural volume]",
)
@click.option("--customers", type=click.IntRange(min=1), default=2000, show_default=True)
@click.option("--products", type=click.IntRange(min=1), default=500, show_default=True)
@click.option("--weeks", type=click.IntRange(min=4), default=104, show_default=True)
@click.option(
    "--density",
    type=click.FloatRange(min=0.1),
    default=1.0,
    show_default=True,
    help="b2b: scales basket sizes and exploration.",
)
@click.option("--seed", type=int, default=7, show_default=True)
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="CSV file to write (.csv.gz compresses).",
)
def generate(
    profile: str,
    rows: int | None,
    customers: int,
    products: int,
    weeks: int,
    density: float,
    seed: int,
    out: Path,
) -> None:
    """Write a canonical transactions CSV (b2b also writes customers, products and reps files)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    if profile == "seed":
        for i, chunk in enumerate(seed_chunks(rows or 100_000, seed=seed)):
            write_part(chunk, out, first=i == 0)
        click.echo(f"Wrote {rows or 100_000:,} rows of the seed profile to {out}.")
        return
    paths = companion_paths(out)
    params = B2BParams(
        customers=customers, products=products, weeks=weeks, rows=rows, density=density, seed=seed
    )
    written = write_b2b(params, out, paths)
    click.echo(
        f"Wrote {written:,} b2b transactions to {out}, and "
        f"{', '.join(str(p) for p in paths.values())}."
    )


def register(cli: click.Group) -> None:
    cli.add_command(generate)
