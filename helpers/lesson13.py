"""The numbers of lesson 13 (attention at scale), in one place.

Lesson, exercises and tests read the lesson's rows of scores, its small Q, K, V and the
functions that draw the online softmax from here. Tokens are rows, as everywhere.

- memory_bytes(n, d_k): bytes of the n × n score matrix and of one n × d_k matrix (float32).
- SCORES, BLOCK: the row worked by hand, (1, 3, 2 | 5, 0, 4), in two blocks of 3.
- EXP_TABLE: e^0, e^-1, ..., e^-5, the only exponentials the by-hand work needs.
- online_softmax_steps(s, block_size): each block's running max m, rescale factor α and running
  sum ℓ; online_softmax(s, block_size) the weights they give; explain_step the arithmetic.
- online_softmax_drawing(s, block_size): the whole computation as one sheet of boxed numbers
  (docs/img/online-softmax.png is this drawing of SCORES).
- Q, K, V: two queries and six keys (d_k = 4, d_v = 2) whose scaled scores are integers; the
  first query's row of scores is SCORES. online_attention_steps streams them over key blocks.
- block_pairs, block_work, causal_blocks_figure: which (query block, key block) pairs a causal
  mask skips, and the work saved.
- EX_SCORES, EX_BLOCK: the row of the exercises, (0, 2 | 1, 4 | 3, 1), in three blocks of 2.

The checks of exercises/13 are in helpers.checks.lesson13.
"""

import math
import tracemalloc

import numpy as np

from .display import grid, hstack
from .kernels import frozen

BYTES_PER_FLOAT32 = 4
SIZES = (512, 4096, 16384)
D_K = 64  # the paper's d_k


def memory_bytes(n, d_k=D_K, bytes_per_number=BYTES_PER_FLOAT32):
    """(bytes of the n × n scores, bytes of one (n, d_k) matrix such as q), for one head."""
    return n * n * bytes_per_number, n * d_k * bytes_per_number


def size_text(n_bytes):
    """1073741824 -> '1 GiB', 131072 -> '128 KiB' (powers of 1024, at most 1 decimal)."""
    for unit, size in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n_bytes >= size:
            return f"{n_bytes / size:.1f}".rstrip("0").rstrip(".") + f" {unit}"
    return f"{n_bytes} B"


# ---------------------------------------------------------------- one row, by hand

SCORES = frozen([1, 3, 2, 5, 0, 4])  # one row of scores, keys k1..k6
BLOCK = 3  # two blocks: (1, 3, 2) and (5, 0, 4)
KEYS = tuple(f"k{j}" for j in range(1, 7))
EXP_TABLE = frozen(np.exp(-np.arange(6)))  # e^0, e^-1, ..., e^-5

EX_SCORES = frozen([0, 2, 1, 4, 3, 1])  # the exercises' row
EX_BLOCK = 2  # three blocks: (0, 2), (1, 4), (3, 1)


def online_softmax_steps(s, block_size):
    """The online softmax of one row s, one dict per block of block_size scores.

    Each step holds: start, stop (the block is s[start:stop]), scores, m_old and m (the running
    maximum before and after the block), alpha = e^(m_old − m) (the rescale factor), l_old and
    l = alpha·l_old + Σ terms (the running sum), terms = e^(scores − m).
    Before the first block m = −∞ and ℓ = 0, so the first alpha is e^(−∞) = 0.
    """
    s = np.asarray(s, dtype=float)
    m, l, steps = -math.inf, 0.0, []
    for start in range(0, s.shape[-1], block_size):
        block = s[start:start + block_size]
        m_new = max(m, float(block.max()))
        alpha = math.exp(m - m_new)
        terms = np.exp(block - m_new)
        l_new = alpha * l + float(terms.sum())
        steps.append({"start": start, "stop": start + len(block), "scores": block, "m_old": m, "m": m_new,
                      "alpha": alpha, "l_old": l, "terms": terms, "l": l_new})
        m, l = m_new, l_new
    return steps


