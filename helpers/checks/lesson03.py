"""The checks of exercises/03-self-attention.ipynb, one per exercise, in order.

    from helpers.checks import lesson03 as check
    check.start()                      # every exercise "not done"
    check.raw_scores(raw_scores)
    ...
    check.progress()

Expected values come from helpers.lesson03 (imported as L: the exercise's X, the cat sentence
and L.self_attention), never typed in twice.
"""

import numpy as np

from .. import lesson03 as L
from ..kernels import frozen, softmax
from . import check_close, check_function, check_value, exercise, exercises, fillable_sheet, random_cases, start_lesson
from . import progress as progress  # check.progress() ends the notebook

SEED = 303  # the random cases are the same in every run

_X = frozen(L.EX_X, dtype=float)  # (3, 2): t1, t2, t3
_RAW = frozen(L.EX_X @ L.EX_X.T)  # (3, 3) integers: the raw scores W′
_Y, _W = (frozen(v) for v in L.self_attention(L.EX_X))  # (3, 2) outputs, (3, 3) weights


# A softmax whose columns add up to 1: over axis=0, or `e / e.sum(axis=1)` without keepdims=True, which
# divides column j by the sum of row j. With the symmetric scores X Xᵀ the two give the same numbers, so
# the diagnosis names what is visible, not one of the two causes.
_COLUMNS_SUM_TO_1 = ("normalised each column instead of each row (the columns of your weights add up to 1): "
                     "divide each row by its own sum, along axis=-1, and keep the sums as a column "
                     "(keepdims=True) so that they line up with the rows")


def _outputs(x):
    """The reference: self-attention's output, (..., n, d_model)."""
    return L.self_attention(x)[0]


def _weights(x):
    """The reference: self-attention's weights, (..., n, n)."""
    return L.self_attention(x)[1]


@exercise("raw scores")
def raw_scores(answer):
    """The raw scores W′ = X Xᵀ of the exercise's three tokens (3 x 3 integers)."""
    return check_value(
        raw_scores.title, answer, _RAW, labels=(L.EX_TOKENS, L.EX_TOKENS), symbol="W′",
        slips={"computed Xᵀ·X (features × features): the scores compare tokens, X·Xᵀ":
                   (L.EX_X.T @ L.EX_X).tolist()},
        hint="cell (i, j) is token i · token j, a dot product of two rows of X; "
             "the table is symmetric: (i, j) and (j, i) hold the same number.",
        answer=f"raw_scores = X @ X.T = {_RAW.tolist()} (e.g. t1·t2 = 2·1 + 1·0 = 2)",
        note="The diagonal holds each token's squared length.")


@exercise("softmax of a row")
def softmax_row(weights):
    """The softmax of row t2 of the raw scores, rounded to 2 decimals."""
    row = _RAW[1]  # (3,): t2 against t1, t2, t3
    return check_close(
        softmax_row.title, weights, softmax(row), cell_names=[f"w(t2,{t})" for t in L.EX_TOKENS],
        labels=list(L.EX_TOKENS),
        slips={"divided the raw scores by their sum, without taking e to the power first":
                   row / row.sum(),
               "took e to the power of each score but forgot to divide by the sum": np.exp(row),
               "took the softmax of row t1 instead of row t2": softmax(_RAW[0])},
        hint="take e to the power of each score of row t2, then divide each by the sum of the three; "
             "the three weights add up to 1.",
        answer="e² + e¹ + e⁰ ≈ 7.389 + 2.718 + 1 = 11.107; "
               "weights_t2 ≈ [7.389 / 11.107, 2.718 / 11.107, 1 / 11.107] ≈ [0.67, 0.24, 0.09]",
        decimals=2,
        note="The weights are positive and add up to 1; the biggest score gets the biggest share.")


@exercise("output of t2")
def output_t2(y_t2):
    """The output y of t2: the weighted sum of the three tokens (2 numbers)."""
    w = _W[1]  # (3,): the weights of t2
    return check_close(
        output_t2.title, y_t2, _Y[1], cell_names=["f1", "f2"], labels=["f1", "f2"],
        slips={"weighted the tokens by the raw scores (2, 1, 0) instead of the softmax weights":
                   _RAW[1] @ _X,
               "took the plain average of the three tokens, without the weights": _X.mean(axis=0),
               "used the weights of row t1": _W[0] @ _X},
        hint="y is a weighted sum of the three token vectors (the rows of X), with t2's softmax weights "
             "from exercise 2: multiply each token by its weight, then add feature by feature.",
        answer=f"y_t2 = {w[0]:.2f}·(2, 1) + {w[1]:.2f}·(1, 0) + {w[2]:.2f}·(0, 1) "
               f"≈ ({_Y[1, 0]:.2f}, {_Y[1, 1]:.2f})",
        decimals=2,
        note="y of t2 is pulled towards t1, the token it agrees with most.")


def _sequence_case(r):
    n, d = int(r.integers(2, 6)), int(r.integers(1, 5))
    return (r.integers(-2, 3, size=(n, d)),)


def _batch_case(r):
    n, d = int(r.integers(2, 6)), int(r.integers(1, 5))
    return (r.integers(-2, 3, size=(int(r.integers(2, 4)), n, d)),)


