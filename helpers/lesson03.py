"""The numbers of lesson 03 (self-attention with no parameters), in one place.

Tokens are rows. Two small inputs:

- HAND_X (3, 2): three tokens with 2 integer features, small enough to
  follow every softmax by hand.
- SENTENCE_X (6, 3): toy embeddings for "the cat walks on the street",
  chosen (as a trained model would learn them) so that cat·walks is large
  and "the" scores low with every word.

self_attention(x) is the whole parameter-free operation,
softmax(x xᵀ) x, for one sequence (n, d_model) or a batch (..., n, d_model).
"""

import numpy as np

from .kernels import as_float_array, softmax
from .sheet import frozen as _frozen




HAND_TOKENS = ("x1", "x2", "x3")
HAND_FEATURES = ("f1", "f2")

HAND_X = _frozen([
    [1, 0],   # x1
    [1, 1],   # x2
    [0, 2],   # x3
])

SENTENCE = ("the", "cat", "walks", "on", "the", "street")
SENTENCE_FEATURES = ("f1", "f2", "f3")

EMBEDDINGS = {
    "the": (0, 0, -1),
    "cat": (2, 1, 0),
    "walks": (3, 1, 0),
    "on": (0, 1, 1),
    "street": (1, 0, 2),
}

SENTENCE_X = _frozen([EMBEDDINGS[word] for word in SENTENCE])  # (6, 3)


def self_attention(x):
    """Parameter-free self-attention. Returns (y, weights).

    x: (..., n, d_model)  ->  y: (..., n, d_model), weights: (..., n, n)
    raw scores w'_ij = x_i · x_j, weights = softmax over j, y_i = sum_j w_ij x_j.
    """
    x = as_float_array(x, "x")
    if x.ndim < 2:
        raise ValueError(f"x must have shape (..., n, d_model), got shape {x.shape}")
    raw = x @ np.swapaxes(x, -1, -2)  # (..., n, d_model) @ (..., d_model, n) -> (..., n, n)
    weights = softmax(raw, axis=-1)  # (..., n, n), every row sums to 1
    y = weights @ x  # (..., n, n) @ (..., n, d_model) -> (..., n, d_model)
    return y, weights


# ---------------------------------------------------------------- exercises

EX_TOKENS = ("t1", "t2", "t3")

EX_X = _frozen([
    [2, 1],   # t1
    [1, 0],   # t2
    [0, 1],   # t3
])

EX_ORDER = (2, 0, 1)  # the shuffled order of exercise 6: t3, t1, t2