def online_softmax(s, block_size):
    """The softmax of the row s from its online steps: e^(s − m) / ℓ with the final m and ℓ."""
    last = online_softmax_steps(s, block_size)[-1]
    return np.exp(np.asarray(s, dtype=float) - last["m"]) / last["l"]


def _num(x, decimals=3):
    """A number as written by hand: 3, −∞, 0.135."""
    if x == -math.inf:
        return "−∞"
    return str(int(x)) if float(x).is_integer() else f"{x:.{decimals}f}"


def explain_step(step, k):
    """The arithmetic of step k (1-based) of online_softmax_steps: m, α and ℓ, as four lines of text."""
    scores = ", ".join(_num(v) for v in step["scores"])
    m_old, m = _num(step["m_old"]), _num(step["m"])
    exps = " + ".join(f"e^({_num(v)}−{m})" for v in step["scores"])
    values = " + ".join(_num(t) for t in step["terms"])
    return "\n".join([
        f"block {k}: s = ({scores})   m = max({m_old}, {scores}) = {m}",
        f"  α = e^(m_old − m) = e^({m_old} − {m}) = {_num(step['alpha'])}",
        f"  ℓ = α·ℓ_old + {exps}",
        f"    = {_num(step['alpha'])}·{_num(step['l_old'])} + {values} = {_num(step['l'])}",
    ])


def step_drawing(step, k, keys=KEYS):
    """Step k of the online softmax as grids: the block's scores, its terms e^(s − m), and m, α, ℓ."""
    labels = list(keys[step["start"]:step["stop"]])
    return hstack(
        grid(step["scores"], col_labels=labels, role="attention", title=f"block {k}: s"),
        grid(step["terms"], col_labels=labels, role="attention", title=f"e^(s − {_num(step['m'])})", fmt=_cell),
        grid([step["m"], step["alpha"], step["l"]], col_labels=["m", "α", "ℓ"], role="hidden",
             title=f"after block {k}", fmt=_cell),
    )


def _cell(v):
    """A drawn cell: blank (NaN) as ·, −∞, whole numbers as integers, others with 2 decimals."""
    if np.isnan(v):
        return "·"
    if v == -np.inf:
        return "−∞"
    return str(int(v)) if float(v).is_integer() else f"{v:.2f}"


def online_softmax_drawing(s, block_size, keys=KEYS):
    """The online softmax of the row s on one sheet: a row per step, the terms e^(s − m) of each
    block on the left (· = not computed in that step), the running m, α and ℓ on the right,
    then the weights e^(s − m)/ℓ and the plain softmax for comparison."""
    s = np.asarray(s, dtype=float)
    steps = online_softmax_steps(s, block_size)
    n, blank = len(s), np.nan
    terms = [s] + [np.full(n, blank) for _ in steps]
    state = [[-np.inf, blank, 0.0]]
    for k, st in enumerate(steps):
        terms[k + 1][st["start"]:st["stop"]] = st["terms"]
        state.append([st["m"], st["alpha"], st["l"]])
    e = np.exp(s - s.max())
    terms += [online_softmax(s, block_size), e / e.sum()]
    state += [[blank] * 3, [blank] * 3]
    rows = (["scores s; start"] + [f"block {k}: e^(s − {_num(st['m'])})" for k, st in enumerate(steps, 1)]
            + [f"e^(s − {_num(steps[-1]['m'])}) / ℓ", "softmax(s)"])
    grown = next((k + 1 for k, st in enumerate(steps[1:], 1) if st["alpha"] < 1), None)
    return hstack(
        grid(np.array(terms), row_labels=rows, col_labels=list(keys[:n]), role="attention", fmt=_cell,
             title="the scores, then e^(s − m) block by block"),
        grid(np.array(state), col_labels=["m", "α", "ℓ"], role="hidden", fmt=_cell, title="m, α, ℓ",
             highlight=None if grown is None else (grown, 1)),
        gap=0.3,
    )


# ---------------------------------------------------------------- a block of queries

