"""The checks of exercises/05-multi-head-attention.ipynb, one per exercise, in order.

    from helpers.checks import lesson05 as check
    check.start()                      # every exercise "not done"
    check.head_sizes(d_k_paper, d_k_small)
    ...
    check.progress()

Expected values come from helpers.lesson05 (the lesson's X and weights) and helpers.kernels.
"""

import numpy as np

from .. import kernels
from ..kernels import AttentionParams, frozen, linear, multi_head_attention, softmax
from ..lesson05 import W_K, W_O, W_Q, W_V, WORDS, X
from . import check_function, check_value, exercise, exercises, random_cases, start_lesson
from . import progress as progress  # check.progress() in the notebooks

SEED = 505  # the random cases are the same in every run

Q = frozen(linear(X, W_Q))  # (n, d_model) = (5, 4)
K = frozen(linear(X, W_K))  # (5, 4)


@exercise("head sizes")
def head_sizes(d_k_paper, d_k_small):
    """d_k for d_model = 512, h = 8; and for d_model = 6, h = 3."""
    return check_value(
        head_sizes.title, [d_k_paper, d_k_small], [64, 2], cell_names=["d_k_paper", "d_k_small"],
        slips={"multiplied d_model by h; each head gets d_model / h features": [4096, 18],
               "gave the number of heads h; d_k is the number of features per head": [8, 3]},
        hint="the d_model features are shared out among the h heads, each head getting the same number.",
        answer="d_k = d_model / h: d_k_paper = 512 / 8 = 64; d_k_small = 6 / 3 = 2",
        note="8 heads × 64 features = 512.")


@exercise("score shapes")
def score_shapes(shape):
    """The shape of all heads' score matrices, stacked: n = 10, d_model = 512, h = 8."""
    return check_value(
        score_shapes.title, shape, [8, 10, 10], cell_names=["h", "n_q", "n_k"],
        slips={"gave the shape of the heads' outputs (h, n, d_k); the scores are one n × n "
               "matrix per head": [8, 10, 64],
               "put the heads last; the stack is (h, n, n), one n × n matrix per head": [10, 10, 8]},
        hint="each head compares every query with every key, so each head's scores form a square table; "
             "then stack the heads, heads first.",
        answer="scores_shape = (h, n, n) = (8, 10, 10)",
        note="8 score matrices of 10 × 10.")


@exercise("a head-1 score")
def head1_score(S1_dog_the):
    """Head 1's score of the query "dog" (position 4) against the key "the" (position 3)."""
    return check_value(
        head1_score.title, S1_dog_the, int(Q[4, :2] @ K[3, :2]),
        slips={"used the key of dog itself (position 4) instead of the second the (position 3)":
                   int(Q[4, :2] @ K[4, :2]),
               "used head 2's columns (2a, 2b) instead of head 1's (1a, 1b)": int(Q[4, 2:] @ K[3, 2:]),
               "used the first the (position 0) instead of the second (position 3)": int(Q[4, :2] @ K[0, :2]),
               # Q[4] @ K[3] over all four columns is 27 - 3 = 24, the same number as the key of dog above:
               # with two causes for 24 the check names neither.
               "used all four columns (both heads): head 1's score uses only its columns 1a and 1b":
                   int(Q[4] @ K[3])},
        hint="head 1 uses only columns 1a and 1b of Q and of K; the query is dog's row, and the key is the "
             "row of the second the, the word just before dog.",
        answer="head 1's query of dog is (18, -3) and its key of the second the is (3, 9): "
               "18·3 + (-3)·9 = 54 - 27 = 27",
        note="the largest score in dog's row: head 1 looks one word back.")


@exercise("parameter count")
def parameter_count(n_weights):
    """How many numbers W_Q, W_K, W_V and W_O hold together for d_model = 512 (no biases)."""
    return check_value(
        parameter_count.title, n_weights, 4 * 512 * 512,
        slips={"left out W_O": 3 * 512 * 512,
               "counted one head's slice of each matrix (64 × 512); the heads together use all of it":
                   4 * 64 * 512,
               "counted 8 heads of 64 × 64": 4 * 8 * 64 * 64},
        hint="count the numbers in each of the four matrices; the heads share each matrix out among "
             "themselves, they do not add to it.",
        answer="each of W_Q, W_K, W_V, W_O is 512 × 512: n_weights = 4 · 512 · 512 = 1,048,576",
        note="about a million: the same as one big head of 512.")


def _split_case(r):
    h, d_k, n = int(r.integers(2, 4)), int(r.integers(1, 4)), int(r.integers(2, 5))
    return r.integers(-5, 6, size=(n, h * d_k)), h


