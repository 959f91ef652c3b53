"""The backward of the FFN and of the post-norm encoder and decoder layers.

Each function recomputes its forward from its inputs, keeping what the backward needs, then
runs the chain rule from the last step to the first, with the small kernels' backward
functions. A residual connection x + f(x) passes its gradient both ways: to x directly and
through f, and the two are added.
"""

from __future__ import annotations

from .arrays import as_float_array
from .attention_backward import attention_backward, attention_forward, check_dout, sum_to_shape
from .basic import causal_mask, check_ffn_inputs, layer_norm, linear, relu
from .grads import layer_norm_backward, linear_backward, relu_backward
from .layers import check_decoder_inputs
from .params import DecoderLayerParams, EncoderLayerParams, FFNParams, LayerNormParams


def ffn_backward(x, W1, b1, W2, b2, dout):
    """Gradients of ffn(x, W1, b1, W2, b2) = linear(relu(linear(x, W1, b1)), W2, b2).

    x: (..., d_model)  W1: (d_ff, d_model)  W2: (d_model, d_ff)  dout: (..., d_model)
    returns (dx, FFNParams(dW1, db1, dW2, db2)), the parameter gradients summed over the
    batch; a bias that is None gets None.
    """
    out, saved = _ffn_forward(x, W1, b1, W2, b2)
    return _ffn_backward(saved, check_dout(dout, out.shape, "(..., d_model)"))


def _ffn_forward(x, W1, b1, W2, b2):
    """ffn's output and what its backward needs, with ffn's checks."""
    x, W1, b1, W2, b2 = check_ffn_inputs(x, W1, b1, W2, b2)
    pre = linear(x, W1, b1)  # (..., d_ff), before the ReLU
    hidden = relu(pre)  # (..., d_ff)
    return linear(hidden, W2, b2), (x, W1, W2, b1 is None, b2 is None, pre, hidden)


def _ffn_backward(saved, dout):
    x, W1, W2, no_b1, no_b2, pre, hidden = saved
    dhidden, dW2, db2 = linear_backward(hidden, W2, dout)  # (..., d_ff)
    dpre = relu_backward(pre, dhidden)  # (..., d_ff): 0 where the ReLU was off
    dx, dW1, db1 = linear_backward(x, W1, dpre)  # (..., d_model)
    return dx, FFNParams(dW1, None if no_b1 else db1, dW2, None if no_b2 else db2)


def _check_ffn_params(p, name):
    if not isinstance(p, FFNParams):
        raise ValueError(f"{name} must be an FFNParams, got {type(p).__name__}")
    return p.W1, p.b1, p.W2, p.b2


def _check_norm(p, name):
    if not isinstance(p, LayerNormParams):
        raise ValueError(f"{name} must be a LayerNormParams, got {type(p).__name__}")
    return p


def _add_norm_backward(s, norm, dout):
    """Backward of out = LN(s): (ds, LayerNormParams of gradients)."""
    ds, dgamma, dbeta = layer_norm_backward(s, norm.gamma, dout)
    return ds, LayerNormParams(dgamma, dbeta)


def encoder_layer_backward(x, p, h, dout, mask=None):
    """Gradients of encoder_layer(x, p, h, mask)'s output.

    Forward: s1 = x + MHA(x, x); x1 = LN1(s1); s2 = x1 + FFN(x1); out = LN2(s2).
    x: (..., n, d_model)  dout: (..., n, d_model)  mask: True = may attend, (..., n, n)
    returns (dx, EncoderLayerParams of gradients), summed over the batch.
    """
    if not isinstance(p, EncoderLayerParams):
        raise ValueError(f"p must be an EncoderLayerParams, got {type(p).__name__}")
    x = as_float_array(x, "x")
    n1, n2 = _check_norm(p.norm1, "p.norm1"), _check_norm(p.norm2, "p.norm2")
    attn, saved_attn = attention_forward(x, x, p.self_attn, h, mask)
    s1 = x + attn  # (..., n, d_model)
    x1 = layer_norm(s1, n1.gamma, n1.beta)
    f, saved_ffn = _ffn_forward(x1, *_check_ffn_params(p.ffn, "p.ffn"))
    s2 = x1 + f  # (..., n, d_model)
    dout = check_dout(dout, s2.shape, "(..., n, d_model)")
    ds2, g_norm2 = _add_norm_backward(s2, n2, dout)
    dx1, g_ffn = _ffn_backward(saved_ffn, ds2)
    ds1, g_norm1 = _add_norm_backward(s1, n1, dx1 + ds2)  # the residual: through the FFN and around it
    dx_q, dx_kv, g_attn = attention_backward(saved_attn, ds1)
    dx = sum_to_shape(ds1, x.shape) + dx_q + dx_kv  # around the attention, as its queries, as its keys/values
    return dx, EncoderLayerParams(g_attn, g_ffn, g_norm1, g_norm2)


def decoder_layer_backward(y, memory, p, h, dout, self_mask=None, memory_mask=None):
    """Gradients of decoder_layer(y, memory, p, h, self_mask, memory_mask)'s output.

    Forward: s1 = y + MHA(y, y, causal); y1 = LN1(s1); s2 = y1 + MHA(y1, memory); y2 = LN2(s2);
    s3 = y2 + FFN(y2); out = LN3(s3). self_mask defaults to the causal mask, as the forward.
    y: (..., n_q, d_model)  memory: (..., n_k, d_model)  dout: (..., n_q, d_model)
    returns (dy, dmemory, DecoderLayerParams of gradients), summed over the batch.
    """
    y, memory = check_decoder_inputs(y, memory, p)
    norms = [_check_norm(getattr(p, f"norm{i}"), f"p.norm{i}") for i in (1, 2, 3)]
    if self_mask is None:
        self_mask = causal_mask(y.shape[-2])
    attn, saved_self = attention_forward(y, y, p.self_attn, h, self_mask, "self_mask")
    s1 = y + attn  # (..., n_q, d_model)
    y1 = layer_norm(s1, norms[0].gamma, norms[0].beta)
    cross, saved_cross = attention_forward(y1, memory, p.cross_attn, h, memory_mask, "memory_mask")
    s2 = y1 + cross
    y2 = layer_norm(s2, norms[1].gamma, norms[1].beta)
    f, saved_ffn = _ffn_forward(y2, *_check_ffn_params(p.ffn, "p.ffn"))
    s3 = y2 + f
    dout = check_dout(dout, s3.shape, "(..., n_q, d_model)")
    ds3, g_norm3 = _add_norm_backward(s3, norms[2], dout)
    dy2, g_ffn = _ffn_backward(saved_ffn, ds3)
    ds2, g_norm2 = _add_norm_backward(s2, norms[1], sum_to_shape(ds3, y2.shape) + dy2)
    dy1, dmemory, g_cross = attention_backward(saved_cross, ds2)
    ds1, g_norm1 = _add_norm_backward(s1, norms[0], sum_to_shape(ds2, y1.shape) + dy1)
    dy_q, dy_kv, g_self = attention_backward(saved_self, ds1)
    dy = sum_to_shape(ds1, y.shape) + dy_q + dy_kv
    return dy, dmemory, DecoderLayerParams(g_self, g_cross, g_ffn, g_norm1, g_norm2, g_norm3)
