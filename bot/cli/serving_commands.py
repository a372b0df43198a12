"""`recbot recommend | export`: what the live version serves, read exactly as Slack reads it.

Both go through db.serving, so the command line, Slack and the digests apply the same rules
(👎-hidden products left out, reorder vs new sections, the cold-start fallback).
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import click
from sqlalchemy import Connection

from bot import blocks, wording
from bot.cli.context import CliContext, pass_context
from bot.parsing import DEFAULT_N
from core.errors import RecbotError
from db import customer_search, product_search, queries, serving, similar
from db.customer_search import CustomerNames
from db.product_search import ProductRef
from db.queries import CustomerRef
from db.reorder_timing import Timing
from db.serving import Pick, Section, Served
from db.similar import Substitute

BLOCK_KIT_BUILDER = "https://app.slack.com/block-kit-builder/#"


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _live(conn: Connection) -> serving.LiveModel:
    model = serving.live_model(conn)
    if model is None:
        raise RecbotError("no live model yet: run `recbot train`")
    return model


def find_one(conn: Connection, text: str) -> CustomerRef:
    """The customer a rep means: external id, name, partial or misspelt name (as in Slack),
    or the database id; several matches or none is an error listing what was found."""
    match = customer_search.find_customer(conn, text, CustomerNames())
    if match.kind == "one":
        return match.customers[0]
    if match.kind == "none" and text.isdigit():
        customer = queries.customer_by_id(conn, int(text))
        if customer is not None:
            return customer
    if match.kind == "many":
        names = ", ".join(f"{c.name} ({c.external_id})" for c in match.customers)
        more = f" and {match.total - len(match.customers)} more" if match.total > 5 else ""
        raise RecbotError(f"{text!r} matches several customers: {names}{more}; give the id")
    hint = f"; closest: {', '.join(match.closest)}" if match.closest else ""
    raise RecbotError(f"no customer {text!r} (give its id or name){hint}")


def _pick_lines(picks: list[Pick], timing: Mapping[int, Timing] | None = None) -> list[str]:
    lines = [f"{'#':>3}  {'product':<12} {'name':<34} {'score':>8}  {'strength':<11}  reason"]
    for rank, pick in enumerate(picks, start=1):
        lines.append(
            f"{rank:>3}  {pick.external_id[:12]:<12} {pick.name[:34]:<34} {pick.score:>8.3f}  "
            f"{pick.strength or '-':<11}  {pick.reason}"
        )
        t = (timing or {}).get(pick.product_id)
        if t is not None:
            lines.append(f"{'':>18}{wording.timing_line(t).replace('*', '')}")
    return lines


def _product(p: ProductRef) -> str:
    return f"{p.external_id} {p.name}"


def substitute_lines(subs: tuple[Substitute, ...]) -> list[str]:
    """'P004 Dairy item 04 is discontinued — similar: P005 Dairy item 05, …', as in Slack."""
    return [
        f"{_product(s.product)} is {s.why} — similar: " + ", ".join(map(_product, s.similar))
        for s in subs
    ]


def text_lines(
    served: Served, new_only: bool, substitutes: tuple[Substitute, ...] = ()
) -> list[str]:
    """The answer as terminal lines: the same sections, in the same order, as in Slack."""
    c = served.customer
    lines = [f"{c.name} ({c.external_id}) · model v{served.model.id}"]
    if served.cold_start:
        where = f"{served.cold_segment} accounts" if served.cold_segment else "all accounts"
        lines.append(f"no purchase history yet: popular with {where}")
        return lines + _pick_lines(served.new)
    sections: list[tuple[Section, str]] = [("new", "new for this customer")]
    if not new_only:
        sections.insert(0, ("reorder", "likely to reorder"))
    for name, title in sections:
        picks = served.section(name)
        lines.append(f"{title}:")
        lines += _pick_lines(picks, served.timing) if picks else ["  (nothing yet)"]
        if name == "reorder" and substitutes:
            lines += ["no longer available:", *(f"  {t}" for t in substitute_lines(substitutes))]
        if name == "new" and served.fallback:
            note = wording.fallback_note(served.fallback, served.fallback_segment)
            lines.append(f"  note: {note}")
    return lines


def builder_link(surface: dict) -> str:
    """A Block Kit Builder link that renders `surface` ({"blocks": [...]}, or a Home view)
    without a workspace; buttons show, but do nothing outside a real app."""
    return BLOCK_KIT_BUILDER + quote(json.dumps(surface, ensure_ascii=False), safe="")


def slack_payload(
    served: Served, top: int, new_only: bool, substitutes: tuple[Substitute, ...] = ()
) -> dict:
    """The message `/recommend` would send for this customer (as the rep sees it)."""
    answer = blocks.Answer.of(served, top, new_only, substitutes=substitutes)
    return blocks.answer_reply(answer).payload()


@click.command("recommend")
@click.argument("customer")
@click.option("--top", type=click.IntRange(1, 50), default=DEFAULT_N, show_default=True)
@click.option("--new", "new_only", is_flag=True, help="Only products the customer never bought.")
@click.option(
    "--slack",
    "as_slack",
    is_flag=True,
    help="Print the Slack message's JSON payload and a Block Kit Builder link that renders it.",
)
@pass_context
def recommend(ctx: CliContext, customer: str, top: int, new_only: bool, as_slack: bool) -> None:
    """Show what `/recommend CUSTOMER` answers in Slack (a keyed read, no model)."""
    now = _now()
    with ctx.engine().connect() as conn:
        model = _live(conn)
        served = serving.served(conn, model, find_one(conn, customer), top, now)
        subs = (
            ()
            if new_only or served.cold_start
            else tuple(similar.substitutes_for(conn, model, served.customer, now))
        )
    if not as_slack:
        click.echo("\n".join(text_lines(served, new_only, subs)))
        return
    payload = slack_payload(served, top, new_only, subs)
    click.echo(json.dumps(payload, indent=2, ensure_ascii=False))
    link = builder_link({"blocks": payload["blocks"]})
    click.echo(f"\nPreview: {link}", err=not sys.stdout.isatty())


@click.command("similar")
@click.argument("product")
@click.option("--top", type=click.IntRange(1, 20), default=5, show_default=True)
@pass_context
def similar_command(ctx: CliContext, product: str, top: int) -> None:
    """Show the products most like PRODUCT (id or name) that can be bought today, as
    `/recommend similar PRODUCT` does in Slack (a keyed read of the live version)."""
    with ctx.engine().connect() as conn:
        model = _live(conn)
        match = product_search.find_product(conn, product)
        if match.kind == "none":
            raise RecbotError(f"no product {product!r} (give its id or name)")
        if match.kind == "many":
            names = ", ".join(_product(p) for p in match.products)
            more = f" and {match.total - len(match.products)} more" if match.total > 5 else ""
            raise RecbotError(f"{product!r} matches several products: {names}{more}; give the id")
        found, today = match.products[0], _now().date()
        like = similar.similar_to(conn, model.id, [found.id], top, today)[found.id]
    state = found.unavailable(today) or "available"
    source = similar.source(model) or "an earlier model"
    click.echo(f"{_product(found)} · {state} · model v{model.id}, similarity from {source}")
    if not like:
        click.echo("  (no available similar product known)")
    for rank, p in enumerate(like, 1):
        click.echo(f"{rank:>3}  {p.external_id[:12]:<12} {p.name[:40]:<40} {p.category or ''}")


def spreadsheet_safe(text: str) -> str:
    """A cell a spreadsheet shows as text: one starting with = + - @ (or a tab or CR, which some
    programs strip first) would run as a formula, so it gets a leading apostrophe (OWASP's
    advice for CSV injection)."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@click.command("export")
