"""Short, human-readable reasons for each recommended product (shown in Slack as they are)."""

from __future__ import annotations

import numpy as np
from scipy import sparse

from model.features import Features


def neighbour_counts(f: Features, rows: np.ndarray) -> np.ndarray:
    """How many of each nearest account of customers `rows` bought each product:
    (len(rows), products), small ints."""
    rows = np.asarray(rows)
    k = f.nbr_idx.shape[1]
    a = sparse.csr_matrix(
        (np.ones(len(rows) * k, np.float32), f.nbr_idx[rows].ravel(), np.arange(len(rows) + 1) * k),
        shape=(len(rows), f.own.shape[0]),
    )
    return (a @ f.binary).toarray().astype(np.int16)


def reasons(
    f: Features,
    nn: np.ndarray,
    c: np.ndarray,
    p: np.ndarray,
    segment_of: np.ndarray | None = None,
    top_in_segment: dict | None = None,
) -> list[str]:
    """One reason per (customer index, product index) pair; `nn` says how many of the customer's
    nearest accounts bought the product (neighbour_counts at the pair)."""
    pos = f.own_positions(c, p)
    nn = nn.astype(int)
    k = f.nbr_idx.shape[1]
    out = []
    for i in range(len(c)):
        if pos[i] >= 0:
            out.append(
                reorder_reason(
                    int(f.weeks_bought[pos[i]]), int(f.last12[pos[i]]), int(f.recency[pos[i]])
                )
            )
        elif nn[i] >= 2:
            out.append(f"similar accounts: {nn[i]} of {k} nearest buy it")
        elif (
            segment_of is not None
            and top_in_segment
            and p[i] in top_in_segment.get(segment_of[c[i]], ())
        ):
            out.append(f"popular with {segment_of[c[i]]} accounts")
        else:
            out.append(f"popular: bought by {int(f.pop_count[p[i]])} accounts")
    return out


def reorder_reason(weeks: int, last12: int, recency: int) -> str:
    if last12 == 0:
        return f"reorder: bought in {weeks} earlier weeks, not in the last 12"
    if recency == 0:
        return f"reorder: bought in {last12} of last 12 weeks, most recently this week"
    gap = "the last week" if recency == 1 else f"the last {recency} weeks"
    return f"reorder: bought in {last12} of last 12 weeks, not in {gap}"
