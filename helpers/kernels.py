"""The numpy kernels of a transformer, one small function each.

Conventions (see DESIGN.md):
- tokens are rows: a sequence is (n, d_model); leading axes are a batch;
- weights are stored like torch.nn.Linear, (d_out, d_in), applied as x @ W.T + b;
- masks are boolean, True = may attend, broadcastable to (..., n_q, n_k);
- integers in, floats out; float32 in, float32 out.

Every function checks its input and raises a ValueError that names the
argument, the expected shape in dimension names, and what arrived.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# ---------------------------------------------------------------- input checks


def as_float_array(x, name):
    """Turn x (array, list, number) into a float array, or explain why not.

    Integer and boolean input becomes float64; float32 and float64 are kept.
    """
    try:
        arr = np.asarray(x)
    except (ValueError, TypeError) as err:  # ragged nested lists
        raise ValueError(
            f"{name} must be a rectangular array of numbers, "
            f"but numpy could not read it as one ({err})"
        ) from None
    if arr.dtype.kind not in "biuf":
        raise ValueError(
            f"{name} must contain numbers, got an array of dtype {arr.dtype} "
            f"(shape {arr.shape}); did a string or None slip in?"
        )
    if arr.dtype.kind == "f" and arr.dtype.itemsize >= 4:
        return arr
    if arr.dtype.kind == "f":  # float16 -> float32
        return arr.astype(np.float32)
    return arr.astype(np.float64)


def _need_ndim(arr, name, ndim, dims):
    if arr.ndim < ndim:
        raise ValueError(
            f"{name} must have shape {dims}, got shape {arr.shape} "
            f"({arr.ndim} axes, at least {ndim} needed)"
        )


def _check_weight(W, name, expected, dims):
    """W must be exactly `expected`; dims spells it in dimension names."""
    if W.shape != tuple(expected):
        raise ValueError(
            f"{name} must have shape {dims} = {tuple(expected)}, got {W.shape}"
        )


def _result_dtype(*arrays):
    return np.result_type(*arrays)


# ---------------------------------------------------------------- elementwise


def softmax(x, axis=-1):
    """Numerically stable softmax along `axis`.

    Subtracting the row maximum keeps exp() from overflowing, so logits of
    +-1e4 are fine. A row that is entirely -inf (every position masked)
    gives zeros instead of NaN.
    """
    x = as_float_array(x, "x")
    if x.ndim == 0:
        raise ValueError("x must have at least one axis to take a softmax over, got a scalar")
    try:
        m = np.max(x, axis=axis, keepdims=True)
    except np.exceptions.AxisError:
        raise ValueError(f"axis={axis} is out of range for x with shape {x.shape}") from None
    m = np.where(np.isfinite(m), m, 0.0).astype(x.dtype)
    e = np.exp(x - m)
    s = np.sum(e, axis=axis, keepdims=True)
    return np.divide(e, s, out=np.zeros_like(e), where=s > 0)


def relu(x):
    """max(x, 0), elementwise. Integer input stays integer."""
    arr = np.asarray(x)
    if arr.dtype.kind not in "biuf":
        as_float_array(x, "x")  # raises the usual message
    return np.maximum(arr, 0)


# ---------------------------------------------------------------- layers


def linear(x, W, b=None):
    """x @ W.T + b, with W stored as (d_out, d_in) like torch.nn.Linear.

    x: (..., d_in)  W: (d_out, d_in)  b: (d_out,)  ->  (..., d_out)
    """
    x = as_float_array(x, "x")
    W = as_float_array(W, "W")
    if W.ndim != 2:
        raise ValueError(f"W must have shape (d_out, d_in), got shape {W.shape}")
    _need_ndim(x, "x", 1, "(..., d_in)")
    if x.shape[-1] != W.shape[1]:
        raise ValueError(
            f"x has shape {x.shape} but W has {W.shape}: the last axis of x (d_in = "
            f"{x.shape[-1]}) must equal W's second axis (d_in = {W.shape[1]}); "
            f"W is stored as (d_out, d_in)"
        )
    y = x @ W.T  # (..., d_in) @ (d_in, d_out) -> (..., d_out)
    if b is not None:
        b = as_float_array(b, "b")
        if b.shape != (W.shape[0],):
            raise ValueError(f"b must have shape (d_out,) = ({W.shape[0]},), got {b.shape}")
        y = y + b
    return y


def ffn(x, W1, b1, W2, b2):
    """Position-wise feed-forward network: linear(relu(linear(x, W1, b1)), W2, b2).

    x: (..., d_model)  W1: (d_ff, d_model)  W2: (d_model, d_ff)  ->  (..., d_model)
    """
    x = as_float_array(x, "x")
    W1 = as_float_array(W1, "W1")
    W2 = as_float_array(W2, "W2")
    if W1.ndim != 2:
        raise ValueError(f"W1 must have shape (d_ff, d_model), got shape {W1.shape}")
    d_ff, d_model = W1.shape
    _need_ndim(x, "x", 1, "(..., d_model)")
    if x.shape[-1] != d_model:
        raise ValueError(
            f"x has shape {x.shape} but W1 has {W1.shape}: W1 must be (d_ff, d_model) "
            f"with d_model = {x.shape[-1]}"
        )
    _check_weight(W2, "W2", (d_model, d_ff), "(d_model, d_ff)")
    hidden = relu(_named_linear(x, W1, b1, "W1", "b1"))  # (..., d_ff)
    return _named_linear(hidden, W2, b2, "W2", "b2")  # (..., d_model)


def _named_linear(x, W, b, w_name, b_name):
    """linear() with the caller's argument names in the error messages."""
    if b is not None:
        b = as_float_array(b, b_name)
        if b.shape != (W.shape[0],):
            raise ValueError(
                f"{b_name} must have shape ({W.shape[0]},) to match {w_name} {W.shape}, got {b.shape}"
            )
    return linear(x, W, b)


