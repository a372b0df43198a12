"""The b2b profile's purchase lines, drawn a chunk of customers at a time, emitted week by week.

The original generator drew each stage's random numbers for all customers at once from one
stream: regular weeks, their quantities, exploration counts, explored products (per segment),
their quantities, days, then hours (regular lines, then explored ones). Here every stage has its
own cursor on that stream, started where the stage started there, so a chunk of customers gets
exactly the numbers it got before. Where a stage's start depends on how many numbers the one
before used, a counting pass finds it (`plan`).

Lines are sorted by time and every chunk spans all weeks, so each chunk's lines go to one file per
week first; each week is then sorted (time, then customer, stable: as before) and emitted. Memory
is a chunk plus a week, whatever the number of lines; only `rows` below the natural volume needs
an index over all lines (numpy's choice without replacement, as before).
"""

from __future__ import annotations

import itertools
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np

from db.b2b_world import SEGMENTS, B2BParams, World, build_world

CELLS = 2_000_000  # customer-product-weeks per chunk: ~16 MB of uniform draws
INT_BLOCK = 1_000_000
HOURS = (7 * 3600, 18 * 3600)
LINE = np.dtype([("when", "i8"), ("c", "i4"), ("p", "i4"), ("q", "i8")])


State = dict[str, Any]  # a PCG64 bit generator's state


def cursor(state: State) -> np.random.Generator:
    bits = np.random.PCG64()
    bits.state = cast(Any, state)
    return np.random.Generator(bits)


def _state(rng: np.random.Generator) -> State:
    return dict(rng.bit_generator.state)


def _advanced(state: State, steps: int) -> State:
    """The stream `steps` 64-bit draws later (each uniform double is one)."""
    bits = np.random.PCG64()
    bits.state = cast(Any, state)
    bits.advance(steps)
    moved = dict(bits.state)
    # advance() clears the buffered half of a 64-bit draw that integers() had left
    moved["has_uint32"], moved["uinteger"] = state["has_uint32"], state["uinteger"]
    return moved


def after_integers(state: State, low: int, high: int, n: int) -> State:
    rng = cursor(state)
    for done in range(0, n, INT_BLOCK):
        rng.integers(low, high, min(INT_BLOCK, n - done))
    return _state(rng)


def customer_chunks(world: World) -> list[tuple[int, int]]:
    """Customer ranges of about CELLS regular pair-weeks each."""
    per_customer = np.bincount(world.pair_c, minlength=world.n_customers) * world.n_weeks
    cells = np.cumsum(per_customer)
    bounds = [0]
    while bounds[-1] < world.n_customers:
        done = cells[bounds[-1] - 1] if bounds[-1] else 0
        nxt = int(np.searchsorted(cells, done + CELLS, side="right"))
        bounds.append(min(max(nxt, bounds[-1] + 1), world.n_customers))
    return list(itertools.pairwise(bounds))


