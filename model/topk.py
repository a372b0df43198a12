"""The k largest values of each row of a wide score matrix, without partitioning all of it."""

from __future__ import annotations

import numpy as np


def top_columns(block: np.ndarray, k: int, group: int | None = None) -> np.ndarray:
    """Column indices of the k largest values of each row, in no order (as argpartition).

    Each row's k largest values lie in the k column groups with the largest maxima, so only
    those k x `group` candidates are partitioned. The default group, about 1.5 sqrt(n / k)
    columns, balances the cost of the group maxima against that of the candidates.
    """
    m, n = block.shape
    if group is None:
        group = 2 ** max(3, round(np.log2(1.5 * np.sqrt(n / max(k, 1)))))
    n_groups = -(-n // group)
    if n_groups <= k or m == 0:
        return np.argpartition(-block, k - 1, axis=1)[:, :k]
    full = n // group * group
    maxima = block[:, :full].reshape(m, -1, group).max(axis=2)
    if full < n:
        maxima = np.concatenate([maxima, block[:, full:].max(axis=1, keepdims=True)], axis=1)
    groups = np.argpartition(-maxima, k - 1, axis=1)[:, :k]
    cand = (groups[:, :, None] * group + np.arange(group)).reshape(m, -1)
    valid = cand < n  # the last group may be short
    cand = np.minimum(cand, n - 1)
    values = np.where(valid, np.take_along_axis(block, cand, axis=1), -np.inf)
    pick = np.argpartition(-values, k - 1, axis=1)[:, :k]
    return np.take_along_axis(cand, pick, axis=1)
