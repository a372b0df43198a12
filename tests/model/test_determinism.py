"""Same data and seed, same model: the Keras ranker is deterministic."""

from __future__ import annotations

from datetime import datetime

import numpy as np

from model.data import interactions_from_frame
from model.train import KerasRanker
from tests.model.helpers import fast_params, small_b2b


def test_same_seed_same_scores_different_seed_different_scores():
    tx = small_b2b().transactions
    inter = interactions_from_frame(tx, datetime(2026, 11, 7))
    rows = np.arange(inter.n_customers)
    a = KerasRanker(fast_params(seed=1)).fit(inter).score(rows)
    b = KerasRanker(fast_params(seed=1)).fit(inter).score(rows)
    c = KerasRanker(fast_params(seed=2)).fit(inter).score(rows)
    assert np.array_equal(a, b)
    assert not np.allclose(a, c)
