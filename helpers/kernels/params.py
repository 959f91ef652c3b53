"""The parameters of attention, FFN, layer norm and the layers: plain dataclasses of arrays,
each with an init_...(…, rng) that takes a numpy.random.Generator."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


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
    """LayerNormParams with gamma = 1 and beta = 0 exactly, as torch.nn.LayerNorm starts.

    rng is accepted, like every init_...(…, rng), and draws nothing.
    """
    return LayerNormParams(np.ones(d_model), np.zeros(d_model))


def init_encoder_layer(d_model, d_ff, rng):
    """Random EncoderLayerParams: self-attention, FFN and two layer norms, in that order."""
    return EncoderLayerParams(
        init_attention(d_model, rng),
        init_ffn(d_model, d_ff, rng),
        init_layer_norm(d_model, rng),
        init_layer_norm(d_model, rng),
    )


def init_decoder_layer(d_model, d_ff, rng):
    """Random DecoderLayerParams: self- and cross-attention, FFN and three layer norms, in that order."""
    return DecoderLayerParams(
        init_attention(d_model, rng),
        init_attention(d_model, rng),
        init_ffn(d_model, d_ff, rng),
        init_layer_norm(d_model, rng),
        init_layer_norm(d_model, rng),
        init_layer_norm(d_model, rng),
    )
