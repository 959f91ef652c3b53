"""The checks of exercises/04-queries-keys-values.ipynb, one per exercise, in order.

    from helpers.checks import lesson04 as check
    check.start()                      # every exercise "not done"
    check.query_of_drank(q_drank)
    ...
    check.progress()

Expected values come from helpers.lesson04 (the toy vocabulary and W_Q, W_K, W_V), never typed in twice.
"""

import numpy as np

from ..kernels import causal_mask, frozen, linear, scaled_dot_product_attention
from ..lesson04 import BALL, BOLA, CAT, KEY_FEATURES, W_K, W_Q, W_V, sentence
from . import check_function, check_value, exercise, exercises, fillable_sheet, random_cases, start_lesson
from . import progress as progress  # check.progress() ends the notebook

SEED = 404  # the random cases are the same in every run

# "The black cat drank the milk": its words, X (6, 5), Q and K (6, 4), S = Q Kᵀ (6, 6) integers.
_WORDS, _X = sentence(CAT)
_X = frozen(_X)
_Q, _K = frozen(linear(_X, W_Q)), frozen(linear(_X, W_K))
_S = frozen((_Q @ _K.T).astype(np.int64))
_DRANK = 3  # the row of "drank"
_WORDS_ES = sentence(BOLA)[0]  # La bola es azul


@exercise("query of drank")
def query_of_drank(q_drank):
    """The query of "drank" = its embedding times W_Qᵀ (4 numbers)."""
    return check_value(
        query_of_drank.title, q_drank, _Q[_DRANK].astype(np.int64), cell_names=list(KEY_FEATURES),
        slips={"used only W_Q's action column (drank is an action and a drink: add both columns)":
                   W_Q[:, 2],
               "used only W_Q's drink column (drank is an action and a drink: add both columns)":
                   W_Q[:, 4],
               "used W_K: that is the key of drank, not its query": _K[_DRANK].astype(np.int64)},
        hint="a word's query is the sum of the columns of W_Q for the features it has; "
             "look up which features drank has, and use W_Q (not W_K).",
        answer="drank = (0, 0, 1, 0, 1): W_Q's action column + its drink column = (1, -2, 0, 0) + (2, 4, 0, 0) "
               "= [3, 2, 0, 0]",
        note="drank looks for things (3) and a little for actions (2).")


@exercise("row of drank in S")
def drank_scores(S_drank):
    """Row "drank" of S = Q Kᵀ for "The black cat drank the milk" (6 numbers)."""
    return check_value(
        drank_scores.title, S_drank, _S[_DRANK], cell_names=list(_WORDS),
        slips={"computed the column of drank (every query against drank's key), not its row":
                   _S[:, _DRANK],
               "used the queries as keys too (q·q instead of q·k)": (_Q[_DRANK] @ _Q.T).astype(np.int64),
               "divided by √d_k = 2 already (that is the next step)": _S[_DRANK] / 2},
        hint="the row of drank is drank's query (exercise 1) dotted with the key of each of the 6 words in "
             "turn, in sentence order (a row of S, not a column), before any scaling.",
        answer="q_drank = (3, 2, 0, 0) against the keys: " + ", ".join(
            f"{w} {int(_Q[_DRANK] @ k)}" for w, k in zip(_WORDS, _K)) + f", so S_drank = {_S[_DRANK].tolist()}",
        note="drank scores 3 with cat and milk (things), 2 with itself.")


@exercise("spread and scale")
def spread_and_scale(std_16, divide_64):
    """std of q·k for d_k = 16; the number the paper divides the scores by (d_k = 64)."""
    return check_value(
        spread_and_scale.title, [std_16, divide_64], [4, 8], cell_names=["std_16", "divide_64"],
        slips={"gave d_k itself: the spread grows like the square root of d_k": [16, 64]},
        hint="q·k adds d_k products of variance 1, so its variance is d_k; a standard deviation is the "
             "square root of a variance, and the paper divides by that typical size.",
        answer="std_16 = √16 = 4; divide_64 = √64 = 8",
        note="dividing by √d_k brings the spread of the scores back to about 1.")


