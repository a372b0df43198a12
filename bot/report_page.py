"""The closed-loop report as one self-contained HTML page: inline CSS and SVG charts, no
scripts, fonts or images from anywhere (it opens offline, and e-mails as one file).

Charts: hit rate by week of first showing per model version, digest uplift against the
holdout with its interval, and the reps who use recbot most. Tables: each breakdown, and the
products reps accepted and rejected most.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from html import escape

from db.outcomes import Report, Tally

COLOURS = ("#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2")
CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;
max-width:1040px;color:#111827;padding:0 1rem}
h1{font-size:1.6rem;margin:0 0 .2rem}h2{font-size:1.15rem;margin:2rem 0 .5rem}
.sub{color:#4b5563;margin:0 0 1.2rem}
.cards{display:flex;gap:1rem;flex-wrap:wrap}
.card{border:1px solid #e5e7eb;border-radius:8px;padding:.8rem 1rem;min-width:180px;flex:1}
.card b{display:block;font-size:1.5rem}.card span{color:#4b5563}
table{border-collapse:collapse;width:100%;margin:.3rem 0 1rem}
th,td{border-bottom:1px solid #e5e7eb;padding:.3rem .5rem;text-align:right}
th:first-child,td:first-child{text-align:left}th{background:#f9fafb}
figure{margin:0 0 1rem}figcaption{color:#4b5563;font-size:.9rem}
.grid{display:grid;grid-template-columns:1fr 1fr;gap:1.5rem}
svg text{font:12px system-ui,sans-serif;fill:#374151}
.note{color:#6b7280;font-size:.9rem}
"""


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def _num(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}".rstrip("0").rstrip(".")


def _tally_rows(label: str, rows: Sequence[tuple[str, Tally]]) -> str:
    head = (
        f"<tr><th>{escape(label)}</th><th>shown</th><th>bought</th><th>hit rate</th>"
        "<th>still open</th><th>quantity</th><th>amount</th></tr>"
    )
    body = "".join(
        f"<tr><td>{escape(name)}</td><td>{t.shown:,}</td><td>{t.hits:,}</td>"
        f"<td>{_pct(t.rate)}</td><td>{t.open:,}</td><td>{_num(t.quantity)}</td>"
        f"<td>{_num(t.amount)}</td></tr>"
        for name, t in rows
    )
    return f"<table>{head}{body}</table>"


def _version_name(version: int | None) -> str:
    return "no model" if version is None else f"v{version}"