def _exercise_checks():
    from types import SimpleNamespace

    from . import checks
    from .checks import check_close

    names = ["raw scores", "softmax of a row", "output of t2", "attention_weights",
             "self_attention", "shuffled tokens", "batched_self_attention", "the sentence's scores (sheet)"]
    X = EX_X.astype(float)
    raw = EX_X @ EX_X.T  # (3, 3) integers
    Y, W = self_attention(EX_X)

    def start_():
        checks.start("03", names)

    def sentence_sheet(answers=...):
        """The fillable sheet for W′ = X Xᵀ of "the cat walks on the street" (6 × 6 integers)."""
        words = list(SENTENCE)
        return checks.fillable_sheet(
            names[7], SENTENCE_X, SENTENCE_X.T, answers, answer_name="W_typed", symbol="W′",
            roles=("input", "input", "attention"), names=("X", "Xᵀ"),
            left_labels=(words, list(SENTENCE_FEATURES)), right_labels=(list(SENTENCE_FEATURES), words),
            title="W′ = X Xᵀ for the six words: type each score")

    def raw_scores(answer):
        return checks.check_value(
            names[0], answer, raw, labels=(EX_TOKENS, EX_TOKENS), symbol="W′",
            slips={"computed Xᵀ·X (features × features): the scores compare tokens, X·Xᵀ":
                       (EX_X.T @ EX_X).tolist()},
            hint="cell (i, j) is token i · token j: for (t1, t2), 2·1 + 1·0 = 2. "
                 "The table is symmetric: (i, j) and (j, i) hold the same number.",
            note="The diagonal holds each token's squared length.")

    def softmax_row(weights):
        row = raw[1]
        return check_close(
            names[1], weights, softmax(row), cell_names=[f"w(t2,{t})" for t in EX_TOKENS],
            labels=list(EX_TOKENS),
            slips={"divided the raw scores by their sum, without taking e to the power first":
                       row / row.sum(),
                   "took e to the power of each score but forgot to divide by the sum": np.exp(row),
                   "took the softmax of row t1 instead of row t2": softmax(raw[0])},
            hint="row t2 of the raw scores is (2, 1, 0): each weight is e^score / (e² + e¹ + e⁰), "
                 "with e² ≈ 7.389 and e¹ ≈ 2.718.",
            note="The weights are positive and add up to 1; the biggest score gets the biggest share.")

    def output_t2(y_t2):
        w = W[1]
        return check_close(
            names[2], y_t2, Y[1], cell_names=["f1", "f2"], labels=["f1", "f2"],
            slips={"weighted the tokens by the raw scores (2, 1, 0) instead of the softmax weights":
                       raw[1] @ X,
                   "took the plain average of the three tokens, without the weights": X.mean(axis=0),
                   "used the weights of row t1": W[0] @ X},
            hint=f"y = w(t2,t1)·t1 + w(t2,t2)·t2 + w(t2,t3)·t3 with the weights of exercise 2 "
                 f"(about {w[0]:.2f}, {w[1]:.2f}, {w[2]:.2f}) and t1 = (2, 1), t2 = (1, 0), t3 = (0, 1).",
            note="y of t2 is pulled towards t1, the token it agrees with most.")

    rng_seed = 303

    def _cases(rng, batch=False):
        def make(r):
            n, d = int(r.integers(2, 6)), int(r.integers(1, 5))
            shape = (int(r.integers(2, 4)), n, d) if batch else (n, d)
            return (r.integers(-2, 3, size=shape),)
        return checks.int_cases(rng, 4, make)

    def attention_weights(fn):
        cases = [(EX_X,)] + _cases(np.random.default_rng(rng_seed)) + [(lesson03_sentence(),)]
        return checks.check_function(
            names[3], fn, lambda x: self_attention(x)[1], cases,
            case_labels=["the exercise's X"] + [f"random case {i}" for i in range(1, 5)] + ["the cat sentence"],
            labels=(EX_TOKENS, EX_TOKENS), symbol="W",
            slips={"took the softmax over the columns (axis=0) instead of along each row (axis=-1)":
                       lambda x: softmax(np.asarray(x) @ np.asarray(x).T, axis=0),
                   "forgot the softmax: these are the raw scores": lambda x: np.asarray(x) @ np.asarray(x).T,
                   "computed Xᵀ·X (features × features) instead of X·Xᵀ":
                       lambda x: softmax(np.asarray(x).T @ np.asarray(x), axis=-1)},
            hint="return softmax(X @ X.T, axis=-1)   # (n, d_model) @ (d_model, n) -> (n, n)")

    def self_attention_(fn):
        cases = [(EX_X,)] + _cases(np.random.default_rng(rng_seed + 1)) + [(lesson03_sentence(),)]
        return checks.check_function(
            names[4], fn, lambda x: self_attention(x)[0], cases,
            case_labels=["the exercise's X"] + [f"random case {i}" for i in range(1, 5)] + ["the cat sentence"],
            labels=(EX_TOKENS, ("f1", "f2")), symbol="Y",
            slips={"returned the weights W: the output is W @ X": lambda x: self_attention(x)[1],
                   "forgot the softmax: (X @ X.T) @ X": lambda x: (np.asarray(x) @ np.asarray(x).T) @ x,
                   "took the softmax over the columns (axis=0)":
                       lambda x: softmax(np.asarray(x) @ np.asarray(x).T, axis=0) @ x},
            hint="W = softmax(X @ X.T, axis=-1); return W @ X   # (n, n) @ (n, d_model) -> (n, d_model)")

    def shuffled(Y_shuffled):
        order = list(EX_ORDER)
        return check_close(
            names[5], Y_shuffled, Y[order], labels=([EX_TOKENS[i] for i in order], ("f1", "f2")),
            symbol="Y",
            slips={"kept the rows in the old order t1, t2, t3: the outputs move with their tokens": Y},
            hint="nothing needs computing: self-attention is permutation equivariant, so the outputs are "
                 "the same rows of Y, listed in the new order t3, t1, t2.",
            note="Shuffling the tokens only shuffles the outputs: attention sees a set.")

    def batched(fn):
        rng = np.random.default_rng(rng_seed + 2)
        first = (np.stack([EX_X, EX_X[list(EX_ORDER)]]),)
        cases = [first] + _cases(rng, batch=True)
        return checks.check_function(
            names[6], fn, lambda x: self_attention(x)[0], cases,
            case_labels=["a batch of the exercise's X and its shuffle"] + [f"random case {i}" for i in range(1, 5)],
            slips={"took the softmax over axis=1 instead of the last axis (axis=-1)":
                       lambda x: softmax(np.asarray(x) @ np.swapaxes(x, -1, -2), axis=1) @ x,
                   "forgot the softmax": lambda x: (np.asarray(x) @ np.swapaxes(x, -1, -2)) @ x},
            hint="X.T reverses all three axes; swap only the last two: "
                 "W = softmax(X @ X.transpose(0, 2, 1), axis=-1); return W @ X   # (batch, n, d_model)")

    return SimpleNamespace(
        EXERCISES=tuple(names), start=start_, raw_scores=raw_scores, softmax_row=softmax_row,
        output_t2=output_t2, attention_weights=attention_weights, self_attention=self_attention_,
        shuffled=shuffled, batched=batched, sentence_sheet=sentence_sheet, progress=checks.progress)


def lesson03_sentence():
    """The cat sentence's embeddings, a fresh writable copy (a check case)."""
    return np.array(SENTENCE_X)


check = _exercise_checks()
