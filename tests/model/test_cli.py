"""The model commands as a user runs them."""

from __future__ import annotations

import csv
import json
import re

from click.testing import CliRunner

from bot.cli import cli
from tests.model.helpers import load_b2b


def run(args: list[str]):
    return CliRunner().invoke(cli, args, catch_exceptions=False)


def test_train_recommend_export_models(engine, database_url, monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", database_url)
    res = run(["models", "rollback"])
    assert res.exit_code == 1 and "no live model version" in res.output
    res = run(["train"])
    assert res.exit_code == 1 and "no transactions in the database" in res.output
    assert len(res.output.strip().splitlines()) == 1
    load_b2b(engine)
    res = run(["train", "--epochs", "3"])
    assert res.exit_code == 0, res.output
    assert "epoch  1" in res.output and "holdout ndcg@10" in res.output
    assert "version 1 (ranker): LIVE" in res.output
    res = run(["recommend", "C00001", "--top", "5"])
    assert res.exit_code == 0, res.output
    lines = res.output.strip().splitlines()
    # the customer line, then each section: its title, a column header and 5 products (a
    # reorder with orders in the last year has its timing on the line below it)
    picks = [line for line in lines if re.match(r"\s+\d+\s+P\d+ ", line)]
    timings = [line for line in lines if line.lstrip().startswith(("usually", "ordered"))]
    assert len(lines) == 1 + 2 * 2 + len(picks) + len(timings) and "reason" in lines[2]
    assert len(picks) == 10 and 0 < len(timings) <= 5 and "strength" in lines[2]
    new_at = lines.index("new for this customer:")
    assert lines[1] == "likely to reorder:" and new_at == 3 + 5 + len(timings)
    res = run(["recommend", "C00001", "--new", "--top", "3"])
    assert res.exit_code == 0 and "new for this customer" in res.output
    assert "reorder" not in res.output
    res = run(["recommend", "NOPE"])
    assert res.exit_code == 1 and "no customer 'NOPE'" in res.output
    out = tmp_path / "recs.csv"
    res = run(["export", "--out", str(out), "--top", "3", "--new"])
    assert res.exit_code == 0, res.output
    with out.open() as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["customer_id", "rank", "product_id", "score"]
    per_customer = {}
    for r in rows:
        per_customer.setdefault(r["customer_id"], []).append(int(r["rank"]))
    assert all(ranks == [1, 2, 3] for ranks in per_customer.values())
    res = run(["models", "list"])
    assert res.exit_code == 0 and "live" in res.output


def test_evaluate_writes_table_json_and_png(engine, database_url, monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", database_url)
    load_b2b(engine)
    res = run(["evaluate", "--cutoff", "2026-10-01", "--quick", "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    for name in ("popularity", "own-history", "EASE", "TIFU-KNN", "keras-ranker"):
        assert name in res.output
    data = json.loads((tmp_path / "evaluation.json").read_text())
    ranker = data["results"]["keras-ranker"]
    assert set(ranker) >= {"all", "new"} and 0 <= ranker["new"]["ndcg"] <= 1
    assert (tmp_path / "evaluation.png").stat().st_size > 1000
