"""Block Kit builders for `/recommend` replies: the answer, help, choices, no-match, hidden.

They take plain data and return Slack JSON; every text is escaped here. The status is built in
bot/status_blocks.py, the App Home in bot/home_blocks.py, the digest in bot/jobs/digest_message.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from bot import wording
from bot.block_kit import (
    actions,
    button,
    context,
    day,
    divider,
    header,
    overflow,
    section,
    value,
)
from bot.mrkdwn import escape, mention
from bot.substitute_line import substitutes_block
from db.customer_search import Match
from db.queries import CustomerRef
from db.reorder_timing import Timing
from db.serving import AccountSummary, LiveModel, Pick, Section, Served
from db.similar import Substitute

COMMAND = "/recommend"
UNAVAILABLE = "Recommendations are temporarily unavailable, try again in a minute."

# action_ids, shared with the listeners in bot/actions/
PICK_CUSTOMER = "pick_customer"
SHARE = "share_answer"
FEEDBACK = "pick_feedback"  # the ⋯ menu beside each pick: 👍 / 👎
VOTE_UP = "vote_up"  # the buttons of answers sent before the menu existed
VOTE_DOWN = "vote_down"
UNHIDE = "unhide_product"
REORDER_TITLE = "Likely to reorder"
NEW_TITLE = "New for this customer"


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
    timing: Mapping[int, Timing] = field(default_factory=dict)
    # products the customer used to buy and cannot now, with similar ones (db/similar.py)
    substitutes: tuple[Substitute, ...] = ()
    fallback: int = 0  # the new section's last picks are the segment's popular products
    fallback_segment: str = ""

    @classmethod
    def of(
        cls,
        served: Served,
        n: int,
        new_only: bool,
        note: str = "",
        substitutes: tuple[Substitute, ...] = (),
    ) -> Answer:
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
            served.timing,
            substitutes,
            fallback=served.fallback,
            fallback_segment=served.fallback_segment,
        )


def message(text: str) -> Reply:
    return Reply(text, [section(text)])


def help_reply() -> Reply:
    usage = (
        f"*How to use {COMMAND}*\n"
        f"• `{COMMAND} &lt;customer&gt;`: what to offer that account and why (name or id; "
        "partial names and small typos are fine)\n"
        f"• `{COMMAND} &lt;customer&gt; 10`: show up to 10 products per section\n"
        f"• `{COMMAND} &lt;customer&gt; new`: only products the account has never bought\n"
        f"• `{COMMAND} similar &lt;product&gt;`: products like that one (id or name)\n"
        f"• `{COMMAND} status`: the model behind the answers and the next retrain\n"
        f"• `{COMMAND} digest off` / `digest on`: stop or restart your Monday digest\n"
        f"• `{COMMAND} help`: this message\n"
        "Each product shows how strong the pick is, why, the account's usual order and one "
        "next step. Answers are visible only to you until you press *Share in channel*. "
        "Use ⋯ beside a product for 👍, or 👎 to hide it for that account."
    )
    return Reply(f"How to use {COMMAND}", [section(usage)])


def no_model_reply() -> Reply:
    return message(
        "No model is live yet, so there are no recommendations to show. "
        "An admin can train one with `recbot train`."
    )


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
        button(f"{c.name} ({c.external_id})", PICK_CUSTOMER, value(c=c.id, n=n, new=new_only))
        for c in match.customers
    ]
    return Reply(intro, [section(intro), {"type": "actions", "elements": buttons}])


def no_match_reply(query: str, closest: tuple[str, ...], restricted: bool) -> Reply:
    scope = " among your accounts" if restricted else ""
    text = f"No customer{scope} matches “{escape(query, 80)}”."
    if closest:
        text += " Closest names: " + ", ".join(f"*{escape(n, 80)}*" for n in closest) + "."
    return message(text)


def not_yours_reply() -> Reply:
    return message("That is not one of your accounts, so I can't show its recommendations.")


def _pick_text(rank: int, pick: Pick, section_name: Section, answer: Answer) -> str:
    """Name and strength, the reason, the account's usual order, one next step."""
    title = f"*{rank}. {escape(pick.name, 120)}*"
    label = wording.strength(pick.strength) if not answer.cold_start else ""
    lines = [f"{title} · {label}" if label else title, escape(pick.reason, 250)]
    timing = answer.timing.get(pick.product_id) if section_name == "reorder" else None
    if timing is not None:
        lines.append(wording.timing_line(timing))
    lines.append(f"→ {wording.next_step(section_name, pick, timing, answer.cold_start)}")
    return "\n".join(lines)


