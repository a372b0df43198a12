"""Block Kit builders. They take plain data and return Slack JSON; every text is escaped here."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bot.mrkdwn import escape, mention, mrkdwn, plain
from db.customer_search import Match
from db.queries import CustomerRef
from db.serving import AccountSummary, LiveModel, Pick, Served

COMMAND = "/recommend"
UNAVAILABLE = "Recommendations are temporarily unavailable, try again in a minute."

# action_ids, shared with the listeners in bot/actions/
PICK_CUSTOMER = "pick_customer"
SHARE = "share_answer"
VOTE_UP = "vote_up"
VOTE_DOWN = "vote_down"
UNHIDE = "unhide_product"


@dataclass(frozen=True)
class Reply:
    """One message: the fallback text (notifications, screen readers) and its blocks."""

    text: str
    blocks: list[dict] = field(default_factory=list)
    is_answer: bool = False  # a recommendation message, fit to be shared in the channel

    def payload(self) -> dict:
        return {"text": self.text, "blocks": self.blocks} if self.blocks else {"text": self.text}


@dataclass(frozen=True)
class Answer:
    customer: CustomerRef
    summary: AccountSummary
    model: LiveModel
    reorder: list[Pick]
    new: list[Pick]
    n: int
    new_only: bool = False
    cold_start: bool = False
    cold_segment: str = ""
    note: str = ""

    @classmethod
    def of(cls, served: Served, n: int, new_only: bool, note: str = "") -> Answer:
        return cls(
            served.customer,
            served.summary,
            served.model,
            served.reorder,
            served.new,
            n,
            new_only,
            served.cold_start,
            served.cold_segment,
            note,
        )


def value(**fields: object) -> str:
    """A compact button value; listeners parse it back with bot.actions.values."""
    return json.dumps(fields, separators=(",", ":"))


def _section(md: str) -> dict:
    return {"type": "section", "text": mrkdwn(md)}


def _context(*lines: str) -> dict:
    return {
        "type": "context",
        "elements": [mrkdwn(md) for md in lines if md],
    }


def _button(label: str, action_id: str, val: str, style: str | None = None) -> dict:
    button = {
        "type": "button",
        "text": {"type": "plain_text", "text": plain(label, 75), "emoji": True},
        "action_id": action_id,
        "value": val,
    }
    if style:
        button["style"] = style
    return button


def _day(when: datetime | None) -> str:
    return when.strftime("%Y-%m-%d") if when else "unknown"


def message(text: str) -> Reply:
    return Reply(text, [_section(text)])


def help_reply() -> Reply:
    usage = (
        f"*How to use {COMMAND}*\n"
        f"• `{COMMAND} &lt;customer&gt;`: what to offer that account and why (name or id; "
        "partial names and small typos are fine)\n"
        f"• `{COMMAND} &lt;customer&gt; 10`: show up to 10 products per section\n"
        f"• `{COMMAND} &lt;customer&gt; new`: only products the account has never bought\n"
        f"• `{COMMAND} status`: the model behind the answers\n"
        f"• `{COMMAND} help`: this message\n"
        "Answers are visible only to you until you press *Share in channel*. "
        "👎 a product to hide it for that account."
    )
    return Reply(f"How to use {COMMAND}", [_section(usage)])


def status_reply(
    model: LiveModel | None, next_retrain: datetime | None, job_lines: Sequence[str] = ()
) -> Reply:
    """The live model and the next retrain, then the jobs' lines (already mrkdwn) when given."""
    reply = _model_status(model, next_retrain)
    if not job_lines:
        return reply
    return Reply(reply.text, [*reply.blocks, _section("\n".join(job_lines))], reply.is_answer)


def _model_status(model: LiveModel | None, next_retrain: datetime | None) -> Reply:
    if model is None:
        return message(
            "No model is live yet, so there are no recommendations to show. "
            "An admin can train one with `recbot train`."
        )
    metrics = " · ".join(
        f"{escape(k)} {v:.3f}" if isinstance(v, int | float) else f"{escape(k)} {escape(v)}"
        for k, v in sorted(model.metrics.items())
    )
    lines = [
        f"*Live model:* v{model.id} ({escape(model.arch)})",
        f"*Trained:* {_day(model.trained_at)} on data {_day(model.data_from)} to "
        f"{_day(model.data_to)}",
        f"*Promoted:* {_day(model.promoted_at)}",
        f"*Holdout metrics:* {metrics or 'none recorded'}",
        f"*Next scheduled retrain:* {_day(next_retrain) if next_retrain else 'not scheduled'}",
    ]
    return Reply(f"Live model v{model.id}", [_section("\n".join(lines))])


def choices_reply(query: str, match: Match, n: int, new_only: bool) -> Reply:
    more = (
        f" (showing {len(match.customers)} of {match.total})"
        if match.total > len(match.customers)
        else ""
    )
    if match.fuzzy:
        intro = f"No customer is called “{escape(query, 80)}”. Did you mean…"
    else:
        intro = f"Several customers match “{escape(query, 80)}”{more}. Which one?"
    buttons = [
        _button(f"{c.name} ({c.external_id})", PICK_CUSTOMER, value(c=c.id, n=n, new=new_only))
        for c in match.customers
    ]
    return Reply(intro, [_section(intro), {"type": "actions", "elements": buttons}])


def no_match_reply(query: str, closest: tuple[str, ...], restricted: bool) -> Reply:
    scope = " among your accounts" if restricted else ""
    text = f"No customer{scope} matches “{escape(query, 80)}”."
    if closest:
        text += " Closest names: " + ", ".join(f"*{escape(n, 80)}*" for n in closest) + "."
    return message(text)


