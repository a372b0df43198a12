"""The `similar` form of the `/recommend` grammar (bot/parsing.py)."""

from __future__ import annotations

import pytest

from bot.parsing import DEFAULT_N, parse


@pytest.mark.parametrize(
    ("text", "product"),
    [
        ("similar P013", "P013"),
        ("SIMILAR oat milk 1L", "oat milk 1L"),
        ("similar  Dairy item 04 ", "Dairy item 04"),  # a trailing number stays in the product
        ("similar", ""),
        ("similar milk 0", "milk 0"),
    ],
)
def test_similar_takes_the_rest_as_the_product(text: str, product: str) -> None:
    request = parse(text)
    assert request.kind == "similar"
    assert request.product == product


def test_similar_keeps_the_customer_reading_for_a_customer_so_named() -> None:
    request = parse("Similar Supplies 10 new")
    assert (request.kind, request.product) == ("similar", "Supplies 10 new")
    assert (request.query, request.n, request.new_only) == ("Similar Supplies", 10, True)
    assert request.alt_query == "Similar Supplies 10"
    plain = parse("similar supplies")
    assert (plain.query, plain.n, plain.new_only) == ("similar supplies", DEFAULT_N, False)


def test_other_forms_are_unchanged() -> None:
    assert parse("similarity labs").kind == "recommend"
    assert parse("acme similar").kind == "recommend"
