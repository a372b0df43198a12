"""The in-memory name index behind partial and misspelt customer names."""

from __future__ import annotations

from db.customer_search import NameIndex


def test_containing_finds_each_name_once_in_order() -> None:
    index = NameIndex([10, 20, 30, 40], ["acme bistro", "bistro acme acme", "grill", "acme"])
    assert index.containing("acme") == [0, 1, 3]
    assert index.containing("grill") == [2]
    assert index.containing("zzz") == []
    assert index.containing("o bi") == [] and index.containing("bistro") == [0, 1]
    assert index.count("acme") == 4


def test_only_keeps_the_allowed_ids() -> None:
    index = NameIndex([10, 20, 30], ["acme bistro", "acme grill", "harbor cafe"]).only(
        frozenset({20, 30})
    )
    assert index.ids == [20, 30]
    assert index.containing("acme") == [0]


def test_empty_index() -> None:
    assert NameIndex([], []).containing("a") == []