# ---------------------------------------------------------------- attention


def causal_mask(n):
    """(n, n) boolean mask, True on and below the diagonal: token i sees tokens 0..i."""
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
        raise ValueError(f"n must be a positive integer (the number of tokens), got {n!r}")
    return np.tril(np.ones((n, n), dtype=bool))


def _check_mask(mask, target_shape, dims, name="mask"):
    mask = np.asarray(mask)
    if mask.dtype != bool:
        raise ValueError(
            f"{name} must be boolean (True = may attend), got dtype {mask.dtype}; "
            f"for a 0/1 array use {name}.astype(bool)"
        )
    try:
        shape = np.broadcast_shapes(mask.shape, target_shape)
    except ValueError:
        shape = None
    if shape != tuple(target_shape):
        raise ValueError(
            f"{name} has shape {mask.shape}, which does not broadcast to the scores' "
            f"shape {dims} = {tuple(target_shape)}"
        )
    return mask


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
    _need_ndim(q, "q", 2, "(..., n_q, d_k)")
    _need_ndim(k, "k", 2, "(..., n_k, d_k)")
    _need_ndim(v, "v", 2, "(..., n_k, d_v)")
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
        batch = np.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
    except ValueError:
        raise ValueError(
            f"the batch axes of q {q.shape}, k {k.shape} and v {v.shape} do not broadcast "
            f"(expected (..., n_q, d_k), (..., n_k, d_k), (..., n_k, d_v) with the same ...)"
        ) from None
    d_k = q.shape[-1]
    if scale is None:
        scale = 1.0 / math.sqrt(d_k)
    dtype = _result_dtype(q, k, v)
    scores = (q @ np.swapaxes(k, -1, -2)) * scale  # (..., n_q, d_k) @ (..., d_k, n_k) -> (..., n_q, n_k)
    scores = scores.astype(dtype, copy=False)
    if mask is not None:
        scores_shape = batch + (q.shape[-2], k.shape[-2])
        mask = _check_mask(mask, scores_shape, "(..., n_q, n_k)")
        scores = np.where(mask, scores, -np.inf)
    weights = softmax(scores, axis=-1).astype(dtype, copy=False)  # (..., n_q, n_k)
    out = weights @ v  # (..., n_q, n_k) @ (..., n_k, d_v) -> (..., n_q, d_v)
    return out, weights


