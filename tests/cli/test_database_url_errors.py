"""A bad DATABASE_URL is one `Error:` line that never shows the password."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from bot.cli import cli


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("postgresql://u:secretpw@host:abc/db", "not a valid database URL"),
        ("postgresql://u:secretpw@[::1/db", "not a valid database URL"),
        ("postgres//u:secretpw@h/db", "not a valid database URL"),
        ("mysql://u:secretpw@h/db", "needs the Python driver 'MySQLdb'"),
        ("nosuchdb://u:secretpw@h/db", "unsupported DATABASE_URL"),
    ],
)
def test_bad_database_url_is_one_line_without_the_password(monkeypatch, url, says):
    monkeypatch.setenv("DATABASE_URL", url)
    res = CliRunner().invoke(cli, ["db", "current"])
    assert res.exit_code == 1
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error:") and says in lines[0], res.output
    assert "secretpw" not in res.output
