"""The asyncmy reader process: values as the server's bytes in Arrow arrays, a reader that waits
while the consumer is behind (the server waits, memory stays flat), and a clean stop."""

from __future__ import annotations

import time

import pytest
from sqlalchemy.engine import URL

from core.errors import RecbotError
from db.sync.config import Source
from db.sync.mysql_stream import Login, QueryFailed, Stream, login


def source(url: str, password: str | None = None) -> Source:
    return Source("erp", url, password, "updated_at", {"transactions": "SELECT 1"})


def where(url: URL) -> Login:
    found = login(source(url.render_as_string(hide_password=False)))
    assert found is not None
    return found


def test_which_urls_asyncmy_reads() -> None:
    assert login(source("mysql+pymysql://u:pw@erp-db:3307/erp", "from-file")) == Login(
        "erp-db", 3307, "u", "from-file", "erp"
    )
    assert login(source("mariadb+pymysql://u@erp-db/erp")) == Login("erp-db", 3306, "u", "", "erp")
    assert login(source("mysql+pymysql://u@erp-db/erp?ssl_ca=/ca.pem")) is None
    assert login(source("postgresql://u@erp-db/erp")) is None


def test_values_come_as_the_servers_bytes_in_arrow_arrays(mariadb_url: URL) -> None:
    stream = Stream(
        where(mariadb_url),
        "SELECT 7 AS Line_Id, CAST(2.5 AS DECIMAL(6,3)) AS qty, "
        "TIMESTAMP'2026-03-01 10:00:00' AS at, NULL AS nothing",
        100,
    )

    [chunk] = list(stream.chunks(source("mysql://x")))

    assert stream.columns == ["line_id", "qty", "at", "nothing"]
    assert [chunk[column].to_pylist() for column in stream.columns] == [
        [b"7"],
        [b"2.500"],
        [b"2026-03-01 10:00:00"],
        [None],
    ]


def test_the_reader_waits_for_the_consumer_and_stops_cleanly(mariadb_url: URL) -> None:
    stream = Stream(where(mariadb_url), "SELECT seq FROM seq_1_to_2000000", 100)
    chunks = stream.chunks(source("mysql://x"))

    first = next(chunks)
    time.sleep(1.0)  # unhindered, the reader would be through the 2,000,000 rows by now

    assert len(first["seq"]) == 100
    assert stream.process.poll() is None  # still there: blocked on the full pipe
    chunks.close()  # the consumer gives up: the reader is stopped
    assert stream.process.poll() is not None


def test_a_query_that_does_not_start_is_the_servers_message(mariadb_url: URL) -> None:
    with pytest.raises(QueryFailed, match="doesn't exist"):
        Stream(where(mariadb_url), "SELECT * FROM no_such_table", 100)


def test_a_reader_process_that_dies_mid_read_is_one_line(mariadb_url: URL) -> None:
    stream = Stream(where(mariadb_url), "SELECT seq FROM seq_1_to_2000000", 100)
    chunks = stream.chunks(source("mysql://x"))
    next(chunks)

    stream.process.kill()
    with pytest.raises(RecbotError) as caught:
        list(chunks)

    message = str(caught.value)
    assert message.startswith("source erp: reading the transactions query failed after ")
    assert "the reader process stopped" in message and "nothing was written" in message
