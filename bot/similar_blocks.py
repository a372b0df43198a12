"""Block Kit for `/recommend similar <product>`: the answer, the choice between several matching
products, and no match. (The substitute line in an answer is bot/substitute_line.py.)

They take plain data and return Slack JSON; every name from the database is escaped here.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.block_kit import context, header, section
from bot.blocks import COMMAND, Reply, message
from bot.mrkdwn import escape
from bot.substitute_line import product_text as _name
from db.product_search import ProductMatch, ProductRef
from db.serving import LiveModel

SIMILAR_USAGE = (
    f"`{COMMAND} similar &lt;product&gt;` lists products like that one (its id or name), "
    "from what customers who bought it went on to buy."
)
SOURCES = {
    "embeddings": "learned product embeddings",
    "co-purchase": "products bought by the same customers",
}


def source_line(model: LiveModel, source: str) -> str:
    how = SOURCES.get(source, escape(source) or "an earlier model")
    return f"Model v{model.id} · similarity from {how}"


def similar_reply(
    product: ProductRef, similar: Sequence[ProductRef], model: LiveModel, source: str, why: str
) -> Reply:
    """Products like `product`, best first; `why` says if the product itself cannot be bought."""
    facts = [f"id {escape(product.external_id, 60)}"]
    if product.category:
        facts.append(escape(product.category, 60))
    facts.append(escape(why) if why else "available")
    title = f"Similar to {product.name}"
    if not similar:
        body = [section(f"No available product is known to be similar to {_name(product)} yet.")]
    else:
        lines = [
            f"{rank}. {_name(p)}" + (f" · {escape(p.category, 60)}" if p.category else "")
            for rank, p in enumerate(similar, 1)
        ]
        body = [section("\n".join(lines))]
    blocks = [header(title), context(" · ".join(facts)), *body, context(source_line(model, source))]
    return Reply(f"Similar to {escape(product.name, 150)}", blocks)


def product_choices_reply(query: str, match: ProductMatch) -> Reply:
    shown = len(match.products)
    more = f" (showing {shown} of {match.total})" if match.total > shown else ""
    names = "\n".join(f"• {_name(p)}" for p in match.products)
    first = escape(match.products[0].external_id, 60)
    return message(
        f"Several products match “{escape(query, 80)}”{more}:\n{names}\n"
        f"Give the id, e.g. `{COMMAND} similar {first}`."
    )


def no_product_reply(query: str) -> Reply:
    return message(f"No product matches “{escape(query, 80)}”. {SIMILAR_USAGE}")
