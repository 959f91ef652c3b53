"""The numbers of lesson 05 (multi-head attention), in one place.

d_model = 4, h = 2 heads, d_k = d_model / h = 2. Tokens are rows; weights are
stored (d_out, d_in) and applied with `linear(X, W)` = X @ W.T. Rows 0-1 of
W_Q, W_K, W_V belong to head 1, rows 2-3 to head 2.

- FEATURES: the four input features: "noun" (+1 for a noun, -1 otherwise),
  the position p (0, 1, 2, ...), p squared, and a constant 1.
- WORDS, X (5, 4): "the cat saw the dog" with those features.
- W_Q, W_K, W_V, W_O (4, 4): head 1 attends to the previous word, head 2 to
  words of the same type (noun or not); each head passes on (noun, p) of the
  words it attends to; W_O mixes the two heads' outputs.
- params(): the same weights as an AttentionParams (biases zero).
- inputs(words): the feature rows for any list of words (nouns from NOUNS).
- check: the checks of exercises/05 (built on helpers.checks), one per exercise,
  in order: check.EXERCISES.
"""

import numpy as np

from .kernels import AttentionParams
from .sheet import frozen as _frozen




FEATURES = ("noun", "p", "p²", "1")
NOUNS = frozenset({"cat", "dog", "mat", "ball", "milk", "fish"})
WORDS = ("the", "cat", "saw", "the", "dog")


def inputs(words):
    """(n, 4) integer features [noun, p, p², 1] of a list of words."""
    rows = []
    for p, w in enumerate(words):
        rows.append([1 if w in NOUNS else -1, p, p * p, 1])
    return np.array(rows, dtype=np.int64)


X = inputs(WORDS)
X.flags.writeable = False

# Head 1 (rows 0-1): query (6p - 6, -3), key (p, p²). Their dot product for
# query position i and key position j is 3·(2(i-1)j - j²) = -3·(j - (i-1))² + a
# number that is the same for the whole row, so it is largest at j = i - 1.
# Head 2 (rows 2-3): query (3·noun, 0), key (noun, 0): +3 for the same type, -3 otherwise.
W_Q = _frozen([
    # noun, p, p², 1
    [0, 6, 0, -6],   # head 1
    [0, 0, 0, -3],   # head 1
    [3, 0, 0, 0],    # head 2
    [0, 0, 0, 0],    # head 2
])
W_K = _frozen([
    # noun, p, p², 1
    [0, 1, 0, 0],    # head 1
    [0, 0, 1, 0],    # head 1
    [1, 0, 0, 0],    # head 2
    [0, 0, 0, 0],    # head 2
])
# Both heads pass on (noun, p) of the words they attend to.
W_V = _frozen([
    # noun, p, p², 1
    [1, 0, 0, 0],    # head 1
    [0, 1, 0, 0],    # head 1
    [1, 0, 0, 0],    # head 2
    [0, 1, 0, 0],    # head 2
])
# Columns: head 1's two outputs, then head 2's two outputs.
W_O = _frozen([
    [1, 0, 1, 0],
    [0, 1, 0, 1],
    [1, 0, -1, 0],
    [0, 1, 0, -1],
])

D_MODEL = 4
H = 2
D_K = D_MODEL // H


def params():
    """W_Q, W_K, W_V, W_O as an AttentionParams with zero biases (float copies)."""
    z = np.zeros(D_MODEL)
    return AttentionParams(
        W_Q.astype(float), z.copy(), W_K.astype(float), z.copy(),
        W_V.astype(float), z.copy(), W_O.astype(float), z.copy(),
    )


# ---------------------------------------------------------------- exercise checks
#
# The checks of exercises/05-multi-head-attention.ipynb, built on helpers.checks:
# `from helpers.lesson05 import check`, then `check.start()`, `check.head_sizes(...)`, ...


