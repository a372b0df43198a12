"""A small fake ERP in MariaDB, with its own table and column names, and the sources file that
maps it onto recbot's columns (the README's example, shortened)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL

SCHEMA = [
    """CREATE TABLE staff (mail VARCHAR(100) PRIMARY KEY, full_name VARCHAR(100),
       tz VARCHAR(50))""",
    """CREATE TABLE accounts (acct_no VARCHAR(20) PRIMARY KEY, acct_name VARCHAR(100),
       tier VARCHAR(20), territory VARCHAR(20), am_email VARCHAR(100))""",
    """CREATE TABLE items (sku VARCHAR(20) PRIMARY KEY, descr VARCHAR(100),
       family VARCHAR(50))""",
    """CREATE TABLE orders (order_no INT PRIMARY KEY, acct_no VARCHAR(20),
       ordered_on DATETIME)""",
    """CREATE TABLE order_lines (order_no INT, line_no INT, sku VARCHAR(20),
       qty DECIMAL(12,3), net_price DECIMAL(12,2), status CHAR(1) NOT NULL DEFAULT 'O',
       changed_at DATETIME(6), PRIMARY KEY (order_no, line_no))""",
]

TRANSACTIONS = """
SELECT CONCAT(ol.order_no, '-', ol.line_no) AS line_id,
       o.acct_no AS customer_id, a.acct_name AS customer_name,
       ol.sku AS product_id, i.descr AS product_name,
       ol.qty AS quantity, ol.qty * ol.net_price AS amount,
       o.ordered_on AS occurred_at,
       ol.status = 'X' AS cancelled,
       ol.changed_at AS updated_at
FROM order_lines ol
JOIN orders o ON o.order_no = ol.order_no
JOIN accounts a ON a.acct_no = o.acct_no
JOIN items i ON i.sku = ol.sku
"""
CUSTOMERS = """
SELECT acct_no AS customer_id, acct_name AS name, tier AS segment, territory AS region,
       am_email AS owner_email
FROM accounts
"""
PRODUCTS = "SELECT sku AS product_id, descr AS name, family AS category FROM items"
REPS = "SELECT mail AS email, full_name AS name, tz AS time_zone FROM staff"


class Erp:
    """The ERP database: a few accounts, items and reps; orders added by each test."""

    def __init__(self, url: URL) -> None:
        self.url = url
        self.engine: Engine = create_engine(url)
        self.reader: str | None = None  # the sources file's `reader:`, when a test sets one

    def create(self) -> None:
        with self.engine.begin() as conn:
            for statement in SCHEMA:
                conn.execute(text(statement))
        self.sql(
            "INSERT INTO staff VALUES ('ann@example.com', 'Ann Rep', 'Europe/Berlin'), "
            "('bob@example.com', 'Bob Rep', 'UTC')"
        )
        self.sql(
            "INSERT INTO accounts VALUES ('A1', 'Acme Foods', 'restaurant', 'north', "
            "'ann@example.com'), ('A2', 'Bluebird Inn', 'hotel', 'south', NULL)"
        )
        self.sql(
            "INSERT INTO items VALUES ('S1', 'Coffee beans', 'drinks'), "
            "('S2', 'Filters', 'supplies'), ('S3', 'Mugs', 'tableware')"
        )

    def sql(self, statement: str, params: dict[str, Any] | None = None) -> None:
        with self.engine.begin() as conn:
            conn.execute(text(statement), params or {})

    def order(self, order_no: int, account: str, ordered_on: str) -> None:
        self.sql(
            "INSERT INTO orders VALUES (:o, :a, :d)", {"o": order_no, "a": account, "d": ordered_on}
        )

    def line(
        self,
        order_no: int,
        line_no: int,
        sku: str,
        qty: float,
        changed_at: str,
        price: float = 2.5,
        status: str = "O",
    ) -> None:
        self.sql(
            "INSERT INTO order_lines VALUES (:o, :l, :s, :q, :p, :st, :c)",
            {
                "o": order_no,
                "l": line_no,
                "s": sku,
                "q": qty,
                "p": price,
                "st": status,
                "c": changed_at,
            },
        )

    def change(self, order_no: int, line_no: int, changed_at: str, **values: Any) -> None:
        sets = ", ".join(f"{column} = :{column}" for column in values)
        self.sql(
            f"UPDATE order_lines SET {sets}, changed_at = :c WHERE order_no = :o AND line_no = :l",
            {**values, "c": changed_at, "o": order_no, "l": line_no},
        )

    def sources_file(
        self,
        folder: Path,
        name: str = "erp",
        url: str | None = None,
        transactions: str = TRANSACTIONS,
        masters: bool = True,
        extra: str = "",
    ) -> Path:
        """A sources file for this ERP; `extra` adds YAML lines to the source."""
        queries = {"transactions": transactions}
        if masters:
            queries.update(customers=CUSTOMERS, products=PRODUCTS, reps=REPS)
        lines = [
            "sources:",
            f"  {name}:",
            f"    url: {url or self.url.render_as_string(hide_password=False)}",
            "    watermark: updated_at",
        ]
        if self.reader and "reader:" not in extra:
            lines.append(f"    reader: {self.reader}")
        lines += [f"    {line}" for line in extra.splitlines() if line.strip()]
        for kind, query in queries.items():
            lines.append(f"    {kind}: |")
            lines += [f"      {row}" for row in query.strip().splitlines()]
        path = folder / "sources.yml"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path

    def dispose(self) -> None:
        self.engine.dispose()


def when(text_: str) -> datetime:
    return datetime.fromisoformat(text_)
