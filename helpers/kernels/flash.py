"""Attention that never forms the score matrix: the online softmax over blocks of keys.

FlashAttention (Dao et al., 2022) computes softmax(q kᵀ · scale) v one block of keys at a time.
For each query it keeps a running maximum m, a running sum ℓ of exponentials and a running
output; when a block raises the maximum, what was summed so far is rescaled by e^(m_old − m_new).
The (n_q, n_k) weights are never stored, so the memory is O(n·d) per head plus one block of scores.
Lesson 13 works it by hand.
"""

from __future__ import annotations

import math

import numpy as np

from .arrays import as_float_array, check_mask, result_dtype
from .attention import check_qkv
from .rows import parallel, row_slices

KEY_BLOCK = 512  # keys per block, unless block_size says otherwise
SCORES_PER_BLOCK = 1 << 22  # queries per block are chosen so one block of scores holds ~4M floats


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
    qs = (np.broadcast_to(q, batch + (n_q, d_k)).reshape(-1, n_q, d_k) * scale).astype(dtype, copy=False)
    kt = np.swapaxes(np.broadcast_to(k, batch + (n_k, d_k)).reshape(-1, n_k, d_k), -1, -2).astype(dtype)
    vb = np.broadcast_to(v, batch + (n_k, d_v)).reshape(-1, n_k, d_v)
    heads = qs.shape[0]
    v1 = np.concatenate([vb.astype(dtype, copy=False), np.ones((heads, n_k, 1), dtype)], axis=-1)
    bq = int(min(n_q, max(64, SCORES_PER_BLOCK // (heads * bk))))
    out = np.empty((heads, n_q, d_v), dtype)
    scores = np.empty((heads, bq, bk), dtype)  # one block of scores, reused
    for i in range(0, n_q, bq):
        rows = slice(i, min(i + bq, n_q))
        m_blk = None if mask is None else mask[:, rows]
        out[:, rows] = _query_block(qs[:, rows], kt, v1, m_blk, bk, scores)
    return out.reshape(batch + (n_q, d_v))


def _block_size(block_size, n_k):
    if block_size is None:
        return max(1, min(KEY_BLOCK, n_k))
    if isinstance(block_size, bool) or not isinstance(block_size, (int, np.integer)) or block_size < 1:
        raise ValueError(f"block_size must be a whole number of keys, 1 or more, got {block_size!r}")
    return int(min(block_size, max(n_k, 1)))


def _query_block(qs, kt, v1, mask, bk, scores):
    """The attention output of one block of (pre-scaled) queries, key block by key block.

    v1 is v with a column of ones appended, so that `e @ v1` also gives each row's sum of
    exponentials (the running sum ℓ) in its last column, inside the same BLAS call."""
    heads, bq, _ = qs.shape
    m = np.full((heads, bq, 1), -np.inf, qs.dtype)  # running maximum of each query's scores
    shift = np.zeros_like(m)  # m where finite, else 0 (a row with no visible key yet)
    acc = np.zeros((heads, bq, v1.shape[-1]), qs.dtype)  # running [sum of e^(score - m) · v, ℓ]
    parts = row_slices(bq, heads * bq * bk)
    for j in range(0, kt.shape[-1], bk):
        cols = slice(j, min(j + bk, kt.shape[-1]))
        visible = None if mask is None else mask[:, :, cols]
        if visible is not None and not visible.any():
            continue  # every key of this block is masked for every query: nothing to add
        s = scores[:, :bq, : cols.stop - cols.start]
        np.matmul(qs, kt[:, :, cols], out=s)  # (heads, bq, d_k) @ (heads, d_k, bk) -> (heads, bq, bk)
        if visible is not None and not visible.all():
            np.copyto(s, -np.inf, where=~visible)
        m_old = m.copy()
        parallel(lambda rows: _exponentials(s[:, rows], m[:, rows], shift[:, rows]), parts)
        acc *= np.exp(m_old - shift)  # e^(m_old - m_new): 0 on the first block, 1 when the maximum stays
        acc += s @ v1[:, cols]  # (heads, bq, bk) @ (heads, bk, d_v + 1) -> (heads, bq, d_v + 1)
    ell = acc[..., -1:]
    return np.divide(acc[..., :-1], ell, out=np.zeros_like(acc[..., :-1]), where=ell > 0)


def _exponentials(s, m, shift):
    """In place, for some rows: m <- max(m, row max of s); s <- e^(s - m) (0 where masked)."""
    np.maximum(m, s.max(axis=-1, keepdims=True), out=m)
    np.copyto(shift, np.where(np.isfinite(m), m, 0.0))
    np.subtract(s, shift, out=s)
    np.exp(s, out=s)
