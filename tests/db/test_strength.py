"""Strength bands: read from a version's stored calibration, or none at all."""

from __future__ import annotations

import pytest

from db.strength import LIKELY, STRONG, Calibration, band

CURVE = {"edges": [1.0, 5.0, 8.0], "rates": [0.02, 0.3, 0.9], "picks": [10, 10, 10]}


def test_chance_is_the_step_at_or_below_the_score() -> None:
    cal = Calibration.from_metrics({"calibration": {"horizon_weeks": 4, "all": CURVE}})
    assert cal is not None and cal.horizon_weeks == 4
    assert [cal.chance("all", s) for s in (-3.0, 1.0, 4.99, 5.0, 7.9, 8.0, 99.0)] == [
        0.02,
        0.02,
        0.02,
        0.3,
        0.3,
        0.9,
        0.9,
    ]
    assert cal.chance("new", 9.0) is None  # a mode without a curve has no strength


@pytest.mark.parametrize(
    "metrics",
    [
        None,
        {},
        {"calibration": None},
        {"calibration": "yes"},
        {"calibration": {"horizon_weeks": 4}},
        {"calibration": {"horizon_weeks": 0, "all": CURVE}},
        {"calibration": {"horizon_weeks": "4", "all": CURVE}},
        {"calibration": {"horizon_weeks": 4, "all": {"edges": [1.0], "rates": []}}},
        {"calibration": {"horizon_weeks": 4, "all": {"edges": ["a"], "rates": [0.5]}}},
        {"calibration": {"horizon_weeks": 4, "all": {"edges": [], "rates": []}}},
    ],
)
def test_versions_without_a_usable_calibration_show_no_strength(metrics) -> None:
    assert Calibration.from_metrics(metrics) is None


def test_bands() -> None:
    assert band(None) is None
    assert band(STRONG) == band(0.97) == "strong"
    assert band(LIKELY) == band(STRONG - 0.01) == "likely"
    assert band(LIKELY - 0.01) == band(0.0) == "worth a try"
