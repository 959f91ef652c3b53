"""Lesson 07 data and small tools: layer normalisation by hand, the encoder stack, counting parameters.

The by-hand row is chosen so that every step is exact: x = [0, 6, 6, 8] has
mean 5, deviations [-5, 1, 1, 3], variance 36 / 4 = 9 and standard deviation 3.

The checks of exercises/07 are in helpers.checks.lesson07.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .kernels import encoder_layer, frozen, init_encoder_layer

# One token's vector (d_model = 4) and the layer norm's gain and shift.
LN_ROW = frozen([0, 6, 6, 8])
LN_GAMMA = frozen([3, 3, 3, 1])
LN_BETA = frozen([0, 1, 0, 0])

# The exercise's row: mean 4, deviations [-3, -1, -1, 5], variance 36 / 4 = 9, sigma 3.
EX_ROW = frozen([1, 3, 3, 9])

# The paper's base model.
PAPER = {"N": 6, "d_model": 512, "d_ff": 2048, "h": 8}


def encoder(x, layers, h, mask=None):
    """A stack of encoder layers: feed the output of each layer to the next.

    x: (..., n, d_model)  layers: a list of EncoderLayerParams  ->  (..., n, d_model)
    """
    for p in layers:
        x = encoder_layer(x, p, h, mask)
    return x


def init_encoder(N, d_model, d_ff, rng):
    """N independently initialised encoder layers (a list of EncoderLayerParams)."""
    return [init_encoder_layer(d_model, d_ff, rng) for _ in range(N)]


def parameter_arrays(p, prefix=""):
    """(name, array) for every array inside a parameter dataclass (nested), in field order."""
    out = []
    for field in dataclasses.fields(p):
        value = getattr(p, field.name)
        name = f"{prefix}{field.name}"
        if dataclasses.is_dataclass(value):
            out.extend(parameter_arrays(value, name + "."))
        elif value is not None:
            out.append((name, np.asarray(value)))
    return out


def count_parameters(p):
    """The number of numbers a model has to learn: the sizes of all its arrays added up.

    p: a parameter dataclass (e.g. EncoderLayerParams) or a list of them.
    """
    if isinstance(p, (list, tuple)):
        return sum(count_parameters(q) for q in p)
    return int(sum(a.size for _, a in parameter_arrays(p)))


def encoder_layer_parameter_count(d_model, d_ff):
    """The formula: 4 attention projections, the FFN's two linear maps, two layer norms."""
    attention = 4 * (d_model * d_model + d_model)  # W_q, W_k, W_v, W_o and their biases
    ffn = (d_ff * d_model + d_ff) + (d_model * d_ff + d_model)  # W1, b1 and W2, b2
    norms = 2 * 2 * d_model  # gamma and beta, twice
    return attention + ffn + norms
