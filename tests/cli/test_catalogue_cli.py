"""`recbot products set-status`, `recbot rules ...`, `recbot entitlements ...`: each change shows
in the next `recommend`, `export` and Slack answer, with no retrain; mistakes are one line."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.cli import cli
from bot.commands.recommend import recommend
from tests.bot import fixtures
from tests.bot.conftest import make_deps
from tests.bot.doubles import AckDouble, all_text
from tests.cli.test_recommend_matches_slack import cli_products, slack_products
from tests.db.catalogue_helpers import fill


@pytest.fixture
def recbot(engine, database_url, monkeypatch):
    fill(engine)
    monkeypatch.setenv("DATABASE_URL", database_url)

    def run(*args: str, ok: bool = True) -> Result:
        res = CliRunner().invoke(cli, list(args))
        assert (res.exit_code == 0) == ok, res.output
        return res

    return run


NO_BREAD_FOR_RESTAURANTS = (
    "rules",
    "add",
    "no bread for restaurants",
    "exclude",
    "--category",
    "Bakery",
    "--segment",
    "Restaurants",
)


def listed(output: str) -> list[str]:
    """The product ids of `recbot recommend`'s lines, in order."""
    return [line.split()[1] for line in output.splitlines() if line.strip()[:1].isdigit()]


def exported(recbot, tmp_path: Path, *args: str) -> list[tuple[str, str, str]]:
    out = tmp_path / "recs.csv"
    recbot("export", "--out", str(out), *args)
    with out.open() as fh:
        return [(r["customer_id"], r["rank"], r["product_id"]) for r in csv.DictReader(fh)]


def test_set_status_takes_effect_on_the_next_answer_and_export(recbot, tmp_path) -> None:
    assert listed(recbot("recommend", "C001", "--top", "3").output)[:3] == ["P001", "P002", "P003"]
    assert ("C001", "1", "P001") in exported(recbot, tmp_path)
    res = recbot("products", "set-status", "P001", "discontinued")
    assert res.output.strip() == "P001: active -> discontinued (takes effect on the next answer)"
    assert listed(recbot("recommend", "C001", "--top", "3").output)[:3] == ["P002", "P003", "P004"]
    rows = exported(recbot, tmp_path)
    assert not [r for r in rows if r[2] == "P001"]
    assert ("C001", "1", "P002") in rows  # ranks close up
    recbot("products", "set-status", "P001", "Active")
    assert listed(recbot("recommend", "C001").output)[0] == "P001"


def test_set_status_mistakes_are_one_line(recbot) -> None:
    res = recbot("products", "set-status", "P999", "discontinued", ok=False)
    assert res.output.strip().splitlines() == [
        "Error: no product 'P999' (give its product_id, as imported)"
    ]
    assert (
        "'sold out' is not one of"
        in recbot("products", "set-status", "P1", "sold out", ok=False).output
    )


def test_rules_add_list_remove(recbot) -> None:
    res = recbot("rules", "add", "strategic", "boost", "--product", "P004", "--multiplier", "1.05")
    assert res.output.startswith("added strategic: boost")
    out = recbot("recommend", "C001", "--top", "3").output
    assert listed(out)[:3] == ["P004", "P001", "P002"]
    assert "boosted: strategic" in out
    recbot(*NO_BREAD_FOR_RESTAURANTS)
    assert recbot("rules", "list").output.splitlines() == [
        "strategic: boost    · product P004 · x1.05 · all customers",
        "no bread for restaurants: exclude  · category Bakery · segment Restaurants",
    ]
    recbot("rules", "remove", "strategic")
    assert listed(recbot("recommend", "C001", "--top", "3").output)[:3] == ["P001", "P002", "P003"]
    assert "strategic" not in recbot("rules", "list").output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["x", "boost", "--product", "P004"], "rule 'x': a boost needs a multiplier above 1"),
        (["x", "boost", "--product", "P004", "--multiplier", "0.5"], "a multiplier above 1"),
        (["x", "exclude", "--product", "P404"], "rule 'x': no product 'P404'"),
        (["x", "exclude", "--category", "Tobaco"], "no product has the category 'Tobaco'"),
        (["x", "exclude", "--category", "Bakery", "--segment", "Shcools"], "the segment 'Shcools'"),
        (["x", "promote"], "give exactly one of product or category"),
        (["x", "promote", "--product", "P001", "--multiplier", "2"], "only a boost takes"),
    ],
)
def test_rule_mistakes_are_one_line_and_add_nothing(recbot, args, message) -> None:
    res = recbot("rules", "add", *args, ok=False)
    assert message in res.output and len(res.output.strip().splitlines()) == 1
    assert recbot("rules", "list").output.startswith("no rules")


def test_a_rule_name_is_unique(recbot) -> None:
    recbot("rules", "add", "spring", "promote", "--product", "P010")
    res = recbot("rules", "add", "spring", "promote", "--product", "P009", ok=False)
    assert "a rule named 'spring' exists" in res.output


RULES_YML = """\
rules:
  - name: spring campaign
    kind: promote
    product: P010
  - name: strategic
    kind: boost
    category: Dairy
    multiplier: 1.5
  - name: no bread for hotels
    kind: exclude
    category: Bakery
    segment: Hotels
"""


