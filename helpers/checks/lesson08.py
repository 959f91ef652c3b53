"""The checks of exercises/08-decoder-and-output.ipynb, one per exercise, in order.

    from helpers.checks import lesson08 as check
    check.start()                      # every exercise "not done"
    check.masked_scores(S_masked)
    ...
    check.progress()

Expected values come from helpers.lesson08 (the exercises' numbers and the translator), never typed in twice.
"""

import numpy as np

from .. import lesson08
from ..kernels import causal_mask, linear, scaled_dot_product_attention, softmax
from ..lesson08 import EX_B, EX_K, EX_Q, EX_SCORES, EX_W, EX_X, MAX_LEN, TGT_VOCAB, decode, split
from . import check_function, check_value, exercise, exercises, random_cases, start_lesson
from . import progress as progress  # check.progress() in the notebooks

SEED = 808  # the random cases are the same in every run
ROWS, KEYS = ["row 0", "row 1", "row 2"], ["k0", "k1", "k2"]  # the labels of EX_SCORES, from 0 as in lesson 08
KEEP = causal_mask(3)  # (3, 3): True = may attend


def _mask_fill(answer):
    """What a masked cell should hold: -99 as the sheets write it, or -∞ where the learner wrote -∞
    (lesson 08 masks with -∞ in code). Per cell, so that either is right; never raises."""
    try:
        with np.errstate(all="ignore"):
            typed = np.asarray(answer, dtype=float)
        if typed.shape == KEEP.shape and np.isneginf(typed).any():
            return np.where(np.isneginf(typed), -np.inf, -99.0)
    except (TypeError, ValueError, OverflowError):
        pass
    return -99


@exercise("masked scores")
def masked_scores(S_masked):
    """EX_SCORES with the future masked: -99 (or -∞) to the right of the diagonal."""
    S, fill = EX_SCORES, _mask_fill(S_masked)
    return check_value(
        masked_scores.title, S_masked, np.where(KEEP, S, fill), labels=(ROWS, KEYS), symbol="S",
        slips={"masked the past (below the diagonal) instead of the future (above it)": np.where(KEEP.T, S, fill),
               "masked the diagonal too, but a position may look at itself": np.where(np.tril(KEEP, -1), S, fill),
               "wrote 0 in the masked cells: a score of 0 still gets the weight e⁰ = 1, so write -99":
                   np.where(KEEP, S, 0)},
        hint="row i (a position) may see the columns 0 … i, itself and the ones before it; every cell that "
             "looks into the future gets -99 (or -∞), and the scores it may see stay as they are.",
        answer=f"S_masked = {np.where(KEEP, S, -99).tolist()}   # -99 to the right of the diagonal",
        note="Each row keeps itself and the positions before it.")


@exercise("masked weights")
def masked_weights(weights_row_0, weights_row_1):
    """Rows 0 and 1 of softmax(masked scores), by hand."""
    return check_value(
        masked_weights.title, [weights_row_0, weights_row_1], np.array([[1.0, 0, 0], [0.5, 0.5, 0]]),
        labels=(ROWS[:2], KEYS), symbol="weights",
        slips={"forgot the mask (softmax of the unmasked rows)": softmax(EX_SCORES[:2]),
               "gave the masked cells a share too (1/3 each)": np.array([[1 / 3] * 3] * 2)},
        hint="a masked cell's e^-99 is about 1e-43, so it counts as 0; softmax the scores that are left in "
             "each row: their weights add up to 1, and equal scores get equal weights.",
        answer="row 0 keeps only k0: weights_row_0 = [1, 0, 0]; row 1 keeps two equal scores (3 and 3): "
               "weights_row_1 = [0.5, 0.5, 0]",
        note="Row 0 can only see itself: all its weight is on k0.")


@exercise("cross-attention scores")
def cross_scores(S_cross):
    """Q Kᵀ for the target queries EX_Q and the source keys EX_K: (n_q, n_k) = (2, 3)."""
    S = EX_Q @ EX_K.T  # (2, 2) @ (2, 3) -> (2, 3)
    return check_value(
        cross_scores.title, S_cross, S, labels=(["t0", "t1"], ["s0", "s1", "s2"]), symbol="S",
        slips={"applied a causal mask, but cross-attention has none: the whole source is known":
                   np.where(np.tril(np.ones((2, 3), bool)), S, -99)},
        hint="one row per target query, one column per source key: cell [t, s] is query t · key s; "
             "cross-attention has no mask.",
        answer=f"S_cross = {S.tolist()} (e.g. S[t1, s2] = 0·0 + 2·3 = 6)",
        note="2 target positions × 3 source words: the score matrix of cross-attention need not be square.")


