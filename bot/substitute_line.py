"""The substitute line under a product a customer can no longer buy, and how a product is named
in similar-product texts. Names from the database are escaped here."""

from __future__ import annotations

from collections.abc import Sequence

from bot.block_kit import section
from bot.mrkdwn import escape
from db.product_search import ProductRef
from db.similar import Substitute


def product_text(p: ProductRef) -> str:
    """'*Dairy item 04* (P004)'."""
    return f"*{escape(p.name, 120)}* ({escape(p.external_id, 60)})"


def substitute_text(sub: Substitute) -> str:
    """'⚠️ *Dairy item 04* (P004) is discontinued — similar: *A* (P005), *B* (P006)'."""
    like = ", ".join(product_text(p) for p in sub.similar)
    return f"⚠️ {product_text(sub.product)} is {escape(sub.why)} — similar: {like}"


def substitutes_block(subs: Sequence[Substitute]) -> dict:
    """One section for all of a customer's unavailable products (keeps the block count low)."""
    return section("\n".join(substitute_text(s) for s in subs))