def _plain_reshape(x, h):
    """The slip: (n, d_model) reshaped straight to (h, n, d_k), without moving the head axis."""
    return np.asarray(x).reshape(h, x.shape[0], x.shape[1] // h)


@exercise("split_heads")
def split_heads(fn):
    """The learner's split_heads(x, h): (n, d_model) -> (h, n, d_k), as helpers.kernels.split_heads."""
    cases = {"np.arange(12).reshape(3, 4), h = 2": (np.arange(12).reshape(3, 4), 2),
             **random_cases(np.random.default_rng(SEED), 4, _split_case),
             "the lesson's Q, h = 2": (Q, 2)}
    return check_function(
        split_heads.title, fn, kernels.split_heads, cases, symbol="out",
        slips={"reshaped straight to (h, n, d_k); reshape to (n, h, d_k) first, then move the "
               "head axis to the front": _plain_reshape,
               "kept (n, h, d_k): the head axis should come first, (h, n, d_k)":
                   lambda x, h: np.asarray(x).reshape(x.shape[0], h, x.shape[1] // h)},
        hint="first group each row's columns per head (a reshape that keeps the rows), then move the head "
             "axis to the front (a transpose); a single reshape to (h, n, d_k) mixes the rows up.",
        answer="n, d_model = x.shape; return x.reshape(n, h, d_model // h).transpose(1, 0, 2)")


def _merge_case(r):
    h, n, d_k = int(r.integers(2, 4)), int(r.integers(2, 5)), int(r.integers(1, 4))
    return (r.integers(-5, 6, size=(h, n, d_k)),)


@exercise("merge_heads")
def merge_heads(fn):
    """The learner's merge_heads(heads): (h, n, d_k) -> (n, h * d_k), as helpers.kernels.merge_heads."""
    cases = {"np.arange(12).reshape(2, 3, 2)": (np.arange(12).reshape(2, 3, 2),),
             **random_cases(np.random.default_rng(SEED + 1), 4, _merge_case)}
    return check_function(
        merge_heads.title, fn, kernels.merge_heads, cases, symbol="out",
        slips={"reshaped straight to (n, h·d_k); move the head axis back first, "
               "heads.transpose(1, 0, 2), then reshape":
                   lambda hd: np.asarray(hd).reshape(hd.shape[1], hd.shape[0] * hd.shape[2]),
               "stacked the heads one under the other (h·n, d_k); they go side by side":
                   lambda hd: np.asarray(hd).reshape(hd.shape[0] * hd.shape[1], hd.shape[2])},
        hint="undo split_heads in reverse order: move the head axis back to the middle, then put each row's "
             "heads side by side with a reshape.",
        answer="h, n, d_k = heads.shape; return heads.transpose(1, 0, 2).reshape(n, h * d_k)")


def _multi_head_case(r):
    h = int(r.choice([2, 3]))
    d_model, n = h * int(r.integers(1, 3)), int(r.integers(2, 5))
    x = r.integers(-2, 3, size=(n, d_model))
    weights = [r.integers(-2, 3, size=(d_model, d_model)) for _ in range(4)]  # W_q, W_k, W_v, W_o
    return (x, *weights, h)


def _multi_head_reference(X_, Wq, Wk, Wv, Wo, h):
    z = np.zeros(np.asarray(Wq).shape[0])
    return multi_head_attention(X_, X_, AttentionParams(Wq, z, Wk, z, Wv, z, Wo, z), h)[0]


def _multi_head_variant(X_, Wq, Wk, Wv, Wo, h, *, scale_by=None, split=kernels.split_heads, w_o=True):
    """Multi-head attention with one step changed: the slips of the multi_head exercise."""
    Qh, Kh, Vh = (split(X_ @ np.asarray(W).T, h) for W in (Wq, Wk, Wv))  # (h, n, d_k) each
    d = scale_by(X_, h) if scale_by else Qh.shape[-1]
    heads = softmax(Qh @ np.swapaxes(Kh, -1, -2) / np.sqrt(d)) @ Vh  # (h, n, d_k)
    cat = kernels.merge_heads(heads)  # (n, d_model)
    return cat @ np.asarray(Wo).T if w_o else cat


@exercise("multi_head")
def multi_head(fn):
    """The learner's multi_head(X, W_q, W_k, W_v, W_o, h) -> (n, d_model), on the lesson's sentence."""
    cases = {"the cat saw the dog": (X, W_Q, W_K, W_V, W_O, 2),
             **random_cases(np.random.default_rng(SEED + 2), 5, _multi_head_case)}
    return check_function(
        multi_head.title, fn, _multi_head_reference, cases,
        labels=(list(WORDS), None), symbol="out",
        slips={"forgot W_O at the end": lambda *a: _multi_head_variant(*a, w_o=False),
               "divided by √d_model instead of √d_k":
                   lambda *a: _multi_head_variant(*a, scale_by=lambda X_, h: X_.shape[-1]),
               "split the heads with a plain reshape to (h, n, d_k) (reshape to (n, h, d_k), "
               "then transpose)": lambda *a: _multi_head_variant(*a, split=_plain_reshape),
               "used one head (h = 1)": lambda X_, Wq, Wk, Wv, Wo, h: _multi_head_reference(X_, Wq, Wk, Wv, Wo, 1)},
        hint="four steps: project (weights are stored (d_out, d_in)); split Q, K and V into heads; attend in "
             "every head, scaling by √d_k of ONE head; merge the heads and apply W_o.",
        answer="Q, K, V = (split_heads(X @ W.T, h) for W in (W_q, W_k, W_v)); "
               "heads = softmax(Q @ K.transpose(0, 2, 1) / np.sqrt(Q.shape[-1])) @ V; "
               "return merge_heads(heads) @ W_o.T")


EXERCISES = exercises(__name__)


def start():
    """Declare this lesson's exercises, in order: each is "not done" until its check runs."""
    start_lesson(__name__)
