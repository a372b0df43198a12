"""Product embeddings learned in Keras from what customers buy next (model/item_pairs.py).

Each pair (x, y) says a customer who had bought x went on to buy y; the network
(model/network.py: build_item_embeddings) scores y against sampled negatives with the same
log-Q-corrected sampled softmax as the ranker. A product's neighbours are the products it scores
highest: context_embedding[x] . target_embedding[y] + target_bias[y] ("bought next"), or the
cosine of two context embeddings ("cosine"). TensorFlow loads only in `fit`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Self

import numpy as np

from model.base import Log, TrainingError
from model.data import Interactions
from model.item_pairs import next_pairs
from model.training_data import holdout_weeks


@dataclass
class EmbeddingParams:
    dim: int = 32
    negatives: int = 20
    epochs: int = 5
    batch: int = 1024
    lr: float = 0.01
    weeks: int = 0  # window length; 0: the holdout's (15% of the span, 1 to 13 weeks)
    windows: int = 4
    contexts: int = 2  # history products paired with each purchase
    max_pairs: int = 400_000
    decay: float = 0.8
    kind: str = "next"  # next | cosine: how neighbours are scored
    seed: int = 7

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class ItemEmbeddings:
    """A similarity source (model/similar.py) from Keras `Embedding` layers."""

    floor = -np.inf  # every learned score is evidence

    def __init__(self, params: EmbeddingParams | None = None, log: Log | None = None) -> None:
        self.p = params or EmbeddingParams()
        self.log = log or (lambda _msg: None)
        self.name = "embeddings" if self.p.kind == "next" else f"embeddings ({self.p.kind})"
        self.context: np.ndarray | None = None
        self.target: np.ndarray | None = None
        self.bias: np.ndarray | None = None

    def fit(self, inter: Interactions) -> Self:
        from model.network import build_item_embeddings, seed_everything
        from model.quiet_tf import import_keras
        from model.train import ranking_loss

        keras = import_keras()
        seed_everything(self.p.seed)
        rng = np.random.default_rng(self.p.seed)
        n = inter.n_products
        weeks = self.p.weeks or holdout_weeks(inter)
        x, y = next_pairs(
            inter, weeks, self.p.windows, self.p.contexts, self.p.max_pairs, self.p.decay, rng
        )
        if len(x) == 0 or n < 2:
            raise TrainingError("too little history to learn product embeddings")
        candidates, logq = sample_candidates(y, inter, self.p.negatives, rng)
        model = build_item_embeddings(n, candidates.shape[1], self.p.dim)
        model.compile(optimizer=keras.optimizers.Adam(self.p.lr), loss=ranking_loss("softmax"))
        order = rng.permutation(len(x))
        fitted = model.fit(
            [x[order, None], candidates[order]],
            logq[order],
            batch_size=self.p.batch,
            epochs=self.p.epochs,
            verbose=0,
            shuffle=False,
        )
        loss = float(fitted.history["loss"][-1])
        if not np.isfinite(loss):
            raise TrainingError(f"product embeddings diverged: loss is {loss}")
        self.log(f"product embeddings: {len(x):,} pairs, {self.p.epochs} epochs, loss {loss:.4f}")
        self.context = model.get_layer("context_embedding").get_weights()[0]
        self.target = model.get_layer("target_embedding").get_weights()[0]
        self.bias = model.get_layer("target_bias").get_weights()[0][:, 0]
        return self

    def similarity(self, items: np.ndarray) -> np.ndarray:
        if self.context is None or self.target is None or self.bias is None:
            raise RuntimeError("embeddings: fit before asking for similarities")
        if self.p.kind == "cosine":
            norms = np.linalg.norm(self.context, axis=1)
            unit = self.context / np.where(norms > 0, norms, 1.0)[:, None]
            return unit[items] @ unit.T
        return self.context[items] @ self.target.T + self.bias[None, :]

    def params(self) -> dict[str, Any]:
        return self.p.to_dict()


def sample_candidates(
    y: np.ndarray, inter: Interactions, negatives: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Each target first, then negatives (half by popularity ** 0.75, half uniform), and the
    log of each candidate's expected draws (the sampled softmax's log-Q correction)."""
    n = inter.n_products
    count = np.bincount(inter.p, minlength=n).astype(np.float64)
    pop = (count + 1.0) ** 0.75
    pop /= pop.sum()
    n_pop = negatives // 2
    neg = np.empty((len(y), negatives), np.int64)
    neg[:, :n_pop] = rng.choice(n, (len(y), n_pop), p=pop)
    neg[:, n_pop:] = rng.integers(0, n, (len(y), negatives - n_pop))
    clash = neg == y[:, None]
    neg[clash] = (neg[clash] + 1) % n
    candidates = np.concatenate([y[:, None], neg], axis=1).astype(np.int32)
    q = n_pop * pop[candidates] + (negatives - n_pop) / n
    return candidates, np.log(q).astype(np.float32)
