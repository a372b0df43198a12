"""Neighbour and EASE features per chunk of customers: the same numbers whatever the chunking."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pytest

import model.features as features_module
import model.train as train_module
from model.data import Interactions, interactions_from_frame
from model.features import DENSE_FEATURES, FeatureParams, Features, build, l2_rows
from model.reasons import neighbour_counts
from model.train import NumpyScorer
from tests.model.helpers import random_feature_weights, small_b2b


def _inter() -> Interactions:
    return interactions_from_frame(small_b2b().transactions, datetime(2026, 11, 7))


def _features() -> tuple[Interactions, Features]:
    inter = _inter()
    return inter, build(inter, FeatureParams(knn_k=10, ease_items=30))


def test_a_block_is_the_neighbour_and_ease_scores_written_out_densely():
    inter, f = _features()
    rows = np.array([5, 0, 33, 71])
    block = f.block(rows)

    unit = l2_rows(f.own).toarray()
    w = np.zeros((len(rows), inter.n_customers))
    for i, r in enumerate(rows):
        w[i, f.nbr_idx[r]] = f.nbr_sim[r]
    mean = (w @ unit) / np.maximum(w.sum(axis=1, keepdims=True), 1e-12)
    assert np.allclose(block.knn, np.log1p(50 * mean), atol=1e-5)

    x = (f.own.toarray() > 0).astype(float)
    eas = np.zeros((len(rows), inter.n_products))
    eas[:, f.ease_items] = x[rows][:, f.ease_items] @ f.ease_b
    assert np.allclose(block.ease, np.sign(eas) * np.log1p(50 * np.abs(eas)), atol=1e-5)
    assert len(f.ease_items) == 30 and block.knn.shape == (4, inter.n_products)


def test_dense_features_at_pairs_do_not_depend_on_the_chunk():
    inter, f = _features()
    rng = np.random.default_rng(1)
    c = rng.integers(0, inter.n_customers, 500)
    p = rng.integers(0, inter.n_products, 500)
    whole = f.block(np.arange(inter.n_customers))
    expected = whole.dense_at(c, p)
    for chunk in (1, 7, 1000):
        got = f.dense_at(c, p, chunk=chunk)
        assert got.shape == (500, len(DENSE_FEATURES))
        assert np.array_equal(got, expected)
    assert np.array_equal(expected[:, 0], whole.knn[c, p])
    assert np.array_equal(expected[:, 1], whole.ease[c, p])
    assert np.abs(expected[:, :2]).max() > 0


def test_features_built_for_some_customers_refuse_the_others():
    inter = _inter()
    rows = np.array([2, 3, 40])
    f = build(inter, FeatureParams(knn_k=10), rows)
    full = build(inter, FeatureParams(knn_k=10))
    # the same up to float rounding: a dense product of 3 rows may round unlike one of all rows
    assert np.allclose(f.block(rows).knn, full.block(rows).knn, rtol=0, atol=1e-6)
    products = np.array([1, 5, 9])
    assert np.allclose(f.dense_at(rows, products), full.dense_at(rows, products), atol=1e-6)
    with pytest.raises(ValueError, match="other customers"):
        f.block(np.array([2, 4]))


def test_neighbours_are_the_same_in_smaller_similarity_blocks(monkeypatch):
    inter, f = _features()
    monkeypatch.setattr(features_module, "SIMILARITY_CELLS", 3 * inter.n_customers)
    small = build(inter, FeatureParams(knn_k=10, ease_items=30))
    assert np.array_equal(np.sort(small.nbr_idx, axis=1), np.sort(f.nbr_idx, axis=1))
    # up to float rounding: a dense product over fewer rows may round differently
    assert np.allclose(np.sort(small.nbr_sim, axis=1), np.sort(f.nbr_sim, axis=1), atol=1e-6)


def test_scores_do_not_depend_on_the_customer_chunk(monkeypatch):
    inter, f = _features()
    mlps = random_feature_weights(0)
    scorer = NumpyScorer(f, inter.n_products, None, mlps)
    rows = np.arange(inter.n_customers)[::-1]
    whole = scorer.score(rows)
    monkeypatch.setattr(train_module, "CUSTOMER_CHUNK", 9)
    chunked = scorer.score(rows)
    assert np.allclose(chunked, whole, atol=1e-5)
    assert np.allclose(scorer.score(rows[10:20]), whole[10:20], atol=1e-5)
    assert whole.std() > 0


def test_neighbour_counts_count_the_nearest_accounts_that_bought():
    inter, f = _features()
    rows = np.array([0, 17, 64])
    counts = neighbour_counts(f, rows)
    bought = f.own.toarray() > 0
    for i, r in enumerate(rows):
        assert np.array_equal(counts[i], bought[f.nbr_idx[r]].sum(axis=0))
    assert counts.shape == (3, inter.n_products) and counts.max() > 1