@dataclass
class AttentionParams:
    """Weights of one multi-head attention block; every W is (d_model, d_model)."""

    W_q: np.ndarray
    b_q: np.ndarray
    W_k: np.ndarray
    b_k: np.ndarray
    W_v: np.ndarray
    b_v: np.ndarray
    W_o: np.ndarray
    b_o: np.ndarray


@dataclass
class FFNParams:
    """W1: (d_ff, d_model), b1: (d_ff,), W2: (d_model, d_ff), b2: (d_model,)."""

    W1: np.ndarray
    b1: np.ndarray
    W2: np.ndarray
    b2: np.ndarray


@dataclass
class LayerNormParams:
    """gamma and beta: (d_model,) each."""

    gamma: np.ndarray
    beta: np.ndarray


@dataclass
class EncoderLayerParams:
    self_attn: AttentionParams
    ffn: FFNParams
    norm1: LayerNormParams
    norm2: LayerNormParams


@dataclass
class DecoderLayerParams:
    self_attn: AttentionParams
    cross_attn: AttentionParams
    ffn: FFNParams
    norm1: LayerNormParams
    norm2: LayerNormParams
    norm3: LayerNormParams


def _uniform(rng, shape, limit):
    return rng.uniform(-limit, limit, size=shape)


def init_attention(d_model, rng):
    """Random AttentionParams (Xavier-uniform weights, small random biases)."""
    lim = math.sqrt(6.0 / (2 * d_model))
    W = lambda: _uniform(rng, (d_model, d_model), lim)  # noqa: E731
    b = lambda: _uniform(rng, (d_model,), 0.1)  # noqa: E731
    return AttentionParams(W(), b(), W(), b(), W(), b(), W(), b())


def init_ffn(d_model, d_ff, rng):
    """Random FFNParams, initialised as torch.nn.Linear does (uniform ±1/√d_in)."""
    l1, l2 = 1 / math.sqrt(d_model), 1 / math.sqrt(d_ff)
    return FFNParams(
        _uniform(rng, (d_ff, d_model), l1),
        _uniform(rng, (d_ff,), l1),
        _uniform(rng, (d_model, d_ff), l2),
        _uniform(rng, (d_model,), l2),
    )


def init_layer_norm(d_model, rng=None):
    """LayerNormParams: gamma = 1 and beta = 0, or random near that when rng is given."""
    if rng is None:
        return LayerNormParams(np.ones(d_model), np.zeros(d_model))
    return LayerNormParams(1 + _uniform(rng, (d_model,), 0.1), _uniform(rng, (d_model,), 0.1))


def init_encoder_layer(d_model, d_ff, rng):
    return EncoderLayerParams(
        init_attention(d_model, rng),
        init_ffn(d_model, d_ff, rng),
        init_layer_norm(d_model, rng),
        init_layer_norm(d_model, rng),
    )


def init_decoder_layer(d_model, d_ff, rng):
    return DecoderLayerParams(
        init_attention(d_model, rng),
        init_attention(d_model, rng),
        init_ffn(d_model, d_ff, rng),
        init_layer_norm(d_model, rng),
        init_layer_norm(d_model, rng),
        init_layer_norm(d_model, rng),
    )


def _check_attention_params(p, d_model):
    if not isinstance(p, AttentionParams):
        raise ValueError(f"p must be an AttentionParams, got {type(p).__name__}")
    out = {}
    for name in ("W_q", "W_k", "W_v", "W_o"):
        W = as_float_array(getattr(p, name), f"p.{name}")
        _check_weight(W, f"p.{name}", (d_model, d_model), "(d_model, d_model)")
        out[name] = W
    for name in ("b_q", "b_k", "b_v", "b_o"):
        b = getattr(p, name)
        if b is None:
            out[name] = None
            continue
        b = as_float_array(b, f"p.{name}")
        _check_weight(b, f"p.{name}", (d_model,), "(d_model,)")
        out[name] = b
    return out


