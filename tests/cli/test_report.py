"""`recbot report` on the seeded simulation: the terminal figures, the stored headline and a
self-contained HTML page that a real browser (Debian's Chromium, through Playwright) renders
with its charts and without any network request."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine

from bot.cli import cli
from db import outcomes
from tests.db.outcome_sim import START, simulate

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _run(database_url: str, *args: str) -> str:
    result = CliRunner().invoke(cli, list(args), env={"DATABASE_URL": database_url})
    assert result.exit_code == 0, result.output
    return result.output


def test_report_prints_the_planted_figures_and_stores_the_headline(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    planted = simulate(engine)
    out = _run(
        database_url,
        "report",
        "--since",
        f"{START:%Y-%m-%d}",
        "--until",
        "2026-11-05",
        "--out",
        str(tmp_path),
    )
    rate = planted.hits / planted.shown
    assert f"Shown {planted.shown:,} · bought {planted.hits:,} ({rate:.1%})" in out
    assert "Digest uplift: +" in out and f"{len(planted.holdout_customers)} held-out" in out
    assert "answer" in out and "digest" in out and "Rep A" in out
    page = tmp_path / "report.html"
    assert page.is_file() and f"{planted.shown:,}" in page.read_text()
    with engine.connect() as conn:
        latest = outcomes.latest(conn)
    assert latest is not None and latest[1]["shown"] == planted.shown


def test_report_refuses_an_empty_range(database_url: str, engine: Engine) -> None:
    result = CliRunner().invoke(
        cli,
        ["report", "--since", "2026-11-05", "--until", "2026-11-01"],
        env={"DATABASE_URL": database_url},
    )
    assert result.exit_code != 0
    assert "--since must be before --until" in result.output


@pytest.fixture
def browser():
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing: apt-get install chromium (.ci/run does)")
        pytest.skip("Debian's chromium is not installed here")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


def test_the_html_report_renders_its_charts_offline(
    sqlite_engine: Engine, tmp_path: Path, browser
) -> None:
    simulate(sqlite_engine)
    url = sqlite_engine.url.render_as_string(hide_password=False)
    _run(
        url,
        "report",
        "--since",
        f"{START:%Y-%m-%d}",
        "--until",
        "2026-11-05",
        "--out",
        str(tmp_path),
    )
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto((tmp_path / "report.html").as_uri())

    assert page.title() == "Did the picks sell?"
    for chart in ("hit-rate", "uplift", "usage"):
        box = page.locator(f'svg[data-chart="{chart}"]').bounding_box()
        assert box is not None and box["width"] > 200 and box["height"] > 50, chart
    # one line per model version, two uplift bars of non-zero height, a bar per rep
    assert page.locator('svg[data-chart="hit-rate"] polyline').count() == 2
    heights = [
        float(page.locator(f'rect[data-bar="{arm}"]').get_attribute("height") or 0)
        for arm in ("exposed", "holdout")
    ]
    assert all(h > 0 for h in heights) and heights[0] > heights[1]
    assert page.locator('svg[data-chart="usage"] rect[data-bar="answers"]').count() == 2
    assert page.get_by_text("Most accepted products").is_visible()
    assert [u for u in requests if not u.startswith("file://")] == []
    assert errors == []
    page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
    assert (tmp_path / "report.png").stat().st_size > 10_000
