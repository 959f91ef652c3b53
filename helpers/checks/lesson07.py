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
from ..lesson06 import FEATURES as LESSON06_FEATURES
from ..lesson06 import SENTENCE, embed_with_position, encode, tokenize
from ..lesson07 import EX_ROW, LN_BETA, LN_GAMMA, LN_ROW, encoder_layer_parameter_count, init_encoder
from . import check_close, check_function, check_value, exercise, exercises, random_cases, start_lesson
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
        hint="the mean adds the four numbers and divides by d_model = 4; the variance is the mean of the "
             "squared deviations (x - mean)², again dividing by d_model (no square root yet).",
        answer="mean = (1 + 3 + 3 + 9) / 4 = 4; deviations -3, -1, -1, 5; "
               "variance = (9 + 1 + 1 + 25) / 4 = 36 / 4 = 9",
        note="The standard deviation is √9 = 3.")


@exercise("normalised row")
def normalised_row(row):
    """(x - mean) / sigma, with 2 decimals."""
    return check_close(
        normalised_row.title, row, EX_X_HAT, tol=0.006, decimals=2,
        cell_names=list(LESSON06_FEATURES),
        slips={"divided by the variance (9), not by the standard deviation (3)": (EX_ROW - EX_MEAN) / EX_VAR,
               "forgot to subtract the mean first": EX_ROW / np.sqrt(EX_VAR),
               "subtracted the mean but did not divide": (EX_ROW - EX_MEAN).astype(float)},
        hint="two steps for each number: subtract the mean of exercise 1, then divide by σ, the square root "
             "of the variance. Type 2 decimals.",
        answer="(x - 4) / 3 = [-3/3, -1/3, -1/3, 5/3] ≈ [-1.00, -0.33, -0.33, 1.67]",
        note="The row now has mean 0 and variance 1.")


@exercise("residual of Z5")
def residual_z5(row):
    """x + FFN(x) for token Z5 of the sheet (3 numbers)."""
    return check_value(
        residual_z5.title, row, RESIDUAL[4].astype(np.int64), cell_names=list(FEATURES),
        slips={"gave FFN(x) alone: the residual connection adds x back": Y[:, 4],
               "gave x alone: add the FFN's output to it": Z[:, 4],
               "subtracted instead of adding": (Z[:, 4] - Y[:, 4])},
        hint="the residual connection adds the token's input row (its column Z5 of the sheet's Z) and the "
             "FFN's output for it (column 5 of the sheet's Y), feature by feature.",
        answer=f"Z5 + Y5 = {Z[:, 4].tolist()} + {Y[:, 4].tolist()} = {RESIDUAL[4].astype(np.int64).tolist()}",
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


def _no_eps(x, g, b):
    x = np.asarray(x, float)
    return (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True)) * g + b


def _eps_outside(x, g, b):
    x = np.asarray(x, float)
    return (x - x.mean(-1, keepdims=True)) / (np.sqrt(x.var(-1, keepdims=True)) + 1e-5) * g + b


def _by_var(x, g, b):
    x = np.asarray(x, float)
    return (x - x.mean(-1, keepdims=True)) / (x.var(-1, keepdims=True) + 1e-5) * g + b


