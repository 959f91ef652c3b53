"""The numbers of lesson 04 (queries, keys and values), in one place.

Lesson, exercises and tests read the toy vocabulary and the attention
weights from here. Tokens are rows; weights are stored (d_out, d_in) and
applied with `linear(X, W)` = X @ W.T.

- FEATURES: the five embedding features (d_model = 5), one meaning each.
- EMBEDDINGS: word -> its 5 features. A Spanish word gets the same features
  as its English translation (a toy simplification).
- KEY_FEATURES: the four query/key features (d_k = 4).
- W_Q, W_K (4, 5): what a word looks for, and what it offers.
- W_V (4, 5): what a word passes on when it is attended to (d_v = 4).
- W_Q_CROSS, W_K_CROSS (4, 5): the encoder-decoder attention block's own
  weights (it matches words with the same features).
- sentence(text) -> (words, X): split a sentence and stack its embeddings.
- scaling_experiment(...): the spread of q.k and the largest softmax weight
  for random unit-variance vectors, with and without the 1/sqrt(d_k) scale.
- check: the checks of exercises/04 (built on helpers.checks), one per exercise,
  in order: check.EXERCISES.
"""

import numpy as np

from .kernels import softmax
from .sheet import frozen as _frozen




FEATURES = ("article", "thing", "action", "colour", "drink")

EMBEDDINGS = {
    #         article, thing, action, colour, drink
    "the":   (1, 0, 0, 0, 0),
    "ball":  (0, 1, 0, 0, 0),
    "is":    (0, 0, 1, 0, 0),
    "blue":  (0, 0, 0, 1, 0),
    "black": (0, 0, 0, 1, 0),
    "cat":   (0, 1, 0, 0, 0),
    "drank": (0, 0, 1, 0, 1),
    "milk":  (0, 1, 0, 0, 1),
    # Spanish: the same features as the English translation
    "la":    (1, 0, 0, 0, 0),
    "bola":  (0, 1, 0, 0, 0),
    "es":    (0, 0, 1, 0, 0),
    "azul":  (0, 0, 0, 1, 0),
}

KEY_FEATURES = ("thing", "action", "colour", "drink")

# Rows: the query feature (what is looked for); columns: the embedding feature.
# Read a column: an article looks for a thing (1); a thing looks for an action (2);
# an action looks for a thing (1) and away from other actions (-2); a colour looks
# hard for a thing (4); a drink looks hard for an action (4) and for a thing (2).
W_Q = _frozen([
    # article, thing, action, colour, drink
    [1, 0, 1, 4, 2],    # looks for: thing
    [0, 2, -2, 0, 4],   # looks for: action
    [0, 0, 0, 0, 0],    # looks for: colour
    [0, 0, 0, 0, 0],    # looks for: drink
])

# A key copies four of the five features and drops "article": nobody looks for articles.
W_K = _frozen([
    # article, thing, action, colour, drink
    [0, 1, 0, 0, 0],    # offers: thing
    [0, 0, 1, 0, 0],    # offers: action
    [0, 0, 0, 1, 0],    # offers: colour
    [0, 0, 0, 0, 1],    # offers: drink
])

# What a word passes on; no story, just small integers.
W_V = _frozen([
    # article, thing, action, colour, drink
    [1, 2, 0, 0, 0],
    [0, 0, 2, 0, 1],
    [0, 1, 0, 2, 0],
    [0, 0, 1, 0, 2],
])

# Encoder-decoder attention has its own weights: here a query and a key both keep
# four features (doubled) and drop "drink", so a word matches its translation.
W_Q_CROSS = _frozen([
    # article, thing, action, colour, drink
    [2, 0, 0, 0, 0],
    [0, 2, 0, 0, 0],
    [0, 0, 2, 0, 0],
    [0, 0, 0, 2, 0],
])
W_K_CROSS = W_Q_CROSS

BALL = "The ball is blue"
CAT = "The black cat drank the milk"
BOLA = "La bola es azul"