def _split_heads(x, h):
    """(..., n, d_model) -> (..., h, n, d_k)"""
    *lead, n, d_model = x.shape
    return np.swapaxes(x.reshape(*lead, n, h, d_model // h), -2, -3)


def _merge_heads(x):
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
    return _mha(x_q, x_kv, p, h, mask, "mask")


def _mha(x_q, x_kv, p, h, mask, mask_name):
    """multi_head_attention, naming the mask as the caller does (self_mask, memory_mask)."""
    x_q = as_float_array(x_q, "x_q")
    x_kv = as_float_array(x_kv, "x_kv")
    _need_ndim(x_q, "x_q", 2, "(..., n_q, d_model)")
    _need_ndim(x_kv, "x_kv", 2, "(..., n_k, d_model)")
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
    w = _check_attention_params(p, d_model)
    if mask is not None:
        try:
            batch = np.broadcast_shapes(x_q.shape[:-2], x_kv.shape[:-2])
        except ValueError:
            batch = x_q.shape[:-2]
        mask = _check_mask(mask, batch + (x_q.shape[-2], x_kv.shape[-2]), "(..., n_q, n_k)", mask_name)
        mask = mask[..., None, :, :]  # the same mask for every head: (..., 1, n_q, n_k)
    q = _split_heads(linear(x_q, w["W_q"], w["b_q"]), h)  # (..., h, n_q, d_k)
    k = _split_heads(linear(x_kv, w["W_k"], w["b_k"]), h)  # (..., h, n_k, d_k)
    v = _split_heads(linear(x_kv, w["W_v"], w["b_v"]), h)  # (..., h, n_k, d_k)
    heads, weights = scaled_dot_product_attention(q, k, v, mask)  # (..., h, n_q, d_k)
    out = linear(_merge_heads(heads), w["W_o"], w["b_o"])  # (..., n_q, d_model)
    return out, weights


# ---------------------------------------------------------------- normalisation, position, embedding


def layer_norm(x, gamma, beta, eps=1e-5):
    """Normalise each row to mean 0 and variance 1, then scale by gamma and shift by beta.

    Over the last axis, with the biased variance (divide by d_model), as torch.nn.LayerNorm.
    x: (..., d_model)  gamma, beta: (d_model,)
    """
    x = as_float_array(x, "x")
    _need_ndim(x, "x", 1, "(..., d_model)")
    d_model = x.shape[-1]
    gamma = as_float_array(gamma, "gamma")
    beta = as_float_array(beta, "beta")
    _check_weight(gamma, "gamma", (d_model,), "(d_model,)")
    _check_weight(beta, "beta", (d_model,), "(d_model,)")
    mean = x.mean(axis=-1, keepdims=True)  # (..., 1)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)  # (..., 1)
    out = (x - mean) / np.sqrt(var + eps) * gamma + beta
    return out.astype(_result_dtype(x, gamma, beta), copy=False)


def positional_encoding(n, d_model):
    """The paper's sinusoidal encoding, (n, d_model).

    PE[pos, 2i] = sin(pos / 10000^(2i/d_model)),  PE[pos, 2i+1] = cos(pos / 10000^(2i/d_model)).
    """
    for name, val in (("n", n), ("d_model", d_model)):
        if not isinstance(val, (int, np.integer)) or isinstance(val, bool) or val < 1:
            raise ValueError(f"{name} must be a positive integer, got {val!r}")
    pos = np.arange(n)[:, None]  # (n, 1)
    two_i = np.arange(0, d_model, 2)  # the even feature indices 2i
    angle = pos / 10000.0 ** (two_i / d_model)  # (n, ceil(d_model / 2))
    pe = np.zeros((n, d_model))
    pe[:, 0::2] = np.sin(angle)
    pe[:, 1::2] = np.cos(angle[:, : d_model // 2])
    return pe


def one_hot(ids, vocab):
    """(..., vocab) integer array with a single 1 per row, at each id."""
    ids_arr = np.asarray(ids)
    if ids_arr.size == 0:
        ids_arr = ids_arr.astype(np.int64)
    if ids_arr.dtype.kind not in "iu":
        raise ValueError(f"ids must be integers (token ids), got dtype {ids_arr.dtype}")
    if not isinstance(vocab, (int, np.integer)) or vocab < 1:
        raise ValueError(f"vocab must be a positive integer, got {vocab!r}")
    if ids_arr.size and (ids_arr.min() < 0 or ids_arr.max() >= vocab):
        raise ValueError(
            f"ids must lie in 0..vocab-1 = 0..{vocab - 1}, got values from "
            f"{ids_arr.min()} to {ids_arr.max()}"
        )
    return (ids_arr[..., None] == np.arange(vocab)).astype(np.int64)


def embed(ids, E):
    """Look up rows of the embedding matrix E (vocab, d_model): the same as one_hot(ids) @ E."""
    E = as_float_array(E, "E")
    if E.ndim != 2:
        raise ValueError(f"E must have shape (vocab, d_model), got {E.shape}")
    one_hot(ids, E.shape[0])  # validates ids against vocab
    return E[np.asarray(ids)]


def cosine_similarity(a, b):
    """a·b / (|a| |b|) over the last axis; 0 where either vector is all zeros."""
    a = as_float_array(a, "a")
    b = as_float_array(b, "b")
    _need_ndim(a, "a", 1, "(..., d)")
    _need_ndim(b, "b", 1, "(..., d)")
    if a.shape[-1] != b.shape[-1]:
        raise ValueError(
            f"a has shape {a.shape} but b has {b.shape}: they need the same length d (last axis)"
        )
    dot = np.sum(a * b, axis=-1)
    norms = np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1)
    return np.divide(dot, norms, out=np.zeros_like(dot), where=norms > 0)


# ---------------------------------------------------------------- layers of the model


def _ffn_params(p, name):
    if not isinstance(p, FFNParams):
        raise ValueError(f"{name} must be an FFNParams, got {type(p).__name__}")
    return p.W1, p.b1, p.W2, p.b2


def _ln(x, p, name):
    if not isinstance(p, LayerNormParams):
        raise ValueError(f"{name} must be a LayerNormParams, got {type(p).__name__}")
    return layer_norm(x, p.gamma, p.beta)


def encoder_layer(x, p, h, mask=None):
    """One post-norm encoder layer: x = LN(x + MHA(x)); out = LN(x + FFN(x)).

    x: (..., n, d_model)  p: EncoderLayerParams  mask: True = may attend, (..., n, n)
    """
    if not isinstance(p, EncoderLayerParams):
        raise ValueError(f"p must be an EncoderLayerParams, got {type(p).__name__}")
    x = as_float_array(x, "x")
    attn, _ = multi_head_attention(x, x, p.self_attn, h, mask)
    x = _ln(x + attn, p.norm1, "p.norm1")  # (..., n, d_model)
    return _ln(x + ffn(x, *_ffn_params(p.ffn, "p.ffn")), p.norm2, "p.norm2")


def decoder_layer(y, memory, p, h, self_mask=None, memory_mask=None):
    """One post-norm decoder layer.

    y = LN(y + MHA(y, y, causal)); y = LN(y + MHA(y, memory)); out = LN(y + FFN(y)).
    y: (..., n_q, d_model) the target so far; memory: (..., n_k, d_model) the encoder output.
    self_mask defaults to the causal mask; memory_mask (..., n_q, n_k) defaults to none.
    """
    if not isinstance(p, DecoderLayerParams):
        raise ValueError(f"p must be a DecoderLayerParams, got {type(p).__name__}")
    y = as_float_array(y, "y")
    memory = as_float_array(memory, "memory")
    _need_ndim(y, "y", 2, "(..., n_q, d_model)")
    _need_ndim(memory, "memory", 2, "(..., n_k, d_model)")
    if memory.shape[-1] != y.shape[-1]:
        raise ValueError(
            f"y has shape {y.shape} but memory has {memory.shape}: both need the same "
            f"d_model (last axis), got {y.shape[-1]} and {memory.shape[-1]}"
        )
    if self_mask is None:
        self_mask = causal_mask(y.shape[-2])
    attn, _ = _mha(y, y, p.self_attn, h, self_mask, "self_mask")
    y = _ln(y + attn, p.norm1, "p.norm1")
    cross, _ = _mha(y, memory, p.cross_attn, h, memory_mask, "memory_mask")
    y = _ln(y + cross, p.norm2, "p.norm2")
    return _ln(y + ffn(y, *_ffn_params(p.ffn, "p.ffn")), p.norm3, "p.norm3")