@exercise("logits and the greedy pick")
def logits_pick(logit_la, logit_bola, logit_end, next_id):
    """The three logits W x + b of EX_W, EX_X, EX_B, and the id greedy decoding picks."""
    logits = EX_W @ EX_X + EX_B
    no_bias = EX_W @ EX_X
    return check_value(
        logits_pick.title, [logit_la, logit_bola, logit_end, next_id], list(logits) + [int(np.argmax(logits))],
        cell_names=["logit_la", "logit_bola", "logit_end", "next_id"],
        slips={"left out the bias b": list(no_bias) + [int(np.argmax(no_bias))],
               "picked the word with the smallest score: greedy takes the largest":
                   list(logits) + [int(np.argmin(logits))]},
        hint="the logit of word i is row i of W times x, plus b[i] (do not forget the bias); "
             "next_id is the position (0, 1 or 2) of the largest logit.",
        answer="logits: la 2·2 + 0·1 + 0 = 4, bola 0·2 + 3·1 + 1 = 4, </s> 1·2 + 1·1 + 2 = 5; "
               "the largest is </s>, so next_id = 2",
        note="The bias tipped the choice: without it, \"la\" would have won.")


def _masked(s, keep):
    return np.where(keep, s, -np.inf)


def _masked_softmax(s):
    s = np.asarray(s, dtype=float)
    return softmax(_masked(s, causal_mask(s.shape[-1])))


def _square_case(r):
    n = int(r.integers(2, 6))
    return (r.integers(-3, 4, size=(n, n)),)


def _sums_without_keepdims(s):
    """The slip e / e.sum(axis=-1): row j's sum divides column j."""
    m = _masked(np.asarray(s, dtype=float), causal_mask(np.shape(s)[-1]))
    e = np.exp(m - m.max())  # one shift for the whole matrix: it cancels in e / e.sum(axis=-1)
    return e / e.sum(axis=-1)


@exercise("masked_softmax")
def masked_softmax(fn):
    """The learner's masked_softmax(scores): the future masked, then a softmax along each row."""
    cases = {"the exercise's scores": (EX_SCORES,),
             **random_cases(np.random.default_rng(SEED), 4, _square_case)}
    return check_function(
        masked_softmax.title, fn, _masked_softmax, cases, labels=(ROWS, KEYS), symbol="weights",
        slips={"forgot the mask": lambda s: softmax(np.asarray(s, dtype=float)),
               "masked the past instead of the future (use np.tril, or causal_mask)":
                   lambda s: softmax(_masked(s, causal_mask(np.shape(s)[-1]).T)),
               "took the softmax over the columns (axis=0) instead of each row":
                   lambda s: softmax(_masked(s, causal_mask(np.shape(s)[-1])), axis=0),
               "divided by the row sums without keepdims=True, so they line up with the columns: "
               "keep them as a column, e.sum(axis=-1, keepdims=True)": _sums_without_keepdims},
        hint="two steps: first hide the future (the cells right of the diagonal) with -99 or -∞, "
             "then a softmax along each row, so that every row of the weights adds up to 1.",
        answer="n = len(scores); return softmax(np.where(causal_mask(n), scores, -99))")


def _cross_attention(y, memory, W_q, W_k, W_v):
    return scaled_dot_product_attention(linear(y, W_q), linear(memory, W_k), linear(memory, W_v))[0]


def _queries_from_memory(y, memory, W_q, W_k, W_v):
    return _cross_attention(memory, y, W_q, W_k, W_v)


def _unscaled(y, memory, W_q, W_k, W_v):
    return scaled_dot_product_attention(linear(y, W_q), linear(memory, W_k), linear(memory, W_v), scale=1.0)[0]


def _values_from_target(y, memory, W_q, W_k, W_v):
    return scaled_dot_product_attention(linear(y, W_q), linear(memory, W_k), linear(y, W_v))[0]


def _cross_case(r):
    n_q, n_k, d, d_k = (int(v) for v in r.integers(2, 5, size=4))
    return (r.integers(-1, 2, size=(n_q, d)), r.integers(-1, 2, size=(n_k, d)),
            r.integers(-1, 2, size=(d_k, d)), r.integers(-1, 2, size=(d_k, d)),
            r.integers(-1, 2, size=(d_k, d)))


