"""The checks of exercises/13-attention-at-scale.ipynb, one per exercise, in order.

    from helpers.checks import lesson13 as check
    check.start()                      # every exercise "not done"
    check.running_max_and_sum(m1, l1, m2, l2, m3, l3)
    ...
    check.progress()

Expected values come from helpers.lesson13 (the exercises' row EX_SCORES in blocks of EX_BLOCK,
and the online softmax steps), never typed in twice.
"""

import math

import numpy as np

from ..kernels import frozen, scaled_dot_product_attention, softmax
from ..lesson13 import EX_BLOCK, EX_SCORES, KEYS, K, Q, V, explain_step, online_softmax_steps
from . import check_close, check_function, exercise, exercises, random_cases, start_lesson
from . import progress as progress  # check.progress() ends the notebook

SEED = 1313  # the random cases are the same in every run

_X = np.asarray(EX_SCORES, dtype=float)  # (0, 2 | 1, 4 | 3, 1)
_STEPS = online_softmax_steps(_X, EX_BLOCK)
_M = frozen([st["m"] for st in _STEPS])  # the running max after each block: 2, 4, 4
_L = frozen([st["l"] for st in _STEPS])  # the running sum after each block: 1.135, 1.203, 1.621
_STATE = ["m1", "l1", "m2", "l2", "m3", "l3"]


def _interleave(m, l):
    """[m1, l1, m2, l2, m3, l3] from the three maxima and the three sums."""
    return [v for pair in zip(m, l) for v in pair]


def _sums(update):
    """The running sums of _X's blocks when ℓ is updated as update(l_old, m_old, m, block)."""
    m, l, out = -math.inf, 0.0, []
    for start in range(0, len(_X), EX_BLOCK):
        block = _X[start:start + EX_BLOCK]
        m_new = max(m, block.max())
        l = update(l, m, m_new, block)
        m = m_new
        out.append(l)
    return out


@exercise("running max and sum")
def running_max_and_sum(m1, l1, m2, l2, m3, l3):
    """The running max m and running sum ℓ after each of the three blocks of (0, 2 | 1, 4 | 3, 1)."""
    no_rescale = _sums(lambda l, m, m_new, b: l + np.exp(b - m_new).sum())
    upside_down = _sums(lambda l, m, m_new, b: l * (math.exp(m_new - m) if l else 0) + np.exp(b - m_new).sum())
    no_shift = np.cumsum([np.exp(_X[i:i + EX_BLOCK]).sum() for i in range(0, len(_X), EX_BLOCK)])
    lines = "\n".join(explain_step(st, k) for k, st in enumerate(_STEPS, 1))
    return check_close(
        running_max_and_sum.title, [m1, l1, m2, l2, m3, l3], _interleave(_M, _L), cell_names=_STATE, labels=_STATE,
        slips={"forgot to rescale ℓ when the maximum grew: the old terms were e^(s − m_old), so multiply "
               "the old ℓ by α = e^(m_old − m) before adding the new block": _interleave(_M, no_rescale),
               "multiplied the old ℓ by e^(m − m_old), the factor upside down: α = e^(m_old − m) is at most 1":
                   _interleave(_M, upside_down),
               "added e^s without subtracting the running maximum m": _interleave(_M, no_shift)},
        hint="m is the largest score seen so far; ℓ is the sum of e^(s − m) over every score seen so far, with "
             "the current m: when a block raises m, rescale the old ℓ before adding the block's terms.",
        answer=lines, decimals=2,
        note="Whatever the number of blocks, ℓ is one number per row.")


@exercise("rescale factor")
def rescale_factor(alpha_a, alpha_b):
    """α = e^(m_old − m_new) for (a) a running max 7 and a block whose max is 9; (b) 7 and 5."""
    e2 = math.exp(2)
    return check_close(
        rescale_factor.title, [alpha_a, alpha_b], [1 / e2, 1.0], cell_names=["alpha_a", "alpha_b"],
        slips={"used e^(m_new − m_old), the factor upside down: the old terms must shrink, α ≤ 1": [e2, 1.0],
               "took the block's maximum 5 as the new running maximum in (b): the running maximum never "
               "goes down": [1 / e2, e2],
               "gave the exponent m_old − m_new, not e to that power": [-2.0, 0.0]},
        hint="first the new running maximum, m_new = max(m_old, the block's maximum); then α = e^(m_old − m_new).",
        answer="(a) m_new = max(7, 9) = 9, α = e^(7 − 9) = e^-2 ≈ 0.14; (b) m_new = max(7, 5) = 7, "
               "α = e^(7 − 7) = e^0 = 1",
        decimals=2,
        note="When the maximum does not change, nothing is rescaled (α = 1).")


