"""The synthetic b2b profile: customer names that fit their segment, and stable purchases."""

from __future__ import annotations

import pytest

from db import synthetic
from db.synthetic import NAME_PREFIXES, NAME_SUFFIXES, SEGMENTS, B2BParams, b2b_profile

SMALL = B2BParams(customers=300, products=40, weeks=12, seed=5)


def test_every_customer_name_fits_its_segment() -> None:
    customers = b2b_profile(SMALL).customers
    assert set(customers["segment"]) == set(SEGMENTS)
    for row in customers.itertuples():
        prefix, kind, number = row.name.split(" ")
        assert kind in NAME_SUFFIXES[row.segment], f"{row.name!r} is in {row.segment}"
        assert prefix in NAME_PREFIXES and int(number) == int(row.customer_id[1:])


def test_no_name_suffix_belongs_to_two_segments() -> None:
    suffixes = [s for segment in SEGMENTS for s in NAME_SUFFIXES[segment]]
    assert len(suffixes) == len(set(suffixes))


def test_names_are_deterministic_and_unique() -> None:
    first, second = b2b_profile(SMALL).customers, b2b_profile(SMALL).customers
    assert first["name"].tolist() == second["name"].tolist()
    assert first["name"].is_unique


def test_names_do_not_move_purchases(monkeypatch: pytest.MonkeyPatch) -> None:
    before = b2b_profile(SMALL).transactions
    monkeypatch.setattr(
        synthetic, "NAME_SUFFIXES", {s: ["Co", "Ltd", "Group"] for s in NAME_SUFFIXES}
    )
    after = b2b_profile(SMALL).transactions
    assert not before["customer_name"].equals(after["customer_name"])
    purchases = [c for c in before.columns if c != "customer_name"]
    assert before[purchases].equals(after[purchases])
