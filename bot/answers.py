"""From what a rep typed or clicked to a Reply: the `/recommend` dispatcher, access rules, lookup,
the keyed reads, and DB faults."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import ParamSpec

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from bot import blocks, home_blocks, similar_blocks
from bot.blocks import Answer, Reply
from bot.deps import Deps
from bot.home_blocks import DigestState
from bot.jobs.schedule import utcnow
from bot.jobs.status import job_settings, overview, slack_lines
from bot.mrkdwn import escape
from bot.parsing import MAX_N, MAX_TEXT, DigestChoice, Request, parse
from bot.status_blocks import status_reply
from db import (
    attention,
    customer_search,
    exposures,
    job_queries,
    outcomes,
    product_search,
    queries,
    serving,
    similar,
)

log = logging.getLogger(__name__)
P = ParamSpec("P")
DB_FAULTS = (OperationalError, DBAPIError, PoolTimeout)
DIGEST_USAGE = (
    "`/recommend digest off` stops your weekly digest DM; `/recommend digest on` restarts it."
)


def guarded(fn: Callable[P, Reply]) -> Callable[P, Reply]:
    """Turn a database outage into the polite 'temporarily unavailable' reply."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Reply:
        try:
            return fn(*args, **kwargs)
        except DB_FAULTS as exc:
            log.warning("database unavailable in %s: %s", fn.__name__, type(exc).__name__)
            return blocks.message(blocks.UNAVAILABLE)

    return wrapper


def allowed_ids(conn: Connection, deps: Deps, user_id: str) -> frozenset[int] | None:
    """None when the user may see every customer; else the ids assigned to them."""
    if not deps.settings.restrict_to_assigned or deps.is_admin(user_id):
        return None
    return queries.assigned_customer_ids(conn, user_id)


def may_see(conn: Connection, deps: Deps, user_id: str, customer_id: int) -> bool:
    if not deps.settings.restrict_to_assigned or deps.is_admin(user_id):
        return True
    return queries.is_assigned(conn, user_id, customer_id)


@guarded
def command_reply(deps: Deps, user_id: str, text: str | None) -> Reply:
    """The whole answer to `/recommend <text>`: parsed once, then one function per form."""
    request = parse(text)
    match request.kind:
        case "help":
            return blocks.help_reply()
        case "too_long":
            return blocks.message(
                f"That is longer than any customer name or id ({MAX_TEXT} "
                "characters at most). Try `/recommend help`."
            )
        case "bad_n":
            return blocks.message(f"The number of products must be from 1 to {MAX_N}.")
        case "status":
            return _status(deps)
        case "hidden":
            return _hidden(deps, user_id, request.query)
        case "digest":
            return _digest(deps, user_id, request.choice)
        case "digest_usage":
            return _digest_usage(deps, user_id, request)
        case "similar":
            return _similar(deps, user_id, request)
        case "recommend":
            return _recommend(deps, user_id, request)


def _status(deps: Deps) -> Reply:
    """The live model and the next retrain, then the jobs' schedules and last outcomes."""
    with deps.connect() as conn:
        model = serving.live_model(conn)
        return status_reply(model, deps.next_retrain(), _job_lines(conn))


def _job_lines(conn: Connection) -> list[str]:
    """The jobs' schedules and last outcomes; none while the database cannot give them."""
    try:
        return slack_lines(overview(conn, job_settings(), utcnow(), runs=1))
    except DB_FAULTS:
        return []


def _hidden(deps: Deps, user_id: str, query: str) -> Reply:
    if not deps.is_admin(user_id):
        return blocks.message("Only recbot admins can list or unhide 👎'd products.")
    with deps.connect() as conn:
        match = customer_search.find_customer(conn, query, deps.names)
        if match.kind != "one":
            return blocks.no_match_reply(query, match.closest, restricted=False)
        customer = match.customers[0]
        return blocks.hidden_reply(customer, queries.hidden_products(conn, customer.id))


