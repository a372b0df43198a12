"""The README's picture of `recbot report`: the seeded closed-loop simulation of the tests
(tests/db/outcome_sim.py, 400 accounts over 8 weeks) in a temporary SQLite database, the
report's HTML page rendered by Debian's Chromium through Playwright, saved as
docs/img/report.png.

    .venv/bin/python bench/report_png.py
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from playwright.sync_api import sync_playwright  # noqa: E402

from db.migrate import upgrade  # noqa: E402
from db.session import make_engine  # noqa: E402
from tests.db.outcome_sim import START, simulate  # noqa: E402


def main() -> None:
    out = REPO / "docs" / "img" / "report.png"
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/report.db"
        engine = make_engine(url)
        upgrade(engine)
        simulate(engine, accounts=400, held=40, weeks=8)
        engine.dispose()
        recbot = Path(sys.executable).with_name("recbot")
        subprocess.run(
            [
                str(recbot),
                "report",
                "--since",
                f"{START:%Y-%m-%d}",
                "--until",
                "2026-11-27",
                "--out",
                tmp,
            ],
            check=True,
            env={"DATABASE_URL": url, "PATH": "/usr/bin:/bin"},
        )
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=shutil.which("chromium"),
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            )
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.goto((Path(tmp) / "report.html").as_uri())
            page.screenshot(path=str(out), full_page=True)
            browser.close()
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
