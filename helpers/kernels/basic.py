"""The small kernels: softmax, relu, linear, ffn, the causal mask, layer norm,
the positional encoding, embeddings and cosine similarity."""

from __future__ import annotations

import numpy as np

from .arrays import as_float_array, check_weight, need_ndim, result_dtype

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
    x, W = check_linear_inputs(x, W)
    if x.ndim > 2 and x.flags.c_contiguous:  # one 2-D product instead of one per batch item
        y = (x.reshape(-1, x.shape[-1]) @ W.T).reshape(x.shape[:-1] + (W.shape[0],))  # (N, d_in) @ (d_in, d_out)
    else:
        y = x @ W.T  # (..., d_in) @ (d_in, d_out) -> (..., d_out)
    if b is not None:
        b = as_float_array(b, "b")
        if b.shape != (W.shape[0],):
            raise ValueError(f"b must have shape (d_out,) = ({W.shape[0]},), got {b.shape}")
        y = y + b
    return y


def check_linear_inputs(x, W):
    """x (..., d_in) and W (d_out, d_in) as float arrays, checked to fit (for linear and its backward)."""
    x = as_float_array(x, "x")
    W = as_float_array(W, "W")
    if W.ndim != 2:
        raise ValueError(f"W must have shape (d_out, d_in), got shape {W.shape}")
    need_ndim(x, "x", 1, "(..., d_in)")
    if x.shape[-1] != W.shape[1]:
        raise ValueError(
            f"x has shape {x.shape} but W has {W.shape}: the last axis of x (d_in = "
            f"{x.shape[-1]}) must equal W's second axis (d_in = {W.shape[1]}); "
            f"W is stored as (d_out, d_in)"
        )
    return x, W


def ffn(x, W1, b1, W2, b2):
    """Position-wise feed-forward network: linear(relu(linear(x, W1, b1)), W2, b2).

    x: (..., d_model)  W1: (d_ff, d_model)  W2: (d_model, d_ff)  ->  (..., d_model)
    """
    x, W1, b1, W2, b2 = check_ffn_inputs(x, W1, b1, W2, b2)
    hidden = relu(linear(x, W1, b1))  # (..., d_ff)
    return linear(hidden, W2, b2)  # (..., d_model)


def check_ffn_inputs(x, W1, b1, W2, b2):
    """ffn's input as float arrays, checked (for the forward and the backward alike); a bias may be None."""
    x = as_float_array(x, "x")
    W1 = as_float_array(W1, "W1")
    W2 = as_float_array(W2, "W2")
    if W1.ndim != 2:
        raise ValueError(f"W1 must have shape (d_ff, d_model), got shape {W1.shape}")
    d_ff, d_model = W1.shape
    need_ndim(x, "x", 1, "(..., d_model)")
    if x.shape[-1] != d_model:
        raise ValueError(
            f"x has shape {x.shape} but W1 has {W1.shape}: W1 must be (d_ff, d_model) "
            f"with d_model = {x.shape[-1]}"
        )
    check_weight(W2, "W2", (d_model, d_ff), "(d_model, d_ff)")
    return x, W1, _bias(b1, "b1", W1, "W1"), W2, _bias(b2, "b2", W2, "W2")


def _bias(b, b_name, W, w_name):
    """b as a float array of shape (d_out,) for W (d_out, d_in), or None."""
    if b is None:
        return None
    b = as_float_array(b, b_name)
    if b.shape != (W.shape[0],):
        raise ValueError(f"{b_name} must have shape ({W.shape[0]},) to match {w_name} {W.shape}, got {b.shape}")
    return b


def causal_mask(n):
    """(n, n) boolean mask, True on and below the diagonal: token i sees tokens 0..i."""
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
        raise ValueError(f"n must be a positive integer (the number of tokens), got {n!r}")
    return np.tril(np.ones((n, n), dtype=bool))


# ---------------------------------------------------------------- normalisation, position, embedding


def layer_norm(x, gamma, beta, eps=1e-5):
    """Normalise each row to mean 0 and variance 1, then scale by gamma and shift by beta.

    Over the last axis, with the biased variance (divide by d_model), as torch.nn.LayerNorm.
    x: (..., d_model)  gamma, beta: (d_model,)
    """
    x = as_float_array(x, "x")
    need_ndim(x, "x", 1, "(..., d_model)")
    d_model = x.shape[-1]
    gamma = as_float_array(gamma, "gamma")
    beta = as_float_array(beta, "beta")
    check_weight(gamma, "gamma", (d_model,), "(d_model,)")
    check_weight(beta, "beta", (d_model,), "(d_model,)")
    mean = x.mean(axis=-1, keepdims=True)  # (..., 1)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)  # (..., 1)
    out = (x - mean) / np.sqrt(var + eps) * gamma + beta
    return out.astype(result_dtype(x, gamma, beta), copy=False)


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
    need_ndim(a, "a", 1, "(..., d)")
    need_ndim(b, "b", 1, "(..., d)")
    if a.shape[-1] != b.shape[-1]:
        raise ValueError(
            f"a has shape {a.shape} but b has {b.shape}: they need the same length d (last axis)"
        )
    dot = np.sum(a * b, axis=-1)
    norms = np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1)
    return np.divide(dot, norms, out=np.zeros_like(dot), where=norms > 0)