def _split(x, h):
    """(n, d_model) -> (h, n, d_k): the columns of each head, stacked."""
    x = np.asarray(x)
    n, d_model = x.shape
    return x.reshape(n, h, d_model // h).transpose(1, 0, 2)


def _merge(heads):
    """(h, n, d_k) -> (n, h * d_k): the heads side by side."""
    heads = np.asarray(heads)
    h, n, d_k = heads.shape
    return heads.transpose(1, 0, 2).reshape(n, h * d_k)


def _checks():
    from types import SimpleNamespace

    from . import checks as C
    from .kernels import linear, multi_head_attention, softmax

    names = ["head sizes", "score shapes", "a head-1 score", "parameter count",
             "split_heads", "merge_heads", "multi_head"]
    Q, K = linear(X, W_Q), linear(X, W_K)

    def start():
        C.start("05", names)

    def head_sizes(d_k_paper, d_k_small):
        """d_k for d_model = 512, h = 8; and for d_model = 6, h = 3."""
        return C.check_value(
            names[0], [d_k_paper, d_k_small], [64, 2], cell_names=["d_k_paper", "d_k_small"],
            slips={"multiplied d_model by h; each head gets d_model / h features": [4096, 18],
                   "gave the number of heads h; d_k is the number of features per head": [8, 3]},
            hint="the d_model features are shared out among the h heads: d_k = d_model / h.",
            note="8 heads × 64 features = 512.")

    def score_shapes(shape):
        """The shape of all heads' score matrices, stacked: n = 10, d_model = 512, h = 8."""
        return C.check_value(
            names[1], shape, [8, 10, 10], cell_names=["h", "n_q", "n_k"],
            slips={"gave the shape of the heads' outputs (h, n, d_k); the scores are one n × n "
                   "matrix per head": [8, 10, 64],
                   "put the heads last; the stack is (h, n, n), one n × n matrix per head": [10, 10, 8]},
            hint="each head compares every query with every key: an (n, n) matrix per head, "
                 "so (h, n, n) for all of them.",
            note="8 score matrices of 10 × 10.")

    def head1_score(S1_dog_the):
        """Head 1's score of the query "dog" (position 4) against the key "the" (position 3)."""
        return C.check_value(
            names[2], S1_dog_the, int(Q[4, :2] @ K[3, :2]),
            slips={"used the key of dog itself (position 4) instead of the second the (position 3)":
                       int(Q[4, :2] @ K[4, :2]),
                   "used head 2's columns (2a, 2b) instead of head 1's (1a, 1b)": int(Q[4, 2:] @ K[3, 2:]),
                   "used the first the (position 0) instead of the second (position 3)": int(Q[4, :2] @ K[0, :2])},
            hint="head 1's query of dog is row dog, columns 1a and 1b of Q: (6·4 - 6, -3) = (18, -3); "
                 "head 1's key of the second the is (p, p²) = (3, 9).",
            note="the largest score in dog's row: head 1 looks one word back.")

    def parameter_count(n_weights):
        """How many numbers W_Q, W_K, W_V and W_O hold together for d_model = 512 (no biases)."""
        return C.check_value(
            names[3], n_weights, 4 * 512 * 512,
            slips={"left out W_O": 3 * 512 * 512,
                   "counted one head's slice of each matrix (64 × 512); the heads together use all of it":
                       4 * 64 * 512,
                   "counted 8 heads of 64 × 64": 4 * 8 * 64 * 64},
            hint="each of the four matrices is (d_model, d_model) = 512 × 512, whatever the number of heads.",
            note="about a million: the same as one big head of 512.")

    def split_heads(fn):
        rng = np.random.default_rng(505)

        def make(r):
            h, d_k, n = int(r.integers(2, 4)), int(r.integers(1, 4)), int(r.integers(2, 5))
            return r.integers(-5, 6, size=(n, h * d_k)), h

        cases = [(np.arange(12).reshape(3, 4), 2)] + C.int_cases(rng, 4, make) + [(linear(X, W_Q), 2)]
        return C.check_function(
            names[4], fn, _split, cases,
            case_labels=["np.arange(12).reshape(3, 4), h = 2"] + [f"random case {i}" for i in range(1, 5)]
            + ["the lesson's Q, h = 2"],
            symbol="out",
            slips={"reshaped straight to (h, n, d_k); reshape to (n, h, d_k) first, then move the "
                   "head axis to the front": lambda x, h: np.asarray(x).reshape(h, x.shape[0], x.shape[1] // h),
                   "kept (n, h, d_k): the head axis should come first, (h, n, d_k)":
                       lambda x, h: np.asarray(x).reshape(x.shape[0], h, x.shape[1] // h)},
            hint="x.reshape(n, h, d_k) groups each row's columns per head; "
                 ".transpose(1, 0, 2) then gives (h, n, d_k).")

    def merge_heads(fn):
        rng = np.random.default_rng(506)

        def make(r):
            h, n, d_k = int(r.integers(2, 4)), int(r.integers(2, 5)), int(r.integers(1, 4))
            return (r.integers(-5, 6, size=(h, n, d_k)),)

        cases = [(np.arange(12).reshape(2, 3, 2),)] + C.int_cases(rng, 4, make)
        return C.check_function(
            names[5], fn, _merge, cases,
            case_labels=["np.arange(12).reshape(2, 3, 2)"] + [f"random case {i}" for i in range(1, 5)],
            symbol="out",
            slips={"reshaped straight to (n, h·d_k); move the head axis back first, "
                   "heads.transpose(1, 0, 2), then reshape":
                       lambda hd: np.asarray(hd).reshape(hd.shape[1], hd.shape[0] * hd.shape[2]),
                   "stacked the heads one under the other (h·n, d_k); they go side by side":
                       lambda hd: np.asarray(hd).reshape(hd.shape[0] * hd.shape[1], hd.shape[2])},
            hint="heads.transpose(1, 0, 2) is (n, h, d_k); .reshape(n, h * d_k) puts each row's heads "
                 "side by side (the same as np.concatenate(list(heads), axis=-1)).")

    def _params(Wq, Wk, Wv, Wo):
        z = np.zeros(np.asarray(Wq).shape[0])
        return AttentionParams(Wq, z, Wk, z, Wv, z, Wo, z)

    def _mha_ref(X_, Wq, Wk, Wv, Wo, h):
        return multi_head_attention(X_, X_, _params(Wq, Wk, Wv, Wo), h)[0]

    def _mha_variant(X_, Wq, Wk, Wv, Wo, h, *, scale_by=None, split=_split, w_o=True):
        Qh, Kh, Vh = (split(X_ @ np.asarray(W).T, h) for W in (Wq, Wk, Wv))
        d = scale_by(X_, h) if scale_by else Qh.shape[-1]
        heads = softmax(Qh @ np.swapaxes(Kh, -1, -2) / np.sqrt(d)) @ Vh
        cat = _merge(heads)
        return cat @ np.asarray(Wo).T if w_o else cat

    def multi_head(fn):
        rng = np.random.default_rng(507)

        def make(r):
            h = int(r.choice([2, 3]))
            d_model, n = h * int(r.integers(1, 3)), int(r.integers(2, 5))
            W = lambda: r.integers(-2, 3, size=(d_model, d_model))  # noqa: E731
            return r.integers(-2, 3, size=(n, d_model)), W(), W(), W(), W(), h

        cases = [(X, W_Q, W_K, W_V, W_O, 2)] + C.int_cases(rng, 5, make)
        return C.check_function(
            names[6], fn, _mha_ref, cases,
            case_labels=["the cat saw the dog"] + [f"random case {i}" for i in range(1, 6)],
            labels=(list(WORDS), None), symbol="out",
            slips={"forgot W_O at the end": lambda *a: _mha_variant(*a, w_o=False),
                   "divided by √d_model instead of √d_k":
                       lambda *a: _mha_variant(*a, scale_by=lambda X_, h: X_.shape[-1]),
                   "split the heads with a plain reshape to (h, n, d_k) (reshape to (n, h, d_k), "
                   "then transpose)":
                       lambda *a: _mha_variant(*a, split=lambda x, h: x.reshape(h, x.shape[0], x.shape[1] // h)),
                   "used one head (h = 1)": lambda X_, Wq, Wk, Wv, Wo, h: _mha_ref(X_, Wq, Wk, Wv, Wo, 1)},
            hint="Q, K, V = X @ W_q.T, ...; split each into (h, n, d_k); attend per head with "
                 "softmax(Q K^T / √d_k) V; merge back to (n, d_model); multiply by W_o.T.")

    return SimpleNamespace(
        EXERCISES=tuple(names), start=start, head_sizes=head_sizes, score_shapes=score_shapes,
        head1_score=head1_score, parameter_count=parameter_count, split_heads=split_heads,
        merge_heads=merge_heads, multi_head=multi_head, progress=C.progress)


check = _checks()