def _digest(deps: Deps, user_id: str, choice: DigestChoice) -> Reply:
    """`digest` shows the user's weekly digest setting; `digest on|off` changes it."""
    with deps.connect() as conn:
        rep = queries.rep_for_slack_user(conn, user_id)
        if rep is None:
            return blocks.message(
                "No sales-rep record is linked to your Slack user, so there "
                "is no digest to change. Ask an admin to add your Slack id."
            )
        if not choice:
            state = "off" if job_queries.opted_out(conn, rep.id) else "on"
            return blocks.message(f"Your weekly digest is *{state}*. {DIGEST_USAGE}")
    job_queries.save_digest_setting(deps.engine, rep.id, deps.now(), opted_out=choice == "off")
    if choice == "off":
        return blocks.message(
            "Your weekly digest is now *off*. `/recommend digest on` brings it back."
        )
    return blocks.message("Your weekly digest is now *on*: the next one arrives on schedule.")


def _digest_usage(deps: Deps, user_id: str, request: Request) -> Reply:
    """`digest <word>`: the customer called exactly that ("Digest Depot"), else the usage."""
    with deps.connect() as conn:
        if customer_search.exact_match(conn, request.query) is None:
            return blocks.message(DIGEST_USAGE)
        return _find_and_answer(conn, deps, user_id, request)


SIMILAR_N = 5


def _similar(deps: Deps, user_id: str, request: Request) -> Reply:
    """`similar <product>`: products like it. A customer the rep may see whose id or name is
    exactly the text ("Similar Supplies") is answered for instead, as `digest <word>` does."""
    with deps.connect() as conn:
        allowed = allowed_ids(conn, deps, user_id)
        for text in (request.alt_query, request.query):
            if text and customer_search.exact_match(conn, text, allowed) is not None:
                return _find_and_answer(conn, deps, user_id, request)
        if not request.product:
            return blocks.message(similar_blocks.SIMILAR_USAGE)
        match = product_search.find_product(conn, request.product)
        if match.kind == "none":
            return similar_blocks.no_product_reply(request.product)
        if match.kind == "many":
            return similar_blocks.product_choices_reply(request.product, match)
        model = deps.live_model(conn)
        if model is None:
            return blocks.no_model_reply()
        product, today = match.products[0], deps.now().date()
        like = similar.similar_to(conn, model.id, [product.id], SIMILAR_N, today)[product.id]
        return similar_blocks.similar_reply(
            product, like, model, similar.source(model), product.unavailable(today)
        )


def _recommend(deps: Deps, user_id: str, request: Request) -> Reply:
    with deps.connect() as conn:
        return _find_and_answer(conn, deps, user_id, request)


def _find(
    conn: Connection, deps: Deps, request: Request, allowed: frozenset[int] | None
) -> customer_search.Match:
    if request.alt_query:  # "Harbor Cafe 12" may be a name, not "Harbor Cafe", 12 products
        exact = customer_search.exact_match(conn, request.alt_query, allowed)
        if exact is not None and exact.kind != "many":
            return exact
    return customer_search.find_customer(conn, request.query, deps.names, allowed)


def _find_and_answer(conn: Connection, deps: Deps, user_id: str, request: Request) -> Reply:
    allowed = allowed_ids(conn, deps, user_id)
    match = _find(conn, deps, request, allowed)
    restricted = allowed is not None
    if match.kind == "none":
        return blocks.no_match_reply(request.query, match.closest, restricted)
    if match.kind == "many":
        return blocks.choices_reply(request.query, match, request.n, request.new_only)
    note = f"Showing at most {MAX_N} per section." if request.n_capped else ""
    return answer_for(
        conn, deps, match.customers[0], request.n, request.new_only, note=note, viewer=user_id
    )


