"""Chunked work on several threads: the same results, in order, as on one."""

from __future__ import annotations

import threading
import time
from datetime import datetime

import numpy as np
import pytest

import model.features as features_module
from core.errors import RecbotError
from model.data import interactions_from_frame
from model.features import FeatureParams, build
from model.parallel import ordered_map, train_workers
from model.precompute import recommendation_rows
from model.topk import top_columns
from model.train import NumpyScorer
from tests.model.helpers import random_feature_weights, small_b2b


def test_ordered_map_keeps_the_order_of_its_items_when_later_ones_finish_first():
    def slow_for_small(i: int) -> tuple[int, str]:
        time.sleep(0.002 * (10 - i % 10))
        return i, threading.current_thread().name

    out = list(ordered_map(slow_for_small, range(30), workers=3))
    assert [i for i, _ in out] == list(range(30))
    assert len({name for _, name in out}) > 1  # the work really was spread over threads


def test_ordered_map_holds_only_a_few_results_ahead_of_its_consumer():
    started: list[int] = []

    def record(i: int) -> int:
        started.append(i)
        return i

    results = ordered_map(record, range(100), workers=2, ahead=1)
    assert next(results) == 0
    time.sleep(0.05)
    assert max(started) <= 3  # two workers plus one waiting, not all 100
    assert list(results) == list(range(1, 100))


def test_ordered_map_raises_the_first_failure_and_stops_submitting():
    submitted: list[int] = []

    def fail_at_five(i: int) -> int:
        if i == 5:
            raise ValueError("chunk 5 is bad")
        return i

    def items():
        for i in range(1000):
            submitted.append(i)
            yield i

    seen = []
    with pytest.raises(ValueError, match="chunk 5 is bad"):
        for value in ordered_map(fail_at_five, items(), workers=2):
            seen.append(value)
    assert seen == [0, 1, 2, 3, 4]
    assert len(submitted) < 20


def test_train_workers_reads_the_setting_and_names_a_bad_value(monkeypatch):
    monkeypatch.setenv("TRAIN_WORKERS", "3")
    assert train_workers() == 3
    monkeypatch.setenv("TRAIN_WORKERS", "0")
    with pytest.raises(RecbotError, match="TRAIN_WORKERS must be a whole number from 1"):
        train_workers()
    monkeypatch.delenv("TRAIN_WORKERS")
    assert train_workers() >= 1


def _inter():
    return interactions_from_frame(small_b2b().transactions, datetime(2026, 11, 7))


def test_neighbours_found_on_several_threads_equal_those_found_on_one(monkeypatch):
    inter = _inter()
    params = FeatureParams(knn_k=10, ease_items=30)
    monkeypatch.setattr(features_module, "SIMILARITY_CELLS", 5 * inter.n_customers)  # many blocks
    monkeypatch.setenv("TRAIN_WORKERS", "1")
    one = build(inter, params)
    monkeypatch.setenv("TRAIN_WORKERS", "3")
    three = build(inter, params)
    assert np.array_equal(np.sort(one.nbr_idx, axis=1), np.sort(three.nbr_idx, axis=1))
    assert np.array_equal(np.sort(one.nbr_sim, axis=1), np.sort(three.nbr_sim, axis=1))
    assert one.nbr_sim.max() > 0


def test_serving_rows_scored_on_several_threads_equal_those_scored_on_one():
    inter = _inter()
    f = build(inter, FeatureParams(knn_k=10, ease_items=30))
    mlps = random_feature_weights(3)
    scorer = NumpyScorer(f, inter.n_products, None, mlps)

    def rows(workers: int) -> list[list]:
        return list(recommendation_rows(scorer.score, f, inter, 1, n=10, chunk=7, workers=workers))

    one, three = rows(1), rows(3)
    assert len(one) == -(-inter.n_customers // 7)
    assert one == three
    customers = [r[1] for chunk in three for r in chunk]
    assert customers == sorted(customers)  # chunks come back in customer order


def test_the_similarity_split_into_popular_and_other_products_is_the_plain_product(monkeypatch):
    f = build(_inter(), FeatureParams(knn_k=10, ease_items=30))
    normed = f.normed.astype(np.float32)
    rows = np.array([0, 9, 41, 77])
    plain = (normed[rows] @ normed.T).toarray()
    monkeypatch.setattr(features_module, "POPULAR_SHARE", 0.25)  # some products, not all
    split = features_module.Similarity(normed)
    assert split.dense is not None and 0 < split.dense.shape[1] < normed.shape[1]
    assert np.allclose(split.block(rows), plain, rtol=0, atol=1e-6)
    monkeypatch.setattr(features_module, "POPULAR_SHARE", 2.0)  # no product that popular
    assert features_module.Similarity(normed).dense is None


@pytest.mark.parametrize("n", [5, 256, 700, 1000, 4097])
def test_top_columns_are_the_k_largest_of_each_row(n):
    rng = np.random.default_rng(n)
    block = rng.random((6, n)).astype(np.float32)
    block[0] = 0.0  # ties everywhere
    block[1, n // 2 :] = 0.0
    k = min(50, n - 1)
    top = top_columns(block, k, group=16)
    assert top.shape == (6, k)
    for row, cols in zip(block, top, strict=True):
        assert len(set(cols.tolist())) == k
        assert np.array_equal(np.sort(row[cols]), np.sort(row)[-k:])


def test_top_k_of_no_rows_is_empty():
    assert top_columns(np.zeros((0, 5000), np.float32), 10).shape == (0, 10)
