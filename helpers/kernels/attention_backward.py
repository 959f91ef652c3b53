"""The backward of attention: scaled dot-product attention and multi-head attention.

Forward (attention.py): S = q kᵀ · scale (−∞ where masked), P = softmax(S), out = P v.
Backward, one product at a time, given dout = dL/dout:
    dv = Pᵀ dout        dP = dout vᵀ        dS = softmax_backward(P, dP) · scale
    dq = dS k           dk = dSᵀ q
A masked score has P = 0, so dS = 0 there; a query whose every key is masked has a zero row
of P and gets zero gradients, never NaN.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .arrays import as_float_array
from .attention import check_attention_inputs, merge_heads, scaled_dot_product_attention, split_heads
from .basic import linear
from .grads import linear_backward, softmax_backward
from .params import AttentionParams


def check_dout(dout, expected, dims):
    """dout as a float array, which must have the forward output's shape `expected`."""
    dout = as_float_array(dout, "dout")
    if dout.shape != tuple(expected):
        raise ValueError(
            f"dout has shape {dout.shape} but the forward's output has shape {dims} = {tuple(expected)}: "
            f"dout must have that shape (one gradient entry per output entry)"
        )
    return dout


def sum_to_shape(g, shape):
    """Sum a gradient over the axes that broadcasting added or stretched, back to `shape`."""
    if g.shape == tuple(shape):
        return g
    extra = g.ndim - len(shape)
    g = g.sum(axis=tuple(range(extra))) if extra else g
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    return g.sum(axis=stretched, keepdims=True) if stretched else g


def attention_grads(q, k, v, weights, dout, scale):
    """(dq, dk, dv) of out = weights @ v with weights = softmax(q kᵀ · scale), weights given.

    Each gradient has the broadcast batch shape of the forward (sum_to_shape brings it back)."""
    dv = np.swapaxes(weights, -1, -2) @ dout  # (..., n_k, n_q) @ (..., n_q, d_v) -> (..., n_k, d_v)
    dweights = dout @ np.swapaxes(v, -1, -2)  # (..., n_q, d_v) @ (..., d_v, n_k) -> (..., n_q, n_k)
    if dweights.shape != weights.shape:  # v had batch axes that q and k did not
        weights = np.broadcast_to(weights, dweights.shape)
    dscores = softmax_backward(weights, dweights)  # (..., n_q, n_k), 0 where masked
    dscores *= scale  # the scores were q kᵀ · scale
    dq = dscores @ k  # (..., n_q, n_k) @ (..., n_k, d_k) -> (..., n_q, d_k)
    dk = np.swapaxes(dscores, -1, -2) @ q  # (..., n_k, n_q) @ (..., n_q, d_k) -> (..., n_k, d_k)
    return dq, dk, dv


def scaled_dot_product_attention_backward(q, k, v, dout, mask=None, scale=None):
    """Gradients of scaled_dot_product_attention(q, k, v, mask, scale)'s output.

    q: (..., n_q, d_k)  k: (..., n_k, d_k)  v: (..., n_k, d_v)  dout: (..., n_q, d_v)
    mask: boolean, True = may attend, broadcastable to (..., n_q, n_k); scale defaults to 1/√d_k.
    returns (dq, dk, dv), each with its input's shape (summed over axes that were broadcast).
    The weights are recomputed from q, k and v. A query whose every key is masked gets a zero
    row in dq and adds nothing to dk and dv.
    """
    q, k, v = as_float_array(q, "q"), as_float_array(k, "k"), as_float_array(v, "v")
    out, weights = scaled_dot_product_attention(q, k, v, mask, scale)  # checks q, k, v and mask
    dout = check_dout(dout, out.shape, "(..., n_q, d_v)")
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else scale
    dq, dk, dv = attention_grads(q, k, v, weights, dout, scale)
    return sum_to_shape(dq, q.shape), sum_to_shape(dk, k.shape), sum_to_shape(dv, v.shape)


