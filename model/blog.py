"""The original blog's recipe: a baseline in the comparison, and `recbot train --arch seed`."""

from __future__ import annotations

from typing import Any, Self

import numpy as np

from model.base import FitResult, Log, Recommender, Servable, TrainingError
from model.baselines import Popularity
from model.calibration import calibrate
from model.data import Interactions
from model.evaluate import holdout_metrics
from model.features import build
from model.train import RankerParams
from model.training_data import check_size, holdout_weeks


class SeedRecipe(Recommender):
    """The original blog's recipe: MSE on (customer, product, quantity) rows, batch 500, 50 epochs.

    Trained on weekly aggregated rows (one per customer, product and week), which for sparse data
    is almost the raw rows. `max_steps` bounds training on big data (the evaluation says so).
    """

    name = "blog-recipe"

    def __init__(
        self,
        epochs: int = 50,
        batch: int = 500,
        seed: int = 7,
        max_steps: int = 20_000,
        log: Log | None = None,
    ) -> None:
        self.epochs, self.batch, self.seed, self.max_steps = epochs, batch, seed, max_steps
        self.log = log or (lambda _msg: None)
        self.model: Any = None  # the keras.Model, once fitted
        self.epochs_run, self.loss = 0, float("nan")
        self.u: np.ndarray | None = None  # customer tower outputs, once fitted
        self.v: np.ndarray | None = None  # product tower outputs

    def params(self) -> dict[str, Any]:
        return {"epochs": self.epochs, "batch": self.batch, "max_steps": self.max_steps}

    def fit(self, inter: Interactions) -> Self:
        from model.network import build_seed, dense_np, seed_everything

        check_size(inter)
        seed_everything(self.seed)
        self.model = build_seed(inter.n_customers, inter.n_products)
        steps_per_epoch = int(np.ceil(len(inter.c) / self.batch))
        epochs = max(1, min(self.epochs, self.max_steps // max(steps_per_epoch, 1)))
        self.epochs_run = epochs
        hist = self.model.fit(
            [inter.c[:, None], inter.p[:, None]],
            inter.qty,
            epochs=epochs,
            batch_size=self.batch,
            verbose=0,
            shuffle=True,
        )
        self.loss = float(hist.history["loss"][-1])
        if not np.isfinite(self.loss):
            raise TrainingError(f"training diverged: loss is {self.loss} at epoch {epochs}")
        self.log(f"blog recipe: {epochs} epochs, final mse {self.loss:.4f}")
        m = self.model
        self.u = dense_np(m, "customer_tower", m.get_layer("customer_embedding").get_weights()[0])
        self.v = dense_np(m, "product_tower", m.get_layer("product_embedding").get_weights()[0])
        self.bought = inter.matrix()
        return self

    def score(self, rows: np.ndarray) -> np.ndarray:
        if self.u is None or self.v is None:
            raise RuntimeError("fit the recipe before scoring")
        return self.u[rows] @ self.v.T

    def item_vectors(self) -> np.ndarray | None:
        return self.v


class SeedRanker(Servable):
    """`--arch seed`: the blog recipe as a servable version, with the same holdout and gate."""

    name = "keras-seed"

    def __init__(self, params: RankerParams | None = None, log: Log | None = None) -> None:
        self.p = params or RankerParams(arch="seed")
        self.log = log or (lambda _msg: None)
        self.recipe = SeedRecipe(self.p.seed_epochs, self.p.seed_batch, self.p.seed, log=self.log)

    def params(self) -> dict[str, Any]:
        return self.p.to_dict()

    def train(self, inter: Interactions) -> FitResult:
        """The recipe learns from all but the holdout weeks, and serves as it learned."""
        check_size(inter)
        h = holdout_weeks(inter, self.p.holdout_weeks)
        hist_b, labels_b = inter.shifted(h)
        self.recipe.fit(hist_b)
        bought = build(hist_b, self.p.features).own
        holdout = holdout_metrics(self.recipe.score, labels_b, bought, seed=self.p.seed)
        holdout_popularity = holdout_metrics(
            Popularity().fit(hist_b).score, labels_b, bought, seed=self.p.seed
        )
        self.log(f"holdout ndcg@10 all {holdout['all']:.4f} new {holdout['new']:.4f}")
        calibration = calibrate(self.recipe.score, labels_b, bought, h, seed=self.p.seed)
        features = build(inter, self.p.features)
        self.bought = features.own
        return FitResult(holdout, holdout_popularity, h, features, calibration=calibration)

    def score(self, rows: np.ndarray) -> np.ndarray:
        return self.recipe.score(rows)

    def item_vectors(self) -> np.ndarray | None:
        return self.recipe.item_vectors()

    def artifact(self) -> bytes:
        from model.network import model_bytes

        return model_bytes(self.recipe.model)