# Q/2 = ((1, 0, 1, 0), (0, 1, 0, -1)): the first query adds key features 1 and 3, the second
# takes feature 2 minus feature 4. d_k = 4, so the scale 1/√d_k = 1/2 keeps the scores whole.
Q = frozen([[2, 0, 2, 0],
            [0, 2, 0, -2]])          # (n_q, d_k) = (2, 4)
K = frozen([[1, 3, 0, 0],            # k1
            [2, 1, 1, 0],            # k2
            [1, 0, 1, 0],            # k3
            [3, 2, 2, 0],            # k4
            [0, 1, 0, 0],            # k5
            [2, 0, 2, 1]])           # k6   (n_k, d_k) = (6, 4)
V = frozen([[2, 0],
            [0, 1],
            [1, 1],
            [1, 2],
            [0, 3],
            [3, 0]])                 # (n_k, d_v) = (6, 2)
QUERIES = ("q1", "q2")


def online_attention_steps(q, k, v, block_size, scale=None):
    """Attention of a block of queries, streamed over key blocks; one dict per key block.

    q (n_q, d_k), k (n_k, d_k), v (n_k, d_v). Each step holds start, stop, S (the block's scaled
    scores, (n_q, block)), m_old, m, alpha (one per query), P = e^(S − m), l (the running sums) and
    acc = alpha·acc_old + P @ v_block (n_q, d_v). The output is acc / ℓ after the last step.
    """
    q, k, v = (np.asarray(a, dtype=float) for a in (q, k, v))
    scale = 1 / math.sqrt(q.shape[-1]) if scale is None else scale
    n_q = q.shape[0]
    m, l, acc = np.full(n_q, -np.inf), np.zeros(n_q), np.zeros((n_q, v.shape[-1]))
    steps = []
    for start in range(0, k.shape[0], block_size):
        kb, vb = k[start:start + block_size], v[start:start + block_size]
        S = (q * scale) @ kb.T  # (n_q, d_k) @ (d_k, block) -> (n_q, block)
        m_new = np.maximum(m, S.max(axis=-1))
        alpha = np.exp(m - m_new)
        P = np.exp(S - m_new[:, None])  # (n_q, block)
        l_new, acc_new = alpha * l + P.sum(axis=-1), alpha[:, None] * acc + P @ vb  # (n_q,), (n_q, d_v)
        steps.append({"start": start, "stop": start + len(kb), "S": S, "m_old": m, "m": m_new, "alpha": alpha,
                      "P": P, "l": l_new, "acc": acc_new})
        m, l, acc = m_new, l_new, acc_new
    return steps


def attention_step_drawing(step, k, queries=QUERIES):
    """Key block k of online_attention_steps as grids, one row per query: the running max m, the
    rescale factor α, P = e^(S − m), the running sum ℓ and the accumulator acc."""
    state = {"role": "hidden", "fmt": _cell}
    return hstack(
        grid(step["m"][:, None], row_labels=list(queries), col_labels=[""], title="m", **state),
        grid(step["alpha"][:, None], col_labels=[""], title="α", **state),
        grid(step["P"], col_labels=list(KEYS[step["start"]:step["stop"]]), role="attention", fmt=_cell,
             title=f"P = e^(S{k} − m)"),
        grid(step["l"][:, None], col_labels=[""], title="ℓ", **state),
        grid(step["acc"], col_labels=[f"f{j + 1}" for j in range(step["acc"].shape[1])], role="output", fmt=_cell,
             title="acc = α·acc + P V"),
        gap=0.6,
    )


def explain_accumulator(step, i, v, old_acc=None):
    """The arithmetic of query i's accumulator in a step: acc = α·acc_old + Σ e^(s − m) v."""
    vb = np.asarray(v)[step["start"]:step["stop"]]
    old = np.zeros(vb.shape[1]) if old_acc is None else np.asarray(old_acc)
    terms = " + ".join(f"{_num(p)}·{_vec(row)}" for p, row in zip(step["P"][i], vb))
    return f"acc = {_num(step['alpha'][i])}·{_vec(old)} + {terms} = {_vec(step['acc'][i])}"


