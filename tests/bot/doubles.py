"""Test doubles for Bolt's ack() and respond(), recording what a listener sent."""

from __future__ import annotations

from typing import Any


class AckDouble:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def __call__(self, text: str | None = None, blocks: list | None = None, **kwargs: Any) -> None:
        self.calls.append({"text": text, "blocks": blocks, **kwargs})

    @property
    def only(self) -> dict[str, Any]:
        assert len(self.calls) == 1, self.calls
        return self.calls[0]


class RespondDouble(AckDouble):
    pass


def all_text(blocks: list[dict] | None) -> str:
    """Every text in a Block Kit payload, joined, for assertions."""
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("text"), str):
                out.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(blocks or [])
    return "\n".join(out)


def action_ids(blocks: list[dict] | None) -> list[str]:
    return [e["action_id"] for b in blocks or [] if b["type"] == "actions" for e in b["elements"]]


def menu_votes(blocks: list[dict] | None) -> list[tuple[int, int]]:
    """(product id, vote) of every option of the ⋯ feedback menus beside the picks."""
    import json

    return [
        (json.loads(o["value"])["p"], json.loads(o["value"])["v"])
        for b in blocks or []
        if (b.get("accessory") or {}).get("type") == "overflow"
        for o in b["accessory"]["options"]
    ]


def section_titles(blocks: list[dict] | None) -> list[str]:
    return [
        b["text"]["text"]
        for b in blocks or []
        if b["type"] == "section"
        and b["text"]["text"].startswith("*")
        and b["text"]["text"].endswith("*")
    ]
