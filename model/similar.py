"""Similar products: what a source of product similarity is, the co-purchase baseline, and each
product's top neighbours for the serving table.

A source is fitted on weekly interactions and scores products against products; the item
embeddings (model/item_embeddings.py) are one, item-item co-purchase cosine the other.
model/substitutes.py judges them on the holdout and serves the better one.
"""

from __future__ import annotations

from typing import Protocol, Self

import numpy as np
from scipy import sparse

from model.data import Interactions
from model.evaluate import top_k


class SimilarSource(Protocol):
    name: str
    floor: float  # a score at or below it is no evidence of similarity

    def fit(self, inter: Interactions) -> Self: ...

    def similarity(self, items: np.ndarray) -> np.ndarray:
        """(len(items), products) scores of every product against the products `items`."""
        ...


class CoPurchase:
    """Cosine similarity of products' columns in the customer x product bought/not matrix."""

    name = "co-purchase"
    floor = 0.0  # never bought by the same customer

    def __init__(self) -> None:
        self.unit: sparse.csc_matrix | None = None

    def fit(self, inter: Interactions) -> Self:
        m = inter.matrix().tocsc()
        m.data[:] = 1.0
        norms = np.sqrt(np.asarray(m.sum(axis=0)).ravel())
        self.unit = (m @ sparse.diags(1.0 / np.where(norms > 0, norms, 1.0))).tocsc()
        return self

    def similarity(self, items: np.ndarray) -> np.ndarray:
        if self.unit is None:
            raise RuntimeError("co-purchase: fit before asking for similarities")
        return (self.unit[:, items].T @ self.unit).toarray().astype(np.float32)


def top_neighbours(
    source: SimilarSource, n_products: int, n: int, chunk: int = 512
) -> tuple[np.ndarray, np.ndarray]:
    """Every product's n best neighbours (itself left out) and their scores, best first.

    A neighbour scored at or below the source's floor comes back with -inf, for the caller to drop.
    """
    n = max(1, min(n, n_products - 1))
    idx = np.zeros((n_products, n), np.int64)
    sc = np.zeros((n_products, n), np.float32)
    for s in range(0, n_products, chunk):
        items = np.arange(s, min(s + chunk, n_products))
        scores = source.similarity(items).astype(np.float32, copy=True)
        scores[np.arange(len(items)), items] = -np.inf
        scores[~(scores > source.floor)] = -np.inf
        top = top_k(scores, n)
        idx[items], sc[items] = top, np.take_along_axis(scores, top, axis=1)
    return idx, sc