def not_yours_reply() -> Reply:
    return message("That is not one of your accounts, so I can't show its recommendations.")


def _pick_line(rank: int, pick: Pick) -> str:
    return (
        f"*{rank}. {escape(pick.name, 120)}* · score {pick.score:.2f}\n{escape(pick.reason, 250)}"
    )


def _pick_blocks(answer: Answer, picks: list[Pick], interactive: bool) -> list[dict]:
    blocks = []
    for rank, pick in enumerate(picks, 1):
        blocks.append(_section(_pick_line(rank, pick)))
        if interactive:
            val = value(c=answer.customer.id, p=pick.product_id, n=answer.n, new=answer.new_only)
            blocks.append(
                {
                    "type": "actions",
                    "block_id": f"vote:{pick.product_id}",
                    "elements": [_button("👍", VOTE_UP, val), _button("👎", VOTE_DOWN, val)],
                }
            )
    return blocks


def summary_line(customer: CustomerRef, summary: AccountSummary) -> str:
    parts = [escape(p, 60) for p in (customer.segment, customer.region) if p]
    parts.append(f"id {escape(customer.external_id, 60)}")
    if summary.last_order is None:
        parts.append("no purchases yet")
    else:
        parts.append(f"last order {_day(summary.last_order)}")
        amount = f" (${summary.amount_12m:,.0f})" if summary.amount_12m else ""
        parts.append(f"{summary.lines_12m} order lines{amount} in the last 12 months")
    return " · ".join(parts)


def answer_reply(answer: Answer, interactive: bool = True, shared_by: str = "") -> Reply:
    """The recommendation message; `interactive` adds the vote and share buttons."""
    c = answer.customer
    blocks: list[dict] = [
        {"type": "header", "text": {"type": "plain_text", "text": plain(c.name), "emoji": False}},
        _context(summary_line(c, answer.summary), answer.note),  # one block: 50 is Slack's cap
    ]
    if answer.cold_start:
        seg = f" with {escape(answer.cold_segment, 60)} customers" if answer.cold_segment else ""
        blocks += [
            _section(f"*Popular{seg}: a starting list* (new account, no purchase history yet)")
        ]
        blocks += _pick_blocks(answer, answer.new, interactive) or [_section("_Nothing yet._")]
    else:
        if not answer.new_only:
            blocks += [{"type": "divider"}, _section("*Likely to reorder*")]
            blocks += _pick_blocks(answer, answer.reorder, interactive) or [
                _section("_No reorders expected._")
            ]
        blocks += [{"type": "divider"}, _section("*New for this customer*")]
        blocks += _pick_blocks(answer, answer.new, interactive) or [
            _section("_No new products to suggest._")
        ]
    m = answer.model
    footer = f"Model v{m.id} ({escape(m.arch)}) · trained {_day(m.trained_at)}"
    if shared_by:
        footer += f" · shared by {mention(shared_by)}"
    blocks += [{"type": "divider"}, _context(footer)]
    if interactive:
        blocks.append(
            {
                "type": "actions",
                "block_id": "share",
                "elements": [
                    _button(
                        "Share in channel",
                        SHARE,
                        value(c=c.id, n=answer.n, new=answer.new_only),
                        style="primary",
                    )
                ],
            }
        )
    label = "Starting list" if answer.cold_start else "Recommendations"
    return Reply(f"{label} for {escape(c.name, 150)}", blocks, is_answer=True)


def hidden_reply(customer: CustomerRef, hidden: list[tuple[int, str, list[str]]]) -> Reply:
    title = f"Products hidden for {escape(customer.name, 150)}"
    if not hidden:
        return message(f"{title}: none.")
    blocks = [_section(f"*{title}*")]
    for product_id, name, users in hidden[:40]:
        who = ", ".join(mention(u) for u in users[:5])
        block = _section(f"{escape(name, 120)} · 👎 by {who}")
        block["accessory"] = _button("Unhide", UNHIDE, value(c=customer.id, p=product_id))
        blocks.append(block)
    return Reply(title, blocks)


def home_view(
    accounts: list[CustomerRef],
    top: dict[int, list[Pick]],
    model: LiveModel | None,
    total_accounts: int,
) -> dict:
    blocks: list[dict] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Your accounts"}},
        _context(
            f"Type `{COMMAND} &lt;customer&gt;` in any channel for the full answer, or "
            f"`{COMMAND} help`."
        ),
        {"type": "divider"},
    ]
    if model is None:
        blocks.append(_section("No model is live yet, so there are no picks to show."))
    elif not accounts:
        blocks.append(
            _section(
                "No accounts are assigned to you yet. Ask an admin to link your "
                "Slack user to your sales-rep record; meanwhile "
                f"`{COMMAND} &lt;customer&gt;` works for any account you may see."
            )
        )
    for c in accounts:
        picks = top.get(c.id, [])
        lines = "\n".join(f"• {escape(p.name, 80)}: {escape(p.reason, 120)}" for p in picks)
        blocks.append(
            _section(
                f"*{escape(c.name, 120)}* ({escape(c.external_id, 40)})\n"
                + (lines or "_No picks yet (new account)._")
            )
        )
    if total_accounts > len(accounts):
        blocks.append(
            _context(
                f"Showing {len(accounts)} of {total_accounts} accounts. "
                f"Use `{COMMAND} &lt;customer&gt;` for the others."
            )
        )
    if model is not None:
        blocks.append(_context(f"Model v{model.id} · trained {_day(model.trained_at)}"))
    return {"type": "home", "blocks": blocks[:100]}