@exercise("causal mask")
def causal(mask4):
    """The causal mask for 4 words, as 0/1 (1 = may attend)."""
    M = causal_mask(4).astype(np.int64)  # (4, 4)
    return check_value(
        causal.title, mask4, M, labels=(_WORDS_ES, _WORDS_ES), symbol="mask",
        slips={"put the 1s above the diagonal: row i (a query) may see the keys 0..i, on and "
               "below the diagonal": M.T,
               "left out the diagonal: a word may attend to itself": np.tril(M, -1)},
        hint="row i is the query word i and column j the key word j: a word may attend to itself and to "
             "the words before it, never to a later one.",
        answer="mask4 = [[1, 0, 0, 0], [1, 1, 0, 0], [1, 1, 1, 0], [1, 1, 1, 1]]   # 1s on and below the diagonal",
        note="the masked scores become -inf, so their weights are exactly 0.")


@exercise("cross-attention shape")
def cross_shape(shape):
    """The shape of the cross-attention weights: 3 target words so far, 6 source words."""
    return check_value(
        cross_shape.title, shape, [3, 6], cell_names=["n_q", "n_k"],
        slips={"swapped them: the rows are the queries (the target words), the columns the keys": [6, 3],
               "gave the shape of the decoder's self-attention; in cross-attention the keys come "
               "from the source": [3, 3],
               "gave the shape of the encoder's self-attention; in cross-attention the queries come "
               "from the target": [6, 6]},
        hint="the weights are (n_q, n_k): one row per query, one column per key; "
             "check which side (the decoder or the encoder) gives the queries, and which the keys.",
        answer="weights_shape = (3, 6): 3 Spanish queries (rows), 6 English keys (columns)",
        note="each of the 3 Spanish words so far gets weights over all 6 English words.")


def _scores_case(r):
    n, d_model, d_k = int(r.integers(2, 6)), int(r.integers(2, 6)), int(r.choice([2, 3, 9]))
    return (r.integers(-2, 3, size=(n, d_model)), r.integers(-2, 3, size=(d_k, d_model)),
            r.integers(-2, 3, size=(d_k, d_model)))


def _attention_scores(X, W_q, W_k):
    Q, K = np.asarray(X) @ np.asarray(W_q).T, np.asarray(X) @ np.asarray(W_k).T  # (n, d_k) each
    return Q @ K.T / np.sqrt(Q.shape[-1])  # (n, n)


@exercise("attention_scores")
def attention_scores(fn):
    """The learner's attention_scores(X, W_q, W_k) -> Q Kᵀ / √d_k, (n, n)."""
    square = (np.array([[1, 0, 2], [0, 1, -1]]), np.array([[1, 2, 0], [0, 1, 0], [1, 0, 1]]),
              np.array([[0, 1, 1], [1, 0, 0], [2, 0, 1]]))
    cases = {"The black cat drank the milk": (_X, W_Q, W_K),
             **random_cases(np.random.default_rng(SEED), 4, _scores_case),
             "a square case (d_k = d_model = 3)": square}
    return check_function(
        attention_scores.title, fn, _attention_scores, cases,
        labels=(_WORDS, _WORDS), symbol="S",
        slips={"forgot to divide by √d_k": lambda X, Wq, Wk: (X @ Wq.T) @ (X @ Wk.T).T,
               "divided by d_k instead of √d_k":
                   lambda X, Wq, Wk: (X @ Wq.T) @ (X @ Wk.T).T / Wq.shape[0],
               "divided by √d_model instead of √d_k (d_k = W_q.shape[0])":
                   lambda X, Wq, Wk: (X @ Wq.T) @ (X @ Wk.T).T / np.sqrt(X.shape[1]),
               "used W_q and W_k as they are stored; weights are (d_out, d_in), so Q = X @ W_q.T":
                   lambda X, Wq, Wk: (X @ Wq) @ (X @ Wk).T / np.sqrt(Wq.shape[0])},
        hint="project X into queries and keys (weights are stored (d_out, d_in), so transpose them), score "
             "every query (a row) against every key (a column), then scale by √d_k, the size of one query.",
        answer="Q, K = X @ W_q.T, X @ W_k.T; return Q @ K.T / np.sqrt(Q.shape[-1])")


