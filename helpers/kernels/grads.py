"""The backward kernels of the small functions, the loss, and a gradient check.

Each `NAME_backward` takes what the forward took (or its output, for softmax) and dy, the
gradient of the loss with respect to the forward's output, and returns the gradient with
respect to each input: the chain rule, one kernel at a time, as lessons 11 and 12 derive it.
Gradients of parameters (W, b, gamma) are summed over every leading (batch) axis.
"""

from __future__ import annotations

import numpy as np

from .arrays import as_float_array, check_weight, need_ndim, result_dtype
from .basic import check_linear_inputs


def _same_shape(dy, name, like, like_name, dims):
    """dy must have the forward output's shape, which is `like`."""
    if dy.shape != tuple(like):
        raise ValueError(
            f"{name} has shape {dy.shape} but must have the shape of {like_name}, "
            f"{dims} = {tuple(like)}: one gradient entry per output entry"
        )


def softmax_backward(y, dy, axis=-1):
    """dx for y = softmax(x, axis), given y itself and dy = dL/dy.

    The softmax Jacobian is dy_i/dx_j = y_i (δ_ij − y_j), so
        dx = y * (dy − sum(dy * y, axis, keepdims=True)).
    Each row of dx sums to 0 (adding a constant to a row of x does not change y).
    """
    y = as_float_array(y, "y")
    dy = as_float_array(dy, "dy")
    if y.ndim == 0:
        raise ValueError("y must have at least one axis (the softmax output), got a scalar")
    _same_shape(dy, "dy", y.shape, "y (the softmax output)", "(..., n)")
    try:
        inner = np.sum(dy * y, axis=axis, keepdims=True)  # (..., 1): the row's dy·y
    except np.exceptions.AxisError:
        raise ValueError(f"axis={axis} is out of range for y with shape {y.shape}") from None
    return (y * (dy - inner)).astype(result_dtype(y, dy), copy=False)


def relu_backward(x, dy):
    """dx for relu(x): dy where x > 0, else 0 (also at x == 0, as PyTorch)."""
    x = as_float_array(x, "x")
    dy = as_float_array(dy, "dy")
    _same_shape(dy, "dy", x.shape, "x (relu keeps the shape)", "x.shape")
    return dy * (x > 0)


def linear_backward(x, W, dy):
    """Gradients of y = x @ W.T + b.

    x: (..., d_in)  W: (d_out, d_in)  dy: (..., d_out)
    returns (dx, dW, db): dx = dy @ W  (..., d_in); dW = dyᵀ x summed over the leading axes,
    (d_out, d_in) like W; db = dy summed over the leading axes, (d_out,). (The bias does not
    change any gradient, so it is not an argument; db is the gradient it would get.)
    """
    x, W = check_linear_inputs(x, W)
    dy = as_float_array(dy, "dy")
    _same_shape(dy, "dy", x.shape[:-1] + (W.shape[0],), "linear's output", "(..., d_out)")
    d_out, d_in = W.shape
    dy2 = dy.reshape(-1, d_out)  # (N, d_out), N = every leading axis together: one product, not one per row
    dx = (dy2 @ W).reshape(x.shape)  # (N, d_out) @ (d_out, d_in) -> (N, d_in) -> (..., d_in)
    dW = dy2.T @ x.reshape(-1, d_in)  # (d_out, N) @ (N, d_in) -> (d_out, d_in)
    db = dy2.sum(axis=0)  # (d_out,)
    return dx, dW, db


