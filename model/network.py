"""The Keras models: the blog's two-tower recipe, and the ranker built on it; seeding and saving."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from model.quiet_tf import import_keras

keras = import_keras()
layers, ops = keras.layers, keras.ops
# Keras ships no type information: its classes are plain values to the type checker.
KerasModel = Any
Layer: Any = layers.Layer


@keras.saving.register_keras_serializable(package="recbot")
class RowDot(Layer):
    """Dot product over the last axis, keeping it: (..., h) x (..., h) -> (..., 1)."""

    def call(self, a, b):
        return ops.sum(a * b, axis=-1, keepdims=True)


@keras.saving.register_keras_serializable(package="recbot")
class Scale(Layer):
    """A learned scalar, zero at start: the towers join in only as far as they help."""

    def build(self, input_shape) -> None:  # noqa: ARG002 (Keras API)
        self.alpha = self.add_weight(shape=(), initializer="zeros", name="alpha")

    def call(self, x):
        return x * self.alpha


def build_seed(n_customers: int, n_products: int, emb: int = 30, hidden: int = 128) -> KerasModel:
    """The original blog's recipe: embeddings -> Dense(128, relu) towers -> dot, MSE on quantity."""
    c_in = keras.Input((1,), name="customer", dtype="int32")
    p_in = keras.Input((1,), name="product", dtype="int32")
    u = layers.Flatten()(layers.Embedding(n_customers, emb, name="customer_embedding")(c_in))
    v = layers.Flatten()(layers.Embedding(n_products, emb, name="product_embedding")(p_in))
    u = layers.Dense(hidden, activation="relu", name="customer_tower")(u)
    v = layers.Dense(hidden, activation="relu", name="product_tower")(v)
    out = layers.Dot(axes=1, name="score")([u, v])
    model = keras.Model([c_in, p_in], out, name="seed")
    model.compile(optimizer="adam", loss="mse", metrics=["accuracy"])
    return model


@keras.saving.register_keras_serializable(package="recbot")
class WeightedMean(Layer):
    """(n, m, e) vectors and (n, m) weights -> (n, e) weighted mean."""

    def call(self, x, w):
        w = ops.expand_dims(w, -1)
        return ops.sum(x * w, axis=1) / ops.maximum(ops.sum(w, axis=1), 1e-6)


def build_ranker(
    n_products: int,
    n_own: int,
    n_dense: int,
    group: int,
    history: int,
    emb: int = 30,
    hidden: int = 128,
    use_embeddings: bool = True,
    use_features: bool = True,
    emb_l2: float = 1e-5,
) -> KerasModel:
    """Scores a group of candidate products per customer (the positive first).

    score = alpha * customer tower . product tower        (the blog's two towers)
          + w . dense pair features                       (neighbours, EASE, popularity)
          + bought_before * mlp(own history, dense)       (reorder patterns)

    The customer tower reads the customer's recent products (a weighted bag of product
    embeddings) instead of a per-customer id embedding, so it follows the customer's history
    forward in time and needs no retraining for a new purchase.
    """
    p_in = keras.Input((group,), name="product", dtype="int32")
    own_in = keras.Input((group, n_own), name="own")
    bought_in = keras.Input((group, 1), name="bought")
    dense_in = keras.Input((group, n_dense), name="dense")
    hist_in = keras.Input((history,), name="history", dtype="int32")
    hist_w_in = keras.Input((history,), name="history_weight")
    parts = []
    if use_embeddings:
        reg = keras.regularizers.L2(emb_l2) if emb_l2 else None
        h = layers.Embedding(n_products, emb, embeddings_regularizer=reg, name="history_embedding")(
            hist_in
        )
        u = WeightedMean(name="history_mean")(h, hist_w_in)
        u = layers.Dense(hidden, activation="relu", name="customer_tower")(u)
        u = layers.Reshape((1, hidden), name="customer_vec")(u)
        v = layers.Embedding(n_products, emb, embeddings_regularizer=reg, name="product_embedding")(
            p_in
        )
        v = layers.Dense(hidden, activation="relu", name="product_tower")(v)
        dot = RowDot(name="tower_dot")(u, v)
        parts.append(Scale(name="tower_scale")(dot) if use_features else dot)
    if use_features:
        # linear, so scoring every product stays a few array operations per customer
        parts.append(layers.Dense(1, use_bias=False, name="dense_linear")(dense_in))
        x = layers.Concatenate(name="own_concat")([own_in, dense_in])
        x = layers.Dense(32, activation="relu", name="own_hidden")(x)
        x = layers.Dense(1, name="own_out")(x)
        parts.append(layers.Multiply(name="reorder")([x, bought_in]))
    score = parts[0] if len(parts) == 1 else layers.Add(name="sum")(parts)
    out = layers.Reshape((group,), name="scores")(score)
    inputs = [p_in, own_in, bought_in, dense_in, hist_in, hist_w_in]
    return keras.Model(inputs, out, name="ranker")


def build_item_embeddings(n_products: int, group: int, dim: int = 32) -> KerasModel:
    """Item2vec for what comes next: a product the customer bought (the context) against a group
    of candidate products bought afterwards (the positive first, then sampled negatives).

    score(x, y) = context_embedding[x] . target_embedding[y] + target_bias[y]
    """
    x_in = keras.Input((1,), name="item", dtype="int32")
    c_in = keras.Input((group,), name="candidates", dtype="int32")
    u = layers.Embedding(n_products, dim, name="context_embedding")(x_in)
    v = layers.Embedding(n_products, dim, name="target_embedding")(c_in)
    b = layers.Embedding(n_products, 1, embeddings_initializer="zeros", name="target_bias")(c_in)
    score = layers.Add(name="next_score")([RowDot(name="next_dot")(u, v), b])
    out = layers.Reshape((group,), name="scores")(score)
    return keras.Model([x_in, c_in], out, name="item_embeddings")


def seed_everything(seed: int) -> None:
    """Python, numpy and TensorFlow seeds, and deterministic TensorFlow ops."""
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


def dense_np(model: KerasModel, name: str, x: np.ndarray) -> np.ndarray:
    """The relu Dense layer `name` of `model` applied to `x`, in numpy."""
    w, b = model.get_layer(name).get_weights()
    return np.maximum(x @ w + b, 0.0).astype(np.float32)


def model_bytes(model: KerasModel) -> bytes:
    """The model saved as a .keras file, as bytes."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.keras"
        model.save(path)
        return path.read_bytes()


def load_artifact(blob: bytes) -> KerasModel:
    """The model back from `model_bytes` (uncompiled: for inspection and scoring)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.keras"
        path.write_bytes(blob)
        return keras.saving.load_model(path, compile=False)