def sentence(text):
    """Split `text` on spaces and stack the words' embeddings: (words, X (n, d_model))."""
    words = text.split()
    X = np.array([EMBEDDINGS[w.lower()] for w in words], dtype=np.int64)  # (n, d_model)
    return words, X


DIMS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)


def scaling_experiment(dims=DIMS, n_keys=10, trials=500, seed=0):
    """Random queries and keys with unit-variance entries, for each d_k in dims.

    Returns a dict of 1-D arrays, one value per d_k:
    - "std": the standard deviation of q.k over all trials and keys,
    - "max_raw": the mean (over trials) of the largest softmax weight of q.K^T,
    - "max_scaled": the same for q.K^T / sqrt(d_k).
    """
    rng = np.random.default_rng(seed)
    std, max_raw, max_scaled = [], [], []
    for d_k in dims:
        q = rng.standard_normal((trials, 1, d_k))  # (trials, 1, d_k)
        K = rng.standard_normal((trials, n_keys, d_k))  # (trials, n_keys, d_k)
        scores = (q @ np.swapaxes(K, -1, -2))[:, 0, :]  # (trials, n_keys)
        std.append(scores.std())
        max_raw.append(softmax(scores).max(axis=-1).mean())
        max_scaled.append(softmax(scores / np.sqrt(d_k)).max(axis=-1).mean())
    return {"d_k": np.array(dims), "std": np.array(std),
            "max_raw": np.array(max_raw), "max_scaled": np.array(max_scaled)}



# ---------------------------------------------------------------- exercise checks
#
# The checks of exercises/04-queries-keys-values.ipynb, built on helpers.checks:
# `from helpers.lesson04 import check`, then `check.start()`, `check.query_of_drank(q)`, ...


