"""Attention: scaled dot-product attention, splitting into heads, multi-head attention."""

from __future__ import annotations

import math

import numpy as np

from .arrays import as_float_array, check_mask, check_weight, need_ndim, result_dtype
from .basic import linear
from .params import AttentionParams
from .rows import run_blocks, softmax_rows_inplace

SCORES_PER_BLOCK = 1 << 19  # scores per block of rows (2 MiB in float32; measured best with one block per core)


def scaled_dot_product_attention(q, k, v, mask=None, scale=None):
    """softmax(q kᵀ · scale) v, with scale = 1/√d_k unless given.

    q: (..., n_q, d_k)  k: (..., n_k, d_k)  v: (..., n_k, d_v)
    mask: boolean, True = may attend, broadcastable to (..., n_q, n_k)
    returns (out, weights): (..., n_q, d_v) and (..., n_q, n_k).
    A query whose every key is masked gets zero weights and a zero output.
    """
    q = as_float_array(q, "q")
    k = as_float_array(k, "k")
    v = as_float_array(v, "v")
    batch = check_qkv(q, k, v)
    (n_q, d_k), n_k = q.shape[-2:], k.shape[-2]
    if scale is None:
        scale = 1.0 / math.sqrt(d_k)
    dtype = result_dtype(q, k, v)
    lead = np.broadcast_shapes(q.shape[:-2], k.shape[:-2])  # the weights' batch axes
    if mask is not None:
        mask = check_mask(mask, batch + (n_q, n_k), "(..., n_q, n_k)")
        lead = np.broadcast_shapes(lead, mask.shape[:-2])
        mask = np.broadcast_to(mask, lead + (n_q, n_k)).reshape(-1, n_q, n_k)  # a view where it can be
    qb = np.broadcast_to(q, lead + (n_q, d_k)).astype(dtype, copy=False).reshape(-1, n_q, d_k)
    kb = np.broadcast_to(k, lead + (n_k, d_k)).astype(dtype, copy=False).reshape(-1, n_k, d_k)
    weights = np.empty(lead + (n_q, n_k), dtype)
    _softmax_scores(qb, kb, scale, mask, weights.reshape(-1, n_q, n_k))
    out = weights @ v  # (..., n_q, n_k) @ (..., n_k, d_v) -> (..., n_q, d_v)
    return out, weights


