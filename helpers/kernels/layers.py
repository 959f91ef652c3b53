"""The layers of the model: post-norm encoder and decoder layers, as in the paper."""

from __future__ import annotations

from .arrays import as_float_array, need_ndim
from .attention import multi_head_attention, named_multi_head_attention
from .basic import causal_mask, ffn, layer_norm
from .params import DecoderLayerParams, EncoderLayerParams, FFNParams, LayerNormParams


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


def check_decoder_inputs(y, memory, p):
    """y, memory as float arrays and p a DecoderLayerParams, checked to fit (for the layer and its backward)."""
    if not isinstance(p, DecoderLayerParams):
        raise ValueError(f"p must be a DecoderLayerParams, got {type(p).__name__}")
    y = as_float_array(y, "y")
    memory = as_float_array(memory, "memory")
    need_ndim(y, "y", 2, "(..., n_q, d_model)")
    need_ndim(memory, "memory", 2, "(..., n_k, d_model)")
    if memory.shape[-1] != y.shape[-1]:
        raise ValueError(
            f"y has shape {y.shape} but memory has {memory.shape}: both need the same "
            f"d_model (last axis), got {y.shape[-1]} and {memory.shape[-1]}"
        )
    return y, memory


def decoder_layer(y, memory, p, h, self_mask=None, memory_mask=None):
    """One post-norm decoder layer.

    y = LN(y + MHA(y, y, causal)); y = LN(y + MHA(y, memory)); out = LN(y + FFN(y)).
    y: (..., n_q, d_model) the target so far; memory: (..., n_k, d_model) the encoder output.
    self_mask defaults to the causal mask; memory_mask (..., n_q, n_k) defaults to none.
    """
    y, memory = check_decoder_inputs(y, memory, p)
    if self_mask is None:
        self_mask = causal_mask(y.shape[-2])
    attn, _ = named_multi_head_attention(y, y, p.self_attn, h, self_mask, "self_mask")
    y = _ln(y + attn, p.norm1, "p.norm1")
    cross, _ = named_multi_head_attention(y, memory, p.cross_attn, h, memory_mask, "memory_mask")
    y = _ln(y + cross, p.norm2, "p.norm2")
    return _ln(y + ffn(y, *_ffn_params(p.ffn, "p.ffn")), p.norm3, "p.norm3")
