"""The model contract (model/base.py) and the ranker's training batch (model/training_data.py)."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pytest

from model.base import FitResult, Recommender, Servable
from model.baselines import Ease, OwnHistory, Popularity, TifuKnn
from model.blog import SeedRanker
from model.data import Interactions, interactions_from_frame
from model.evaluate import top_k
from model.features import FeatureParams, build
from model.train import KerasRanker, build_model
from model.training_data import TrainingBatch, label_sample, sample_groups
from tests.model.helpers import fast_params, small_b2b


def small_interactions() -> Interactions:
    return interactions_from_frame(small_b2b().transactions, datetime(2026, 11, 7))


def test_the_contract_is_abstract_and_the_published_models_are_servable():
    with pytest.raises(TypeError):
        Recommender()
    with pytest.raises(TypeError):
        Servable()
    assert issubclass(KerasRanker, Servable) and issubclass(SeedRanker, Servable)
    assert issubclass(Popularity, Recommender) and not issubclass(Popularity, Servable)


@pytest.mark.parametrize("make", [Popularity, OwnHistory, Ease, TifuKnn])
def test_recommend_is_the_top_of_score_and_can_leave_out_what_was_bought(make):
    inter = small_interactions()
    model = make().fit(inter)
    rows = np.arange(12)
    assert np.array_equal(model.recommend(rows, 5), top_k(model.score(rows), 5))
    new = model.recommend(rows, 5, exclude_bought=True)
    bought = inter.matrix()
    assert new.shape == (12, 5)
    for r, recs in zip(rows, new, strict=True):
        assert not set(recs.tolist()) & set(bought[r].indices.tolist())


def test_recommend_before_fit_says_so():
    with pytest.raises(RuntimeError, match="fit"):
        Popularity().recommend(np.arange(2), 3, exclude_bought=True)


def test_similar_items_uses_item_vectors_where_a_model_has_them():
    inter = small_interactions()
    with pytest.raises(NotImplementedError):
        Popularity().fit(inter).similar_items(0)

    class WithVectors(Popularity):
        def item_vectors(self) -> np.ndarray:
            return np.array([[1.0, 0.0], [-1.0, 1.0], [2.0, 0.1], [1.0, 1.0], [0.0, -1.0]])

    similar = WithVectors().fit(inter).similar_items(0, 3)
    assert similar.tolist() == [2, 3, 4]  # by cosine, never the product itself
    assert len(WithVectors().similar_items(0, 10)) == 4


def test_fit_result_metrics_keep_the_keys_the_gate_and_slack_read():
    features = build(small_interactions(), FeatureParams())
    res = FitResult({"all": 0.5, "new": 0.2}, {"all": 0.3, "new": 0.1}, 4, features)
    assert list(res.metrics(40)) == [
        "holdout",
        "holdout_popularity",
        "holdout_weeks",
        "history",
        "best_epoch",
        "n_products",
        "calibration",
    ]
    assert res.metrics(40)["history"] == [] and res.metrics(40)["best_epoch"] is None
    assert res.metrics(40)["calibration"] is None


def test_training_batch_feeds_the_network_in_its_input_order():
    from model.network import load_artifact, model_bytes

    inter = small_interactions()
    hist, labels = inter.shifted(4)
    rng = np.random.default_rng(0)
    lc, lp = label_sample(labels, hist, 50, rng)
    lr, lcol = labels.nonzero()
    keys = np.unique(lr.astype(np.int64) * hist.n_products + lcol)
    f = build(hist, fast_params().features, np.unique(lc))
    batch = sample_groups(f, lc, lp, keys, 7, hist.n_products, rng)
    assert len(batch) == len(lc) == 50
    assert np.array_equal(batch.products[:, 0], lp)  # the positive first
    assert batch.logq.shape == batch.products.shape == (50, 8)

    both = TrainingBatch.concatenate([batch, batch])
    assert len(both) == 100 and np.array_equal(both.take(np.arange(50)).dense, batch.dense)

    model = build_model(inter.n_products, 8, fast_params(use_embeddings=True))
    assert [t.name for t in model.inputs] == list(TrainingBatch.INPUT_NAMES)
    assert model.predict(batch.inputs(), verbose=0).shape == (50, 8)
    loaded = load_artifact(model_bytes(model))
    assert [t.name for t in loaded.inputs] == list(TrainingBatch.INPUT_NAMES)
