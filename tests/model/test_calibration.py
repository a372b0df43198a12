"""The holdout calibration behind the strength bands: fast, no training."""

from __future__ import annotations

import numpy as np
from scipy import sparse

from db.strength import Calibration
from model.calibration import calibrate, step_function


def test_step_function_rates_never_fall_as_the_score_rises() -> None:
    rng = np.random.default_rng(0)
    scores = rng.normal(size=5000)
    hits = rng.random(5000) < 1 / (1 + np.exp(-2 * scores))  # more likely as the score rises
    curve = step_function(scores, hits)
    assert 2 <= len(curve["edges"]) <= 20
    assert curve["edges"] == sorted(curve["edges"]) and curve["rates"] == sorted(curve["rates"])
    assert sum(curve["picks"]) == 5000
    assert curve["rates"][0] < 0.2 and curve["rates"][-1] > 0.8


def test_step_function_pools_a_dip() -> None:
    scores = np.arange(6, dtype=float)
    hits = np.array([0, 1, 0, 1, 1, 1], bool)  # rate 1 then 0 in the second and third bins
    curve = step_function(scores, hits, bins=6)
    assert curve["rates"] == sorted(curve["rates"])
    assert curve["edges"][0] == 0 and 1.0 in curve["edges"] and 2.0 not in curve["edges"]


def test_step_function_of_nothing() -> None:
    assert step_function(np.empty(0), np.empty(0, bool)) == {"edges": [], "rates": [], "picks": []}


def test_calibrate_measures_what_was_bought_after_the_cutoff() -> None:
    # 4 customers x 60 products; everyone bought products 0-9 before; in the holdout customers
    # 0-2 buy products 0-4 again and product 10, customer 3 buys nothing (not counted).
    n_c, n_p = 4, 60
    bought = sparse.csr_matrix(
        (np.ones(n_c * 10), (np.repeat(np.arange(n_c), 10), np.tile(np.arange(10), n_c))),
        shape=(n_c, n_p),
    )
    rows, cols = np.repeat(np.arange(3), 6), np.tile([0, 1, 2, 3, 4, 10], 3)
    labels = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n_c, n_p))

    def score(r: np.ndarray) -> np.ndarray:
        return np.tile(-np.arange(n_p, dtype=np.float32), (len(r), 1))  # product 0 first

    cal = calibrate(score, labels, bought, horizon_weeks=4)
    assert cal["horizon_weeks"] == 4 and cal["customers"] == 3
    read = Calibration.from_metrics({"calibration": cal})
    assert read is not None
    assert read.chance("all", 0.0) == 1.0  # products 0-4 came back for every active customer
    assert read.chance("all", -40.0) == 0.0
    # product 10, the best unbought one, shares the top of 20 equal-count bins with 11 and 12
    assert read.chance("new", -10.0) == 0.375  # 3 of those 8 picks were bought
    assert read.chance("new", -50.0) == 0.0