def layer_norm_backward(x, gamma, dy, eps=1e-5):
    """Gradients of layer_norm(x, gamma, beta, eps) over the last axis (biased variance).

    With x̂ = (x − mean) / σ, σ = √(var + eps), out = x̂ * gamma + beta and g = dy * gamma:
        dx = (g − mean(g) − x̂ * mean(g * x̂)) / σ      (means over the last axis)
        dgamma = sum of dy * x̂,  dbeta = sum of dy      (over every leading axis)
    x: (..., d_model)  gamma: (d_model,)  dy: (..., d_model)  ->  (dx, dgamma, dbeta)
    """
    x = as_float_array(x, "x")
    need_ndim(x, "x", 1, "(..., d_model)")
    d_model = x.shape[-1]
    gamma = as_float_array(gamma, "gamma")
    check_weight(gamma, "gamma", (d_model,), "(d_model,)")
    dy = as_float_array(dy, "dy")
    _same_shape(dy, "dy", x.shape, "layer_norm's output (x's shape)", "(..., d_model)")
    dtype = result_dtype(x, gamma, dy)
    centred = x - x.mean(axis=-1, keepdims=True)  # (..., d_model)
    inv_sigma = 1.0 / np.sqrt((centred**2).mean(axis=-1, keepdims=True) + eps)  # (..., 1)
    x_hat = centred * inv_sigma  # (..., d_model)
    g = dy * gamma  # dL/dx̂: (..., d_model)
    dx = (g - g.mean(axis=-1, keepdims=True) - x_hat * (g * x_hat).mean(axis=-1, keepdims=True)) * inv_sigma
    dgamma = (dy * x_hat).reshape(-1, d_model).sum(axis=0)  # (d_model,)
    dbeta = dy.reshape(-1, d_model).sum(axis=0)  # (d_model,)
    return dx.astype(dtype, copy=False), dgamma.astype(dtype, copy=False), dbeta.astype(dtype, copy=False)


def cross_entropy(logits, targets, ignore_index=None, label_smoothing=0.0):
    """The mean cross-entropy of softmax(logits) against target ids, and its gradient.

    logits: (..., vocab) floats; targets: (...) integer ids in 0..vocab-1 (or ignore_index).
    A token is counted unless its target equals ignore_index. With ε = label_smoothing the
    target distribution is t = (1 − ε)·one_hot(target) + ε/vocab, and per counted token
        loss = −sum(t * log_softmax(logits))
    (PyTorch's definition). Returns (loss, dlogits): loss is a Python float, the mean over the
    counted tokens, equal to torch.nn.functional.cross_entropy with the same options;
    dlogits = (softmax(logits) − t) / count, logits' shape, zero on ignored rows.
    If no token is counted, the loss is 0.0 and dlogits is all zeros (PyTorch gives nan):
    a batch of padding then teaches nothing instead of spoiling the weights.
    Stable for logits of ±1e4 (the row maximum is subtracted before exp).
    """
    logits = as_float_array(logits, "logits")
    need_ndim(logits, "logits", 1, "(..., vocab)")
    targets, counted = _check_targets(targets, logits.shape, ignore_index)
    if isinstance(label_smoothing, bool) or not 0.0 <= float(label_smoothing) <= 1.0:
        raise ValueError(f"label_smoothing must be a number from 0.0 to 1.0, got {label_smoothing!r}")
    vocab, eps = logits.shape[-1], float(label_smoothing)
    count = int(counted.sum())
    if count == 0:
        return 0.0, np.zeros_like(logits)
    shifted = logits - logits.max(axis=-1, keepdims=True)  # (..., vocab), every entry <= 0
    e = np.exp(shifted)
    total = e.sum(axis=-1, keepdims=True)  # (..., 1), at least 1
    log_p = shifted - np.log(total)  # log_softmax: (..., vocab)
    ids = np.where(counted, targets, 0)[..., None]  # (..., 1)
    nll = -np.take_along_axis(log_p, ids, axis=-1)[..., 0]  # (...)
    per_token = (1.0 - eps) * nll - eps * log_p.mean(axis=-1)  # (...)
    loss = float(per_token[counted].sum() / count)
    dlogits = e / total  # softmax: (..., vocab)
    dlogits -= eps / vocab
    np.put_along_axis(dlogits, ids, np.take_along_axis(dlogits, ids, axis=-1) - (1.0 - eps), axis=-1)
    dlogits *= counted[..., None] / count  # ignored rows -> 0; the mean -> / count
    return loss, dlogits.astype(logits.dtype, copy=False)


