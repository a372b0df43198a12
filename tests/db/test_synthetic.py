"""Synthetic data: names that fit their segment, stable purchases, and the same lines as before
when they are drawn in chunks and written a week at a time."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pandas as pd
import pytest

from db import b2b_lines, synthetic
from db.b2b_world import build_world
from db.synthetic import (
    NAME_PREFIXES,
    NAME_SUFFIXES,
    SEGMENTS,
    B2BParams,
    b2b_profile,
    seed_chunks,
    seed_profile,
    write_b2b,
)

SMALL = B2BParams(customers=300, products=40, weeks=12, seed=5)


def test_every_customer_name_fits_its_segment() -> None:
    customers = b2b_profile(SMALL).customers
    assert set(customers["segment"]) == set(SEGMENTS)
    for row in customers.itertuples():
        prefix, kind, number = row.name.split(" ")
        assert kind in NAME_SUFFIXES[row.segment], f"{row.name!r} is in {row.segment}"
        assert prefix in NAME_PREFIXES and int(number) == int(row.customer_id[1:])


def test_no_name_suffix_belongs_to_two_segments() -> None:
    suffixes = [s for segment in SEGMENTS for s in NAME_SUFFIXES[segment]]
    assert len(suffixes) == len(set(suffixes))


def test_names_are_deterministic_and_unique() -> None:
    first, second = b2b_profile(SMALL).customers, b2b_profile(SMALL).customers
    assert first["name"].tolist() == second["name"].tolist()
    assert first["name"].is_unique


def test_names_do_not_move_purchases(monkeypatch: pytest.MonkeyPatch) -> None:
    before = b2b_profile(SMALL).transactions
    monkeypatch.setattr(
        synthetic, "NAME_SUFFIXES", {s: ["Co", "Ltd", "Group"] for s in NAME_SUFFIXES}
    )
    after = b2b_profile(SMALL).transactions
    assert not before["customer_name"].equals(after["customer_name"])
    purchases = [c for c in before.columns if c != "customer_name"]
    assert before[purchases].equals(after[purchases])


# What the all-in-memory generator (before lines were drawn in customer chunks and written week by
# week) produced for these parameters, as SHA-256 of the CSV text of the transactions, customers
# and reps: the same seed still gives the same data.
SAME_AS_BEFORE = {
    "natural": B2BParams(customers=300, products=40, weeks=30, seed=5),
    "trimmed": B2BParams(customers=300, products=40, weeks=30, rows=4000, seed=5),
    "scaled": B2BParams(customers=60, products=40, weeks=20, rows=9000, seed=3, density=0.5),
}
_CUSTOMERS_300 = "3c7ef2d193839f87a7d7fb7627c2cb94b2e490f02af826f23560597e6ebcaca4"
_REPS_300 = "822565410d99effa1400f24d7e508107cb2cae97dc6b6ff47233d4e2ee7848e7"
DIGESTS = {
    "natural": (
        "d74df18f1afb3ebdb73782bb038c3866533bae905bf8c9673f0d919bb1f99876",
        _CUSTOMERS_300,
        _REPS_300,
    ),
    "trimmed": (
        "667dba7d664d144018ffb235d96f0633186991ce8bb8f411feb443ff0b450239",
        _CUSTOMERS_300,
        _REPS_300,
    ),
    "scaled": (
        "c2eeedf0b89ac131febb7d55ed2c931e0c73ae517fe42f876ebf7d9028e3399c",
        "d4b7aea3500b215508efa9d8bcbc239aa4f898ce208f838a2ccd7397b8ef464f",
        "d790ec30406aedccef4b27993bde3c2c700c2f8115ee8d7badbf69e9083a490a",
    ),
}
SEED_DIGEST = "cff23dc4673231fb0684ba1df57899e3eb2b7dc656838cfb2c872b2d38428799"


def _digest(frame: pd.DataFrame) -> str:
    return hashlib.sha256(frame.to_csv(index=False).encode()).hexdigest()


@pytest.mark.parametrize("case", sorted(SAME_AS_BEFORE))
@pytest.mark.parametrize("cells", [300, b2b_lines.CELLS])
def test_chunked_lines_are_the_ones_drawn_before(
    case: str, cells: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(b2b_lines, "CELLS", cells)  # 300: a chunk per customer or two
    data = b2b_profile(SAME_AS_BEFORE[case])
    lines, customers, reps = DIGESTS[case]
    assert _digest(data.transactions) == lines
    assert _digest(data.customers) == customers
    assert _digest(data.reps) == reps


def test_seed_profile_in_chunks_is_the_same_as_before() -> None:
    whole = seed_profile(2001, seed=4)
    assert _digest(whole) == SEED_DIGEST
    chunks = pd.concat(seed_chunks(2001, seed=4, chunk_rows=300), ignore_index=True)
    assert chunks.equals(whole)


@pytest.mark.parametrize("name", ["lines.csv", "lines.csv.gz"])
def test_written_file_is_the_profile_and_leaves_no_temporary_files(
    tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(b2b_lines, "CELLS", 500)
    params = SAME_AS_BEFORE["trimmed"]
    out = tmp_path / name
    companions = {k: tmp_path / f"{k}.csv" for k in ("customers", "products", "reps")}
    written = write_b2b(params, out, companions)

    data = b2b_profile(params)
    assert written == len(data.transactions) == params.rows
    assert pd.read_csv(out).equals(_reread(data.transactions))
    assert pd.read_csv(companions["reps"]).equals(_reread(data.reps))
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [name, "customers.csv", "products.csv", "reps.csv"]
    )


def _reread(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(frame.to_csv(index=False)))


def test_chunks_cover_every_customer_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(b2b_lines, "CELLS", 400)
    world = build_world(SAME_AS_BEFORE["natural"], scale=1.0)
    chunks = b2b_lines.customer_chunks(world)

    assert len(chunks) > 10
    assert chunks[0][0] == 0 and chunks[-1][1] == world.n_customers
    assert all(lo < hi for lo, hi in chunks)
    assert [hi for _, hi in chunks[:-1]] == [lo for lo, _ in chunks[1:]]