def answer_for(
    conn: Connection,
    deps: Deps,
    customer: queries.CustomerRef | None,
    n: int,
    new_only: bool,
    interactive: bool = True,
    shared_by: str = "",
    note: str = "",
    viewer: str | None = None,
) -> Reply:
    """The recommendation message for one customer (access already checked); what it shows is
    logged as seen by `viewer` (a share: by the channel, logged as the sharer's)."""
    if customer is None:
        return blocks.message("That customer no longer exists.")
    model = deps.live_model(conn)
    if model is None:
        return blocks.no_model_reply()
    n = max(1, min(n, MAX_N))
    now = deps.now()
    served = serving.served(conn, model, customer, n, now)
    subs = () if new_only else tuple(similar.substitutes_for(conn, model, customer, now))
    surface: exposures.Surface = "share" if shared_by else "answer"
    deps.shown(exposures.of_served(served, surface, now, shared_by or viewer))
    answer = Answer.of(served, n, new_only, note, subs)
    return blocks.answer_reply(answer, interactive=interactive, shared_by=shared_by)


@guarded
def picked_reply(
    deps: Deps, user_id: str, customer_id: int, n: int, new_only: bool, interactive: bool = True
) -> Reply:
    """The answer for a customer chosen from buttons or shared: access is checked again."""
    with deps.connect() as conn:
        if not may_see(conn, deps, user_id, customer_id):
            return blocks.not_yours_reply()
        shared_by = "" if interactive else user_id
        customer = queries.customer_by_id(conn, customer_id)
        return answer_for(conn, deps, customer, n, new_only, interactive, shared_by, viewer=user_id)


@guarded
def vote_reply(
    deps: Deps, user_id: str, customer_id: int, product_id: int, vote: int, n: int, new_only: bool
) -> Reply:
    """Store a 👍/👎 and return the refreshed answer (a 👎'd product is gone from it)."""
    with deps.connect() as conn:
        if not may_see(conn, deps, user_id, customer_id):
            return blocks.not_yours_reply()
        name = queries.product_name(conn, product_id)
        customer = queries.customer_by_id(conn, customer_id)
        if name is None or customer is None:
            return blocks.message("That product or customer no longer exists.")
        model = deps.live_model(conn)
        queries.record_feedback(
            conn, customer_id, product_id, user_id, vote, model.id if model else None
        )
        what = "👍 noted for" if vote > 0 else "👎 noted: hidden from now on:"
        note = f"{what} {escape(name, 120)}"
        return answer_for(conn, deps, customer, n, new_only, note=note, viewer=user_id)


@guarded
def unhide_reply(deps: Deps, user_id: str, customer_id: int, product_id: int) -> Reply:
    if not deps.is_admin(user_id):
        return blocks.message("Only recbot admins can unhide products.")
    with deps.connect() as conn:
        queries.unhide(conn, customer_id, product_id)
        customer = queries.customer_by_id(conn, customer_id)
        if customer is None:
            return blocks.message("That customer no longer exists.")
        return blocks.hidden_reply(customer, queries.hidden_products(conn, customer_id))


def home_view(deps: Deps, user_id: str, max_accounts: int = 25) -> dict:
    """The App Home tab; a database outage shows the 'unavailable' text there."""
    try:
        with deps.connect() as conn:
            customers = queries.rep_customers(conn, user_id)
            model = deps.live_model(conn)
            accounts = (
                attention.accounts_by_attention(conn, model, customers, deps.now())
                if model is not None
                else []
            )
            rep = queries.rep_for_slack_user(conn, user_id)
            digest = DigestState(
                linked=rep is not None,
                opted_out=rep is not None and job_queries.opted_out(conn, rep.id),
                schedule=job_settings().digest_cron,
            )
            shown = accounts[:max_accounts]
            if model is not None:
                deps.shown(
                    exposures.of_accounts(
                        shown, "home", deps.now(), model.id, 1, user_id, quiet_top=True
                    )
                )
            loop = outcomes.latest(conn) if deps.is_admin(user_id) else None
            return home_blocks.home_view(shown, model, len(customers), digest, loop)
    except DB_FAULTS as exc:
        log.warning("database unavailable for App Home: %s", type(exc).__name__)
        return {"type": "home", "blocks": [blocks.message(blocks.UNAVAILABLE).blocks[0]]}
