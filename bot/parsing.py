"""What a rep typed after `/recommend`, as a small request object."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from typing import Literal

DEFAULT_N = 5
MAX_N = 10
MAX_TEXT = 200


DigestChoice = Literal["", "on", "off"]
_DIGEST_CHOICES: dict[str, DigestChoice] = {"": "", "on": "on", "off": "off"}
Kind = Literal[
    "help",
    "status",
    "hidden",
    "digest",
    "digest_usage",
    "similar",
    "recommend",
    "too_long",
    "bad_n",
]


@dataclass(frozen=True)
class Request:
    kind: Kind
    # The customer typed (recommend, hidden), or the whole text (digest_usage).
    query: str = ""
    n: int = DEFAULT_N
    new_only: bool = False
    n_capped: bool = False
    # The text with a trailing number kept, for names that end in one ("Harbor Cafe 12").
    alt_query: str = ""
    # digest: "on", "off", or "" to show the current setting.
    choice: DigestChoice = ""
    # similar: the product typed after `similar` ("" for none).
    product: str = ""


def clean(text: str | None) -> str:
    """NFKC, no control characters (PostgreSQL rejects NUL), single spaces."""
    text = unicodedata.normalize("NFKC", text or "")
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C" or ch in " \t\n")
    return " ".join(text.split())


def parse(text: str | None) -> Request:
    """The whole `/recommend` grammar, first matching form wins (keywords ignore case):

    - longer than MAX_TEXT                -> too_long
    - nothing, or `help`                  -> help
    - `status`                            -> status
    - `hidden <customer>`                 -> hidden
    - `digest`, `digest on|off`           -> digest (choice "" shows the current setting)
    - `digest <another word>`             -> digest_usage: a customer of exactly that name
                                             ("Digest Depot"), else how to use `digest`
    - `similar [<product>]`               -> similar: products like that one; but a customer
                                             named exactly like the text ("Similar Supplies",
                                             with [n] [new] as for any customer) is answered
                                             for, so `query`, `n`, `new_only` and `alt_query`
                                             are set as for `recommend`
    - `<customer> [n] [new]`              -> recommend (the options in either order), or bad_n
      for a count of 0. A trailing 1-99 is the count; a zero-padded or larger number stays part
      of the name.
    """
    text = clean(text)
    if len(text) > MAX_TEXT:
        return Request("too_long")
    words = text.split(" ") if text else []
    first = words[0].lower() if words else ""
    if not words or (first == "help" and len(words) == 1):
        return Request("help")
    if first == "status" and len(words) == 1:
        return Request("status")
    if first == "hidden" and len(words) > 1:
        return Request("hidden", query=" ".join(words[1:]))
    if first == "digest" and len(words) <= 2:
        choice = _DIGEST_CHOICES.get(words[1].lower() if len(words) == 2 else "")
        if choice is not None:
            return Request("digest", choice=choice)
        return Request("digest_usage", query=text)
    if first == "similar":
        as_customer = _recommend(list(words))
        if as_customer.kind == "bad_n":
            as_customer = Request("recommend", text)
        return replace(as_customer, kind="similar", product=" ".join(words[1:]))
    return _recommend(words)


def _recommend(words: list[str]) -> Request:
    """`<customer> [n] [new]`: options are taken off the end while the name keeps a word."""
    n, new_only, number = None, False, ""
    while len(words) > 1:
        last = words[-1]
        if last.lower() == "new" and not new_only:
            new_only = True
        elif n is None and re.fullmatch(r"[1-9][0-9]?", last):
            n, number = int(last), last
        elif n is None and last == "0":
            return Request("bad_n")
        else:
            break
        words.pop()
    n = DEFAULT_N if n is None else n
    query = " ".join(words)
    alt = f"{query} {number}" if number else ""
    return Request("recommend", query, min(n, MAX_N), new_only, n > MAX_N, alt)
