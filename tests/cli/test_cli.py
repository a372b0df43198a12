"""The command line as a user meets it: one clear line per mistake, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine, func, select

from bot.cli import cli
from db.models import ModelVersion, Recommendation, RepAssignment, Transaction
from db.session import make_engine

RECBOT = str(Path(sys.executable).with_name("recbot"))


def run(args: list[str], database_url: str | None = None) -> Result:
    env = {"DATABASE_URL": database_url} if database_url else {"DATABASE_URL": ""}
    return CliRunner().invoke(cli, args, env=env, catch_exceptions=False)


def test_help_lists_every_command_on_one_line() -> None:
    result = run(["--help"])
    assert result.exit_code == 0
    commands = (
        "db",
        "demo",
        "digest",
        "evaluate",
        "export",
        "generate",
        "import",
        "jobs",
        "models",
        "recommend",
        "retrain",
        "scheduler",
        "serve",
        "train",
    )
    for command in commands:
        lines = [line for line in result.output.splitlines() if line.strip().startswith(command)]
        assert lines and not lines[0].rstrip().endswith("...")


def test_bad_rows_are_listed_then_one_error_line(database_url: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "customer_id,product_id,quantity,occurred_at\nC1,P1,2,2026-01-05\nC1,P1,many,2026-01-05\n"
    )
    result = run(["import", "transactions", str(bad)], database_url)

    assert result.exit_code == 1
    assert "bad.csv:3: quantity 'many' is not a number" in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("Error: bad.csv: 1 of 2 rows")
    assert "Traceback" not in result.output


def test_import_twice_says_nothing_added(database_url: str, engine: Engine, tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    good.write_text("customer_id,product_id,quantity,occurred_at\nC1,P1,2,2026-01-05\n")
    assert run(["import", "transactions", str(good)], database_url).exit_code == 0
    second = run(["import", "transactions", str(good)], database_url)

    assert second.exit_code == 0
    assert "already imported" in second.output and "nothing added" in second.output
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Transaction)) == 1


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql+psycopg://postgres@127.0.0.1:1/none", "Error: database unreachable"),
        ("nosuchdb://x", "Error: unsupported DATABASE_URL"),
        ("::not a url::", "Error: DATABASE_URL is not a valid database URL"),
    ],
)
def test_database_mistakes_are_one_line(url: str, expected: str, tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("customer_id,product_id,quantity,occurred_at\n")
    result = run(["import", "transactions", str(path)], url)

    assert result.exit_code == 1
    assert result.stderr.strip().startswith(expected)
    assert len(result.stderr.strip().splitlines()) == 1


def test_missing_file_and_wrong_columns(database_url: str, tmp_path: Path) -> None:
    missing = run(["import", "transactions", str(tmp_path / "nope.csv")], database_url)
    assert missing.exit_code == 1 and "no such file" in missing.stderr

    wrong = tmp_path / "wrong.csv"
    wrong.write_text("CustomerID,StockCode,Quantity,InvoiceDate\nC1,P1,1,2026-01-01\n")
    result = run(["import", "transactions", str(wrong)], database_url)
    assert result.exit_code == 1 and "--map customer_id=" in result.stderr

    mapped = run(
        [
            "import",
            "transactions",
            str(wrong),
            "--map",
            "customer_id=CustomerID",
            "--map",
            "product_id=StockCode",
            "--map",
            "quantity=Quantity",
            "--map",
            "occurred_at=InvoiceDate",
        ],
        database_url,
    )
    assert mapped.exit_code == 0, mapped.output


def test_stale_schema_on_a_configured_database_says_upgrade(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    make_engine(url).dispose()  # an empty database file: schema never applied
    path = tmp_path / "t.csv"
    path.write_text("customer_id,product_id,quantity,occurred_at\n")

    result = run(["import", "transactions", str(path)], url)

    assert result.exit_code == 1
    assert "run `recbot db upgrade`" in result.stderr
    assert run(["db", "upgrade"], url).exit_code == 0
    assert run(["import", "transactions", str(path)], url).exit_code == 0


def test_demo_fills_the_embedded_default_database(tmp_path: Path) -> None:
    # A real process, as a user runs it: training loads TensorFlow, which must stay out of the
    # test process (other tests check that the serving and scheduling code never loads it).
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    result = subprocess.run(
        [RECBOT, "demo"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600
    )

    assert result.returncode == 0, result.stdout + result.stderr
    engine = make_engine(f"sqlite:///{tmp_path / 'recbot.db'}")
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Transaction)) > 10_000
        assert conn.scalar(select(func.count()).select_from(RepAssignment)) > 0
        assert (
            conn.scalar(
                select(func.count()).select_from(ModelVersion).where(ModelVersion.status == "live")
            )
            == 1
        )
        assert conn.scalar(select(func.count()).select_from(Recommendation)) > 0
    engine.dispose()
    assert "likely to reorder:" in result.stdout and "new for this customer:" in result.stdout
    assert "recommend C" in result.stdout  # the "Try:" line names a real customer


def test_generate_seed_reproduces_the_blog_data(tmp_path: Path) -> None:
    out = tmp_path / "seed.csv"
    result = run(["generate", "--profile", "seed", "--rows", "2000", "--out", str(out)])
    assert result.exit_code == 0
    frame = pd.read_csv(out)

    assert len(frame) == 2000
    assert frame["customer_id"].nunique() == 100
    assert frame["occurred_at"].nunique() == 52
    second_half = frame.iloc[1000:]
    assert set(second_half["product_id"]) == {"class-4"} and set(second_half["quantity"]) == {4}
    assert set(frame.iloc[:1000]["quantity"]) == {1, 2, 3, 4}
    assert frame.groupby(["customer_id", "product_id"]).ngroups <= 500


def test_generate_b2b_is_seeded_and_writes_companions(tmp_path: Path) -> None:
    args = [
        "generate",
        "--profile",
        "b2b",
        "--customers",
        "50",
        "--products",
        "40",
        "--weeks",
        "20",
        "--rows",
        "3000",
    ]
    assert run([*args, "--out", str(tmp_path / "a.csv")]).exit_code == 0
    assert run([*args, "--out", str(tmp_path / "b.csv")]).exit_code == 0

    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    assert len(pd.read_csv(tmp_path / "a.csv")) == 3000
    reps = pd.read_csv(tmp_path / "a.reps.csv")
    customers = pd.read_csv(tmp_path / "a.customers.csv")
    assigned = {c for ids in reps["customer_ids"].dropna() for c in ids.split(";")}
    assert assigned <= set(customers["customer_id"])