@exercise("softmax from m and ℓ")
def weights_from_m_and_l(weights):
    """The softmax of (0, 2, 1, 4, 3, 1) from the final m and ℓ of exercise 1, to 2 decimals."""
    m, l = _M[-1], _L[-1]
    terms = np.exp(_X - m)
    return check_close(
        weights_from_m_and_l.title, weights, terms / l, cell_names=list(KEYS), labels=list(KEYS),
        slips={"divided by ℓ after block 2; use the final ℓ, after every block": terms / _L[1],
               "forgot to divide by ℓ (the weights must add up to 1)": terms,
               "subtracted the last block's maximum (3), not the running maximum m":
                   np.exp(_X - _X[-EX_BLOCK:].max()) / l},
        hint="each weight is e^(s − m) / ℓ, with the m and ℓ left after the last block; the six weights add up to 1.",
        answer="e^(s − 4) / 1.621 = (e^-4, e^-2, e^-3, e^0, e^-1, e^-3) / 1.621 ≈ "
               + "[" + ", ".join(f"{w:.2f}" for w in terms / l) + "]",
        decimals=2,
        note="The same numbers as softmax(s): the blocks changed the order of the work, not the result.")


def _softmax(x, block_size):
    return softmax(np.asarray(x, dtype=float), axis=-1)


def _blocks(x, block_size):
    x = np.asarray(x, dtype=float)
    return x, [x[..., i:i + block_size] for i in range(0, x.shape[-1], block_size)]


def _no_rescale(x, block_size):
    """The running max kept, but ℓ not rescaled when it grows."""
    x, blocks = _blocks(x, block_size)
    m, l = np.full(x.shape[:-1], -np.inf), np.zeros(x.shape[:-1])
    for b in blocks:
        m = np.maximum(m, b.max(axis=-1))
        l = l + np.exp(b - m[..., None]).sum(axis=-1)
    return np.exp(x - m[..., None]) / l[..., None]


def _last_block_max(x, block_size):
    """Each block's own max, never a running one: the final m is the last block's."""
    x, blocks = _blocks(x, block_size)
    l = np.zeros(x.shape[:-1])
    for b in blocks:
        m = b.max(axis=-1)
        l = l + np.exp(b - m[..., None]).sum(axis=-1)
    return np.exp(x - m[..., None]) / l[..., None]


def _upside_down(x, block_size):
    """ℓ multiplied by e^(m_new − m_old) instead of e^(m_old − m_new)."""
    x, blocks = _blocks(x, block_size)
    m, l = np.full(x.shape[:-1], -np.inf), np.zeros(x.shape[:-1])
    for b in blocks:
        m_new = np.maximum(m, b.max(axis=-1))
        l = l * np.exp(np.where(np.isinf(m), 0.0, m_new - m)) + np.exp(b - m_new[..., None]).sum(axis=-1)
        m = m_new
    return np.exp(x - m[..., None]) / l[..., None]


def _row_case(r):
    block = int(r.integers(2, 5))
    n = block * int(r.integers(1, 4)) + int(r.integers(1, block))  # the block size does not divide n
    shape = (n,) if r.integers(0, 2) else (int(r.integers(2, 4)), n)
    return r.integers(-4, 6, size=shape), block


@exercise("blocked_softmax")
def blocked_softmax(fn):
    """The learner's blocked_softmax(x, block_size): the online softmax over blocks of the last axis."""
    cases = {"the row (0, 2, 1, 4, 3, 1) in blocks of 2": (_X, EX_BLOCK),
             "a matrix of 2 rows, n = 7, blocks of 3": (np.array([[1, 0, 2, 5, 1, 3, 4], [2, 6, 1, 0, 3, 2, 1]]), 3),
             **random_cases(np.random.default_rng(SEED), 5, _row_case),
             "blocks of 1": (np.array([3, 1, 4, 1, 5]), 1),
             "one block longer than the row": (np.array([[2, 0, 1]]), 8),
             "large scores (1000 and up), blocks of 2": (np.array([[1000, 1001, 1003, 999, 1002]]), 2)}
    return check_function(
        blocked_softmax.title, fn, _softmax, cases, labels=(None, list(KEYS)), symbol="w",
        slips={"forgot to rescale the running sum ℓ by α = e^(m_old − m_new) when the maximum grew": _no_rescale,
               "used each block's own maximum, so the final m is the last block's, not the running maximum":
                   _last_block_max,
               "rescaled ℓ by e^(m_new − m_old), the factor upside down": _upside_down},
        hint="keep one running max m and one running sum ℓ per row; for each block: m_new = max(m, the block's max), "
             "rescale ℓ by e^(m − m_new), add the block's e^(s − m_new); at the end return e^(x − m) / ℓ.",
        answer="x = np.asarray(x, dtype=float); m = np.full(x.shape[:-1], -np.inf); l = np.zeros(x.shape[:-1])\n"
               "for start in range(0, x.shape[-1], block_size):\n"
               "    block = x[..., start:start + block_size]\n"
               "    m_new = np.maximum(m, block.max(axis=-1))\n"
               "    l = l * np.exp(m - m_new) + np.exp(block - m_new[..., None]).sum(axis=-1)\n"
               "    m = m_new\n"
               "return np.exp(x - m[..., None]) / l[..., None]",
        note="The same numbers as softmax, whatever the block size.")