# The menu's two labels, built once: an answer carries up to 2 x MAX_N of these menus.
_UP, _DOWN = (
    overflow(FEEDBACK, [(label, "")])["options"][0]["text"]
    for label in ("👍 Good pick", "👎 Not for this account: hide it")
)


def _feedback_menu(answer: Answer, pick: Pick) -> dict:
    """👍 / 👎 in a ⋯ menu; each option's value is the pick's, plus the vote.

    The same compact JSON as value(c=, p=, n=, new=, v=), formatted directly: json.dumps for
    every option of every pick was a tenth of an answer's time."""
    c, p, n = int(answer.customer.id), int(pick.product_id), int(answer.n)
    base = f'{{"c":{c},"p":{p},"n":{n},"new":{"true" if answer.new_only else "false"}'
    return {
        "type": "overflow",
        "action_id": FEEDBACK,
        "options": [
            {"text": _UP, "value": base + ',"v":1}'},
            {"text": _DOWN, "value": base + ',"v":-1}'},
        ],
    }


def _pick_blocks(
    answer: Answer, picks: list[Pick], section_name: Section, interactive: bool
) -> list[dict]:
    return [
        section(
            _pick_text(rank, pick, section_name, answer),
            _feedback_menu(answer, pick) if interactive else None,
            block_id=f"pick:{pick.product_id}" if interactive else "",
        )
        for rank, pick in enumerate(picks, 1)
    ]


def summary_line(customer: CustomerRef, summary: AccountSummary) -> str:
    parts = [escape(p, 60) for p in (customer.segment, customer.region) if p]
    parts.append(f"id {escape(customer.external_id, 60)}")
    if summary.last_order is None:
        parts.append("no purchases yet")
    else:
        parts.append(f"last order {day(summary.last_order)}")
        amount = f" (${summary.amount_12m:,.0f})" if summary.amount_12m else ""
        parts.append(f"{summary.lines_12m} order lines{amount} in the last 12 months")
    return " · ".join(parts)


def _sections(answer: Answer, interactive: bool) -> list[dict]:
    if answer.cold_start:
        seg = f" with {escape(answer.cold_segment, 60)} customers" if answer.cold_segment else ""
        title = f"*Popular{seg}: a starting list* (new account, no purchase history yet)"
        return [
            section(title),
            *(_pick_blocks(answer, answer.new, "new", interactive) or [section("_Nothing yet._")]),
        ]
    out: list[dict] = []
    if not answer.new_only:
        out += [divider(), section(f"*{REORDER_TITLE}*")]
        out += _pick_blocks(answer, answer.reorder, "reorder", interactive) or [
            section("_No reorders expected._")
        ]
        if answer.substitutes:
            out.append(substitutes_block(answer.substitutes))
    out += [divider(), section(f"*{NEW_TITLE}*")]
    out += _pick_blocks(answer, answer.new, "new", interactive) or [
        section("_No new products to suggest._")
    ]
    if answer.fallback:
        out.append(context(escape(wording.fallback_note(answer.fallback, answer.fallback_segment))))
    return out


def answer_reply(answer: Answer, interactive: bool = True, shared_by: str = "") -> Reply:
    """The recommendation message; `interactive` adds the feedback menus and the share button."""
    c, m = answer.customer, answer.model
    footer = f"Model v{m.id} ({escape(m.arch)}) · trained {day(m.trained_at)}"
    if shared_by:
        footer += f" · shared by {mention(shared_by)}"
    legend = ""
    if m.calibration is not None and not answer.cold_start:
        legend = wording.strength_legend(m.calibration.horizon_weeks)
    blocks: list[dict] = [
        header(c.name),
        context(summary_line(c, answer.summary), answer.note),  # one block: 50 is Slack's cap
        *_sections(answer, interactive),
        divider(),
        context(footer, legend),
    ]
    if interactive:
        share = value(c=c.id, n=answer.n, new=answer.new_only)
        blocks.append(actions("share", button("Share in channel", SHARE, share, style="primary")))
    label = "Starting list" if answer.cold_start else "Recommendations"
    return Reply(f"{label} for {escape(c.name, 150)}", blocks, is_answer=True)


def hidden_reply(customer: CustomerRef, hidden: list[tuple[int, str, list[str]]]) -> Reply:
    title = f"Products hidden for {escape(customer.name, 150)}"
    if not hidden:
        return message(f"{title}: none.")
    blocks = [section(f"*{title}*")]
    for product_id, name, users in hidden[:40]:
        who = ", ".join(mention(u) for u in users[:5])
        unhide = button("Unhide", UNHIDE, value(c=customer.id, p=product_id))
        blocks.append(section(f"{escape(name, 120)} · 👎 by {who}", unhide))
    return Reply(title, blocks)