def _regular_weeks(
    world: World, c0: int, c1: int, uniform: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """The (pair index, week) of the regular lines of customers c0..c1, pair by pair."""
    pairs = world.pairs_of(c0, c1)
    pair_c, pair_p = world.pair_c[pairs], world.pair_p[pairs]
    grid = np.broadcast_to(np.arange(world.n_weeks), (len(pair_c), world.n_weeks))
    bought = (
        ((grid - world.phase[pairs, None]) % world.period[pairs, None] == 0)
        & (grid >= world.adopted[pairs, None])
        & (grid < world.churn[pair_c][:, None])
        & world.active(pair_p, grid)
        & (uniform.random(grid.shape) < world.reliability[pairs, None])
    )
    rows, weeks = np.nonzero(bought)
    return rows + pairs.start, weeks


def _explore_slots(
    world: World, c0: int, c1: int, counts: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """(customer, week) of each exploration purchase of customers c0..c1, before the product."""
    n_w = world.n_weeks
    n_explore = counts.poisson(world.explore_rate[c0:c1, None] * np.ones(n_w))
    weeks = np.arange(n_w)[None, :]
    n_explore[(weeks < world.start[c0:c1, None]) | (weeks >= world.churn[c0:c1, None])] = 0
    ec, ew = np.nonzero(n_explore)
    reps = n_explore[ec, ew]
    return np.repeat(ec + c0, reps), np.repeat(ew, reps)


def _explored_products(
    world: World, ec: np.ndarray, picks: list[np.random.Generator]
) -> np.ndarray:
    ep = np.empty(len(ec), dtype=np.int64)
    for s, rng in enumerate(picks):
        rows = np.flatnonzero(world.segment[ec] == s)
        ep[rows] = rng.choice(world.n_products, len(rows), p=world.seg_weights[s])
    return ep


@dataclass
class Plan:
    """Where each stage starts on the random stream, and how many lines there are."""

    world: World
    chunks: list[tuple[int, int]]
    n_regular: int
    n_explore: int
    starts: dict[str, Any]  # stage -> stream state (or a list of states for "picks")

    @property
    def n_lines(self) -> int:
        return self.n_regular + self.n_explore


def plan(params: B2BParams, scale: float) -> Plan:
    world = build_world(params, scale)
    chunks = customer_chunks(world)
    s: dict[str, Any] = {"uniform": world.rng_state}
    s["qty"] = _advanced(world.rng_state, len(world.pair_c) * world.n_weeks)
    uniform, qty = cursor(s["uniform"]), cursor(s["qty"])
    n_regular = 0
    for c0, c1 in chunks:
        rows, _ = _regular_weeks(world, c0, c1, uniform)
        qty.poisson(world.typical_qty[rows])
        n_regular += len(rows)
    s["counts"] = _state(qty)
    counts = cursor(s["counts"])
    per_segment = np.zeros(len(SEGMENTS), np.int64)
    for c0, c1 in chunks:
        ec, _ = _explore_slots(world, c0, c1, counts)
        per_segment += np.bincount(world.segment[ec], minlength=len(SEGMENTS))
    offsets = np.concatenate([[0], np.cumsum(per_segment)])
    s["picks"] = [_advanced(_state(counts), int(o)) for o in offsets[:-1]]
    s["explore_qty"] = _advanced(_state(counts), int(offsets[-1]))
    counts = cursor(s["counts"])
    picks = [cursor(state) for state in s["picks"]]
    explore_qty = cursor(s["explore_qty"])
    n_explore = 0
    for c0, c1 in chunks:
        ec, ew = _explore_slots(world, c0, c1, counts)
        ep = _explored_products(world, ec, picks)
        kept = int(world.active(ep, ew[:, None])[:, 0].sum())
        explore_qty.integers(1, 4, kept)
        n_explore += kept
    s["days"] = _state(explore_qty)
    s["explore_days"] = after_integers(s["days"], 0, 5, n_regular)
    s["hours"] = after_integers(s["explore_days"], 0, 5, n_explore)
    s["explore_hours"] = after_integers(s["hours"], *HOURS, n_regular)
    s["after"] = after_integers(s["explore_hours"], *HOURS, n_explore)
    return Plan(world, chunks, n_regular, n_explore, s)


def find_plan(params: B2BParams) -> Plan:
    """The natural volume, or with `rows` the scale that gives at least that many lines."""
    scale = 1.0
    found = plan(params, scale)
    if params.rows:
        for _ in range(6):  # volume grows sub-linearly with scale: step until there is enough
            if found.n_lines >= params.rows:
                break
            scale *= 1.15 * params.rows / max(found.n_lines, 1)
            found = plan(params, scale)
    return found


def _chunk_lines(
    world: World, c0: int, c1: int, cur: dict[str, Any], first: np.datetime64
) -> tuple[np.ndarray, np.ndarray]:
    """The chunk's lines grouped by week (in drawing order within a week), and lines per week."""
    rows, rw = _regular_weeks(world, c0, c1, cur["uniform"])
    reg_q = np.maximum(1, cur["qty"].poisson(world.typical_qty[rows]))
    ec, ew = _explore_slots(world, c0, c1, cur["counts"])
    ep = _explored_products(world, ec, cur["picks"])
    keep = world.active(ep, ew[:, None])[:, 0]
    ec, ep, ew = ec[keep], ep[keep], ew[keep]
    eq = cur["explore_qty"].integers(1, 4, len(ec))
    n_reg, n_exp = len(rows), len(ec)
    weeks = np.concatenate([rw, ew])
    days = np.concatenate(
        [cur["days"].integers(0, 5, n_reg), cur["explore_days"].integers(0, 5, n_exp)]
    )
    secs = np.concatenate(
        [cur["hours"].integers(*HOURS, n_reg), cur["explore_hours"].integers(*HOURS, n_exp)]
    )
    lines = np.empty(n_reg + n_exp, LINE)
    when = first + (weeks * 7 + days).astype("timedelta64[D]") + secs.astype("timedelta64[s]")
    lines["when"] = when.astype(np.int64)
    lines["c"] = np.concatenate([world.pair_c[rows], ec])
    lines["p"] = np.concatenate([world.pair_p[rows], ep])
    lines["q"] = np.concatenate([reg_q, eq])
    return lines[np.argsort(weeks, kind="stable")], np.bincount(weeks, minlength=world.n_weeks)


def week_blocks(found: Plan, tmp_dir: Path | None = None) -> Iterator[np.ndarray]:
    """Every line (LINE records, `when` in epoch seconds) in time order, one week at a time."""
    world = found.world
    cur: dict[str, Any] = {
        k: [cursor(s) for s in v] if k == "picks" else cursor(v)
        for k, v in found.starts.items()
        if k != "after"
    }
    first = np.datetime64(world.first_monday, "s")
    with tempfile.TemporaryDirectory(dir=tmp_dir, prefix="recbot-generate-") as tmp:
        paths = [Path(tmp) / f"week-{w}.bin" for w in range(world.n_weeks)]
        for c0, c1 in found.chunks:
            lines, per_week = _chunk_lines(world, c0, c1, cur, first)
            ends = np.cumsum(per_week)
            for w in np.flatnonzero(per_week):
                with paths[w].open("ab") as f:
                    lines[ends[w] - per_week[w] : ends[w]].tofile(f)
        keep = _subsample(found)
        offset = 0
        for path in paths:
            week = np.fromfile(path, LINE) if path.exists() else np.empty(0, LINE)
            path.unlink(missing_ok=True)
            n = len(week)
            week = week[np.lexsort((week["c"], week["when"]))]
            if keep is not None:
                week = week[keep[offset : offset + n]]
            offset += n
            yield week


def _subsample(found: Plan) -> np.ndarray | None:
    """Which of the time-ordered lines to keep when `rows` is below the natural volume."""
    rows = found.world.params.rows
    if not rows or found.n_lines <= rows:
        return None
    picked = np.random.default_rng(found.world.params.seed + 1).choice(
        found.n_lines, rows, replace=False
    )
    keep = np.zeros(found.n_lines, bool)
    keep[picked] = True
    return keep
