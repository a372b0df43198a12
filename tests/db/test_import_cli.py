"""`recbot import ...` as a user meets it: a mistake is one `Error:` line and exit status 1."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine, func, select

from bot.cli import cli
from db.models import ImportBatch
from tests.db.broken_inputs import BROKEN, broken_file

GOOD = "customer_id,product_id,quantity,occurred_at\nC1,P1,2,2026-01-05\nC1,P1,x,2026-01-05\n"


def run(args: list[str], database_url: str) -> Result:
    return CliRunner().invoke(cli, args, env={"DATABASE_URL": database_url}, catch_exceptions=False)


def assert_one_error_line(result: Result, *expected: str) -> None:
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    for text in expected:
        assert text in lines[0]
    assert "Traceback" not in result.output and "Aborted" not in result.output


def test_rejects_option_naming_the_input_file_is_refused(
    database_url: str, engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "f.csv"
    path.write_text(GOOD, encoding="utf-8")

    result = run(
        ["import", "transactions", str(path), "--skip-invalid", "--rejects", str(path)],
        database_url,
    )

    assert_one_error_line(result, "f.csv", "is the input file")
    assert path.read_text(encoding="utf-8") == GOOD
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(ImportBatch)) == 0
    rejects = tmp_path / "r.csv"
    again = run(
        ["import", "transactions", str(path), "--skip-invalid", "--rejects", str(rejects)],
        database_url,
    )
    assert again.exit_code == 0 and "Imported 1 of 2 rows" in again.output


@pytest.mark.parametrize(
    ("command", "broken"),
    [("transactions", b) for b in BROKEN] + [("customers", "truncated gzip")],
)
def test_unreadable_files_are_one_error_line(
    database_url: str, tmp_path: Path, command: str, broken: str
) -> None:
    header, row = (
        ("customer_id,product_id,quantity,occurred_at", "C{i},P{i},1,2026-01-01")
        if command == "transactions"
        else ("customer_id,name", "C{i},Name {i}")
    )
    path, expected = broken_file(tmp_path, broken, header, row)

    result = run(["import", command, str(path)], database_url)

    assert_one_error_line(result, *expected)


def test_reps_sharing_a_slack_id_are_listed_by_line_not_a_database_error(
    database_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "r.csv"
    path.write_text(
        "email,name,slack_user_id\nann@example.com,Ann,U123\nbob@example.com,Bob,U123\n"
        f"cy@example.com,{'C' * 300},U456\n",
        encoding="utf-8",
    )

    result = run(["import", "reps", str(path)], database_url)

    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert lines == [
        "r.csv:3: slack_user_id 'U123' is also on line 2, for another rep",
        "r.csv:4: name longer than 256 characters",
        "Error: r.csv: 2 of 3 rows are invalid; nothing was imported (fix them, or use "
        "--skip-invalid to import the valid rows)",
    ]