def test_rules_import_from_yaml(recbot, tmp_path) -> None:
    path = tmp_path / "rules.yml"
    path.write_text(RULES_YML)
    assert recbot("rules", "import", str(path)).output.strip() == (
        "rules.yml: 3 added, 0 replaced; 3 rules in all"
    )
    out = recbot("recommend", "C001", "--top", "3").output
    assert listed(out)[3:] == ["P005", "P006", "P010"]
    assert "promoted: spring campaign" in out
    path.write_text("rules:\n  - {name: strategic, kind: boost, product: P002, multiplier: 2}\n")
    assert "0 added, 1 replaced; 3 rules in all" in recbot("rules", "import", str(path)).output
    assert "1 rules in all" in recbot("rules", "import", "--replace", str(path)).output


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("rules: [", "not a readable YAML file"),
        ("- a\n", "expected a top-level 'rules:' list"),
        ("rules:\n  - {name: a, kind: demote, product: P001}\n", "rule 1: rule 'a': kind 'demote'"),
        ("rules:\n  - {name: a, kind: promote, product: P001, when: now}\n", "unknown key 'when'"),
        (
            "rules:\n  - {name: a, kind: promote, product: P001}\n  - {name: a, kind: promote, "
            "product: P002}\n",
            "the name 'a' is used by more than one rule",
        ),
        ("rules:\n  - {name: a, kind: promote, product: P404}\n", "no product 'P404'"),
    ],
)
def test_a_bad_rules_file_changes_nothing(recbot, tmp_path, text, message) -> None:
    recbot("rules", "add", "kept", "promote", "--product", "P009")
    path = tmp_path / "rules.yml"
    path.write_text(text)
    res = recbot("rules", "import", "--replace", str(path), ok=False)
    assert message in res.output, res.output
    assert recbot("rules", "list").output.startswith("kept: promote")


def test_entitlements_import_list_clear(recbot, tmp_path) -> None:
    path = tmp_path / "contracts.csv"
    path.write_text("customer_id,product_id,category\nC001,P002,\nC001,,Bakery\nC003,P001,\n")
    res = recbot("entitlements", "import", str(path))
    assert (
        res.output.strip()
        == "contracts.csv: 3 entitlements for 2 customers (their earlier lists replaced)"
    )
    assert listed(recbot("recommend", "C001", "--top", "10").output) == [
        "P002",
        "P005",
        "P006",
        "P007",
        "P008",
    ]
    assert recbot("entitlements", "list", "Acme Bistro").output.splitlines() == [
        "C001: category Bakery",
        "C001: product P002",
    ]
    assert "C003: product P001" in recbot("entitlements", "list").output
    recbot("entitlements", "clear", "C001")
    assert len(listed(recbot("recommend", "C001", "--top", "10").output)) == 10
    assert recbot("entitlements", "clear", "--all").output.strip() == "removed 1 entitlements"
    assert "give a customer, or --all" in recbot("entitlements", "clear", ok=False).output


def test_a_bad_entitlements_file_names_its_lines_and_changes_nothing(recbot, tmp_path) -> None:
    good = tmp_path / "good.csv"
    good.write_text("customer_id,product_id\nC001,P002\n")
    recbot("entitlements", "import", str(good))
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "customer_id,product_id,category\nC001,P003,\nC999,P001,\nC002,P404,\nC002,P001,Dairy\n"
    )
    res = recbot("entitlements", "import", str(bad), ok=False)
    assert "bad.csv:3: unknown customer_id 'C999'" in res.output
    assert "bad.csv:4: unknown product_id 'P404'" in res.output
    assert "bad.csv:5: give exactly one of product_id or category" in res.output
    assert recbot("entitlements", "list").output.strip() == "C001: product P002"


def test_recommend_and_slack_give_the_same_list_with_rules_on(
    engine, database_url, monkeypatch, recbot, tmp_path
) -> None:
    recbot("products", "set-status", "P003", "out_of_stock")
    recbot("rules", "add", "strategic", "boost", "--product", "P004", "--multiplier", "1.5")
    recbot("rules", "add", "spring", "promote", "--product", "P010")
    recbot(
        "rules",
        "add",
        "no bread for hotels",
        "exclude",
        "--category",
        "Bakery",
        "--segment",
        "Hotels",
    )
    path = tmp_path / "contracts.csv"
    path.write_text("customer_id,category\nC002,Dairy\nC002,Bakery\n")
    recbot("entitlements", "import", str(path))
    deps = make_deps(engine)
    for text, args in [
        ("C001 3", ["C001", "--top", "3"]),
        ("C002", ["C002"]),
        ("Northwind Hotel", ["Northwind Hotel"]),
        ("C001 new", ["C001", "--new"]),
    ]:
        slack = slack_products(deps, text)
        assert slack == cli_products(database_url, monkeypatch, args), text
        assert all(3 not in found for found in slack.values())
    assert slack_products(deps, "C001 3")["likely to reorder"] == [4, 1, 2]
    assert slack_products(deps, "C001 3")["new for this customer"] == [5, 6, 10]
    assert slack_products(deps, "Northwind Hotel")["new for this customer"][:2] == [9, 10]


def test_the_fallback_is_said_in_slack_and_on_the_command_line(engine, recbot, tmp_path) -> None:
    recbot(*NO_BREAD_FOR_RESTAURANTS)
    out = recbot("recommend", "C001").output
    note = (
        "Catalogue rules left too few of this account's own picks: the last 2 are popular "
        "with Restaurants accounts"
    )
    assert note in out
    ack = AckDouble()
    recommend(
        ack=ack,
        command={"text": "C001", "user_id": fixtures.ADMIN},
        context={"deps": make_deps(engine)},
    )
    assert note in all_text(ack.only["blocks"])
