"""Attention that never forms the score matrix: the online softmax over blocks of keys.

FlashAttention (Dao et al., 2022) computes softmax(q kᵀ · scale) v one block of keys at a time.
For each query it keeps a running maximum m, a running sum ℓ of exponentials and a running
output; when a block raises the maximum, what was summed so far is rescaled by e^(m_old − m_new).
The (n_q, n_k) weights are never stored, so the memory is O(n·d) per head plus one block of scores.
Lesson 13 works it by hand.

The maximum is there only so that e^s can neither overflow nor vanish. When every score is known
in advance to lie in [−B, B] with e^B far from the float's limits, it is not needed: e^s is safe
as it is, and the kernel skips the maximum, the subtraction and the rescaling (`bounded_scores`;
the bound is Cauchy–Schwarz, |q·k| ≤ |q|·|k|). Either way the result is the same softmax.

Blocks of queries (over several heads when n is small) are independent: each writes its own rows
of out. When there are two or more, they run on one Python thread per core with BLAS held to one
thread (rows.run_blocks), so that the exponentials, which numpy computes on one core, run on
every core too; each block's steps are those of the one-thread run. Measured on 2 cores
(benchmarks/attention.py, float32, d = 64, quiet runs before and after): (8, 8, 512) 78.6 → 63.1 ms,
(1, 8, 4096) 734 → 519 ms, (1, 1, 16384) 1182 → 845 ms; 69–73 % of numpy's matmul throughput, or more.
"""

from __future__ import annotations

import math

import numpy as np

from .arrays import as_float_array, check_mask, result_dtype
from .attention import check_qkv
from .rows import bounded_scores, run_blocks

KEY_BLOCK = 512  # keys per block, unless block_size says otherwise
SCORES_PER_BLOCK = 1 << 19  # queries (and heads) per block: one block of scores holds ~512K floats


