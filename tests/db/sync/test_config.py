"""The sources file: its keys, ${VAR} expansion, and one line per mistake."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import RecbotError
from db.sync.config import load_sources

EXAMPLE = Path(__file__).resolve().parents[3] / "sources.example.yml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sources.yml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_example_loads(tmp_path: Path) -> None:
    [source] = load_sources(EXAMPLE, environ={"ERP_PASSWORD": "s3cr@t:/x"})

    assert source.name == "erp" and source.watermark == "updated_at"
    assert set(source.queries) == {"transactions", "customers", "products", "reps"}
    assert source.password == "s3cr@t:/x"
    assert "s3cr@t" not in repr(source) and "s3cr@t" not in source.shown_url


def test_variables_are_expanded_and_hidden(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "sources:\n  shop:\n    url: postgresql://app:${SHOP_PW}@db/${SHOP_DB}\n"
        "    watermark: changed\n    skip_invalid: true\n    transactions: SELECT 1;\n",
    )

    [source] = load_sources(path, environ={"SHOP_PW": "hunter2", "SHOP_DB": "orders"})

    assert source.url == "postgresql://app:hunter2@db/orders"
    assert source.shown_url == "postgresql://app:***@db/orders"
    assert source.queries == {"transactions": "SELECT 1"}
    assert source.skip_invalid is True
    assert "hunter2" not in repr(source)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("sources: [", "not valid YAML (line 1)"),
        ("nothing: here\n", "expected a `sources:` mapping"),
        ("sources:\n  erp:\n    url: x\n", "the `transactions` query is missing"),
        ("sources:\n  erp:\n    transactions: SELECT 1\n", "`url` is missing"),
        (
            "sources:\n  erp:\n    url: x\n    transaction: SELECT 1\n",
            "unknown key 'transaction'",
        ),
        (
            "sources:\n  erp:\n    url: postgresql://u:${NOPE}@h/d\n    transactions: SELECT 1\n",
            "uses ${NOPE}, which is not set in the environment",
        ),
        (
            "sources:\n  'csv:x':\n    url: x\n    transactions: SELECT 1\n",
            "a source name is 1 to 64 letters",
        ),
        (
            "sources:\n  erp:\n    url: x\n    chunk_rows: 0\n    transactions: SELECT 1\n",
            "`chunk_rows` must be a whole number",
        ),
    ],
)
def test_mistakes_are_one_line(tmp_path: Path, text: str, says: str) -> None:
    with pytest.raises(RecbotError) as caught:
        load_sources(write(tmp_path, text), environ={})

    assert says in str(caught.value) and "\n" not in str(caught.value)


def test_a_missing_file_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(RecbotError, match=r"sources\.example\.yml"):
        load_sources(tmp_path / "sources.yml", environ={})
