"""Training data: transactions aggregated per customer, product and week, in the database.

Raw lines never reach pandas: SQL groups them by (customer, product, weeks before `as_of`) and the
much smaller result is streamed into numpy arrays. Weeks are counted back from `as_of` (the newest
transaction's next midnight unless given), never from the wall clock.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from sqlalchemy import Connection, Date, Engine, Integer, Select, and_, cast, func, literal, select
from sqlalchemy.sql.elements import ColumnElement

from core.errors import RecbotError
from db.models import Customer, Product, Transaction
from model.sqlite_weekly import weekly_sqlite


@dataclass
class Interactions:
    """Weekly purchase rows in index space: row i says customer c[i] bought p[i] in week[i].

    week 0 is the week just before `as_of`. customer_ids/product_ids map indices back to ids.
    """

    customer_ids: np.ndarray
    product_ids: np.ndarray
    c: np.ndarray
    p: np.ndarray
    week: np.ndarray
    qty: np.ndarray
    as_of: datetime
    n_rows: int = 0
    data_from: datetime | None = None
    data_to: datetime | None = None
    segments: np.ndarray | None = field(default=None, repr=False)  # per customer index
    categories: np.ndarray | None = field(default=None, repr=False)  # per product index

    def category_codes(self) -> np.ndarray:
        """A small integer per product for its category (products without one share a code)."""
        if self.categories is None:
            return np.zeros(self.n_products, np.int32)
        _, codes = np.unique(
            np.array([c or "" for c in self.categories], dtype=object), return_inverse=True
        )
        return codes.astype(np.int32)

    @property
    def n_customers(self) -> int:
        return len(self.customer_ids)

    @property
    def n_products(self) -> int:
        return len(self.product_ids)

    @property
    def n_weeks(self) -> int:
        return int(self.week.max()) + 1 if len(self.week) else 0

    def matrix(self, values: np.ndarray | None = None) -> sparse.csr_matrix:
        """Customer x product matrix summing `values` (default: number of weeks bought)."""
        v = np.ones(len(self.c), np.float32) if values is None else values.astype(np.float32)
        return sparse.csr_matrix(
            (v, (self.c, self.p)), shape=(self.n_customers, self.n_products), dtype=np.float32
        )

    def shifted(self, weeks: int) -> tuple[Interactions, sparse.csr_matrix]:
        """History as it was `weeks` earlier, and the pairs bought in those weeks (labels)."""
        old = self.week >= weeks
        hist = replace(
            self,
            c=self.c[old],
            p=self.p[old],
            week=self.week[old] - weeks,
            qty=self.qty[old],
            as_of=self.as_of - timedelta(weeks=weeks),
        )
        new = ~old
        labels = sparse.csr_matrix(
            (np.ones(int(new.sum()), np.float32), (self.c[new], self.p[new])),
            shape=(self.n_customers, self.n_products),
        )
        labels.data[:] = 1.0
        return hist, labels


def _weeks_before(as_of: datetime, dialect: str) -> ColumnElement[Any]:
    """Whole weeks between the purchase day and `as_of` (midnight): week 0 = the 7 days before.

    Day arithmetic on dates keeps this cheap on 10 M rows (no epoch extraction per row).
    """
    if dialect == "postgresql":
        days = literal(as_of.date()) - cast(Transaction.occurred_at, Date)  # integer days
        return (days - 1) // 7
    days = func.julianday(literal(as_of.date().isoformat())) - func.julianday(
        func.date(Transaction.occurred_at)
    )
    return cast((days - 1) / 7, Integer)


def newest_transaction(engine: Engine) -> datetime | None:
    with engine.connect() as conn:
        return conn.execute(select(func.max(Transaction.occurred_at))).scalar()


def default_as_of(engine: Engine) -> datetime:
    newest = newest_transaction(engine)
    if newest is None:
        raise RecbotError("no transactions in the database: import some first (recbot import ...)")
    return datetime.combine(newest.date() + timedelta(days=1), datetime.min.time())


def load_interactions(
    engine: Engine, as_of: datetime | None = None, since: datetime | None = None
) -> Interactions:
    """Aggregate transactions before `as_of` (and from `since`) per customer, product and week."""
    as_of = _midnight(as_of) if as_of else default_as_of(engine)
    week = _weeks_before(as_of, engine.dialect.name).label("week")
    conds = [Transaction.occurred_at < as_of]
    if since is not None:
        conds.append(Transaction.occurred_at >= since)
    qty = func.sum(Transaction.quantity)
    stmt = (
        select(
            Transaction.customer_id,
            Transaction.product_id,
            week,
            qty.label("qty"),
            func.count().label("n"),
        )
        .where(and_(*conds))
        .group_by(Transaction.customer_id, Transaction.product_id, week)
        .having(qty > 0)  # returns cancel purchases; zero-quantity lines are not purchases
    )
    with engine.connect() as conn:
        packed = weekly_sqlite(conn, as_of, since) if conn.dialect.name == "sqlite" else None
        data = _fetch_numeric(conn, stmt, 5) if packed is None else packed
        first, last = conn.execute(
            select(func.min(Transaction.occurred_at), func.max(Transaction.occurred_at)).where(
                and_(*conds)
            )
        ).one()
        segs = dict(conn.execute(select(Customer.id, Customer.segment)).all())
        cats = dict(conn.execute(select(Product.id, Product.category)).all())
    inter = _index(
        data[:, 0].astype(np.int64),
        data[:, 1].astype(np.int64),
        data[:, 2].astype(np.int32),
        data[:, 3].astype(np.float32),
        as_of,
    )
    inter.n_rows, inter.data_from, inter.data_to = int(data[:, 4].sum()), _dt(first), _dt(last)
    inter.segments = np.array([segs.get(int(i)) or "" for i in inter.customer_ids], dtype=object)
    inter.categories = np.array([cats.get(int(i)) or "" for i in inter.product_ids], dtype=object)
    return inter


def _fetch_numeric(conn: Connection, stmt: Select, n_cols: int) -> np.ndarray:
    """A numeric query result as a float64 array, streamed.

    PostgreSQL: COPY (query) TO STDOUT, parsed by pandas in C; this also lets the GROUP BY use
    parallel workers, which a server-side cursor would not. Elsewhere (SQLite only when the
    packed scan of `model/sqlite_weekly.py` cannot be used): plain tuples in batches.
    """
    if conn.dialect.name == "postgresql":
        sql = str(stmt.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
        buf = io.BytesIO()
        raw: Any = conn.connection.driver_connection  # psycopg's connection: COPY
        with (
            raw.cursor() as cur,
            cur.copy(f"COPY ({sql}) TO STDOUT") as copy,
        ):
            for block in copy:
                buf.write(block)
        buf.seek(0)
        if not buf.getbuffer().nbytes:
            return np.zeros((0, n_cols))
        return pd.read_csv(buf, sep="\t", header=None, dtype=np.float64).to_numpy()
    parts = [
        np.array(part, dtype=np.float64).reshape(-1, n_cols)
        for part in conn.execute(stmt).tuples().partitions(200_000)
    ]
    return np.concatenate(parts) if parts else np.zeros((0, n_cols))


def _midnight(value: datetime) -> datetime:
    return datetime.combine(value.date(), datetime.min.time())


def _dt(value: object) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return pd.Timestamp(str(value)).to_pydatetime()


def load_future_pairs(
    engine: Engine, start: datetime, end: datetime | None = None
) -> set[tuple[int, int]]:
    """Distinct (customer id, product id) pairs bought from `start` (to `end`): the test truth."""
    conds = [Transaction.occurred_at >= start]
    if end is not None:
        conds.append(Transaction.occurred_at < end)
    stmt = (
        select(Transaction.customer_id, Transaction.product_id)
        .where(and_(*conds))
        .group_by(Transaction.customer_id, Transaction.product_id)
        .having(func.sum(Transaction.quantity) > 0)
    )
    with engine.connect() as conn:
        return {(int(c), int(p)) for c, p in conn.execute(stmt)}


def _index(
    cust: np.ndarray, prod: np.ndarray, week: np.ndarray, qty: np.ndarray, as_of: datetime
) -> Interactions:
    customer_ids, c = np.unique(cust, return_inverse=True)
    product_ids, p = np.unique(prod, return_inverse=True)
    order = np.lexsort((week, p, c))
    return Interactions(
        customer_ids,
        product_ids,
        c[order].astype(np.int32),
        p[order].astype(np.int32),
        week[order],
        qty[order],
        as_of,
    )


def interactions_from_frame(
    frame: pd.DataFrame, as_of: datetime, categories: dict | None = None
) -> Interactions:
    """Same aggregation from a DataFrame (customer_id, product_id, quantity, occurred_at).

    For benchmarks on files such as Complete Journey without a database round trip.
    """
    t = pd.to_datetime(frame["occurred_at"])
    keep = t < _midnight(as_of)
    df = frame.loc[keep, ["customer_id", "product_id", "quantity"]].copy()
    as_of = _midnight(as_of)
    days = (pd.Timestamp(as_of.date()) - t[keep].dt.normalize()).dt.days
    df["week"] = ((days - 1) // 7).astype(int)
    keys = ["customer_id", "product_id", "week"]
    g = df.groupby(keys, sort=False)["quantity"].agg(["sum", "size"])
    g = g[g["sum"] > 0].reset_index()
    inter = _index(
        g["customer_id"].to_numpy(),
        g["product_id"].to_numpy(),
        g["week"].to_numpy(np.int32),
        g["sum"].to_numpy(np.float32),
        as_of,
    )
    inter.n_rows = int(g["size"].sum())
    inter.data_from, inter.data_to = t[keep].min().to_pydatetime(), t[keep].max().to_pydatetime()
    if categories is not None:
        inter.categories = np.array(
            [categories.get(i) or "" for i in inter.product_ids.tolist()], dtype=object
        )
    return inter


def future_pairs_from_frame(frame: pd.DataFrame, start: datetime) -> set[tuple]:
    t = pd.to_datetime(frame["occurred_at"])
    df = frame.loc[t >= start]
    g = df.groupby(["customer_id", "product_id"])["quantity"].sum()
    return set(g[g > 0].index.tolist())


def product_names(engine: Engine, ids: np.ndarray | list[int]) -> dict[int, str]:
    with engine.connect() as conn:
        wanted = [int(i) for i in ids]
        rows = conn.execute(select(Product.id, Product.name).where(Product.id.in_(wanted)))
        return dict(rows.all())