@dataclass
class SavedAttention:
    """What multi-head attention's backward needs from its forward (see attention_forward)."""

    x_q: np.ndarray  # (..., n_q, d_model)
    x_kv: np.ndarray  # (..., n_k, d_model)
    w: dict  # the weights and biases by name, as float arrays (a bias may be None)
    q: np.ndarray  # (..., h, n_q, d_k)
    k: np.ndarray  # (..., h, n_k, d_k)
    v: np.ndarray  # (..., h, n_k, d_k)
    weights: np.ndarray  # (..., h, n_q, n_k)
    merged: np.ndarray  # (..., n_q, d_model), the heads side by side, the input of W_o


def attention_forward(x_q, x_kv, p, h, mask=None, mask_name="mask"):
    """multi_head_attention's output, and what its backward needs: returns (out, SavedAttention).

    Checks its input as multi_head_attention does, naming the mask `mask_name`."""
    x_q, x_kv, w, mask = check_attention_inputs(x_q, x_kv, p, h, mask, mask_name)
    q = split_heads(linear(x_q, w["W_q"], w["b_q"]), h)  # (..., h, n_q, d_k)
    k = split_heads(linear(x_kv, w["W_k"], w["b_k"]), h)  # (..., h, n_k, d_k)
    v = split_heads(linear(x_kv, w["W_v"], w["b_v"]), h)  # (..., h, n_k, d_k)
    heads, weights = scaled_dot_product_attention(q, k, v, mask)  # (..., h, n_q, d_k)
    merged = merge_heads(heads)  # (..., n_q, d_model)
    out = linear(merged, w["W_o"], w["b_o"])  # (..., n_q, d_model)
    return out, SavedAttention(x_q, x_kv, w, q, k, v, weights, merged)


def attention_backward(s, dout):
    """The gradients of attention_forward's output, from its SavedAttention s and dout.

    returns (dx_q, dx_kv, AttentionParams of gradients); a bias that is None gets None."""
    w, d_model, h = s.w, s.x_q.shape[-1], s.q.shape[-3]
    dmerged, dW_o, db_o = linear_backward(s.merged, w["W_o"], dout)  # (..., n_q, d_model)
    dq, dk, dv = attention_grads(s.q, s.k, s.v, s.weights, split_heads(dmerged, h), 1.0 / math.sqrt(d_model // h))
    dQ = sum_to_shape(merge_heads(dq), s.x_q.shape)  # (..., n_q, d_model)
    dK = sum_to_shape(merge_heads(dk), s.x_kv.shape)  # (..., n_k, d_model)
    dV = sum_to_shape(merge_heads(dv), s.x_kv.shape)  # (..., n_k, d_model)
    dx_q, dW_q, db_q = linear_backward(s.x_q, w["W_q"], dQ)
    dx_k, dW_k, db_k = linear_backward(s.x_kv, w["W_k"], dK)
    dx_v, dW_v, db_v = linear_backward(s.x_kv, w["W_v"], dV)
    biases = [None if w[name] is None else g for name, g in
              (("b_q", db_q), ("b_k", db_k), ("b_v", db_v), ("b_o", db_o))]
    grads = AttentionParams(dW_q, biases[0], dW_k, biases[1], dW_v, biases[2], dW_o, biases[3])
    return dx_q, dx_k + dx_v, grads


def multi_head_attention_backward(x_q, x_kv, p, h, dout, mask=None):
    """Gradients of multi_head_attention(x_q, x_kv, p, h, mask)'s output.

    x_q: (..., n_q, d_model)  x_kv: (..., n_k, d_model)  dout: (..., n_q, d_model)
    returns (dx_q, dx_kv, grads): dx_q and dx_kv with their inputs' shapes, and grads an
    AttentionParams (each dW (d_model, d_model), each db (d_model,), summed over the batch);
    a bias that is None in p gets None in grads.
    For self-attention the forward takes x twice, so x's gradient is the sum dx_q + dx_kv.
    The forward is recomputed from the inputs.
    """
    out, saved = attention_forward(x_q, x_kv, p, h, mask)
    return attention_backward(saved, check_dout(dout, out.shape, "(..., n_q, d_model)"))
