"""Baselines, one class each, with the same interface as the Keras ranker (model/base.py).

`fit(inter)` learns from weekly interactions; `score(rows)` returns dense scores (len(rows) x
products), higher is better. `score` leaves excluding already bought products (mode `new`) to the
caller; `recommend(rows, k, exclude_bought=True)` does it.
"""

from __future__ import annotations

from typing import Any, Self

import numpy as np
from scipy import sparse

from model.base import Recommender
from model.data import Interactions
from model.features import decayed, ease, ease_scores, l2_rows, neighbour_scores, neighbours


def _binary(inter: Interactions) -> sparse.csr_matrix:
    m = inter.matrix()
    m.data[:] = 1.0
    return m


class Popularity(Recommender):
    """Products bought by the most customers."""

    name = "popularity"

    def fit(self, inter: Interactions) -> Self:
        self.bought = _binary(inter)
        self.pop = np.asarray(self.bought.sum(axis=0)).ravel().astype(np.float32)
        return self

    def score(self, rows: np.ndarray) -> np.ndarray:
        return np.broadcast_to(self.pop, (len(rows), len(self.pop))).copy()


class OwnHistory(Recommender):
    """The customer's most often bought products, then popular ones."""

    name = "own-history"

    def fit(self, inter: Interactions) -> Self:
        self.weeks = self.bought = inter.matrix()
        pop = np.asarray(_binary(inter).sum(axis=0)).ravel()
        self.pop = (pop / (pop.max() + 1)).astype(np.float32)
        return self

    def score(self, rows: np.ndarray) -> np.ndarray:
        return self.weeks[rows].toarray() + self.pop[None, :]


class Ease(Recommender):
    """EASE: closed-form item-item regression (Steck 2019), on the most bought items."""

    name = "EASE"

    def __init__(self, lam: float = 200.0, max_items: int = 4000) -> None:
        self.lam, self.max_items = lam, max_items

    def fit(self, inter: Interactions) -> Self:
        self.x = self.bought = _binary(inter)
        self.items, self.b = ease(self.x, self.lam, self.max_items)
        return self

    def score(self, rows: np.ndarray) -> np.ndarray:
        return ease_scores(self.x[rows], self.items, self.b)

    def params(self) -> dict[str, Any]:
        return {"lambda": self.lam, "max_items": self.max_items}


class TifuKnn(Recommender):
    """TIFU-KNN style (Hu et al. 2020): own time-decayed frequency blended with the neighbours'."""

    name = "TIFU-KNN"

    def __init__(self, decay: float = 0.9, k: int = 100, alpha: float = 0.7) -> None:
        self.decay, self.k, self.alpha = decay, k, alpha

    def fit(self, inter: Interactions) -> Self:
        self.bought = inter.matrix()
        self.vecs = decayed(inter, self.decay)
        self.own = l2_rows(self.vecs)
        self.idx, self.sim = neighbours(self.vecs, self.k, normed=self.own)
        return self

    def score(self, rows: np.ndarray) -> np.ndarray:
        own = self.own[rows].toarray()
        if not len(rows):
            return own
        nb = neighbour_scores(self.vecs, self.idx[rows], self.sim[rows], self.own)
        return self.alpha * own + (1 - self.alpha) * nb

    def params(self) -> dict[str, Any]:
        return {"decay": self.decay, "k": self.k, "alpha": self.alpha}


class ImplicitAls(Recommender):
    """Implicit-feedback ALS from the `implicit` package (benchmark-only extra)."""

    name = "implicit-ALS"

    def __init__(
        self,
        factors: int = 64,
        iterations: int = 15,
        reg: float = 0.05,
        alpha: float = 10.0,
        seed: int = 7,
    ) -> None:
        self.factors, self.iterations, self.reg, self.alpha, self.seed = (
            factors,
            iterations,
            reg,
            alpha,
            seed,
        )

    def fit(self, inter: Interactions) -> Self:
        from implicit.cpu.als import AlternatingLeastSquares
        from threadpoolctl import threadpool_limits

        model = AlternatingLeastSquares(
            factors=self.factors,
            iterations=self.iterations,
            regularization=self.reg,
            alpha=self.alpha,
            random_state=self.seed,
            calculate_training_loss=False,
        )
        with threadpool_limits(1, "blas"):
            model.fit(inter.matrix().tocsr(), show_progress=False)
        self.bought = inter.matrix()
        self.u, self.v = np.asarray(model.user_factors), np.asarray(model.item_factors)
        return self

    def score(self, rows: np.ndarray) -> np.ndarray:
        return self.u[rows] @ self.v.T

    def item_vectors(self) -> np.ndarray | None:
        return self.v

    def params(self) -> dict[str, Any]:
        return {
            "factors": self.factors,
            "iterations": self.iterations,
            "reg": self.reg,
            "alpha": self.alpha,
        }


def implicit_available() -> bool:
    try:
        import implicit  # noqa: F401
    except ImportError:
        return False
    return True
