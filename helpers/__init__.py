"""Transformers by Hand: the shared package behind the lessons.

`import helpers` loads numpy only. Drawing (helpers.display) imports
matplotlib, and the widgets (helpers.widgets) import ipywidgets, when used.
"""

from .kernels import (
    AttentionParams,
    DecoderLayerParams,
    EncoderLayerParams,
    FFNParams,
    LayerNormParams,
    causal_mask,
    cosine_similarity,
    cross_entropy,
    decoder_layer,
    decoder_layer_backward,
    embed,
    encoder_layer,
    encoder_layer_backward,
    ffn,
    ffn_backward,
    flash_attention,
    gradient_check,
    init_attention,
    init_decoder_layer,
    init_encoder_layer,
    init_ffn,
    init_layer_norm,
    layer_norm,
    layer_norm_backward,
    linear,
    linear_backward,
    multi_head_attention,
    multi_head_attention_backward,
    one_hot,
    positional_encoding,
    relu,
    relu_backward,
    scaled_dot_product_attention,
    scaled_dot_product_attention_backward,
    softmax,
    softmax_backward,
)

__version__ = "0.1.0"

__all__ = [
    "AttentionParams", "DecoderLayerParams", "EncoderLayerParams", "FFNParams",
    "LayerNormParams", "causal_mask", "cosine_similarity", "decoder_layer", "embed",
    "encoder_layer", "ffn", "flash_attention", "init_attention", "init_decoder_layer", "init_encoder_layer",
    "init_ffn", "init_layer_norm", "layer_norm", "linear", "multi_head_attention",
    "one_hot", "positional_encoding", "relu", "scaled_dot_product_attention", "softmax",
    "softmax_backward", "relu_backward", "linear_backward", "layer_norm_backward", "cross_entropy", "gradient_check",
    "scaled_dot_product_attention_backward", "multi_head_attention_backward",
    "ffn_backward", "encoder_layer_backward", "decoder_layer_backward",
]
