"""The retrain's similar-products step: judge the sources on the holdout, serve the better one.

Both sources (the Keras item embeddings and item-item co-purchase cosine) are fitted on the data
as it was `h` weeks before the end and asked, for the customers' recent purchases, which
products come next (model/evaluate.py: neighbour_metrics); the one with the higher mean NDCG@10
of modes 'all' and 'new' is refitted on all the data and gives each product's top neighbours.
The figures and the choice go into the version's metrics under 'similar'.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from model.base import Log, TrainingError
from model.data import Interactions
from model.evaluate import MODES, neighbour_metrics, truth_from_labels
from model.item_embeddings import EmbeddingParams, ItemEmbeddings
from model.similar import CoPurchase, SimilarSource, top_neighbours

TOP_SIMILAR = 20  # neighbours stored per product
K = 10
# version, product, rank, similar product, score
SimilarRow = tuple[int, int, int, int, float]


@dataclass
class SimilarResult:
    served: str
    metrics: dict[str, Any]
    neighbours: np.ndarray  # (products, TOP_SIMILAR) product indices, best first
    scores: np.ndarray  # their scores; -inf where there is no neighbour

    def rows(self, inter: Interactions, version_id: int) -> list[SimilarRow]:
        ids = inter.product_ids
        p, r = np.nonzero(np.isfinite(self.scores))
        return list(
            zip(
                [version_id] * len(p),
                ids[p].tolist(),
                (r + 1).tolist(),
                ids[self.neighbours[p, r]].tolist(),
                self.scores[p, r].astype(float).tolist(),
                strict=True,
            )
        )


def sources(params: EmbeddingParams, log: Log) -> list[Callable[[], SimilarSource]]:
    return [lambda: ItemEmbeddings(params, log), CoPurchase]


def mean_ndcg(by_mode: Mapping[str, Any]) -> float:
    return float(np.mean([by_mode[m]["ndcg"] for m in MODES]))


def similar_products(
    inter: Interactions, h: int, params: EmbeddingParams, log: Log = print
) -> SimilarResult:
    """Judge each source on the last `h` weeks, then fit the better one on everything."""
    hist, labels = inter.shifted(h)
    bought = hist.matrix().tocsr()
    truths = {m: truth_from_labels(labels, bought, m) for m in MODES}
    judged: dict[str, dict] = {}
    makers: dict[str, Callable[[], SimilarSource]] = {}
    for make in sources(params, log):
        source = make()
        t = time.perf_counter()
        try:
            source.fit(hist)
        except TrainingError as exc:
            log(f"similar products: {source.name} not trained: {exc}")
            continue
        res = neighbour_metrics(source.similarity, hist, truths, K, seed=params.seed)
        judged[source.name] = {**res, "fit_seconds": round(time.perf_counter() - t, 2)}
        makers[source.name] = make
        log(
            f"similar products, {source.name}: holdout NDCG@{K} "
            + "  ".join(f"{m} {res[m]['ndcg']:.4f}" for m in MODES)
        )
    if not judged:
        raise TrainingError("no source of similar products could be trained")
    served = max(judged, key=lambda name: mean_ndcg(judged[name]))
    final = makers[served]().fit(inter)
    neighbours, scores = top_neighbours(final, inter.n_products, TOP_SIMILAR)
    metrics = {"served": served, "k": K, "holdout_weeks": h, "holdout": judged}
    return SimilarResult(served, metrics, neighbours, scores)
