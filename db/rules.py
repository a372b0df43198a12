"""Managing business rules: add, remove, list, import from YAML. Each change gives the rules
version a new value in the same transaction, which is how every serving process notices it
(db/rule_set.py). Mistakes are one-line RecbotErrors naming the rule.

A rules file:

    rules:
      - name: no tobacco for schools      # unique; shown in reasons ("boosted: strategic")
        kind: exclude                     # exclude | boost | promote
        category: Tobacco                 # or product: P123 (the product's external id)
        segment: Schools                  # optional: only customers of this segment
      - name: strategic
        kind: boost
        product: P123
        multiplier: 1.5                   # boosts only: above 1, at most 100
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Connection, delete, func, insert, select, update

from core.errors import RecbotError
from db.models import RULE_KINDS, Customer, Product, Rule, RulesVersion
from db.rule_set import RuleRef

MAX_MULTIPLIER = 100.0
_KEYS = frozenset({"name", "kind", "product", "category", "segment", "multiplier"})


_LENGTHS = {c: Rule.__table__.c[c].type for c in ("name", "value", "segment")}


def _length(column: str) -> int:
    length = getattr(_LENGTHS[column], "length", None)
    assert isinstance(length, int)
    return length


def make_rule(
    name: str,
    kind: str,
    *,
    product: str | None = None,
    category: str | None = None,
    segment: str | None = None,
    multiplier: float | None = None,
) -> RuleRef:
    """A rule from its parts, checked on its own (what it names is checked by `add_rules`)."""
    name = " ".join((name or "").split())
    if not name or len(name) > _length("name"):
        raise RecbotError(f"a rule needs a name of 1 to {_length('name')} characters")
    where = f"rule {name!r}"
    if kind not in RULE_KINDS:
        raise RecbotError(f"{where}: kind {kind!r} is not one of {', '.join(RULE_KINDS)}")
    if (product is None) == (category is None):
        raise RecbotError(f"{where}: give exactly one of product or category")
    target, value = ("product", product) if product is not None else ("category", category)
    value = str(value).strip()
    if not value or len(value) > _length("value"):
        raise RecbotError(f"{where}: {target} must be 1 to {_length('value')} characters")
    if segment is not None and (not str(segment).strip() or len(segment) > _length("segment")):
        raise RecbotError(f"{where}: segment must be 1 to {_length('segment')} characters")
    if kind == "boost":
        if not isinstance(multiplier, int | float) or not 1 < multiplier <= MAX_MULTIPLIER:
            raise RecbotError(
                f"{where}: a boost needs a multiplier above 1 and at most {MAX_MULTIPLIER:g} "
                "(to keep a product out, use an exclude rule)"
            )
        multiplier = float(multiplier)
    elif multiplier is not None:
        raise RecbotError(f"{where}: only a boost takes a multiplier")
    return RuleRef(name, kind, target, value, segment.strip() if segment else None, multiplier)


def parse_rules_file(path: Path) -> list[RuleRef]:
    """The rules a YAML file describes (see the module's docstring)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RecbotError(f"no rules file {path}") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        first = (str(exc).strip().splitlines() or ["unreadable"])[0]
        raise RecbotError(f"{path}: not a readable YAML file: {first}") from None
    entries = data.get("rules") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise RecbotError(f"{path}: expected a top-level 'rules:' list")
    rules = []
    for i, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict):
            raise RecbotError(f"{path}: rule {i} is not a mapping of name, kind, …")
        unknown = sorted(set(map(str, entry)) - _KEYS)
        if unknown:
            raise RecbotError(f"{path}: rule {i}: unknown key {unknown[0]!r}")
        try:
            rules.append(make_rule(**{k: _text(k, v) for k, v in entry.items()}))
        except RecbotError as exc:
            raise RecbotError(f"{path}: rule {i}: {exc}") from None
    names = [r.name for r in rules]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise RecbotError(f"{path}: the name {twice[0]!r} is used by more than one rule")
    return rules