def flash_attention(q, k, v, mask=None, scale=None, block_size=None):
    """softmax(q kᵀ · scale) v, streamed over blocks of keys; the same result as
    scaled_dot_product_attention(q, k, v, mask, scale)[0], without forming the weights.

    q: (..., n_q, d_k)  k: (..., n_k, d_k)  v: (..., n_k, d_v)
    mask: boolean, True = may attend, broadcastable to (..., n_q, n_k)
    block_size: keys per block (need not divide n_k); default 512.
    returns out: (..., n_q, d_v). A query whose every key is masked gets a zero output.
    """
    q, k, v = as_float_array(q, "q"), as_float_array(k, "k"), as_float_array(v, "v")
    batch = check_qkv(q, k, v)
    (n_q, d_k), n_k, d_v = q.shape[-2:], k.shape[-2], v.shape[-1]
    bk = _block_size(block_size, n_k)
    dtype = result_dtype(q, k, v)
    scale = 1.0 / math.sqrt(d_k) if scale is None else float(scale)
    if mask is not None:
        mask = np.broadcast_to(check_mask(mask, batch + (n_q, n_k), "(..., n_q, n_k)"), batch + (n_q, n_k))
        mask = mask.reshape(-1, n_q, n_k)  # a view where it can be: a broadcast mask stays small
    qs = np.multiply(np.broadcast_to(q, batch + (n_q, d_k)).reshape(-1, n_q, d_k), scale, dtype=dtype)
    kb = np.ascontiguousarray(np.broadcast_to(k, batch + (n_k, d_k)).reshape(-1, n_k, d_k), dtype)
    vb = np.broadcast_to(v, batch + (n_k, d_v)).reshape(-1, n_k, d_v).astype(dtype, copy=False)
    heads = qs.shape[0]
    v1 = np.concatenate([vb, np.ones((heads, n_k, 1), dtype)], axis=-1)  # (heads, n_k, d_v + 1)
    kt = np.swapaxes(kb, -1, -2)  # (heads, d_k, n_k), a view
    step = _query_block if bounded_scores(qs, kb, vb) else _query_block_with_max
    bq = int(min(n_q, max(16, SCORES_PER_BLOCK // bk)))  # queries per block
    hb = int(min(heads, max(1, SCORES_PER_BLOCK // (bq * bk))))  # heads per block
    out = np.empty((heads, n_q, d_v), dtype)

    def new_worker():
        buffer = np.empty(hb * bq * bk, dtype)  # one block of scores, reused by this thread

        def block(part):
            hs, rows = part  # slices: heads, queries
            m_blk = None if mask is None else mask[hs, rows]
            acc = step(qs[hs, rows], kt[hs], v1[hs], m_blk, bk, buffer)  # (hb, bq, d_v + 1)
            ell = acc[..., -1:]  # the sum of the exponentials; 0 for a query that sees no key
            np.divide(acc[..., :-1], np.where(ell > 0, ell, 1), out=out[hs, rows])

        return block

    blocks = [(slice(h, min(h + hb, heads)), slice(i, min(i + bq, n_q)))
              for h in range(0, heads, hb) for i in range(0, n_q, bq)]
    run_blocks(blocks, new_worker)
    return out.reshape(batch + (n_q, d_v))


def _score_blocks(qs, kt, mask, bk, buffer):
    """(cols, scores) for each block of keys: the scores qs kᵀ of those keys, −∞ where masked, in
    `buffer` (the same memory each time). Blocks whose every key is masked are skipped."""
    heads, bq, _ = qs.shape
    for j in range(0, kt.shape[-1], bk):
        cols = slice(j, min(j + bk, kt.shape[-1]))
        visible = None if mask is None else mask[:, :, cols]
        if visible is not None and not visible.any():
            continue  # every key of this block is masked for every query: nothing to add
        s = buffer[: heads * bq * (cols.stop - j)].reshape(heads, bq, cols.stop - j)  # contiguous
        np.matmul(qs, kt[:, :, cols], out=s)  # (heads, bq, d_k) @ (heads, d_k, bk) -> (heads, bq, bk)
        if visible is not None and not visible.all():
            np.copyto(s, -np.inf, where=~visible)  # e^-inf = 0
        yield cols, s


def _query_block(qs, kt, v1, mask, bk, buffer):
    """[Σ e^score · v, Σ e^score] of one block of (pre-scaled) queries, over key blocks, when the
    scores are bounded (see bounded_scores): no maximum is kept, e^score cannot overflow.

    v1 is v with a column of ones appended, so that `e @ v1` also gives each row's sum of
    exponentials (ℓ) in its last column, inside the same BLAS call."""
    heads, bq, _ = qs.shape
    acc = tmp = None
    for cols, s in _score_blocks(qs, kt, mask, bk, buffer):
        np.exp(s, out=s)  # in place, on this block's thread
        if acc is None:
            acc = s @ v1[:, cols]  # (heads, bq, bk) @ (heads, bk, d_v + 1) -> (heads, bq, d_v + 1)
            tmp = np.empty_like(acc)
        else:
            acc += np.matmul(s, v1[:, cols], out=tmp)
    return np.zeros((heads, bq, v1.shape[-1]), qs.dtype) if acc is None else acc


def _query_block_with_max(qs, kt, v1, mask, bk, buffer):
    """[Σ e^(score − m) · v, Σ e^(score − m)] of one block of (pre-scaled) queries, over key
    blocks, with the running maximum m: the online softmax, for scores of any size."""
    heads, bq, _ = qs.shape
    m = np.full((heads, bq, 1), -np.inf, qs.dtype)  # running maximum of each query's scores
    shift = np.zeros_like(m)  # m where finite, else 0 (a row with no visible key yet)
    acc = np.zeros((heads, bq, v1.shape[-1]), qs.dtype)  # running [sum of e^(score - m) · v, ℓ]
    tmp = np.empty_like(acc)
    for cols, s in _score_blocks(qs, kt, mask, bk, buffer):
        m_old = m.copy()
        np.maximum(m, s.max(axis=-1, keepdims=True), out=m)
        np.copyto(shift, m, where=np.isfinite(m))  # a row with no visible key yet keeps 0
        np.subtract(s, shift, out=s)
        np.exp(s, out=s)  # e^(score - m), 0 where masked
        np.subtract(m_old, shift, out=m_old)
        acc *= np.exp(m_old, out=m_old)  # e^(m_old - m_new): 0 on the first block, 1 when the maximum stays
        acc += np.matmul(s, v1[:, cols], out=tmp)  # (heads, bq, bk) @ (heads, bk, d_v + 1)
    return acc


def _block_size(block_size, n_k):
    if block_size is None:
        return max(1, min(KEY_BLOCK, n_k))
    if isinstance(block_size, bool) or not isinstance(block_size, (int, np.integer)) or block_size < 1:
        raise ValueError(f"block_size must be a whole number of keys, 1 or more, got {block_size!r}")
    return int(min(block_size, max(n_k, 1)))
