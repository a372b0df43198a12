"""What `recbot demo` shows after loading data: train a version, then a few customers' lists.

Kept here so the demo command needs one call: `train_and_show(engine, click.echo)`.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine, func, select

from db.models import Customer, Transaction
from model import registry


def train_and_show(
    engine: Engine, echo: Callable[[str], None], customers: int = 3, top: int = 5
) -> None:
    from model.pipeline import train_and_publish
    from model.train import RankerParams

    if registry.live_version(engine) is None:
        echo("Training the recommendation model …")
        res = train_and_publish(engine, RankerParams(), log=echo)
        echo(f"version {res.version_id}: {res.status} - {res.reason}")
    with engine.connect() as conn:
        busiest = conn.execute(
            select(Customer.id, Customer.external_id, Customer.name)
            .join(Transaction, Transaction.customer_id == Customer.id)
            .group_by(Customer.id, Customer.external_id, Customer.name)
            .order_by(func.count().desc(), Customer.id)
            .limit(customers)
        ).all()
    for cid, ext, name in busiest:
        for mode, title in (("all", "likely to (re)order"), ("new", "new for this customer")):
            items, _ = registry.served(engine, cid, mode, top)
            echo(f"\n{name} ({ext}): {title}")
            for it in items:
                echo(f"  {it.rank:>2}. {it.name[:34]:<34} {it.reason}")
    echo("\nTry: recbot recommend <customer id> [--new], recbot models list")
