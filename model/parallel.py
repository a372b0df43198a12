"""Customer chunks on every core: the neighbour search and the publish step's scoring.

numpy and scipy.sparse release the GIL in the large array operations a chunk is made of (sparse
and dense products, argpartition, elementwise arithmetic), so threads share the work without
copying the features into other processes. Results come back in chunk order, a bounded number
ahead.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

from threadpoolctl import threadpool_limits

from core.env import int_value, read_env

T = TypeVar("T")
R = TypeVar("R")


def train_workers() -> int:
    """Threads for chunked feature and scoring work: TRAIN_WORKERS, default one per core."""
    value = read_env(("TRAIN_WORKERS",))["TRAIN_WORKERS"]
    return int_value("TRAIN_WORKERS", value, os.cpu_count() or 1, 1, 256)


def ordered_map(
    fn: Callable[[T], R], items: Iterable[T], workers: int | None = None, ahead: int = 1
) -> Iterator[R]:
    """fn over items on `workers` threads, yielded in order; at most workers + `ahead` results
    are in flight or waiting, so memory stays a few chunks whatever the number of items."""
    workers = train_workers() if workers is None else workers
    if workers <= 1:
        yield from map(fn, items)
        return
    # one BLAS thread per chunk: the chunks already fill the cores, more threads only contend
    with threadpool_limits(1, user_api="blas"), ThreadPoolExecutor(workers) as pool:
        pending: deque[Future[R]] = deque()
        try:
            for item in items:
                pending.append(pool.submit(fn, item))
                if len(pending) > workers + ahead - 1:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:  # the consumer stopped early or a chunk failed
                future.cancel()
