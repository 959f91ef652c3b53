"""The checks of exercises/07-encoder-block.ipynb, one per exercise, in order.

    from helpers.checks import lesson07 as check
    check.start()                      # every exercise "not done"
    check.mean_and_variance(mean, variance)
    ...
    check.progress()

Expected values come from helpers.lesson07 (EX_ROW, the layer norm row), helpers.lesson01 (the
sheet whose FFN gives the residual) and helpers.lesson06 (the sentence the encoder reads).
"""

import numpy as np

from .. import kernels, lesson07
from ..kernels import encoder_layer, ffn, frozen
from ..lesson01 import FEATURES, OUT_POSITIONS, W1, W2, Y, Z, b1, b2
from ..lesson06 import SENTENCE, embed_with_position, encode, tokenize
from ..lesson07 import EX_ROW, LN_BETA, LN_GAMMA, LN_ROW, encoder_layer_parameter_count, init_encoder
from . import check_function, check_value, exercise, exercises, random_cases, snap_to_2_decimals, start_lesson
from . import progress as progress  # check.progress() in the notebooks

SEED = 707  # the random cases are the same in every run

EX_MEAN = EX_ROW.mean()
EX_VAR = ((EX_ROW - EX_MEAN) ** 2).mean()
EX_X_HAT = frozen((EX_ROW - EX_MEAN) / np.sqrt(EX_VAR))  # [-1, -1/3, -1/3, 5/3]

Z_ROWS = frozen(Z.T)  # (n, d_model) = (5, 3): the sheet's Z, tokens as rows
FFN_OUT = frozen(ffn(Z_ROWS, W1, b1, W2, b2))  # (5, 3): the sheet's Y.T
RESIDUAL = frozen(Z_ROWS + FFN_OUT)  # (5, 3)


@exercise("mean and variance")
def mean_and_variance(mu, sigma2):
    """Mean and variance of EX_ROW."""
    return check_value(
        mean_and_variance.title, [mu, sigma2], [4, 9], cell_names=["mean", "variance"],
        slips={"divided by d_model - 1 = 3: layer norm divides by d_model = 4": [4, 12],
               "gave the standard deviation: the variance is its square": [4, 3]},
        hint="the mean is (1 + 3 + 3 + 9) / 4; the variance is the mean of the squared deviations "
             "(x - mean)².",
        note="The standard deviation is √9 = 3.")


@exercise("normalised row")
def normalised_row(row):
    """(x - mean) / sigma, with 2 decimals."""
    return check_value(
        normalised_row.title, snap_to_2_decimals(row, EX_X_HAT), np.round(EX_X_HAT, 2),
        cell_names=["f1", "f2", "f3", "f4"],
        slips={"divided by the variance (9), not by the standard deviation (3)":
                   np.round((EX_ROW - EX_MEAN) / EX_VAR, 2),
               "forgot to subtract the mean first": np.round(EX_ROW / np.sqrt(EX_VAR), 2),
               "subtracted the mean but did not divide": (EX_ROW - EX_MEAN).astype(float)},
        hint="subtract the mean 4 from each number, then divide by σ = 3. Type 2 decimals, e.g. -0.33.",
        note="The row now has mean 0 and variance 1.")


@exercise("residual of Z5")
def residual_z5(row):
    """x + FFN(x) for token Z5 of the sheet (3 numbers)."""
    return check_value(
        residual_z5.title, row, RESIDUAL[4].astype(np.int64), cell_names=list(FEATURES),
        slips={"gave FFN(x) alone: the residual connection adds x back": Y[:, 4],
               "gave x alone: add the FFN's output to it": Z[:, 4],
               "subtracted instead of adding": (Z[:, 4] - Y[:, 4])},
        hint="Z5 = [5, 3, 1] and FFN(Z5) = the sheet's Y5 = [5, 6, -4]; add them feature by feature.",
        note="Next, layer normalisation rescales this row.")


def _rows_case(r):
    n, d = int(r.integers(1, 5)), int(r.integers(2, 6))
    return (r.integers(-4, 5, size=(n, d)).astype(float), r.integers(1, 4, size=d).astype(float),
            r.integers(-2, 3, size=d).astype(float))


def _unbiased(x, g, b):
    x = np.asarray(x, float)
    return (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, ddof=1, keepdims=True) + 1e-5) * g + b


def _over_columns(x, g, b):
    x = np.asarray(x, float)
    return (x - x.mean(0, keepdims=True)) / np.sqrt(x.var(0, keepdims=True) + 1e-5) * g + b


def _no_gamma_beta(x, g, b):
    return kernels.layer_norm(x, np.ones(np.shape(x)[-1]), np.zeros(np.shape(x)[-1]))


def _by_var(x, g, b):
    x = np.asarray(x, float)
    return (x - x.mean(-1, keepdims=True)) / (x.var(-1, keepdims=True) + 1e-5) * g + b


