"""Lesson 07 data and small tools: layer normalisation by hand, the encoder stack, counting parameters.

The by-hand row is chosen so that every step is exact: x = [0, 6, 6, 8] has
mean 5, deviations [-5, 1, 1, 3], variance 36 / 4 = 9 and standard deviation 3.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .kernels import encoder_layer, init_encoder_layer

# One token's vector (d_model = 4) and the layer norm's gain and shift.
LN_ROW = np.array([0, 6, 6, 8])
LN_GAMMA = np.array([3, 3, 3, 1])
LN_BETA = np.array([0, 1, 0, 0])
for _a in (LN_ROW, LN_GAMMA, LN_BETA):
    _a.setflags(write=False)

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


# ---------------------------------------------------------------- exercise checks
#
# The checks of exercises/07-encoder-block.ipynb, built on helpers.checks:
# `from helpers.lesson07 import check`, then `check.start()`, `check.mean_and_variance(...)`, ...

# The exercise's row: mean 4, deviations [-3, -1, -1, 5], variance 36 / 4 = 9, sigma 3.
EX_ROW = np.array([1, 3, 3, 9])
EX_ROW.setflags(write=False)


def _checks():
    from types import SimpleNamespace

    from . import checks as C
    from . import sheet
    from .kernels import ffn, layer_norm
    from .lesson06 import snap_to_2_decimals

    names = ["mean and variance", "normalised row", "residual of Z5", "layer_norm", "add_and_norm",
             "encoder", "parameters of a small layer"]
    mean, var = EX_ROW.mean(), ((EX_ROW - EX_ROW.mean()) ** 2).mean()
    x_hat = (EX_ROW - mean) / np.sqrt(var)  # [-1, -1/3, -1/3, 5/3]
    z = sheet.Z.T  # tokens as rows
    residual = z + ffn(z, sheet.W1, sheet.b1, sheet.W2, sheet.b2)

    def start():
        C.start("07", names)

    def mean_and_variance(mu, sigma2):
        """Mean and variance of EX_ROW."""
        return C.check_value(
            names[0], [mu, sigma2], [4, 9], cell_names=["mean", "variance"],
            slips={"divided by d_model - 1 = 3: layer norm divides by d_model = 4": [4, 12],
                   "gave the standard deviation: the variance is its square": [4, 3]},
            hint="the mean is (1 + 3 + 3 + 9) / 4; the variance is the mean of the squared deviations "
                 "(x - mean)².",
            note="The standard deviation is √9 = 3.")

    def normalised_row(row):
        """(x - mean) / sigma, with 2 decimals."""
        return C.check_value(
            names[1], snap_to_2_decimals(row, x_hat), np.round(x_hat, 2), cell_names=["f1", "f2", "f3", "f4"],
            slips={"divided by the variance (9), not by the standard deviation (3)":
                       np.round((EX_ROW - mean) / var, 2),
                   "forgot to subtract the mean first": np.round(EX_ROW / np.sqrt(var), 2),
                   "subtracted the mean but did not divide": (EX_ROW - mean).astype(float)},
            hint="subtract the mean 4 from each number, then divide by σ = 3. Type 2 decimals, e.g. -0.33.",
            note="The row now has mean 0 and variance 1.")

    def residual_z5(row):
        """x + FFN(x) for token Z5 of the sheet (3 numbers)."""
        return C.check_value(
            names[2], row, residual[4].astype(np.int64), cell_names=list(sheet.FEATURES),
            slips={"gave FFN(x) alone: the residual connection adds x back": sheet.Y[:, 4],
                   "gave x alone: add the FFN's output to it": sheet.Z[:, 4],
                   "subtracted instead of adding": (sheet.Z[:, 4] - sheet.Y[:, 4])},
            hint="Z5 = [5, 3, 1] and FFN(Z5) = the sheet's Y5 = [5, 6, -4]; add them feature by feature.",
            note="Next, layer normalisation rescales this row.")

    rng_seed = 707

    def _rows_cases(rng):
        def make(r):
            n, d = int(r.integers(1, 5)), int(r.integers(2, 6))
            return (r.integers(-4, 5, size=(n, d)).astype(float), r.integers(1, 4, size=d).astype(float),
                    r.integers(-2, 3, size=d).astype(float))
        return [(sheet.Z.T.astype(float), np.ones(3), np.zeros(3)),
                (np.array([LN_ROW], float), LN_GAMMA.astype(float), LN_BETA.astype(float))] + C.int_cases(rng, 4, make)

    def layer_norm_(fn):
        def unbiased(x, g, b):
            x = np.asarray(x, float)
            return (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, ddof=1, keepdims=True) + 1e-5) * g + b

        def over_columns(x, g, b):
            x = np.asarray(x, float)
            return (x - x.mean(0, keepdims=True)) / np.sqrt(x.var(0, keepdims=True) + 1e-5) * g + b

        def no_gamma_beta(x, g, b):
            return layer_norm(x, np.ones(np.shape(x)[-1]), np.zeros(np.shape(x)[-1]))

        def by_var(x, g, b):
            x = np.asarray(x, float)
            return (x - x.mean(-1, keepdims=True)) / (x.var(-1, keepdims=True) + 1e-5) * g + b

        return C.check_function(
            names[3], fn, lambda x, g, b: layer_norm(x, g, b), _rows_cases(np.random.default_rng(rng_seed)),
            case_labels=["the sheet's Z.T, γ = 1, β = 0", "the lesson's row [0, 6, 6, 8]"]
            + [f"random case {i}" for i in range(1, 5)],
            labels=(list(sheet.OUT_POSITIONS), list(sheet.FEATURES)),
            slips={"divided by d_model - 1 in the variance (ddof=1): layer norm divides by d_model": unbiased,
                   "normalised each column (axis 0): normalise each row, over the features (axis -1)": over_columns,
                   "left out γ and β: multiply by gamma, then add beta": no_gamma_beta,
                   "divided by the variance: divide by its square root": by_var},
            hint="mean = x.mean(axis=-1, keepdims=True); var = ((x - mean)**2).mean(axis=-1, keepdims=True); "
                 "return (x - mean) / np.sqrt(var + eps) * gamma + beta")

    def add_and_norm(fn):
        rng = np.random.default_rng(rng_seed + 1)

        def make(r):
            n, d = int(r.integers(1, 5)), int(r.integers(2, 6))
            return (r.integers(-4, 5, size=(n, d)).astype(float), r.integers(-4, 5, size=(n, d)).astype(float),
                    r.integers(1, 4, size=d).astype(float), r.integers(-2, 3, size=d).astype(float))

        z_ffn = ffn(z, sheet.W1, sheet.b1, sheet.W2, sheet.b2)
        cases = [(z.astype(float), z_ffn, np.ones(3), np.zeros(3))] + C.int_cases(rng, 4, make)
        return C.check_function(
            names[4], fn, lambda x, s, g, b: layer_norm(np.asarray(x) + np.asarray(s), g, b), cases,
            case_labels=["the sheet: x = Z.T, sub-layer = its FFN"] + [f"random case {i}" for i in range(1, 5)],
            labels=(list(sheet.OUT_POSITIONS), list(sheet.FEATURES)),
            slips={"forgot the residual: normalise x + sublayer_out, not sublayer_out alone":
                       lambda x, s, g, b: layer_norm(s, g, b),
                   "normalised first and added x afterwards: the paper adds, then normalises":
                       lambda x, s, g, b: np.asarray(x) + layer_norm(s, g, b),
                   "added but did not normalise": lambda x, s, g, b: np.asarray(x) + np.asarray(s)},
            hint="one line: return layer_norm(x + sublayer_out, gamma, beta)")

    def encoder_(fn):
        from .kernels import encoder_layer as ref_layer
        from .lesson06 import SENTENCE as S, embed_with_position, encode as enc

        rng = np.random.default_rng(rng_seed + 2)
        x0 = embed_with_position(enc(S))
        cases = [(x0, init_encoder(3, 4, 8, rng), 2), (x0, init_encoder(1, 4, 8, rng), 2),
                 (rng.normal(size=(5, 6)), init_encoder(2, 6, 12, rng), 3)]

        def first_only(x, layers, h):
            for _ in layers:
                x = ref_layer(x, layers[0], h)
            return x

        def not_chained(x, layers, h):
            out = x
            for p in layers:
                out = ref_layer(x, p, h)
            return out

        return C.check_function(
            names[5], fn, encoder, cases,
            case_labels=["the lesson's sentence, 3 layers", "1 layer", "2 layers, d_model = 6, h = 3"],
            labels=(list(S.lower().strip(".").split()), ["f1", "f2", "f3", "f4"]),
            slips={"used the first layer's weights every time: each layer has its own p": first_only,
                   "fed the original x to every layer: feed each layer the previous layer's output": not_chained},
            hint="for p in layers: x = encoder_layer(x, p, h)   then return x")

    def small_layer_parameters(count):
        """Parameters of one encoder layer with d_model = 8, d_ff = 32."""
        d, f = 8, 32
        return C.check_value(
            names[6], count, encoder_layer_parameter_count(d, f),
            slips={"left out the biases": 4 * d * d + 2 * f * d + 2 * 2 * d,
                   "left out the two layer norms (γ and β of 8 numbers each, twice)":
                       encoder_layer_parameter_count(d, f) - 4 * d,
                   "counted one layer norm: there is one after each sub-layer":
                       encoder_layer_parameter_count(d, f) - 2 * d,
                   "counted one attention matrix: W_q, W_k, W_v and W_o make four":
                       encoder_layer_parameter_count(d, f) - 3 * (d * d + d)},
            hint="4·(8·8 + 8) for attention, (32·8 + 32) + (8·32 + 8) for the FFN, 2·2·8 for the two layer norms.",
            note="4·72 + 288 + 264 + 32 = 872.")

    return SimpleNamespace(
        EXERCISES=tuple(names), start=start, mean_and_variance=mean_and_variance, normalised_row=normalised_row,
        residual_z5=residual_z5, layer_norm=layer_norm_, add_and_norm=add_and_norm, encoder=encoder_,
        small_layer_parameters=small_layer_parameters, progress=C.progress)


check = _checks()
