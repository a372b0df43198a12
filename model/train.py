"""The Keras ranker: its parameters, the model it builds, the training loop and numpy scoring.

The ranker learns from the data as it was `h` weeks before the end (model/training_data.py):
training groups from windows further back in time, and the last `h` weeks as the holdout for
early stopping and the promotion gate. It then scores with the features of the full history.
TensorFlow loads only when a model is trained, never on importing this module.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Self

import numpy as np
from scipy import sparse

from model.base import FitResult, Log, Servable, TrainingError
from model.baselines import Popularity
from model.calibration import calibrate
from model.data import Interactions
from model.evaluate import holdout_metrics
from model.features import (
    CUSTOMER_CHUNK,
    DENSE_FEATURES,
    HISTORY,
    OWN_FEATURES,
    FeatureParams,
    Features,
    build,
)
from model.item_embeddings import EmbeddingParams
from model.quiet_tf import import_keras
from model.training_data import (
    HOLDOUT_CUSTOMERS,
    check_size,
    holdout_weeks,
    sample_holdout,
    training_batch,
)


@dataclass
class RankerParams:
    arch: str = "ranker"  # ranker | seed
    emb: int = 30
    hidden: int = 128
    negatives: int = 15
    loss: str = "softmax"  # softmax | bpr
    batch: int = 0  # 0: 256, or 1024 from 30k training groups on
    lr: float = 0.003
    epochs: int = 12
    patience: int = 3
    holdout_weeks: int = 0  # 0: from the span of the data
    windows: int = 3  # training windows stacked back in time
    emb_l2: float = 1e-5
    max_groups: int = 90_000  # training groups over all windows (a seeded sample beyond that)
    use_embeddings: bool = False  # the towers; off by default: see bench/RESULTS.md (ablation)
    use_features: bool = True
    seed: int = 7
    seed_epochs: int = 50  # the blog recipe's epochs (arch seed)
    seed_batch: int = 500
    features: FeatureParams = field(default_factory=FeatureParams)
    # the product embeddings behind similar products (model/substitutes.py), trained alongside
    item_embeddings: EmbeddingParams = field(default_factory=EmbeddingParams)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def build_model(n_products: int, group: int, p: RankerParams) -> Any:
    """The ranker network (a keras.Model) for groups of `group` candidate products."""
    from model.network import build_ranker

    return build_ranker(
        n_products,
        len(OWN_FEATURES),
        len(DENSE_FEATURES),
        group,
        HISTORY,
        p.emb,
        p.hidden,
        p.use_embeddings,
        p.use_features,
        p.emb_l2,
    )


def ranking_loss(kind: str) -> Callable[[Any, Any], Any]:
    """The loss on a group's scores (the positive first): sampled softmax with log-Q, or BPR."""
    ops = import_keras().ops

    if kind == "bpr":

        def bpr(_logq, s):
            return -ops.mean(ops.log_sigmoid(s[:, :1] - s[:, 1:]), axis=-1)

        return bpr

    def sampled_softmax(logq, s):
        return -ops.log_softmax(s - logq, axis=-1)[:, 0]

    return sampled_softmax