def _attention_row(q, K, V, block_size):
    return scaled_dot_product_attention(np.asarray(q, dtype=float)[None, :], K, V)[0][0]


def _stream(q, K, V, block_size, *, rescale_l=True, rescale_acc=True, divide=True, scale=True):
    """online attention of one query, with the chosen steps left out (the slips)."""
    q, K, V = (np.asarray(a, dtype=float) for a in (q, K, V))
    s = K @ q / (math.sqrt(q.shape[-1]) if scale else 1.0)  # (n_k,)
    m, l, acc = -math.inf, 0.0, np.zeros(V.shape[-1])
    for start in range(0, len(s), block_size):
        block = s[start:start + block_size]
        m_new = max(m, block.max())
        alpha = math.exp(m - m_new)
        p = np.exp(block - m_new)
        l = (alpha if rescale_l else 1.0) * l + p.sum()
        acc = (alpha if rescale_acc else 1.0) * acc + p @ V[start:start + block_size]
        m = m_new
    return acc / l if divide else acc


def _attention_case(r):
    block = int(r.integers(2, 4))
    n_k = block * int(r.integers(1, 4)) + int(r.integers(1, block))
    d_k, d_v = int(r.choice([1, 4, 9])), int(r.integers(1, 4))
    return (r.integers(-2, 3, size=d_k), r.integers(-2, 3, size=(n_k, d_k)), r.integers(-3, 4, size=(n_k, d_v)),
            block)


@exercise("online_attention_row")
def online_attention_row(fn):
    """The learner's online_attention_row(q, K, V, block_size): one query's attention output, streamed
    over key blocks (d_v numbers)."""
    cases = {"query q1 of the lesson, blocks of 3": (Q[0], K, V, 3),
             "query q2 of the lesson, blocks of 2": (Q[1], K, V, 2),
             **random_cases(np.random.default_rng(SEED + 1), 6, _attention_case)}
    return check_function(
        online_attention_row.title, fn, _attention_row, cases, symbol="out",
        slips={"rescaled ℓ but not the output accumulator: multiply acc by α too":
                   lambda q, K, V, b: _stream(q, K, V, b, rescale_acc=False),
               "rescaled neither ℓ nor the output accumulator when the maximum grew":
                   lambda q, K, V, b: _stream(q, K, V, b, rescale_l=False, rescale_acc=False),
               "forgot to divide the accumulator by ℓ at the end":
                   lambda q, K, V, b: _stream(q, K, V, b, divide=False),
               "forgot to divide the scores by √d_k":
                   lambda q, K, V, b: _stream(q, K, V, b, scale=False)},
        hint="scores s = K_block q / √d_k; keep m, ℓ and an accumulator acc (d_v numbers); for each block rescale "
             "both ℓ and acc by α = e^(m − m_new), then add Σ e^(s − m_new) to ℓ and Σ e^(s − m_new) v to acc; "
             "return acc / ℓ.",
        answer="s = K @ q / np.sqrt(q.shape[-1]); m, l, acc = -np.inf, 0.0, np.zeros(V.shape[-1])\n"
               "for start in range(0, len(s), block_size):\n"
               "    block = s[start:start + block_size]\n"
               "    m_new = max(m, block.max()); alpha = np.exp(m - m_new); p = np.exp(block - m_new)\n"
               "    l = alpha * l + p.sum(); acc = alpha * acc + p @ V[start:start + block_size]; m = m_new\n"
               "return acc / l",
        note="This is the loop inside FlashAttention, for one query.")


EXERCISES = exercises(__name__)


def start():
    """Declare this lesson's exercises, in order: each is "not done" until its check runs."""
    start_lesson(__name__)