@click.option("--out", "out", type=click.Path(path_type=Path), required=True)
@click.option("--top", type=click.IntRange(1, 50), default=10, show_default=True)
@click.option(
    "--new",
    "new_only",
    is_flag=True,
    help="The 'new for this customer' section instead of 'likely to reorder'.",
)
@pass_context
def export(ctx: CliContext, out: Path, top: int, new_only: bool) -> None:
    """Write every customer's picks as CSV: customer_id,rank,product_id,score.

    One section of the live version's answer ('likely to reorder', or 'new' with --new), with
    the same rules as Slack: 👎-hidden products are left out and ranks close up.
    """
    with ctx.engine().connect() as conn:
        model = _live(conn)
        section: Section = "new" if new_only else "reorder"
        n = 0
        with out.open("w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["customer_id", "rank", "product_id", "score"])
            for row in serving.export_rows(conn, model, section, top, _now()):
                w.writerow(
                    [
                        spreadsheet_safe(row.customer_external_id),
                        row.rank,
                        spreadsheet_safe(row.product_external_id),
                        f"{row.score:.6f}",
                    ]
                )
                n += 1
    click.echo(f"wrote {n:,} rows to {out} (model version {model.id}, {section} section)")


def register(cli: click.Group) -> None:
    for command in (recommend, export, similar_command):
        cli.add_command(command)