class KerasRanker(Servable):
    """The two-tower Keras model plus pair features, trained for ranking on sampled negatives."""

    name = "keras-ranker"

    def __init__(self, params: RankerParams | None = None, log: Log | None = None) -> None:
        self.p = params or RankerParams()
        self.log = log or (lambda _msg: None)
        if not self.p.use_features:
            self.name = "keras-towers-only"
        elif self.p.use_embeddings:
            self.name = "keras-ranker+towers"
        self.model: Any = None  # the keras.Model, once trained
        self._scorer: NumpyScorer | None = None

    def params(self) -> dict[str, Any]:
        return self.p.to_dict()

    # -- training -------------------------------------------------------------------------
    def train(self, inter: Interactions) -> FitResult:
        from model.network import seed_everything

        keras = import_keras()
        check_size(inter)
        seed_everything(self.p.seed)
        rng = np.random.default_rng(self.p.seed)
        n_p = inter.n_products
        h = holdout_weeks(inter, self.p.holdout_weeks)
        t0 = time.perf_counter()
        hist_b, labels_b = inter.shifted(h)
        batch = training_batch(
            hist_b, h, self.p.windows, self.p.max_groups, self.p.negatives, self.p.features, rng
        )
        labels_b, rows_b = sample_holdout(labels_b, HOLDOUT_CUSTOMERS, self.p.seed)
        f_holdout = build(hist_b, self.p.features, rows_b)
        self.log(
            f"features and {len(batch):,} training groups of 1+{self.p.negatives} products "
            f"ready in {time.perf_counter() - t0:.1f}s (holdout: last {h} weeks)"
        )

        self.model = build_model(n_p, 1 + self.p.negatives, self.p)
        size = self.p.batch or (256 if len(batch) < 30_000 else 1024)
        lr = self.p.lr * (size / 256) ** 0.5  # bigger batches, fewer steps: larger steps
        self.model.compile(
            optimizer=keras.optimizers.Adam(lr),
            loss=ranking_loss(self.p.loss),
            steps_per_execution=8,
        )
        stopper = holdout_stopper(f_holdout, labels_b, n_p, self.p.seed, self.p.patience, self.log)
        order = rng.permutation(len(batch))  # shuffled once: tf.data reshuffling is slow here
        shuffled = batch.take(order)
        self.model.fit(
            shuffled.inputs(),
            shuffled.logq,
            batch_size=size,
            epochs=self.p.epochs,
            verbose=0,
            shuffle=False,
            callbacks=[stopper],
        )
        if stopper.error:
            raise stopper.error
        self.model.set_weights(stopper.best_weights)
        calibration = calibrate(
            NumpyScorer.from_model(self.model, f_holdout, n_p).score,
            labels_b,
            f_holdout.own,
            h,
            seed=self.p.seed,
        )
        history = stopper.history
        best_epoch = max(history, key=lambda e: (e["all"] + e["new"]) / 2)["epoch"]
        pop = Popularity().fit(hist_b)
        holdout_popularity = holdout_metrics(pop.score, labels_b, f_holdout.own, seed=self.p.seed)
        features = build(inter, self.p.features)
        self._scorer = NumpyScorer.from_model(self.model, features, n_p)
        self.bought = features.own
        return FitResult(
            holdout=stopper.best_metrics,
            holdout_popularity=holdout_popularity,
            holdout_weeks=h,
            features=features,
            history=history,
            best_epoch=best_epoch,
            calibration=calibration,
        )

    # -- scoring --------------------------------------------------------------------------
    def score(self, rows: np.ndarray) -> np.ndarray:
        if self._scorer is None:
            raise RuntimeError(f"{self.name}: fit the model before scoring")
        return self._scorer.score(rows)

    def item_vectors(self) -> np.ndarray | None:
        """The product tower's outputs, where the towers are on."""
        towers = self._scorer.towers if self._scorer is not None else None
        return towers[1] if towers is not None else None

    def artifact(self) -> bytes:
        from model.network import model_bytes

        return model_bytes(self.model)


