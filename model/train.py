"""Training the Keras models: time-based windows, sampled negatives, early stopping, NaN guard.

The ranker learns from the data as it was `h` weeks before the end: features from the history
before T-2h, labels = what was bought in [T-2h, T-h) (training), and features before T-h with
labels in [T-h, T) (holdout for early stopping and the promotion gate). It then scores with the
features of the full history.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from scipy import sparse

from model.baselines import Popularity, Recommender
from model.data import Interactions
from model.evaluate import Truth, metrics_at_k, top_k
from model.features import DENSE_FEATURES, HISTORY, OWN_FEATURES, FeatureParams, Features, build

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # TensorFlow's C++ start-up chatter


class TrainingError(Exception):
    """Training could not produce a usable model (diverged, or the data is too small)."""


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

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> RankerParams:
        d = dict(d)
        fp = FeatureParams(**d.pop("features", {}))
        return cls(**d, features=fp)


Log = Callable[[str], None]

MIN_CUSTOMERS, MIN_PRODUCTS, MIN_WEEKS = 3, 2, 3
HOLDOUT_CUSTOMERS = 3000


def check_size(inter: Interactions) -> None:
    if len(inter.c) == 0:
        raise TrainingError("no transactions to train on")
    if inter.n_customers < MIN_CUSTOMERS or inter.n_products < MIN_PRODUCTS:
        raise TrainingError(
            f"too little data to train: {inter.n_customers} customers and {inter.n_products} "
            f"products with purchases (need at least {MIN_CUSTOMERS} and {MIN_PRODUCTS})"
        )
    if inter.n_weeks < MIN_WEEKS:
        raise TrainingError(
            f"too little history to train: {inter.n_weeks} weeks of purchases "
            f"(need at least {MIN_WEEKS})"
        )


def holdout_weeks(inter: Interactions, params: RankerParams) -> int:
    if params.holdout_weeks:
        return params.holdout_weeks
    return int(np.clip(round(inter.n_weeks * 0.15), 1, 13))


def truth_from_labels(labels: sparse.csr_matrix, bought: sparse.csr_matrix, mode: str) -> Truth:
    """Holdout truth per customer who has history and bought something in the label window."""
    rows, items, sizes = [], [], []
    has_hist = np.diff(bought.indptr) > 0
    for r in np.flatnonzero((np.diff(labels.indptr) > 0) & has_hist):
        got = labels.indices[labels.indptr[r] : labels.indptr[r + 1]]
        if mode == "new":
            got = got[~np.isin(got, bought.indices[bought.indptr[r] : bought.indptr[r + 1]])]
        if len(got):
            rows.append(r)
            items.append(got)
            sizes.append(len(got))
    return Truth(np.array(rows, np.int64), items, np.array(sizes))


def holdout_metrics(
    score: Callable[[np.ndarray], np.ndarray],
    labels: sparse.csr_matrix,
    bought: sparse.csr_matrix,
    k: int = 10,
    max_customers: int = 2000,
    seed: int = 0,
) -> dict[str, float]:
    out = {}
    for mode in ("all", "new"):
        truth = truth_from_labels(labels, bought, mode)
        if len(truth.rows) > max_customers:  # a fixed subsample keeps each epoch cheap
            keep = np.sort(
                np.random.default_rng(seed).choice(len(truth.rows), max_customers, replace=False)
            )
            truth = Truth(truth.rows[keep], [truth.items[i] for i in keep], truth.sizes[keep])
        if not len(truth.rows):
            out[mode] = 0.0
            continue
        recs = np.concatenate(
            [
                top_k(
                    score(truth.rows[s : s + 1024]),
                    k,
                    bought[truth.rows[s : s + 1024]] if mode == "new" else None,
                )
                for s in range(0, len(truth.rows), 1024)
            ]
        )
        out[mode] = metrics_at_k(recs, truth, labels.shape[1], k)["ndcg"]
    return out


def _seed_everything(seed: int) -> None:
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


def _check_finite(loss: float, epoch: int) -> None:
    if not np.isfinite(loss):
        raise TrainingError(f"training diverged: loss is {loss} at epoch {epoch}")


class KerasRanker(Recommender):
    """The two-tower Keras model plus pair features, trained for ranking on sampled negatives."""

    name = "keras-ranker"

    def __init__(self, params: RankerParams | None = None, log: Log | None = None) -> None:
        self.p = params or RankerParams()
        self.log = log or (lambda _msg: None)
        if not self.p.use_features:
            self.name = "keras-towers-only"
        elif self.p.use_embeddings:
            self.name = "keras-ranker+towers"

    def params(self) -> dict:
        return self.p.to_dict()

    # -- training -------------------------------------------------------------------------
    def fit(self, inter: Interactions) -> KerasRanker:
        import keras

        check_size(inter)
        _seed_everything(self.p.seed)
        self.rng = np.random.default_rng(self.p.seed)
        self.n_c, self.n_p = inter.n_customers, inter.n_products
        h = self.h = holdout_weeks(inter, self.p)
        t0 = time.perf_counter()
        hist_b, labels_b = inter.shifted(h)
        windows, hist = [], hist_b
        cap = self.p.max_groups // max(self.p.windows, 1)
        for i in range(self.p.windows):
            hist, labels = hist.shifted(h)
            if hist.n_weeks < 1 or labels.nnz == 0:
                break
            if i >= 2 and all(len(w[0]) >= cap for w in windows):
                break  # windows already full: more history adds time, not information
            lc, lp = self._label_sample(labels, hist)
            lr, lcol = labels.nonzero()
            keys = np.unique(lr.astype(np.int64) * self.n_p + lcol)
            windows.append(
                self._examples(build(hist, self.p.features, np.unique(lc)), lc, lp, keys)
            )
        if not windows:
            raise TrainingError(f"too little history to train: need more than {2 * h} weeks")
        x = [np.concatenate([w[i] for w in windows]) for i in range(7)]
        y = x.pop()
        labels_b, rows_b = _sample_rows(labels_b, HOLDOUT_CUSTOMERS, self.p.seed)
        self.f_holdout = build(hist_b, self.p.features, rows_b)
        self.labels_b = labels_b
        self.log(
            f"features and {len(x[0]):,} training groups of 1+{self.p.negatives} products "
            f"ready in {time.perf_counter() - t0:.1f}s (holdout: last {h} weeks)"
        )

        group = 1 + self.p.negatives
        self.model = build_model(self.n_p, group, self.p)
        batch = self.p.batch or (256 if len(y) < 30_000 else 1024)
        lr = self.p.lr * (batch / 256) ** 0.5  # bigger batches, fewer steps: larger steps
        self.model.compile(
            optimizer=keras.optimizers.Adam(lr), loss=self._loss(), steps_per_execution=8
        )
        stopper = _HoldoutStopper(self, labels_b)
        order = self.rng.permutation(len(y))  # shuffled once: tf.data reshuffling is slow here
        self.model.fit(
            [a[order] for a in x],
            y[order],
            batch_size=batch,
            epochs=self.p.epochs,
            verbose=0,
            shuffle=False,
            callbacks=[stopper],
        )
        if stopper.error:
            raise stopper.error
        best_w, history = stopper.best_weights, stopper.history
        self.model.set_weights(best_w)
        self.history = history
        self.best_epoch = max(history, key=lambda e: (e["all"] + e["new"]) / 2)["epoch"]
        pop = Popularity().fit(hist_b)
        self.holdout_popularity = holdout_metrics(
            pop.score, labels_b, self.f_holdout.own, seed=self.p.seed
        )
        self.features = build(inter, self.p.features)
        self._prepare_scoring(self.features)
        return self

    def _loss(self):
        from keras import ops

        if self.p.loss == "bpr":

            def bpr(_logq, s):
                return -ops.mean(ops.log_sigmoid(s[:, :1] - s[:, 1:]), axis=-1)

            return bpr

        def sampled_softmax(logq, s):
            return -ops.log_softmax(s - logq, axis=-1)[:, 0]

        return sampled_softmax

    def _label_sample(
        self, labels: sparse.csr_matrix, hist: Interactions
    ) -> tuple[np.ndarray, np.ndarray]:
        """Positive pairs of customers with history, a seeded sample beyond the cap."""
        has_hist = np.bincount(hist.c, minlength=hist.n_customers) > 0
        lc, lp = labels.nonzero()
        keep = has_hist[lc]
        lc, lp = lc[keep], lp[keep]
        cap = self.p.max_groups // max(self.p.windows, 1)
        if len(lc) > cap:  # enough groups to learn a few hundred weights; keeps big data fast
            pick = np.sort(self.rng.choice(len(lc), cap, replace=False))
            lc, lp = lc[pick], lp[pick]
        return lc, lp

    def _examples(
        self, f: Features, lc: np.ndarray, lp: np.ndarray, label_keys: np.ndarray
    ) -> list[np.ndarray]:
        """Groups of (positive, sampled negatives) for the sampled positive pairs."""
        k, n = self.p.negatives, len(lc)
        n_own, n_pop = k // 3, k // 3
        pop_w = (f.pop_count + 1.0) ** 0.75
        pop_w /= pop_w.sum()
        neg = np.empty((n, k), np.int64)
        neg[:, :n_pop] = self.rng.choice(self.n_p, (n, n_pop), p=pop_w)
        neg[:, n_pop + n_own :] = self.rng.integers(0, self.n_p, (n, k - n_pop - n_own))
        start, length = f.own.indptr[lc], np.diff(f.own.indptr)[lc]
        pick = start[:, None] + (self.rng.random((n, n_own)) * length[:, None]).astype(np.int64)
        neg[:, n_pop : n_pop + n_own] = f.own.indices[pick]
        # a sampled negative the customer did buy in the label window is replaced by a random one
        clash = np.isin(lc[:, None].astype(np.int64) * self.n_p + neg, label_keys)
        neg[clash] = self.rng.integers(0, self.n_p, int(clash.sum()))
        p = np.concatenate([lp[:, None], neg], axis=1).astype(np.int32)
        c = np.broadcast_to(lc[:, None], p.shape).astype(np.int32)
        own, bought = f.own_at(c.ravel(), p.ravel())
        dense = f.dense_at(c.ravel(), p.ravel())
        g = p.shape[1]
        hist_items, hist_w = f.hist_items[lc], f.hist_w[lc]
        # expected times each candidate is drawn: the sampled-softmax log-Q correction
        q = (
            n_pop * pop_w[p]
            + (k - n_pop - n_own) / self.n_p
            + n_own * bought.reshape(n, g) / np.maximum(length, 1)[:, None]
        )
        logq = np.log(np.maximum(q, 1e-9)).astype(np.float32)
        return [
            p,
            own.reshape(n, g, -1),
            bought.reshape(n, g, 1),
            dense.reshape(n, g, -1),
            hist_items,
            hist_w,
            logq,
        ]

    # -- scoring --------------------------------------------------------------------------
    def _prepare_scoring(self, f: Features) -> None:
        """Tower outputs for every customer and product, and the feature MLP weights, in numpy."""
        m, self._f = self.model, f
        names = {layer.name for layer in m.layers}
        self._towers = None
        if "tower_dot" in names:
            scale = m.get_layer("tower_scale").get_weights()[0] if "tower_scale" in names else 1.0
            e_hist = m.get_layer("history_embedding").get_weights()[0]
            bag = (e_hist[f.hist_items] * f.hist_w[..., None]).sum(axis=1)
            bag /= np.maximum(f.hist_w.sum(axis=1, keepdims=True), 1e-6)
            u = scale * _dense_np(m, "customer_tower", bag)
            v = _dense_np(m, "product_tower", m.get_layer("product_embedding").get_weights()[0])
            self._towers = (u, v)
        self._mlps = None
        if "dense_linear" in names:
            self._mlps = {
                n: m.get_layer(n).get_weights() for n in ("dense_linear", "own_hidden", "own_out")
            }

    def score(self, rows: np.ndarray) -> np.ndarray:
        rows = np.asarray(rows)
        out = np.zeros((len(rows), self.n_p), np.float32)
        if self._towers is not None:
            u, v = self._towers
            out += u[rows] @ v.T
        if self._mlps is not None:
            f, w = self._f, self._mlps
            out += f.linear_block(rows, w["dense_linear"][0][:, 0])
            lengths = np.diff(f.own.indptr)[rows]
            pos = np.repeat(f.own.indptr[rows] - np.cumsum(lengths) + lengths, lengths) + np.arange(
                lengths.sum()
            )
            local = np.repeat(np.arange(len(rows)), lengths)
            cols = f.own.indices[pos]
            x = np.concatenate([f.own_values[pos], f.dense_at(rows[local], cols)], axis=1)
            out[local, cols] += _mlp(x, w["own_hidden"], w["own_out"])[:, 0]
        return out

    def artifact(self) -> bytes:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "model.keras"
            self.model.save(path)
            return path.read_bytes()


class _HoldoutStopper:
    """Per epoch: NaN guard, holdout NDCG@10 in both modes, early stopping, best weights."""

    def __new__(cls, ranker: KerasRanker, labels: sparse.csr_matrix):
        import keras

        class Stopper(keras.callbacks.Callback):
            def __init__(self) -> None:
                super().__init__()
                self.best, self.bad, self.history = -1.0, 0, []
                self.best_weights, self.error = None, None

            def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
                loss = float((logs or {}).get("loss", np.nan))
                if not np.isfinite(loss):
                    self.error = TrainingError(
                        f"training diverged: loss is {loss} at epoch {epoch + 1}"
                    )
                    self.model.stop_training = True
                    return
                ranker._prepare_scoring(ranker.f_holdout)
                m = holdout_metrics(ranker.score, labels, ranker.f_holdout.own, seed=ranker.p.seed)
                self.history.append({"epoch": epoch + 1, "loss": loss, **m})
                ranker.log(
                    f"epoch {epoch + 1:>2}  loss {loss:.4f}  holdout ndcg@10 "
                    f"all {m['all']:.4f} new {m['new']:.4f}"
                )
                val = (m["all"] + m["new"]) / 2
                if val > self.best + 1e-4:  # smaller gains are noise on a holdout
                    self.best, self.bad = val, 0
                    self.best_weights = self.model.get_weights()
                    ranker.holdout = m
                else:
                    self.bad += 1
                    if self.bad >= ranker.p.patience:
                        self.model.stop_training = True

        return Stopper()


def _sample_rows(
    labels: sparse.csr_matrix, n: int, seed: int
) -> tuple[sparse.csr_matrix, np.ndarray]:
    """Keep the labels of at most n (seeded) customers: the holdout stays cheap on big data."""
    rows = np.flatnonzero(np.diff(labels.indptr) > 0)
    if len(rows) > n:
        rows = np.sort(np.random.default_rng(seed).choice(rows, n, replace=False))
    keep = np.zeros(labels.shape[0], np.float32)
    keep[rows] = 1.0
    out = sparse.diags(keep) @ labels
    out.eliminate_zeros()
    return out.tocsr(), rows


def _dense_np(model, name: str, x: np.ndarray) -> np.ndarray:
    w, b = model.get_layer(name).get_weights()
    return np.maximum(x @ w + b, 0.0).astype(np.float32)


def _mlp(x: np.ndarray, hidden: list[np.ndarray], out: list[np.ndarray]) -> np.ndarray:
    return np.maximum(x @ hidden[0] + hidden[1], 0.0) @ out[0] + out[1]


def build_model(n_p: int, group: int, p: RankerParams):
    from model.network import build_ranker

    return build_ranker(
        n_p,
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

    def params(self) -> dict:
        return {"epochs": self.epochs, "batch": self.batch, "max_steps": self.max_steps}

    def fit(self, inter: Interactions) -> SeedRecipe:
        from model.network import build_seed

        check_size(inter)
        _seed_everything(self.seed)
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
        _check_finite(self.loss, epochs)
        self.log(f"blog recipe: {epochs} epochs, final mse {self.loss:.4f}")
        m = self.model
        self.u = _dense_np(m, "customer_tower", m.get_layer("customer_embedding").get_weights()[0])
        self.v = _dense_np(m, "product_tower", m.get_layer("product_embedding").get_weights()[0])
        return self

    def score(self, rows: np.ndarray) -> np.ndarray:
        return self.u[rows] @ self.v.T


def load_artifact(blob: bytes):
    import keras

    from model import network  # noqa: F401  (registers the custom layer)

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.keras"
        path.write_bytes(blob)
        return keras.saving.load_model(path, compile=False)


__all__ = ["KerasRanker", "RankerParams", "SeedRecipe", "TrainingError", "load_artifact"]


class SeedRanker(Recommender):
    """`--arch seed`: the blog recipe as a servable version, with the same holdout and gate."""

    name = "keras-seed"

    def __init__(self, params: RankerParams | None = None, log: Log | None = None) -> None:
        self.p = params or RankerParams(arch="seed")
        self.log = log or (lambda _msg: None)

    def fit(self, inter: Interactions) -> SeedRanker:
        check_size(inter)
        self.h = holdout_weeks(inter, self.p)
        hist_b, labels_b = inter.shifted(self.h)
        self.recipe = SeedRecipe(
            self.p.seed_epochs, self.p.seed_batch, self.p.seed, log=self.log
        ).fit(hist_b)
        self.model = self.recipe.model
        bought = build(hist_b, self.p.features).own
        self.holdout = holdout_metrics(self.recipe.score, labels_b, bought, seed=self.p.seed)
        self.holdout_popularity = holdout_metrics(
            Popularity().fit(hist_b).score, labels_b, bought, seed=self.p.seed
        )
        self.log(f"holdout ndcg@10 all {self.holdout['all']:.4f} new {self.holdout['new']:.4f}")
        self.features = build(inter, self.p.features)
        return self

    def score(self, rows: np.ndarray) -> np.ndarray:
        return self.recipe.score(rows)

    def artifact(self) -> bytes:
        return KerasRanker.artifact(self)