def _checks():
    from types import SimpleNamespace

    from . import checks as C
    from .kernels import causal_mask, linear, scaled_dot_product_attention

    names = ["query of drank", "row of drank in S", "spread and scale", "causal mask",
             "cross-attention shape", "attention_scores", "attention", "rows of S (sheet)"]
    words, X = sentence(CAT)
    Q, K = linear(X, W_Q), linear(X, W_K)  # (6, 4) each
    S = (Q @ K.T).astype(np.int64)  # (6, 6)
    drank = 3
    words_es, _ = sentence(BOLA)

    def start():
        C.start("04", names)

    def scores_sheet(answers=...):
        """The fillable sheet for S = Q Kᵀ of the cat sentence: the rows of "cat" and "milk" blank."""
        blanks = np.zeros(S.shape, bool)
        blanks[[2, 5]] = True  # cat, milk
        return C.fillable_sheet(
            names[7], Q.astype(np.int64), K.T.astype(np.int64), answers, answer_name="S_typed", symbol="S",
            blanks=blanks, roles=("output", "output", "attention"), names=("Q", "Kᵀ"),
            left_labels=(words, list(KEY_FEATURES)), right_labels=(list(KEY_FEATURES), words),
            title="S = Q Kᵀ: fill in the rows of cat and milk")

    def query_of_drank(q_drank):
        """The query of "drank" = its embedding times W_Qᵀ (4 numbers)."""
        return C.check_value(
            names[0], q_drank, Q[drank].astype(np.int64), cell_names=list(KEY_FEATURES),
            slips={"used only W_Q's action column (drank is an action and a drink: add both columns)":
                       W_Q[:, 2],
                   "used only W_Q's drink column (drank is an action and a drink: add both columns)":
                       W_Q[:, 4],
                   "used W_K: that is the key of drank, not its query": K[drank].astype(np.int64)},
            hint="drank = (0, 0, 1, 0, 1): its query is W_Q's action column plus its drink column, "
                 "(1, -2, 0, 0) + (2, 4, 0, 0).",
            note="drank looks for things (3) and a little for actions (2).")

    def drank_scores(S_drank):
        """Row "drank" of S = Q Kᵀ for "The black cat drank the milk" (6 numbers)."""
        return C.check_value(
            names[1], S_drank, S[drank], cell_names=list(words),
            slips={"computed the column of drank (every query against drank's key), not its row":
                       S[:, drank],
                   "used the queries as keys too (q·q instead of q·k)": (Q[drank] @ Q.T).astype(np.int64),
                   "divided by √d_k = 2 already (that is the next step)": S[drank] / 2},
            hint="take the query of drank, (3, 2, 0, 0), and dot it with the key of each word in turn: "
                 "cat's key is (1, 0, 0, 0), so drank·cat = 3·1 = 3.",
            note="drank scores 3 with cat and milk (things), 2 with itself.")

    def spread_and_scale(std_16, divide_64):
        """std of q·k for d_k = 16; the number the paper divides the scores by (d_k = 64)."""
        return C.check_value(
            names[2], [std_16, divide_64], [4, 8], cell_names=["std_16", "divide_64"],
            slips={"gave d_k itself: the spread grows like the square root of d_k": [16, 64]},
            hint="q·k adds d_k products of variance 1, so its variance is d_k and its standard "
                 "deviation is √d_k.",
            note="dividing by √d_k brings the spread of the scores back to about 1.")

    def causal(mask4):
        """The causal mask for 4 words, as 0/1 (1 = may attend)."""
        M = causal_mask(4).astype(np.int64)
        return C.check_value(
            names[3], mask4, M, labels=(words_es, words_es), symbol="mask",
            slips={"put the 1s above the diagonal: row i (a query) may see the keys 0..i, on and "
                   "below the diagonal": M.T,
                   "left out the diagonal: a word may attend to itself": np.tril(M, -1)},
            hint="row i is the query word i; it may attend to words 0, 1, ..., i. "
                 "So row 1 is [1, 0, 0, 0] and row 4 is [1, 1, 1, 1].",
            note="the masked scores become -inf, so their weights are exactly 0.")

    def cross_shape(shape):
        """The shape of the cross-attention weights: 3 target words so far, 6 source words."""
        return C.check_value(
            names[4], shape, [3, 6], cell_names=["n_q", "n_k"],
            slips={"swapped them: the rows are the queries (the target words), the columns the keys": [6, 3],
                   "gave the shape of the decoder's self-attention; in cross-attention the keys come "
                   "from the source": [3, 3]},
            hint="the weights are (n_q, n_k): one row per query (from the decoder), one column per key "
                 "(from the encoder).",
            note="each of the 3 Spanish words so far gets weights over all 6 English words.")

    def _scores_ref(X_, Wq, Wk):
        Qr, Kr = np.asarray(X_) @ np.asarray(Wq).T, np.asarray(X_) @ np.asarray(Wk).T
        return Qr @ Kr.T / np.sqrt(Qr.shape[-1])

    def attention_scores(fn):
        rng = np.random.default_rng(404)

        def make(r):
            n, d_model, d_k = int(r.integers(2, 6)), int(r.integers(2, 6)), int(r.choice([2, 3, 9]))
            return (r.integers(-2, 3, size=(n, d_model)), r.integers(-2, 3, size=(d_k, d_model)),
                    r.integers(-2, 3, size=(d_k, d_model)))

        square = (np.array([[1, 0, 2], [0, 1, -1]]), np.array([[1, 2, 0], [0, 1, 0], [1, 0, 1]]),
                  np.array([[0, 1, 1], [1, 0, 0], [2, 0, 1]]))
        cases = [(X, W_Q, W_K)] + C.int_cases(rng, 4, make) + [square]
        return C.check_function(
            names[5], fn, _scores_ref, cases,
            case_labels=["The black cat drank the milk"] + [f"random case {i}" for i in range(1, 5)]
            + ["a square case (d_k = d_model = 3)"],
            labels=(words, words), symbol="S",
            slips={"forgot to divide by √d_k": lambda X_, Wq, Wk: (X_ @ Wq.T) @ (X_ @ Wk.T).T,
                   "divided by d_k instead of √d_k":
                       lambda X_, Wq, Wk: (X_ @ Wq.T) @ (X_ @ Wk.T).T / Wq.shape[0],
                   "divided by √d_model instead of √d_k (d_k = W_q.shape[0])":
                       lambda X_, Wq, Wk: (X_ @ Wq.T) @ (X_ @ Wk.T).T / np.sqrt(X_.shape[1]),
                   "used W_q and W_k as they are stored; weights are (d_out, d_in), so Q = X @ W_q.T":
                       lambda X_, Wq, Wk: (X_ @ Wq) @ (X_ @ Wk).T / np.sqrt(Wq.shape[0])},
            hint="Q = X @ W_q.T and K = X @ W_k.T, both (n, d_k); "
                 "return Q @ K.T / np.sqrt(d_k), with d_k = Q.shape[-1].")

    def _attn_ref(Q_, K_, V_, mask):
        return scaled_dot_product_attention(Q_, K_, V_, mask)[0]

    def attention(fn):
        rng = np.random.default_rng(405)
        words_b, Xb = sentence(BALL)
        Vc = linear(X, W_V)

        def make(r):
            n_q, n_k, d_k, d_v = (int(r.integers(2, 5)) for _ in range(4))
            masked = bool(r.integers(0, 2))
            if masked:
                n_k = n_q
            mask = causal_mask(n_q) if masked else None
            return (r.integers(-2, 3, size=(n_q, d_k)), r.integers(-2, 3, size=(n_k, d_k)),
                    r.integers(-2, 3, size=(n_k, d_v)), mask)

        cases = [(linear(Xb, W_Q), linear(Xb, W_K), linear(Xb, W_V), None),
                 (Q, K, Vc, causal_mask(6))] + C.int_cases(rng, 5, make)

        def softmax_rows(s, axis=-1):
            e = np.exp(s - np.max(s, axis=axis, keepdims=True))
            return e / e.sum(axis=axis, keepdims=True)

        def scores_of(Q_, K_, mask, scale=True):
            s = Q_ @ K_.T / (np.sqrt(Q_.shape[-1]) if scale else 1)
            return s if mask is None else np.where(mask, s, -np.inf)

        return C.check_function(
            names[6], fn, _attn_ref, cases,
            case_labels=["The ball is blue", "The black cat drank the milk, with a causal mask"]
            + [f"random case {i}" for i in range(1, 6)],
            labels=(None, None), symbol="out",
            slips={"took the softmax over the columns (axis=0) instead of each row":
                       lambda Q_, K_, V_, m: softmax_rows(scores_of(Q_, K_, m), axis=0) @ V_,
                   "forgot to divide by √d_k":
                       lambda Q_, K_, V_, m: softmax_rows(scores_of(Q_, K_, m, scale=False)) @ V_,
                   "ignored the mask":
                       lambda Q_, K_, V_, m: softmax_rows(scores_of(Q_, K_, None)) @ V_,
                   "zeroed the masked weights after the softmax, so the rows no longer sum to 1 "
                   "(mask the scores with -inf before it)":
                       lambda Q_, K_, V_, m: (softmax_rows(scores_of(Q_, K_, None))
                                              * (1 if m is None else m)) @ V_},
            hint="scores = Q @ K.T / np.sqrt(d_k); where mask is False put -np.inf "
                 "(np.where(mask, scores, -np.inf)); weights = softmax(scores) over each row; return weights @ V.")

    return SimpleNamespace(
        EXERCISES=tuple(names), start=start, query_of_drank=query_of_drank, drank_scores=drank_scores,
        spread_and_scale=spread_and_scale, causal=causal, cross_shape=cross_shape,
        attention_scores=attention_scores, attention=attention, scores_sheet=scores_sheet, progress=C.progress)


check = _checks()