def _attention_case(r):
    n_q, n_k, d_k, d_v = (int(r.integers(2, 5)) for _ in range(4))
    masked = bool(r.integers(0, 2))
    if masked:
        n_k = n_q
    mask = causal_mask(n_q) if masked else None
    return (r.integers(-2, 3, size=(n_q, d_k)), r.integers(-2, 3, size=(n_k, d_k)),
            r.integers(-2, 3, size=(n_k, d_v)), mask)


def _attention(Q, K, V, mask):
    return scaled_dot_product_attention(Q, K, V, mask)[0]


def _softmax_rows(s, axis=-1):
    e = np.exp(s - np.max(s, axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _scores(Q, K, mask, scale=True):
    """Q Kᵀ (/ √d_k when scale), -inf where mask is False: (n_q, n_k)."""
    s = Q @ K.T / (np.sqrt(Q.shape[-1]) if scale else 1)
    return s if mask is None else np.where(mask, s, -np.inf)


def _sums_without_keepdims(Q, K, V, mask):
    """The slip e / e.sum(axis=-1): row j's sum divides column j (and raises unless n_q = n_k).
    (One shift for the whole matrix: it cancels, as it does in np.exp(S) / np.exp(S).sum(axis=1).)"""
    s = _scores(Q, K, mask)
    e = np.exp(s - s.max())
    return e / e.sum(axis=-1) @ V


@exercise("attention")
def attention(fn):
    """The learner's attention(Q, K, V, mask=None) -> softmax(Q Kᵀ / √d_k, masked) V."""
    _, Xb = sentence(BALL)  # (4, 5)
    cases = {"The ball is blue": (linear(Xb, W_Q), linear(Xb, W_K), linear(Xb, W_V), None),
             "The black cat drank the milk, with a causal mask": (_Q, _K, linear(_X, W_V), causal_mask(6)),
             **random_cases(np.random.default_rng(SEED + 1), 5, _attention_case)}
    return check_function(
        attention.title, fn, _attention, cases,
        labels=(None, None), symbol="out",
        slips={"took the softmax over the columns (axis=0) instead of each row":
                   lambda Q, K, V, m: _softmax_rows(_scores(Q, K, m), axis=0) @ V,
               "divided by the row sums without keepdims=True, so they line up with the columns: "
               "keep them as a column, e.sum(axis=-1, keepdims=True)": _sums_without_keepdims,
               "forgot to divide by √d_k":
                   lambda Q, K, V, m: _softmax_rows(_scores(Q, K, m, scale=False)) @ V,
               "ignored the mask":
                   lambda Q, K, V, m: _softmax_rows(_scores(Q, K, None)) @ V,
               "zeroed the masked weights after the softmax, so the rows no longer sum to 1 "
               "(mask the scores with -inf before it)":
                   lambda Q, K, V, m: (_softmax_rows(_scores(Q, K, None)) * (1 if m is None else m)) @ V},
        hint="four steps: scaled scores; hide the masked ones BEFORE the softmax, with -inf so that their "
             "weight is exactly 0; a softmax along each row; then mix the values with those weights.",
        answer="scores = Q @ K.T / np.sqrt(Q.shape[-1]); if mask is not None: scores = np.where(mask, scores, "
               "-np.inf); return softmax(scores) @ V")


@exercise("rows of S (sheet)")
def scores_sheet(answers=...):
    """The fillable sheet for S = Q Kᵀ of the cat sentence: the rows of "cat" and "milk" blank."""
    blanks = np.zeros(_S.shape, bool)
    blanks[[2, 5]] = True  # cat, milk
    return fillable_sheet(
        scores_sheet.title, _Q.astype(np.int64), _K.T.astype(np.int64), answers, answer_name="S_typed", symbol="S",
        blanks=blanks, roles=("output", "output", "attention"), names=("Q", "Kᵀ"),
        left_labels=(_WORDS, list(KEY_FEATURES)), right_labels=(list(KEY_FEATURES), _WORDS),
        title="S = Q Kᵀ: fill in the rows of cat and milk",
        hint="each box is a query (a row of Q) times a key (a column of Kᵀ): the rows are the query words, "
             "the columns the key words, so S is not symmetric.")


EXERCISES = exercises(__name__)


def start():
    """Declare this lesson's exercises, in order: each is "not done" until its check runs."""
    start_lesson(__name__)