def _sequence_cases(seed):
    """The exercise's X, 4 random sequences, then the cat sentence."""
    return {"the exercise's X": (L.EX_X,),
            **random_cases(np.random.default_rng(seed), 4, _sequence_case),
            "the cat sentence": (L.SENTENCE_X,)}


@exercise("attention_weights")
def attention_weights(fn):
    """The learner's attention_weights(X) -> softmax(X Xᵀ) along each row, (n, n)."""
    return check_function(
        attention_weights.title, fn, _weights, _sequence_cases(SEED),
        labels=(L.EX_TOKENS, L.EX_TOKENS), symbol="W",
        slips={_COLUMNS_SUM_TO_1: lambda x: softmax(np.asarray(x) @ np.asarray(x).T, axis=0),
               "forgot the softmax: these are the raw scores": lambda x: np.asarray(x) @ np.asarray(x).T,
               "computed Xᵀ·X (features × features) instead of X·Xᵀ":
                   lambda x: softmax(np.asarray(x).T @ np.asarray(x), axis=-1)},
        hint="the raw scores compare tokens (n × n), then the softmax runs along each row: "
             "every row of the weights must add up to 1.",
        answer="return softmax(X @ X.T, axis=-1)   # (n, d_model) @ (d_model, n) -> (n, n)")


@exercise("self_attention")
def self_attention(fn):
    """The learner's self_attention(X) -> softmax(X Xᵀ) X, (n, d_model)."""
    return check_function(
        self_attention.title, fn, _outputs, _sequence_cases(SEED + 1),
        labels=(L.EX_TOKENS, ("f1", "f2")), symbol="Y",
        slips={"returned the weights W: the output is W @ X": _weights,
               "forgot the softmax: (X @ X.T) @ X": lambda x: (np.asarray(x) @ np.asarray(x).T) @ x,
               _COLUMNS_SUM_TO_1: lambda x: softmax(np.asarray(x) @ np.asarray(x).T, axis=0) @ x},
        hint="first the weights of exercise 4 (each row adds up to 1), then each output row is the weighted "
             "sum of the rows of X: one more matrix product, (n, n) times (n, d_model).",
        answer="W = softmax(X @ X.T, axis=-1); return W @ X   # (n, n) @ (n, d_model) -> (n, d_model)")


@exercise("shuffled tokens")
def shuffled(Y_shuffled):
    """The outputs for the tokens in the order t3, t1, t2: the rows of Y, reordered."""
    order = list(L.EX_ORDER)
    return check_close(
        shuffled.title, Y_shuffled, _Y[order], labels=([L.EX_TOKENS[i] for i in order], ("f1", "f2")),
        symbol="Y",
        slips={"kept the rows in the old order t1, t2, t3: the outputs move with their tokens": _Y},
        hint="self-attention is permutation equivariant: nothing needs computing, each output moves with "
             "its token. Which row of Y belongs to each token of the new order?",
        answer="Y_shuffled = the rows t3, t1, t2 of Y = "
               + str([[round(float(v), 2) for v in _Y[i]] for i in L.EX_ORDER]),
        decimals=2,
        note="Shuffling the tokens only shuffles the outputs: attention sees a set.")


@exercise("batched_self_attention")
def batched(fn):
    """The learner's batched_self_attention(X) on (batch, n, d_model) arrays."""
    cases = {"a batch of the exercise's X and its shuffle": (np.stack([L.EX_X, L.EX_X[list(L.EX_ORDER)]]),),
             **random_cases(np.random.default_rng(SEED + 2), 4, _batch_case)}
    return check_function(
        batched.title, fn, _outputs, cases,
        slips={"took the softmax over axis=1 instead of the last axis (axis=-1)":
                   lambda x: softmax(np.asarray(x) @ np.swapaxes(x, -1, -2), axis=1) @ x,
               "forgot the softmax": lambda x: (np.asarray(x) @ np.swapaxes(x, -1, -2)) @ x,
               "used X.T, which reverses all three axes: swap only the last two, X.transpose(0, 2, 1)":
                   lambda x: softmax(np.asarray(x) @ np.asarray(x).T, axis=-1) @ x},
        hint="the same two steps as exercise 5, for every sequence at once: the transpose must swap only the "
             "last two axes (the batch axis stays first), and the softmax runs over the last axis.",
        answer="W = softmax(X @ X.transpose(0, 2, 1), axis=-1); return W @ X   # (batch, n, d_model)")


@exercise("the sentence's scores (sheet)")
def sentence_sheet(answers=...):
    """The fillable sheet for W′ = X Xᵀ of "the cat walks on the street" (6 × 6 integers)."""
    words = list(L.SENTENCE)
    return fillable_sheet(
        sentence_sheet.title, L.SENTENCE_X, L.SENTENCE_X.T, answers, answer_name="W_typed", symbol="W′",
        roles=("input", "input", "attention"), names=("X", "Xᵀ"),
        left_labels=(words, list(L.SENTENCE_FEATURES)), right_labels=(list(L.SENTENCE_FEATURES), words),
        title="W′ = X Xᵀ for the six words: type each score",
        hint="each box is one word's row of X times another word's column of Xᵀ; the table is symmetric, "
             "and its diagonal holds each word's squared length.")


EXERCISES = exercises(__name__)


def start():
    """Declare this lesson's exercises, in order: each is "not done" until its check runs."""
    start_lesson(__name__)
