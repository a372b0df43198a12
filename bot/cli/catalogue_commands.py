"""`recbot products set-status | rules ... | entitlements ...`: what may be served, and how the
rules order it. Each change shows in the next answer of every surface, with no retrain
(docs/rules.md)."""

from __future__ import annotations

from pathlib import Path

import click

from bot.cli.context import CliContext, pass_context
from bot.cli.serving_commands import find_one
from core.errors import RecbotError
from db import catalogue, entitlements, rules
from db.imports import ImportRejected
from db.models import PRODUCT_STATUSES, RULE_KINDS
from db.rule_set import RuleRef

SHOWN_REJECTS = 50


@click.group("products")
def products_group() -> None:
    """A product's catalogue status."""


@products_group.command("set-status")
@click.argument("product_id")
@click.argument("status", type=click.Choice(PRODUCT_STATUSES, case_sensitive=False))
@pass_context
def set_status(ctx: CliContext, product_id: str, status: str) -> None:
    """Set PRODUCT_ID's status (its product_id as imported); only active products are served."""
    with ctx.engine().begin() as conn:
        before = catalogue.set_status(conn, product_id, status)
    click.echo(f"{product_id}: {before} -> {status.lower()} (takes effect on the next answer)")


@click.group("rules")
def rules_group() -> None:
    """Business rules applied to every answer: exclude, boost, promote (docs/rules.md)."""


def rule_line(rule: RuleRef) -> str:
    parts = [f"{rule.kind:<8}", f"{rule.target} {rule.value}"]
    if rule.multiplier is not None:
        parts.append(f"x{rule.multiplier:g}")
    parts.append(f"segment {rule.segment}" if rule.segment else "all customers")
    return f"{rule.name}: " + " · ".join(parts)


@rules_group.command("list")
@pass_context
def list_rules(ctx: CliContext) -> None:
    """Every rule, by kind and name."""
    with ctx.engine().connect() as conn:
        found = rules.list_rules(conn)
    for rule in found:
        click.echo(rule_line(rule))
    if not found:
        click.echo("no rules: every active, entitled product may be served in the model's order")


@rules_group.command("add")
@click.argument("name")
@click.argument("kind", type=click.Choice(RULE_KINDS))
@click.option("--product", help="The product's product_id (as imported).")
@click.option("--category", help="A product category.")
@click.option("--segment", help="Only for customers of this segment.")
@click.option("--multiplier", type=float, help="For a boost: the score multiplier (above 1).")
@pass_context
def add_rule(
    ctx: CliContext,
    name: str,
    kind: str,
    product: str | None,
    category: str | None,
    segment: str | None,
    multiplier: float | None,
) -> None:
    """Add the rule NAME (shown in the reasons of the picks it changes)."""
    rule = rules.make_rule(
        name,
        kind,
        product=product,
        category=category,
        segment=segment,
        multiplier=multiplier,
    )
    with ctx.engine().begin() as conn:
        rules.add_rule(conn, rule)
    click.echo(f"added {rule_line(rule)}")


@rules_group.command("remove")
@click.argument("name")
@pass_context
def remove_rule(ctx: CliContext, name: str) -> None:
    """Remove the rule NAME."""
    with ctx.engine().begin() as conn:
        rules.remove_rule(conn, name)
    click.echo(f"removed {name!r}")


@rules_group.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--replace", is_flag=True, help="The file is the whole set: rules it does not name go."
)
@pass_context
def import_rules(ctx: CliContext, file: Path, replace: bool) -> None:
    """Add the rules of a YAML FILE, each replacing the rule of its name (all or nothing)."""
    found = rules.parse_rules_file(file)
    with ctx.engine().begin() as conn:
        added, replaced = rules.add_rules(conn, found, replace=replace)
        total = rules.count_rules(conn)
    click.echo(f"{file.name}: {added} added, {replaced} replaced; {total} rules in all")


@click.group("entitlements")
def entitlements_group() -> None:
    """Which products or categories a customer may be offered (a contract or price list)."""


@entitlements_group.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@pass_context
def import_entitlements(ctx: CliContext, file: Path) -> None:
    """Replace the lists of the customers a CSV FILE names: customer_id, and product_id or
    category on each line (all or nothing)."""
    try:
        with ctx.engine().begin() as conn:
            report = entitlements.import_entitlements(conn, file)
    except ImportRejected as exc:
        rejected = exc.report
        for rejection in rejected.rejections[:SHOWN_REJECTS]:
            click.echo(f"{file.name}:{rejection.line}: {rejection.reason}", err=True)
        raise RecbotError(
            f"{file.name}: {rejected.rows_rejected} of {rejected.rows_read} lines are invalid; "
            "nothing was changed"
        ) from None
    click.echo(
        f"{file.name}: {report.created:,} entitlements for {report.assignments:,} customers "
        "(their earlier lists replaced)"
    )


@entitlements_group.command("list")
@click.argument("customer", required=False)
@pass_context
def list_entitlements(ctx: CliContext, customer: str | None) -> None:
    """The entitlements of CUSTOMER (id or name), or of everyone."""
    with ctx.engine().connect() as conn:
        customer_id = find_one(conn, customer).id if customer else None
        found = entitlements.list_entitlements(conn, customer_id)
    for row in found:
        click.echo(f"{row.customer}: {row.target} {row.value}")
    if not found:
        click.echo("no entitlements: unrestricted" + (f" ({customer})" if customer else ""))


@entitlements_group.command("clear")
@click.argument("customer", required=False)
@click.option("--all", "everyone", is_flag=True, help="Clear every customer's list.")
@pass_context
def clear_entitlements(ctx: CliContext, customer: str | None, everyone: bool) -> None:
    """Remove CUSTOMER's list (or --all): they may then be offered any product."""
    if bool(customer) == everyone:
        raise RecbotError("give a customer, or --all")
    with ctx.engine().begin() as conn:
        customer_id = find_one(conn, customer).id if customer else None
        removed = entitlements.clear_entitlements(conn, customer_id)
    click.echo(f"removed {removed:,} entitlements")


def register(cli: click.Group) -> None:
    for group in (products_group, rules_group, entitlements_group):
        cli.add_command(group)