def _vec(row):
    """A row of numbers as written by hand: (0.64, 1.37)."""
    return "(" + ", ".join(_num(x, 2) for x in row) + ")"


def online_attention(q, k, v, block_size, scale=None):
    """out = acc / ℓ after the last key block: (n_q, d_v)."""
    last = online_attention_steps(q, k, v, block_size, scale)[-1]
    return last["acc"] / last["l"][:, None]


# ---------------------------------------------------------------- causal masks skip blocks

SKIP, DIAGONAL, FULL = 0, 1, 2
BLOCK_KINDS = ("skip", "diagonal", "full")


def block_pairs(n, block_size):
    """(n_blocks, n_blocks) kinds of the (query block, key block) pairs under a causal mask:
    SKIP when every key of the block comes after every query (fully masked), FULL when every key
    comes at or before every query (fully visible), DIAGONAL otherwise. The last block may be short."""
    starts = np.arange(0, n, block_size)
    first, last = starts, np.minimum(starts + block_size, n) - 1  # first and last position of each block
    kinds = np.full((len(starts), len(starts)), DIAGONAL)
    kinds[first[None, :] > last[:, None]] = SKIP  # first key after the last query
    kinds[last[None, :] <= first[:, None]] = FULL  # last key at or before the first query
    return kinds


def block_work(n, block_size):
    """Counts for a causal mask in blocks: the blocks of each kind, the score cells a blocked
    kernel computes (full and diagonal blocks) and the cells the plain kernel computes (n²)."""
    kinds = block_pairs(n, block_size)
    sizes = np.diff(np.append(np.arange(0, n, block_size), n))  # positions in each block
    cells = sizes[:, None] * sizes[None, :]
    counts = {name: int((kinds == kind).sum()) for kind, name in enumerate(BLOCK_KINDS)}
    computed = int(cells[kinds != SKIP].sum())
    return {**counts, "blocks": kinds.size, "cells computed": computed, "cells": n * n,
            "saved": 1 - computed / (n * n)}


def causal_blocks_figure(n, block_size, ax=None):
    """The causal mask of n positions cut into blocks: skipped blocks grey, full blocks orange,
    diagonal blocks with their masked cells light. Returns the matplotlib Figure."""
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap

    kinds = block_pairs(n, block_size)
    idx = np.arange(n) // block_size
    cell_kind = kinds[idx[:, None], idx[None, :]]  # (n, n): the kind of each cell's block
    visible = np.tril(np.ones((n, n), bool))
    colour = np.where(cell_kind == SKIP, 0, np.where(visible, 2, 1))  # 0 skipped, 1 masked, 2 computed
    if ax is None:
        fig, ax = plt.subplots(figsize=(4.2, 4.2), dpi=80)
        plt.close(fig)
    ax.imshow(colour, cmap=ListedColormap(["#e5e7eb", "#ffedd5", "#fdba74"]), vmin=0, vmax=2)
    edges = np.append(np.arange(0, n, block_size), n)  # where the blocks start, and the end
    for b in edges:
        ax.axhline(b - 0.5, color="#111827", lw=1.6)
        ax.axvline(b - 0.5, color="#111827", lw=1.6)
    middle = (edges[:-1] + edges[1:] - 1) / 2
    for (i, j), kind in np.ndenumerate(kinds):
        ax.text(middle[j], middle[i], BLOCK_KINDS[kind], ha="center", va="center", fontsize=9, color="#111827")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("keys")
    ax.set_ylabel("queries")
    w = block_work(n, block_size)
    ax.set_title(f"n = {n}, blocks of {block_size}: {w['skip']} of {w['blocks']} blocks skipped", fontsize=10)
    return ax.figure


def peak_memory(fn, *args, **kwargs):
    """The peak memory (bytes) that fn(*args, **kwargs) allocates, as tracemalloc sees it."""
    tracemalloc.start()
    try:
        fn(*args, **kwargs)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