@exercise("layer_norm")
def layer_norm(fn):
    """The learner's layer_norm_rows(x, gamma, beta) -> (n, d_model), as helpers.kernels.layer_norm."""
    cases = {"the sheet's Z.T, γ = 1, β = 0": (Z_ROWS.astype(float), np.ones(3), np.zeros(3)),
             "the lesson's row [0, 6, 6, 8]": (np.array([LN_ROW], float), LN_GAMMA.astype(float),
                                               LN_BETA.astype(float)),
             **random_cases(np.random.default_rng(SEED), 4, _rows_case),
             # σ = 0: only ε keeps the division finite (the exercise asks for √(variance + eps))
             "a row of equal numbers [2, 2, 2, 2]": (np.full((1, 4), 2.0), np.ones(4), np.zeros(4))}
    return check_function(
        layer_norm.title, fn, lambda x, g, b: kernels.layer_norm(x, g, b), cases,
        labels=(list(OUT_POSITIONS), list(FEATURES)),
        slips={"divided by d_model - 1 in the variance (ddof=1): layer norm divides by d_model": _unbiased,
               "normalised each column (axis 0): normalise each row, over the features (axis -1)": _over_columns,
               "left out γ and β: multiply by gamma, then add beta": _no_gamma_beta,
               "divided by the variance: divide by its square root": _by_var,
               "left out ε: divide by √(variance + eps), as the exercise asks. Here it changes only the 6th "
               "digit or so, but a row of equal numbers (variance 0) would give 0 / 0": _no_eps,
               "added ε outside the square root: divide by √(variance + eps), not √variance + eps": _eps_outside},
        hint="each row on its own (axis=-1, keepdims=True): subtract its mean, divide by the square root of "
             "(its variance + eps), with the variance dividing by d_model; then scale by gamma, shift by beta.",
        answer="mean = x.mean(axis=-1, keepdims=True); var = ((x - mean) ** 2).mean(axis=-1, keepdims=True); "
               "return (x - mean) / np.sqrt(var + eps) * gamma + beta")


def _add_norm_case(r):
    n, d = int(r.integers(1, 5)), int(r.integers(2, 6))
    return (r.integers(-4, 5, size=(n, d)).astype(float), r.integers(-4, 5, size=(n, d)).astype(float),
            r.integers(1, 4, size=d).astype(float), r.integers(-2, 3, size=d).astype(float))


@exercise("add_and_norm")
def add_and_norm(fn):
    """The learner's add_and_norm(x, sublayer_out, gamma, beta) = LayerNorm(x + sublayer_out)."""
    cases = {"the sheet: x = Z.T, sub-layer = its FFN": (Z_ROWS.astype(float), FFN_OUT, np.ones(3), np.zeros(3)),
             **random_cases(np.random.default_rng(SEED + 1), 4, _add_norm_case),
             "x + sublayer_out a row of equal numbers": (np.array([[1.0, 2, 3, 4]]), np.array([[3.0, 2, 1, 0]]),
                                                         np.ones(4), np.zeros(4))}
    return check_function(
        add_and_norm.title, fn, lambda x, s, g, b: kernels.layer_norm(np.asarray(x) + np.asarray(s), g, b), cases,
        labels=(list(OUT_POSITIONS), list(FEATURES)),
        slips={"forgot the residual: normalise x + sublayer_out, not sublayer_out alone":
                   lambda x, s, g, b: kernels.layer_norm(s, g, b),
               "normalised first and added x afterwards: the paper adds, then normalises":
                   lambda x, s, g, b: np.asarray(x) + kernels.layer_norm(s, g, b),
               "added but did not normalise": lambda x, s, g, b: np.asarray(x) + np.asarray(s),
               "normalised without ε: divide by √(variance + eps) (the kernel layer_norm does)":
                   lambda x, s, g, b: _no_eps(np.asarray(x) + np.asarray(s), g, b)},
        hint="the order is add, then normalise: the residual x + sublayer_out first, then layer norm of that "
             "sum, with gamma and beta.",
        answer="return layer_norm(x + sublayer_out, gamma, beta)")


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
        labels=(tokenize(SENTENCE), list(LESSON06_FEATURES)),
        slips={"used the first layer's weights every time: each layer has its own p": _first_only,
               "fed the original x to every layer: feed each layer the previous layer's output": _not_chained},
        hint="a loop over the layers, each with its own p, where each layer reads the previous layer's "
             "output, not the original x; the result is the last layer's output.",
        answer="for p in layers: x = encoder_layer(x, p, h)   then, after the loop: return x")


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
        hint="count each part with its biases: the four attention matrices, the FFN's two layers, and a "
             "γ and a β for each of the two layer norms.",
        answer="4·(8·8 + 8) + (32·8 + 32) + (8·32 + 8) + 2·2·8 = 288 + 288 + 264 + 32 = 872",
        note="4·72 + 288 + 264 + 32 = 872.")


EXERCISES = exercises(__name__)


def start():
    """Declare this lesson's exercises, in order: each is "not done" until its check runs."""
    start_lesson(__name__)
