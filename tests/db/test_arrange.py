"""db/arrange.py on its own: boosts, the boundary of what was read, promotion slots, the cap."""

from __future__ import annotations

from db.arrange import Candidate, Pick, Policy, arrange, boosted
from db.rule_set import RuleRef, RuleSet


def candidates(*specs: tuple[int, float, str], window: int = 99) -> list[Candidate]:
    return [
        Candidate(Pick(pid, f"item {pid}", category, score, "why", f"P{pid}"), rank, rank <= window)
        for rank, (pid, score, category) in enumerate(specs, 1)
    ]


def ids(picks: list[Pick] | None) -> list[int] | None:
    return None if picks is None else [p.product_id for p in picks]


LIST = candidates((1, 0.9, "A"), (2, 0.8, "A"), (3, 0.7, "B"), (4, 0.6, "B"), (5, 0.5, "C"))
NONE = RuleSet(None)


def test_without_rules_the_models_order_stays() -> None:
    assert ids(arrange(LIST, 3, NONE, None, Policy(), None)) == [1, 2, 3]


def test_a_boost_always_raises_a_score() -> None:
    assert boosted(0.5, 2) == 1.0 and boosted(-0.5, 2) == -0.25


def test_a_list_the_rules_left_short_asks_for_more_unless_it_was_the_whole_list() -> None:
    assert arrange(LIST[:2], 3, NONE, None, Policy(), 0.8, filtered=True) is None
    assert ids(arrange(LIST[:2], 3, NONE, None, Policy(), None, filtered=True)) == [1, 2]
    # short of itself (nothing filtered, nothing capped): as short as it always was
    assert ids(arrange(LIST[:2], 3, NONE, None, Policy(), 0.8)) == [1, 2]
    # the cap skipped a row: the rest of the list may have another category
    assert arrange(LIST[:2], 2, NONE, None, Policy(max_per_category=1), 0.8) is None


def test_a_row_from_beyond_the_window_is_placed_only_above_the_boundary() -> None:
    rows = candidates((1, 0.9, "A"), (2, 0.8, "A"), (9, 0.3, "B"), window=2)
    weak = RuleSet(1, (RuleRef("a bit", "boost", "product", "P9", multiplier=2.0),))
    strong = RuleSet(1, (RuleRef("a lot", "boost", "product", "P9", multiplier=4.0),))
    # 0.6 < 0.8, the window's lowest score: unread rows may come between, so read more
    assert arrange(rows, 3, weak, None, Policy(), 0.8) is None
    assert ids(arrange(rows, 2, strong, None, Policy(), 0.8)) == [9, 1]  # 1.2 >= 0.8


def test_segment_scoped_rules_apply_to_that_segment_only() -> None:
    rules = RuleSet(1, (RuleRef("hotels", "boost", "category", "C", "Hotels", 10.0),))
    assert ids(arrange(LIST, 2, rules, "Hotels", Policy(), None)) == [5, 1]
    assert ids(arrange(LIST, 2, rules, "Schools", Policy(), None)) == [1, 2]


def test_promotion_slots_replace_the_last_unpromoted_picks() -> None:
    rules = RuleSet(1, (RuleRef("c promo", "promote", "category", "C"),))
    picks = arrange(LIST, 3, rules, None, Policy(promotion_slots=1), None)
    assert ids(picks) == [1, 2, 5]
    assert picks is not None and picks[-1].reason == "why · promoted: c promo"
    # already in the top n on its own: nothing moves
    assert ids(arrange(LIST, 5, rules, None, Policy(promotion_slots=1), None)) == [1, 2, 3, 4, 5]


def test_the_cap_skips_to_the_next_category() -> None:
    assert ids(arrange(LIST, 3, NONE, None, Policy(max_per_category=1), None)) == [1, 3, 5]
