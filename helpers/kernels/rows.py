"""Row-wise work on a block of scores, in place and on every core.

numpy's elementwise functions run on one core while its matrix products (BLAS) use them all, so
in attention the max / subtract / exp / divide passes over the scores cost as much as the
products. Here they run in place (no temporary as large as the scores) and split by rows across
THREADS threads: numpy releases the GIL inside ufuncs on large arrays.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

THREADS = max(1, min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1))
PARALLEL_FROM = 1 << 16  # fewer elements than this: one thread (starting threads costs more)
_POOL = None


def row_slices(n_rows, size):
    """Slices that split n_rows rows into THREADS parts (one part for a small block)."""
    parts = THREADS if size >= PARALLEL_FROM else 1
    step = -(-n_rows // parts) if n_rows else 1
    return [slice(r, min(r + step, n_rows)) for r in range(0, n_rows, step)] or [slice(0, 0)]


def parallel(fn, parts):
    """fn(part) for every part, in threads when there is more than one."""
    global _POOL
    if len(parts) == 1:
        fn(parts[0])
        return
    if _POOL is None:
        _POOL = ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="helpers-rows")
    for future in [_POOL.submit(fn, part) for part in parts]:
        future.result()


def softmax_rows_inplace(scores):
    """scores <- softmax(scores) over the last axis, in place. A row that is all -inf (every key
    masked) becomes zeros, never NaN. scores must be C-contiguous (a fresh product is)."""
    rows = scores.reshape(-1, scores.shape[-1])  # a view: same memory

    def part(r):
        block = rows[r]
        m = block.max(axis=-1, keepdims=True)
        np.copyto(m, 0.0, where=~np.isfinite(m))
        np.subtract(block, m, out=block)
        np.exp(block, out=block)
        total = block.sum(axis=-1, keepdims=True)
        np.divide(block, total, out=block, where=total > 0)

    if rows.size:
        parallel(part, row_slices(rows.shape[0], rows.size))
    return scores