@exercise("layer_norm")
def layer_norm(fn):
    """The learner's layer_norm_rows(x, gamma, beta) -> (n, d_model), as helpers.kernels.layer_norm."""
    cases = {"the sheet's Z.T, γ = 1, β = 0": (Z_ROWS.astype(float), np.ones(3), np.zeros(3)),
             "the lesson's row [0, 6, 6, 8]": (np.array([LN_ROW], float), LN_GAMMA.astype(float),
                                               LN_BETA.astype(float)),
             **random_cases(np.random.default_rng(SEED), 4, _rows_case)}
    return check_function(
        layer_norm.title, fn, lambda x, g, b: kernels.layer_norm(x, g, b), cases,
        labels=(list(OUT_POSITIONS), list(FEATURES)),
        slips={"divided by d_model - 1 in the variance (ddof=1): layer norm divides by d_model": _unbiased,
               "normalised each column (axis 0): normalise each row, over the features (axis -1)": _over_columns,
               "left out γ and β: multiply by gamma, then add beta": _no_gamma_beta,
               "divided by the variance: divide by its square root": _by_var},
        hint="mean = x.mean(axis=-1, keepdims=True); var = ((x - mean)**2).mean(axis=-1, keepdims=True); "
             "return (x - mean) / np.sqrt(var + eps) * gamma + beta")


def _add_norm_case(r):
    n, d = int(r.integers(1, 5)), int(r.integers(2, 6))
    return (r.integers(-4, 5, size=(n, d)).astype(float), r.integers(-4, 5, size=(n, d)).astype(float),
            r.integers(1, 4, size=d).astype(float), r.integers(-2, 3, size=d).astype(float))


@exercise("add_and_norm")
def add_and_norm(fn):
    """The learner's add_and_norm(x, sublayer_out, gamma, beta) = LayerNorm(x + sublayer_out)."""
    cases = {"the sheet: x = Z.T, sub-layer = its FFN": (Z_ROWS.astype(float), FFN_OUT, np.ones(3), np.zeros(3)),
             **random_cases(np.random.default_rng(SEED + 1), 4, _add_norm_case)}
    return check_function(
        add_and_norm.title, fn, lambda x, s, g, b: kernels.layer_norm(np.asarray(x) + np.asarray(s), g, b), cases,
        labels=(list(OUT_POSITIONS), list(FEATURES)),
        slips={"forgot the residual: normalise x + sublayer_out, not sublayer_out alone":
                   lambda x, s, g, b: kernels.layer_norm(s, g, b),
               "normalised first and added x afterwards: the paper adds, then normalises":
                   lambda x, s, g, b: np.asarray(x) + kernels.layer_norm(s, g, b),
               "added but did not normalise": lambda x, s, g, b: np.asarray(x) + np.asarray(s)},
        hint="one line: return layer_norm(x + sublayer_out, gamma, beta)")


def _first_only(x, layers, h):
    for _ in layers:
        x = encoder_layer(x, layers[0], h)
    return x


def _not_chained(x, layers, h):
    out = x
    for p in layers:
        out = encoder_layer(x, p, h)
    return out


@exercise("encoder")
def encoder(fn):
    """The learner's encoder(x, layers, h): the layers one after the other, as helpers.lesson07.encoder."""
    rng = np.random.default_rng(SEED + 2)
    x0 = embed_with_position(encode(SENTENCE))  # (6, 4)
    cases = {"the lesson's sentence, 3 layers": (x0, init_encoder(3, 4, 8, rng), 2),
             "1 layer": (x0, init_encoder(1, 4, 8, rng), 2),
             "2 layers, d_model = 6, h = 3": (rng.normal(size=(5, 6)), init_encoder(2, 6, 12, rng), 3)}
    return check_function(
        encoder.title, fn, lesson07.encoder, cases,
        labels=(tokenize(SENTENCE), ["f1", "f2", "f3", "f4"]),
        slips={"used the first layer's weights every time: each layer has its own p": _first_only,
               "fed the original x to every layer: feed each layer the previous layer's output": _not_chained},
        hint="for p in layers: x = encoder_layer(x, p, h)   then return x")


@exercise("parameters of a small layer")
def small_layer_parameters(count):
    """Parameters of one encoder layer with d_model = 8, d_ff = 32."""
    d, f = 8, 32
    return check_value(
        small_layer_parameters.title, count, encoder_layer_parameter_count(d, f),
        slips={"left out the biases": 4 * d * d + 2 * f * d + 2 * 2 * d,
               "left out the two layer norms (γ and β of 8 numbers each, twice)":
                   encoder_layer_parameter_count(d, f) - 4 * d,
               "counted one layer norm: there is one after each sub-layer":
                   encoder_layer_parameter_count(d, f) - 2 * d,
               "counted one attention matrix: W_q, W_k, W_v and W_o make four":
                   encoder_layer_parameter_count(d, f) - 3 * (d * d + d)},
        hint="4·(8·8 + 8) for attention, (32·8 + 32) + (8·32 + 8) for the FFN, 2·2·8 for the two layer norms.",
        note="4·72 + 288 + 264 + 32 = 872.")


EXERCISES = exercises(__name__)


def start():
    """Declare this lesson's exercises, in order: each is "not done" until its check runs."""
    start_lesson(__name__)
