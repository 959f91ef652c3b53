"""Row-wise work on a block of scores, in place, and the blocks spread over the cores.

The max / subtract / exp / divide passes over the scores run in place (no temporary as large as
the scores). numpy runs them on one core, while its matrix products (BLAS) use every core; and
splitting one block's passes over threads lost (measured on 2 cores), because BLAS's own threads
keep spinning on the other cores between products. run_blocks splits differently: whole blocks
(products and passes) go to one Python thread per core, with BLAS held to one thread inside
(threadpoolctl), so that each core does a block's every step. numpy releases the GIL in its
products and in ufuncs on large arrays. Each block writes its own rows of the output, with the
same steps as on one thread, so the same bits as one thread with BLAS at one thread. (BLAS's
float32 products can differ in the last bit with BLAS's own thread count; float64 ones did not.)

Right after a product on two BLAS threads, OpenBLAS's idle thread keeps spinning for ~0.1 s
(its THREAD_TIMEOUT) and holds a core, so a short call gains nothing then: measured, (8, 8, 512, 64)
flash_attention right after a 2048² product 98.6 ms on two threads, 98.5 ms on one; after 0.5 s
idle 70.5 ms and 104 ms.
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

try:  # optional: without it, every block runs on the calling thread
    from threadpoolctl import ThreadpoolController
except ImportError:
    ThreadpoolController = None

THREADS = None  # Python threads for the blocks; None: one per core this process may use, at most 8
_BLAS = []  # the ThreadpoolController of the BLAS libraries, made on first use (finding them takes ~1 ms)


def bounded_scores(qs, k, v=None):
    """True when every score q·k (q already scaled) is small enough that e^score, summed over the
    keys (and multiplied by v), stays well inside the float's range: then no maximum is needed.
    |q·k| ≤ |q|·|k| (Cauchy–Schwarz), so B = max|q| · max|k| bounds every score.

    qs: (..., n_q, d_k)  k: (..., n_k, d_k)  v: (..., n_k, d_v) or None, all of one float dtype."""
    if not (qs.size and k.size):
        return False
    info = np.finfo(qs.dtype)
    q_norm = math.sqrt(float(np.einsum("...d,...d->...", qs, qs).max()))
    k_norm = math.sqrt(float(np.einsum("...d,...d->...", k, k).max()))
    bound = q_norm * k_norm  # |score| ≤ bound; nan or inf when the input is
    v_max = float(np.abs(v).max()) if v is not None and v.size else 0.0
    room = math.log(info.max) - math.log(16 * k.shape[-2] * (v_max + 1))  # e^bound · n_k · |v| fits
    return bound <= min(-0.4 * math.log(info.tiny), room)  # and e^-bound stays a normal number


def softmax_rows_inplace(scores):
    """scores <- softmax(scores) over the last axis, in place. A row that is all -inf (every key
    masked) becomes zeros, never NaN."""
    m = scores.max(axis=-1, keepdims=True)
    np.copyto(m, 0.0, where=~np.isfinite(m))
    np.subtract(scores, m, out=scores)
    np.exp(scores, out=scores)
    total = scores.sum(axis=-1, keepdims=True)
    np.divide(scores, total, out=scores, where=total > 0)
    return scores


def thread_count():
    """How many threads run_blocks uses for many blocks: THREADS, or else the cores this process may
    run on (its affinity), at most 8; but 1 without threadpoolctl or a BLAS it can hold to one thread."""
    if THREADS is not None:
        threads = max(1, int(THREADS))
    else:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
        threads = max(1, min(8, cores))
    return threads if threads > 1 and _blas() is not None else 1


def run_blocks(blocks, new_worker):
    """worker(block) for every block, where worker = new_worker() (one per thread, so that each
    thread has its own scratch memory). Two or more blocks go to thread_count() threads, with BLAS
    held to one thread; otherwise (or on one core, or without threadpoolctl) they run here, in
    order. The blocks must write disjoint parts of the output."""
    blocks = list(blocks)
    threads = min(len(blocks), thread_count())
    if threads < 2:
        worker = new_worker()
        for block in blocks:
            worker(block)
        return
    jobs = iter(blocks)  # shared: each thread takes the next block left (next() holds the GIL)

    def drain():
        worker = new_worker()
        for block in jobs:
            worker(block)

    with _blas().limit(limits=1, user_api="blas"), ThreadPoolExecutor(threads) as pool:
        for future in [pool.submit(drain) for _ in range(threads)]:
            future.result()


def _blas():
    """threadpoolctl's controller of numpy's BLAS, or None: without threadpoolctl, or when it finds
    no BLAS it can limit (then threads would compete with BLAS's own; the blocks stay on one thread)."""
    if ThreadpoolController is None:
        return None
    if not _BLAS:
        blas = ThreadpoolController().select(user_api="blas")  # numpy, imported above, has loaded its BLAS
        _BLAS.append(blas if blas.lib_controllers else None)
    return _BLAS[0]