@dataclass
class NumpyScorer:
    """The ranker's scores for every product, in numpy: tower outputs and feature MLP weights.

    Scoring all products per customer through Keras would build (customers x products) inputs;
    the network is small enough to apply by hand instead.
    """

    f: Features
    n_products: int
    towers: tuple[np.ndarray, np.ndarray] | None  # customer and product tower outputs
    mlps: dict[str, list[np.ndarray]] | None  # weights of the feature layers

    @classmethod
    def from_model(cls, m: Any, f: Features, n_products: int) -> Self:
        """Tower outputs for every customer and product, and the feature MLP weights, of `m`."""
        from model.network import dense_np

        names = {layer.name for layer in m.layers}
        towers = None
        if "tower_dot" in names:
            scale = m.get_layer("tower_scale").get_weights()[0] if "tower_scale" in names else 1.0
            e_hist = m.get_layer("history_embedding").get_weights()[0]
            bag = (e_hist[f.hist_items] * f.hist_w[..., None]).sum(axis=1)
            bag /= np.maximum(f.hist_w.sum(axis=1, keepdims=True), 1e-6)
            u = scale * dense_np(m, "customer_tower", bag)
            v = dense_np(m, "product_tower", m.get_layer("product_embedding").get_weights()[0])
            towers = (u, v)
        mlps = None
        if "dense_linear" in names:
            mlps = {
                n: m.get_layer(n).get_weights() for n in ("dense_linear", "own_hidden", "own_out")
            }
        return cls(f, n_products, towers, mlps)

    def score(self, rows: np.ndarray) -> np.ndarray:
        rows = np.asarray(rows)
        out = np.zeros((len(rows), self.n_products), np.float32)
        if self.towers is not None:
            u, v = self.towers
            out += u[rows] @ v.T
        if self.mlps is not None:
            for s in range(0, len(rows), CUSTOMER_CHUNK):
                part = slice(s, s + CUSTOMER_CHUNK)
                self._add_feature_scores(rows[part], self.mlps, out[part])
        return out

    def _add_feature_scores(
        self, rows: np.ndarray, w: dict[str, list[np.ndarray]], out: np.ndarray
    ) -> None:
        """Add to `out` the linear part for every product and the MLP on the products bought
        before, from one block of these customers' neighbour and EASE scores."""
        f = self.f
        block = f.block(rows)
        out += block.linear(w["dense_linear"][0][:, 0])
        lengths = np.diff(f.own.indptr)[rows]
        pos = np.repeat(f.own.indptr[rows] - np.cumsum(lengths) + lengths, lengths) + np.arange(
            lengths.sum()
        )
        local = np.repeat(np.arange(len(rows)), lengths)
        cols = f.own.indices[pos]
        x = np.concatenate([f.own_values[pos], block.dense_at(local, cols)], axis=1)
        out[local, cols] += _mlp(x, w["own_hidden"], w["own_out"])[:, 0]


def _mlp(x: np.ndarray, hidden: list[np.ndarray], out: list[np.ndarray]) -> np.ndarray:
    return np.maximum(x @ hidden[0] + hidden[1], 0.0) @ out[0] + out[1]


def holdout_stopper(
    f_holdout: Features,
    labels: sparse.csr_matrix,
    n_products: int,
    seed: int,
    patience: int,
    log: Log,
) -> Any:
    """A Keras callback: per epoch the NaN guard, holdout NDCG@10 in both modes, early stopping.

    After training it holds `history` (per epoch), `best_weights` and `best_metrics` (the holdout
    at the best epoch), or `error` if the loss diverged.
    """
    keras = import_keras()

    callback_base: Any = keras.callbacks.Callback

    class HoldoutStopper(callback_base):
        def __init__(self) -> None:
            super().__init__()
            self.best, self.bad = -1.0, 0
            self.history: list[dict[str, float]] = []
            self.best_weights: list[np.ndarray] | None = None
            self.best_metrics: dict[str, float] = {}
            self.error: TrainingError | None = None

        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            loss = float((logs or {}).get("loss", np.nan))
            if not np.isfinite(loss):
                self.error = TrainingError(
                    f"training diverged: loss is {loss} at epoch {epoch + 1}"
                )
                self.model.stop_training = True
                return
            scorer = NumpyScorer.from_model(self.model, f_holdout, n_products)
            m = holdout_metrics(scorer.score, labels, f_holdout.own, seed=seed)
            self.history.append({"epoch": epoch + 1, "loss": loss, **m})
            log(
                f"epoch {epoch + 1:>2}  loss {loss:.4f}  holdout ndcg@10 "
                f"all {m['all']:.4f} new {m['new']:.4f}"
            )
            val = (m["all"] + m["new"]) / 2
            if val > self.best + 1e-4:  # smaller gains are noise on a holdout
                self.best, self.bad = val, 0
                self.best_weights = self.model.get_weights()
                self.best_metrics = m
            else:
                self.bad += 1
                if self.bad >= patience:
                    self.model.stop_training = True

    return HoldoutStopper()