def _check_targets(targets, logits_shape, ignore_index):
    """targets as an int array of shape logits_shape[:-1], and the mask of counted tokens."""
    arr = np.asarray(targets)
    if arr.size == 0 and arr.dtype.kind == "f":
        arr = arr.astype(np.int64)
    if arr.dtype.kind not in "iu":
        raise ValueError(f"targets must be integer token ids, got dtype {arr.dtype} (shape {arr.shape})")
    if arr.shape != tuple(logits_shape[:-1]):
        raise ValueError(
            f"targets has shape {arr.shape} but logits has {tuple(logits_shape)}: targets must be (...) = "
            f"{tuple(logits_shape[:-1])}, one id per row of logits (..., vocab)"
        )
    if ignore_index is not None and (isinstance(ignore_index, bool) or not isinstance(ignore_index, (int, np.integer))):
        raise ValueError(f"ignore_index must be an integer id or None, got {ignore_index!r}")
    counted = np.ones(arr.shape, bool) if ignore_index is None else arr != ignore_index
    vocab = logits_shape[-1]
    bad = counted & ((arr < 0) | (arr >= vocab))
    if bad.any():
        raise ValueError(
            f"targets must lie in 0..vocab-1 = 0..{vocab - 1} (or equal ignore_index = {ignore_index}), "
            f"got {arr[bad].ravel()[0]}"
        )
    return arr, counted


def gradient_check(f, x, eps=1e-6):
    """How far an analytic gradient is from central finite differences: below 1e-6 means right.

    f(x) returns (value, grad): a scalar and the analytic gradient d value / d x, x's shape.
    For every element i of x, n_i = (f(x + eps·e_i) − f(x − eps·e_i)) / (2 eps), and with
    g = grad the result is the largest difference relative to the largest entry of either:
        max over i of |g_i − n_i|  /  max over j of max(|g_j|, |n_j|)      (0.0 if both are all 0)
    Entries that are exactly 0 on both sides (dead ReLUs) differ by 0, so a right gradient
    passes wherever its zeros are; finite differences carry rounding noise of about
    1e-16·|value|/eps per entry, far below 1e-6 of the largest entry. A wrong gradient does not
    pass: a missing factor of 2 gives 0.5, a transposed weight gradient or a forgotten bias
    gradient about 1, and a mistake in any single entry shows as its size relative to the largest.
    x is not modified: f is called on a float64 copy.
    """
    if isinstance(eps, bool) or not isinstance(eps, (int, float, np.floating)) or not eps > 0:
        raise ValueError(f"eps must be a small positive number (the finite-difference step), got {eps!r}")
    x0 = np.array(as_float_array(x, "x"), dtype=np.float64)  # always a copy
    _, grad = _value_and_grad(f, x0.copy(), x0.shape)
    work = x0.copy()
    flat, numeric = work.reshape(-1), np.empty(x0.size)
    for i in range(x0.size):
        flat[i] = x0.flat[i] + eps
        up = _value_and_grad(f, work, None)[0]
        flat[i] = x0.flat[i] - eps
        down = _value_and_grad(f, work, None)[0]
        flat[i] = x0.flat[i]
        numeric[i] = (up - down) / (2 * eps)
    g = grad.reshape(-1)
    scale = max(float(np.abs(g).max(initial=0.0)), float(np.abs(numeric).max(initial=0.0)))
    if scale == 0.0:
        return 0.0
    return float(np.abs(g - numeric).max() / scale)


def _value_and_grad(f, x, shape):
    """Call f(x); the value as a float, and the gradient (checked against `shape` unless None)."""
    out = f(x)
    if not (isinstance(out, tuple) and len(out) == 2):
        raise ValueError(f"f(x) must return (value, grad), got {type(out).__name__}")
    value, grad = out
    value_arr = np.asarray(value)
    if value_arr.size != 1 or value_arr.dtype.kind not in "biuf":
        raise ValueError(f"f(x)'s value must be a single number (the loss), got shape {value_arr.shape}")
    if shape is None:
        return float(value_arr), None
    grad = as_float_array(grad, "grad")
    if grad.shape != shape:
        raise ValueError(f"f(x)'s grad has shape {grad.shape} but must have x's shape {shape}")
    return float(value_arr), np.asarray(grad, dtype=np.float64)
