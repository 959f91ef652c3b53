"""The numpy kernels of a transformer, one small function each.

Conventions (see DESIGN.md):
- tokens are rows: a sequence is (n, d_model); leading axes are a batch;
- weights are stored like torch.nn.Linear, (d_out, d_in), applied as x @ W.T + b;
- masks are boolean, True = may attend, broadcastable to (..., n_q, n_k);
- integers in, floats out; float32 in, float32 out.

Every function checks its input and raises a ValueError that names the
argument, the expected shape in dimension names, and what arrived.

Modules, each importing only those above it:
    arrays      input checks, and `frozen` (read-only lesson data)
    rows        in-place row softmax over a block of scores, on every core
    basic       softmax, relu, linear, ffn, causal_mask, layer_norm, positional_encoding,
                one_hot, embed, cosine_similarity
    params      the parameter dataclasses and their init_* functions
    attention   scaled_dot_product_attention, split_heads, merge_heads, multi_head_attention
    layers      encoder_layer, decoder_layer
    flash       flash_attention (the online softmax over key blocks)
    grads       softmax_backward, relu_backward, linear_backward, layer_norm_backward,
                cross_entropy, gradient_check
    attention_backward   scaled_dot_product_attention_backward, multi_head_attention_backward
    layers_backward      ffn_backward, encoder_layer_backward, decoder_layer_backward
"""

from .arrays import as_float_array, frozen
from .attention import merge_heads, multi_head_attention, scaled_dot_product_attention, split_heads
from .attention_backward import multi_head_attention_backward, scaled_dot_product_attention_backward
from .basic import (
    causal_mask,
    cosine_similarity,
    embed,
    ffn,
    layer_norm,
    linear,
    one_hot,
    positional_encoding,
    relu,
    softmax,
)
from .flash import flash_attention
from .grads import (
    cross_entropy,
    gradient_check,
    layer_norm_backward,
    linear_backward,
    relu_backward,
    softmax_backward,
)
from .layers import decoder_layer, encoder_layer
from .layers_backward import decoder_layer_backward, encoder_layer_backward, ffn_backward
from .params import (
    AttentionParams,
    DecoderLayerParams,
    EncoderLayerParams,
    FFNParams,
    LayerNormParams,
    init_attention,
    init_decoder_layer,
    init_encoder_layer,
    init_ffn,
    init_layer_norm,
)

__all__ = [
    "frozen", "as_float_array",
    "softmax", "relu", "linear", "ffn", "causal_mask", "layer_norm", "positional_encoding",
    "one_hot", "embed", "cosine_similarity",
    "AttentionParams", "FFNParams", "LayerNormParams", "EncoderLayerParams", "DecoderLayerParams",
    "init_attention", "init_ffn", "init_layer_norm", "init_encoder_layer", "init_decoder_layer",
    "scaled_dot_product_attention", "split_heads", "merge_heads", "multi_head_attention", "flash_attention",
    "encoder_layer", "decoder_layer",
    "softmax_backward", "relu_backward", "linear_backward", "layer_norm_backward", "cross_entropy", "gradient_check",
    "scaled_dot_product_attention_backward", "multi_head_attention_backward",
    "ffn_backward", "encoder_layer_backward", "decoder_layer_backward",
]