def _softmax_scores(q, k, scale, mask, weights):
    """weights <- softmax(q kᵀ · scale) (−∞ where masked), in blocks of rows small enough for the cache,
    so that each block of scores is still there for its exponentials and division. Two or more
    blocks run on one thread per core (rows.run_blocks), each writing its own rows of the weights.
    Measured on 2 cores (benchmarks/attention.py, float32, d = 64, quiet runs before and after, with
    blocks of 2^20 scores on one thread before): (8, 8, 512) 151 → 120 ms, (1, 8, 4096) 1143 → 769 ms,
    (1, 1, 16384) 2494 → 1642 ms.

    The same steps, in the same order, as softmax(q @ kᵀ * scale) by hand, so the same bits.
    q: (heads, n_q, d_k)  k: (heads, n_k, d_k)  mask: (heads, n_q, n_k) or None  weights: (heads, n_q, n_k)"""
    heads, n_q, n_k = weights.shape
    kt = np.swapaxes(k, -1, -2)  # (heads, d_k, n_k), a view
    bq = int(min(n_q, max(1, SCORES_PER_BLOCK // max(n_k, 1))))  # queries per block
    hb = int(min(heads, max(1, SCORES_PER_BLOCK // max(bq * n_k, 1)))) if bq == n_q else 1  # heads per block

    def block(part):
        hs, qr = part  # slices: heads, queries
        out = weights[hs, qr]  # C-contiguous: whole rows of whole heads
        np.matmul(q[hs, qr], kt[hs], out=out)  # (hb, bq, d_k) @ (hb, d_k, n_k) -> (hb, bq, n_k)
        out *= scale
        if mask is not None:
            np.copyto(out, -np.inf, where=~mask[hs, qr])
        softmax_rows_inplace(out)

    blocks = [(slice(h, h + hb), slice(i, i + bq)) for h in range(0, heads, hb) for i in range(0, n_q, bq)]
    run_blocks(blocks, lambda: block)


def check_qkv(q, k, v):
    """q, k and v must fit together; returns their broadcast batch shape."""
    need_ndim(q, "q", 2, "(..., n_q, d_k)")
    need_ndim(k, "k", 2, "(..., n_k, d_k)")
    need_ndim(v, "v", 2, "(..., n_k, d_v)")
    if q.shape[-1] != k.shape[-1]:
        raise ValueError(
            f"q has shape {q.shape} but k has {k.shape}: q and k need the same d_k "
            f"(last axis), got {q.shape[-1]} and {k.shape[-1]}"
        )
    if k.shape[-2] != v.shape[-2]:
        raise ValueError(
            f"k has shape {k.shape} but v has {v.shape}: k and v need the same n_k "
            f"(one value per key), got {k.shape[-2]} and {v.shape[-2]}"
        )
    try:
        return np.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
    except ValueError:
        raise ValueError(
            f"the batch axes of q {q.shape}, k {k.shape} and v {v.shape} do not broadcast "
            f"(expected (..., n_q, d_k), (..., n_k, d_k), (..., n_k, d_v) with the same ...)"
        ) from None


def split_heads(x, h):
    """(..., n, d_model) -> (..., h, n, d_k)"""
    *lead, n, d_model = x.shape
    return np.swapaxes(x.reshape(*lead, n, h, d_model // h), -2, -3)


def merge_heads(x):
    """(..., h, n, d_k) -> (..., n, h * d_k)"""
    *lead, h, n, d_k = x.shape
    return np.swapaxes(x, -2, -3).reshape(*lead, n, h * d_k)


def multi_head_attention(x_q, x_kv, p, h, mask=None):
    """Multi-head attention as in the paper (and torch.nn.MultiheadAttention).

    x_q: (..., n_q, d_model) gives the queries; x_kv: (..., n_k, d_model) the
    keys and values (pass the same array twice for self-attention).
    p: AttentionParams; h: number of heads, d_k = d_model / h.
    mask: boolean, True = may attend, broadcastable to (..., n_q, n_k); the
    same mask is used by every head.
    returns (out, weights): (..., n_q, d_model) and (..., h, n_q, n_k).
    A query whose every key is masked gets zero weights; its attention result is
    zero, so its output row is just the output bias b_o.
    """
    return named_multi_head_attention(x_q, x_kv, p, h, mask, "mask")


def named_multi_head_attention(x_q, x_kv, p, h, mask, mask_name):
    """multi_head_attention, naming the mask as the caller does (self_mask, memory_mask)."""
    x_q, x_kv, w, mask = check_attention_inputs(x_q, x_kv, p, h, mask, mask_name)
    q = split_heads(linear(x_q, w["W_q"], w["b_q"]), h)  # (..., h, n_q, d_k)
    k = split_heads(linear(x_kv, w["W_k"], w["b_k"]), h)  # (..., h, n_k, d_k)
    v = split_heads(linear(x_kv, w["W_v"], w["b_v"]), h)  # (..., h, n_k, d_k)
    heads, weights = scaled_dot_product_attention(q, k, v, mask)  # (..., h, n_q, d_k)
    out = linear(merge_heads(heads), w["W_o"], w["b_o"])  # (..., n_q, d_model)
    return out, weights


def check_attention_inputs(x_q, x_kv, p, h, mask=None, mask_name="mask"):
    """multi-head attention's input, checked (for the forward and the backward alike).

    returns (x_q, x_kv, w, mask): float arrays, p's weights and biases by name as float arrays
    (a bias may be None), and the mask as (..., 1, n_q, n_k), the same for every head (or None)."""
    x_q = as_float_array(x_q, "x_q")
    x_kv = as_float_array(x_kv, "x_kv")
    d_model = _check_heads(x_q, x_kv, h)
    w = _check_attention_params(p, d_model)
    if mask is not None:
        try:
            batch = np.broadcast_shapes(x_q.shape[:-2], x_kv.shape[:-2])
        except ValueError:
            batch = x_q.shape[:-2]
        mask = check_mask(mask, batch + (x_q.shape[-2], x_kv.shape[-2]), "(..., n_q, n_k)", mask_name)
        mask = mask[..., None, :, :]  # the same mask for every head: (..., 1, n_q, n_k)
    return x_q, x_kv, w, mask


def _check_heads(x_q, x_kv, h):
    """x_q and x_kv must share d_model, and h must divide it; returns d_model."""
    need_ndim(x_q, "x_q", 2, "(..., n_q, d_model)")
    need_ndim(x_kv, "x_kv", 2, "(..., n_k, d_model)")
    d_model = x_q.shape[-1]
    if x_kv.shape[-1] != d_model:
        raise ValueError(
            f"x_q has shape {x_q.shape} but x_kv has {x_kv.shape}: both need the same "
            f"d_model (last axis), got {d_model} and {x_kv.shape[-1]}"
        )
    if not isinstance(h, (int, np.integer)) or isinstance(h, bool) or h < 1:
        raise ValueError(f"h must be a positive integer (the number of heads), got {h!r}")
    if d_model % h:
        raise ValueError(
            f"d_model = {d_model} is not divisible by h = {h}: each of the h heads "
            f"gets d_k = d_model / h features, so d_model must be a multiple of h"
        )
    return d_model


def _check_attention_params(p, d_model):
    """p's weights and biases as float arrays, by name, each checked against d_model."""
    if not isinstance(p, AttentionParams):
        raise ValueError(f"p must be an AttentionParams, got {type(p).__name__}")
    out = {}
    for name in ("W_q", "W_k", "W_v", "W_o"):
        W = as_float_array(getattr(p, name), f"p.{name}")
        check_weight(W, f"p.{name}", (d_model, d_model), "(d_model, d_model)")
        out[name] = W
    for name in ("b_q", "b_k", "b_v", "b_o"):
        b = getattr(p, name)
        if b is None:
            out[name] = None
            continue
        b = as_float_array(b, f"p.{name}")
        check_weight(b, f"p.{name}", (d_model,), "(d_model,)")
        out[name] = b
    return out