def _text(key: str, value: Any) -> Any:
    """YAML reads P123 as text but 2024 or 1.5 as numbers: names and values stay text."""
    if key == "multiplier" or value is None:
        return value
    return str(value)


def check_targets(conn: Connection, rules: Iterable[RuleRef]) -> None:
    """Refuse a rule naming a product, category or segment that does not exist: it would
    silently do nothing (a typo), which is worse than saying so."""
    for rule in rules:
        what = f"rule {rule.name!r}"
        if rule.target == "product":
            found = conn.execute(select(Product.id).where(Product.external_id == rule.value))
            if found.first() is None:
                raise RecbotError(f"{what}: no product {rule.value!r} (give its product_id)")
        elif conn.execute(select(Product.id).where(Product.category == rule.value)).first() is None:
            raise RecbotError(f"{what}: no product has the category {rule.value!r}")
        if rule.segment is not None:
            seen = conn.execute(select(Customer.id).where(Customer.segment == rule.segment))
            if seen.first() is None:
                raise RecbotError(f"{what}: no customer is in the segment {rule.segment!r}")


def list_rules(conn: Connection) -> list[RuleRef]:
    rows = conn.execute(
        select(
            Rule.name, Rule.kind, Rule.target, Rule.value, Rule.segment, Rule.multiplier
        ).order_by(Rule.kind, Rule.name)
    )
    return [RuleRef(*row) for row in rows]


def add_rules(conn: Connection, rules: list[RuleRef], replace: bool = False) -> tuple[int, int]:
    """Store `rules` (each replacing a rule of the same name; with `replace`, the others go);
    returns (added, replaced). Call inside a transaction: all or nothing."""
    check_targets(conn, rules)
    names = [r.name for r in rules]
    existing = set(conn.execute(select(Rule.name)).scalars())
    if replace:
        conn.execute(delete(Rule))
    elif names:
        conn.execute(delete(Rule).where(Rule.name.in_(names)))
    if rules:
        conn.execute(insert(Rule), [_row(r) for r in rules])
    bump_version(conn)
    replaced = len(set(names) & existing)
    return len(rules) - replaced, replaced


def add_rule(conn: Connection, rule: RuleRef) -> None:
    """Store one new rule; a name already in use is an error (remove it first)."""
    if conn.execute(select(Rule.id).where(Rule.name == rule.name)).first() is not None:
        raise RecbotError(f"a rule named {rule.name!r} exists: remove it first, or pick a name")
    add_rules(conn, [rule])


def remove_rule(conn: Connection, name: str) -> None:
    if conn.execute(delete(Rule).where(Rule.name == name)).rowcount == 0:
        known = ", ".join(sorted(conn.execute(select(Rule.name)).scalars())[:10]) or "none"
        raise RecbotError(f"no rule named {name!r} (rules: {known})")
    bump_version(conn)


def _row(rule: RuleRef) -> Mapping[str, Any]:
    return {
        "name": rule.name,
        "kind": rule.kind,
        "target": rule.target,
        "value": rule.value,
        "segment": rule.segment,
        "multiplier": rule.multiplier,
    }


def bump_version(conn: Connection) -> None:
    """Give the rules version a new value. Random rather than +1, so that a database rebuilt
    or emptied (version row gone) can never show a version a process has cached before."""
    current = conn.execute(select(RulesVersion.version).where(RulesVersion.id == 1)).scalar()
    new = current
    while new == current:
        new = 1 + secrets.randbelow(2**31 - 2)
    now = datetime.now(UTC).replace(tzinfo=None)
    if current is None:
        conn.execute(insert(RulesVersion).values(id=1, version=new, updated_at=now))
    else:
        conn.execute(
            update(RulesVersion).where(RulesVersion.id == 1).values(version=new, updated_at=now)
        )


def count_rules(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(Rule)).scalar() or 0)
