"""The rules that re-order what is served (boost, promote), as one process reads them: loaded
once per rules version and kept, so an answer pays one small scalar read (the version, riding
along with its rows) instead of a rules query. Any recbot process that changes rules gives the
version a new value (db/rules.py) in the same transaction, so every other process notices on
its next read. Exclude rules never need this cache: they are SQL conditions (db/availability.py).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from sqlalchemy import Connection, ScalarSelect, select

from db.models import Rule, RulesVersion


@dataclass(frozen=True)
class RuleRef:
    name: str
    kind: str  # exclude, boost, promote
    target: str  # product, category
    value: str  # a product's external id, or a category
    segment: str | None = None  # only customers of this segment; None: everyone
    multiplier: float | None = None  # boosts only

    def applies(self, segment: str | None) -> bool:
        return self.segment is None or self.segment == segment


@dataclass(frozen=True)
class RuleSet:
    version: int | None
    rules: tuple[RuleRef, ...] = ()
    # Whether any rule boosts or promotes (else an answer keeps the model's order).
    reorders: bool = field(default=False, init=False, compare=False)
    _by_key: dict[tuple[str, str, str], tuple[RuleRef, ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        index: dict[tuple[str, str, str], list[RuleRef]] = {}
        for rule in self.rules:
            index.setdefault((rule.kind, rule.target, rule.value), []).append(rule)
        self._by_key.update({k: tuple(v) for k, v in index.items()})
        object.__setattr__(
            self, "reorders", any(r.kind in ("boost", "promote") for r in self.rules)
        )

    def matching(
        self, kind: str, external_id: str, category: str | None, segment: str | None
    ) -> list[RuleRef]:
        """The rules of `kind` naming this product or its category that apply to `segment`."""
        by_key = self._by_key
        found = by_key.get((kind, "product", external_id), ())
        if category is not None:
            found += by_key.get((kind, "category", category), ())
        return [r for r in found if r.segment is None or r.segment == segment] if found else []


def version_column() -> ScalarSelect:
    """The current rules version, as a scalar subquery to ride along with an answer's rows."""
    return select(RulesVersion.version).where(RulesVersion.id == 1).scalar_subquery()


def read_version(conn: Connection) -> int | None:
    return conn.execute(select(version_column())).scalar()


_RULES = select(
    Rule.name, Rule.kind, Rule.target, Rule.value, Rule.segment, Rule.multiplier
).order_by(Rule.id)

_lock = threading.Lock()
_cache: dict[str, RuleSet] = {}  # database URL -> the rules as last read there


def _key(conn: Connection) -> str:
    return conn.engine.url.render_as_string(hide_password=True)


def cached_rules(conn: Connection) -> RuleSet:
    """The rules last loaded for this database (empty before any), without a query."""
    return _cache.get(_key(conn)) or RuleSet(None)


def rules_at(conn: Connection, version: int | None) -> RuleSet:
    """The rules as of `version` (just read along with an answer): the cached set when it is
    that version, else read now and cached."""
    key = _key(conn)
    cached = _cache.get(key)
    if cached is not None and cached.version == version:
        return cached
    rules = RuleSet(version, tuple(RuleRef(*row) for row in conn.execute(_RULES)))
    with _lock:
        _cache[key] = rules
    return rules


def current_rules(conn: Connection) -> RuleSet:
    """The rules now (one scalar read, plus the rules themselves when they changed)."""
    return rules_at(conn, read_version(conn))
