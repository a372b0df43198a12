"""How sure a pick is, in words a rep can act on, from the live version's holdout calibration.

Training stores, per mode, a step function from score to the share of such picks the customer
really bought in the holdout weeks (model/calibration.py, under the version's metrics as
"calibration"). That share means the same for every customer, unlike the raw score, so the
bands below can be compared across accounts. docs/slack.md explains the thresholds.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

Strength = Literal["strong", "likely", "worth a try"]
STRONG = 0.5  # at least half of such picks were bought within the horizon
LIKELY = 0.2  # at least one in five

Curve = tuple[tuple[float, ...], tuple[float, ...]]  # score lower edges, chances


@dataclass(frozen=True)
class Calibration:
    horizon_weeks: int
    curves: Mapping[str, Curve]  # by mode: 'all' (the reorder section's list) and 'new'

    @classmethod
    def from_metrics(cls, metrics: Mapping[str, Any] | None) -> Calibration | None:
        """The calibration stored with a version; None when absent or not of the known shape
        (versions trained before it existed): their picks are shown without a strength."""
        raw = (metrics or {}).get("calibration")
        if not isinstance(raw, Mapping):
            return None
        curves: dict[str, Curve] = {}
        for mode in ("all", "new"):
            curve = raw.get(mode)
            if not isinstance(curve, Mapping):
                continue
            edges, chances = curve.get("edges"), curve.get("rates")
            if (
                isinstance(edges, list)
                and isinstance(chances, list)
                and edges
                and len(edges) == len(chances)
                and all(isinstance(v, int | float) for v in [*edges, *chances])
            ):
                curves[mode] = (tuple(map(float, edges)), tuple(map(float, chances)))
        weeks = raw.get("horizon_weeks")
        if not curves or not isinstance(weeks, int) or weeks < 1:
            return None
        return cls(weeks, curves)

    def chance(self, mode: str, score: float) -> float | None:
        """The share of holdout picks with this score or a little less that were bought."""
        curve = self.curves.get(mode)
        if curve is None:
            return None
        edges, chances = curve
        return chances[max(bisect_right(edges, score) - 1, 0)]


def band(chance: float | None) -> Strength | None:
    if chance is None:
        return None
    if chance >= STRONG:
        return "strong"
    if chance >= LIKELY:
        return "likely"
    return "worth a try"