def hit_rate_chart(weekly: dict[tuple[date, int | None], Tally], width: int = 640) -> str:
    """Lines: hit rate per week of first showing, one per model version."""
    height, left, bottom, top, right = 260, 48, 40, 16, 120
    weeks = sorted({w for w, _ in weekly})
    versions = sorted({v for _, v in weekly}, key=lambda v: (v is None, v or 0))
    if not weeks:
        return '<svg role="img" width="10" height="10"></svg>'
    peak = max((t.rate or 0.0) for t in weekly.values()) or 0.1
    peak = min(1.0, peak * 1.15)
    plot_w, plot_h = width - left - right, height - top - bottom

    def x(i: int) -> float:
        return left + (plot_w * i / max(1, len(weeks) - 1) if len(weeks) > 1 else plot_w / 2)

    def y(rate: float) -> float:
        return top + plot_h * (1 - rate / peak)

    parts = [
        f'<svg role="img" aria-label="hit rate by week" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" data-chart="hit-rate">'
    ]
    for k in range(5):
        rate = peak * k / 4
        parts.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{y(rate):.1f}" y2="{y(rate):.1f}" '
            'stroke="#e5e7eb"/>'
            f'<text x="{left - 6}" y="{y(rate) + 4:.1f}" text-anchor="end">{rate:.0%}</text>'
        )
    step = max(1, len(weeks) // 8)
    for i, week in enumerate(weeks):
        if i % step == 0:
            parts.append(
                f'<text x="{x(i):.1f}" y="{height - bottom + 16}" text-anchor="middle">'
                f"{week:%d %b}</text>"
            )
    for n, version in enumerate(versions):
        colour = COLOURS[n % len(COLOURS)]
        points = [
            (x(i), y(weekly[w, version].rate or 0.0))
            for i, w in enumerate(weeks)
            if (w, version) in weekly and weekly[w, version].shown
        ]
        path = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
        parts.append(
            f'<polyline data-series="{escape(_version_name(version))}" points="{path}" '
            f'fill="none" stroke="{colour}" stroke-width="2"/>'
        )
        parts += [
            f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3" fill="{colour}"/>' for px, py in points
        ]
        ly = top + 14 + 18 * n
        parts.append(
            f'<rect x="{width - right + 14}" y="{ly - 9}" width="12" height="12" '
            f'fill="{colour}"/><text x="{width - right + 32}" y="{ly + 1}">'
            f"{escape(_version_name(version))}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def uplift_chart(report: Report, width: int = 420) -> str:
    """Bars: share of digest lines bought, exposed vs held out, and the difference's interval."""
    u = report.uplift
    height = 230
    if u is None:
        return (
            f'<svg role="img" aria-label="uplift" viewBox="0 0 {width} 60" width="{width}" '
            'height="60" data-chart="uplift"><text x="0" y="30">Not enough held-out accounts '
            "with closed windows yet.</text></svg>"
        )
    peak = max(u.exposed_rate, u.holdout_rate, 0.01) * 1.25
    base, plot_h = 170, 140
    parts = [
        f'<svg role="img" aria-label="uplift" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" data-chart="uplift">'
    ]
    for i, (label, rate, colour) in enumerate(
        (
            (f"got the digest ({u.exposed_accounts})", u.exposed_rate, COLOURS[0]),
            (f"held out ({u.holdout_accounts})", u.holdout_rate, "#9ca3af"),
        )
    ):
        h = plot_h * rate / peak
        bx = 40 + i * 150
        parts.append(
            f'<rect data-bar="{"exposed" if i == 0 else "holdout"}" x="{bx}" y="{base - h:.1f}" '
            f'width="90" height="{h:.1f}" fill="{colour}"/>'
            f'<text x="{bx + 45}" y="{base - h - 6:.1f}" text-anchor="middle">{rate:.1%}</text>'
            f'<text x="{bx + 45}" y="{base + 18}" text-anchor="middle">{escape(label)}</text>'
        )
    parts.append(
        f'<text x="20" y="{height - 12}">Uplift {u.difference * 100:+.1f} points, 95 % CI '
        f"{u.low * 100:+.1f} to {u.high * 100:+.1f}</text></svg>"
    )
    return "".join(parts)


def usage_chart(report: Report, width: int = 420, top_n: int = 10) -> str:
    """Horizontal bars: answers (and digest lines) per rep, most first."""
    reps = report.usage[:top_n]
    height = 30 + 26 * max(1, len(reps))
    peak = max((r.answers + r.digest_lines for r in reps), default=1) or 1
    left, plot_w = 150, width - 190
    parts = [
        f'<svg role="img" aria-label="usage by rep" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" data-chart="usage">'
    ]
    for i, rep in enumerate(reps):
        y = 10 + 26 * i
        a = plot_w * rep.answers / peak
        d = plot_w * rep.digest_lines / peak
        parts.append(
            f'<text x="{left - 8}" y="{y + 14}" text-anchor="end">{escape(rep.rep[:22])}</text>'
            f'<rect data-bar="answers" x="{left}" y="{y}" width="{a:.1f}" height="18" '
            f'fill="{COLOURS[0]}"/><rect data-bar="digest" x="{left + a:.1f}" y="{y}" '
            f'width="{d:.1f}" height="18" fill="#93c5fd"/>'
            f'<text x="{left + a + d + 6:.1f}" y="{y + 14}">{rep.answers}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def render(report: Report, title: str = "Did the picks sell?") -> str:
    """The whole page."""
    o = report.overall
    u = report.uplift
    cards = [
        (f"{o.shown:,}", "products shown to reps' customers"),
        (_pct(o.rate), f"bought within {report.window_days} days ({o.hits:,})"),
        (f"{o.amount:,.0f}", "amount of those purchases"),
        (
            "–" if u is None else f"{u.difference * 100:+.1f} pts",
            "digest uplift vs holdout"
            + ("" if u is None else f" (95 % CI {u.low * 100:+.1f} to {u.high * 100:+.1f})"),
        ),
        (f"{report.up} up · {report.down} down", "reps' votes on picks"),
    ]
    accepted = sorted(report.products, key=lambda p: (-p.up, -p.hits, p.name))[:10]
    rejected = sorted((p for p in report.products if p.down), key=lambda p: (-p.down, p.name))[:10]

    def product_rows(rows: Sequence) -> str:
        return "".join(
            f"<tr><td>{escape(p.name)}</td><td>{p.up}</td><td>{p.down}</td>"
            f"<td>{p.shown:,}</td><td>{p.hits:,}</td></tr>"
            for p in rows
        )

    product_head = (
        "<tr><th>product</th><th>votes up</th><th>votes down</th><th>shown</th><th>bought</th></tr>"
    )
    usage_rows = "".join(
        f"<tr><td>{escape(r.rep)}</td><td>{r.answers:,}</td><td>{r.digest_lines:,}</td>"
        f"<td>{r.up}</td><td>{r.down}</td></tr>"
        for r in report.usage
    )
    card_html = "".join(
        f'<div class="card"><b>{escape(v)}</b><span>{escape(t)}</span></div>' for v, t in cards
    )
    versions = sorted(report.by_version.items(), key=lambda kv: (kv[0] is None, kv[0] or 0))
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title><style>{CSS}</style></head>
<body>
<h1>{escape(title)}</h1>
<p class="sub">Recommendations shown from {report.since:%Y-%m-%d} to {report.until:%Y-%m-%d};
purchases counted within {report.window_days} days of a product's first showing, as of
{report.as_of:%Y-%m-%d %H:%M} UTC. {o.open:,} showings are still inside their window.</p>
<div class="cards">{card_html}</div>
<h2>Hit rate by week, per model version</h2>
<figure>{hit_rate_chart(report.weekly)}<figcaption>Share of the products first shown that week
that the customer bought within {report.window_days} days (recent weeks: so far).
</figcaption></figure>
<div class="grid">
<div><h2>Does the digest change what customers buy?</h2>
<figure>{uplift_chart(report)}<figcaption>Per account, the share of its digest lines bought
within the window: accounts that got the digest against the held-out accounts (same ranking,
never sent). Only lines whose window has closed count.</figcaption></figure></div>
<div><h2>Who uses recbot</h2><figure>{usage_chart(report)}<figcaption>Answers and shares
(dark) and digest lines (light) per rep.</figcaption></figure></div>
</div>
<h2>By surface</h2>{_tally_rows("surface", sorted(report.by_surface.items()))}
<h2>By section</h2>{_tally_rows("section", sorted(report.by_mode.items()))}
<h2>By model version</h2>{_tally_rows("version", [(_version_name(v), t) for v, t in versions])}
<h2>By rep</h2>{_tally_rows("rep", sorted(report.by_rep.items(), key=lambda kv: -kv[1].shown))}
<h2>Reps' usage</h2><table><tr><th>rep</th><th>answers</th><th>digest lines</th>
<th>votes up</th><th>votes down</th></tr>{usage_rows}</table>
<div class="grid">
<div><h2>Most accepted products</h2><table>{product_head}{product_rows(accepted)}</table></div>
<div><h2>Most rejected products</h2><table>{product_head}{product_rows(rejected)}</table></div>
</div>
<p class="note">Generated by <code>recbot report</code>. A product counts once per
customer per breakdown value, from its first showing in the period.</p>
</body></html>
"""