@exercise("cross_attention")
def cross_attention(fn):
    """The learner's cross_attention(y, memory, W_q, W_k, W_v): queries from y, keys and values from memory."""
    first = (np.array([[1, 0, 1], [0, 1, 1]]), np.array([[1, 1, 0], [0, 2, 1], [1, 0, 2]]),
             np.array([[1, 0, 0], [0, 1, 1]]), np.array([[1, 0, 1], [0, 1, 0]]),
             np.array([[1, 0, 0], [0, 0, 1]]))
    cases = {"the first example (2 target rows, 3 source rows)": first,
             **random_cases(np.random.default_rng(SEED + 1), 4, _cross_case)}
    return check_function(
        cross_attention.title, fn, _cross_attention, cases,
        slips={"took the queries from the memory and the keys and values from the target: "
               "queries come from the target": _queries_from_memory,
               "forgot to divide the scores by √d_k": _unscaled,
               "took the values from the target: keys and values both come from the memory": _values_from_target},
        hint="decide which input gives the queries (the target, y) and which the keys and the values (the "
             "memory); project each with its weight (x @ W.T); then scaled dot-product attention, no mask.",
        answer="q, k, v = y @ W_q.T, memory @ W_k.T, memory @ W_v.T; "
               "out, weights = scaled_dot_product_attention(q, k, v); return out")


class _CountedStep:
    """A step function for the checks that stops a runaway loop with a clear message."""

    def __init__(self, fn, limit=60):
        self.fn, self.limit, self.calls = fn, limit, 0
        self.__name__ = "step"

    def __call__(self, ids):
        self.calls += 1
        if self.calls > self.limit:
            raise RuntimeError(f"step was called more than {self.limit} times: "
                               f"does your loop stop at end_id and at max_len?")
        return self.fn(ids)


CHAIN = np.array([[0.1, 0.2, 0.7, 0.0],    # after 0, write 2
                  [0.3, 0.3, 0.2, 0.2],    # (1 is the end token)
                  [0.0, 0.1, 0.3, 0.6],    # after 2, write 3
                  [0.2, 0.5, 0.2, 0.1]])   # after 3, write 1 = end
NEVER_ENDS = np.array([0.1, 0.1, 0.8, 0.0])


def _translator(ids):
    return decode([TGT_VOCAB[int(i)] for i in ids], split("the ball is blue"))["probs"][-1]


def _greedy_cases():
    """Fresh counted steps for every check: (step, start_id, end_id, max_len)."""
    return {"the translator on \"the ball is blue\"": (_CountedStep(_translator), 0, 1, MAX_LEN),
            "a small table of next-token probabilities": (_CountedStep(lambda ids: CHAIN[ids[-1]]), 0, 1, 10),
            "a step that never writes the end token (max_len 5)": (_CountedStep(lambda ids: NEVER_ENDS), 0, 1, 5)}


def _greedy(step, start_id, end_id, max_len):
    return lesson08.greedy_decode(step.fn, start_id, end_id, max_len)


def _no_end(step, start_id, end_id, max_len):
    ids = _greedy(step, start_id, end_id, max_len)
    return ids[:-1] if ids[-1] == end_id else ids


def _no_start(step, start_id, end_id, max_len):
    return _greedy(step, start_id, end_id, max_len)[1:]


@exercise("greedy_decode")
def greedy_decode(fn):
    """The learner's greedy_decode(step, start_id, end_id, max_len), each run on a fresh counted step."""
    learner = fn
    if callable(fn) and fn is not Ellipsis:
        def learner(step, start_id, end_id, max_len):
            return fn(_CountedStep(step.fn), start_id, end_id, max_len)

        learner.__name__ = getattr(fn, "__name__", "greedy_decode")
    return check_function(
        greedy_decode.title, learner, _greedy, _greedy_cases(),
        slips={"left out the end token: append it, then stop": _no_end,
               "left out the start token: the list begins with start_id": _no_start},
        hint="the list starts with start_id; each round asks step for the probabilities and appends the "
             "most probable id; stop right after appending end_id, or when the list holds max_len ids.",
        answer="ids = [start_id]; while len(ids) < max_len: nxt = int(np.argmax(step(ids))); "
               "ids.append(nxt); if nxt == end_id: break. After the loop: return ids")


EXERCISES = exercises(__name__)


def start():
    """Declare this lesson's exercises, in order: each is "not done" until its check runs."""
    start_lesson(__name__)
