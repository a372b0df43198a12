"""The model contract, after benfred/implicit's `RecommenderBase`, and what servable models add.

Every model (the baselines, the blog recipe, the Keras ranker) is a `Recommender`:

- `fit(inter)` learns from weekly interactions and returns the model itself;
- `score(rows)` gives dense scores, len(rows) x products, higher is better;
- `params()` names the settings worth reporting;
- `recommend(rows, k, exclude_bought)` and `similar_items(product_index, k)` are built on those
  once, here.

A `Servable` model is one `recbot train` can publish: `train(inter)` fits it and returns a
`FitResult` (how it did on the holdout, and the features serving reads), and `artifact()` is the
trained network as bytes for the model registry.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Self

import numpy as np
from scipy import sparse

from model.data import Interactions
from model.evaluate import top_k
from model.features import Features

Log = Callable[[str], None]


class TrainingError(Exception):
    """Training could not produce a usable model (diverged, or the data is too small)."""


class Recommender(ABC):
    """A model that scores every product for a customer (by index into the fitted data)."""

    name: str = "base"
    # customers x products, nonzero where the customer bought the product: set by `fit`
    bought: sparse.csr_matrix | None = None

    @abstractmethod
    def fit(self, inter: Interactions) -> Self:
        """Learn from `inter`; sets `bought` to what its customers bought."""

    @abstractmethod
    def score(self, rows: np.ndarray) -> np.ndarray:
        """Scores (len(rows) x products) for the customer indices `rows`, higher is better."""

    def params(self) -> dict[str, Any]:
        return {}

    def item_vectors(self) -> np.ndarray | None:
        """One vector per product where the model learns them (products x dimensions), or None."""
        return None

    def recommend(self, rows: np.ndarray, k: int = 10, exclude_bought: bool = False) -> np.ndarray:
        """The k best product indices per customer in `rows`, best first.

        With `exclude_bought`, only products the customer has not bought before (mode 'new').
        """
        rows = np.asarray(rows)
        exclude = None
        if exclude_bought:
            if self.bought is None:
                raise RuntimeError(f"{self.name}: fit the model before recommending")
            exclude = self.bought[rows]
        return top_k(self.score(rows), k, exclude)

    def similar_items(self, product_index: int, k: int = 10) -> np.ndarray:
        """The k products whose vectors are most cosine-similar to this one's, best first."""
        vectors = self.item_vectors()
        if vectors is None:
            raise NotImplementedError(f"{self.name} learns no product vectors")
        norms = np.linalg.norm(vectors, axis=1)
        unit = vectors / np.where(norms > 0, norms, 1.0)[:, None]
        sim = unit @ unit[product_index]
        sim[product_index] = -np.inf
        return top_k(sim[None, :], min(k, len(sim) - 1))[0]


@dataclass(frozen=True)
class FitResult:
    """What training a servable model tells about it: its holdout and the features serving reads."""

    holdout: dict[str, float]  # NDCG@10 per mode ('all', 'new') on the last `holdout_weeks`
    holdout_popularity: dict[str, float]  # the same for popularity: the gate's floor
    holdout_weeks: int
    features: Features  # at the end of the data: reasons and the precomputed lists use them
    history: list[dict[str, float]] = field(default_factory=list)  # per epoch, where early stopped
    best_epoch: int | None = None
    # score -> share bought in the holdout, per mode (model/calibration.py); db/strength.py reads it
    calibration: dict[str, Any] | None = None

    def metrics(self, n_products: int) -> dict[str, Any]:
        """The metrics stored with the version (the gate and the Slack status read these keys)."""
        return {
            "holdout": self.holdout,
            "holdout_popularity": self.holdout_popularity,
            "holdout_weeks": self.holdout_weeks,
            "history": self.history,
            "best_epoch": self.best_epoch,
            "n_products": n_products,
            "calibration": self.calibration,
        }


class Servable(Recommender):
    """A model `recbot train` can publish: trained with a holdout, saved as an artifact."""

    @abstractmethod
    def train(self, inter: Interactions) -> FitResult:
        """Fit on `inter` and say how the model did on its holdout."""

    def fit(self, inter: Interactions) -> Self:
        self.train(inter)
        return self

    @abstractmethod
    def artifact(self) -> bytes:
        """The trained network, saved (a .keras file's bytes)."""
