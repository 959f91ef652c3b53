"""Lesson 09 data and tools: a tiny recurrent network next to attention.

The RNN reads the toy embeddings of lesson 06 (d_in = 4) into a hidden state of
d_h = 3 numbers:  h_t = tanh(W_h h_{t-1} + W_x x_t + b),  h_0 = 0.
Its weights are small integers, so the first step can be done by hand.

The checks of exercises/09 are in helpers.checks.lesson09.
"""

from __future__ import annotations

import math

import numpy as np

from .kernels import as_float_array, frozen, scaled_dot_product_attention

# (d_h, d_in): how the current word enters the state
W_X = frozen([[1, 0, 1, 0],
              [0, 1, 0, -1],
              [1, -1, 0, 1]])
# (d_h, d_h): how the previous state enters the new one
W_H = frozen([[0, 1, 0],
              [1, 0, -1],
              [0, 1, 1]])
B = frozen([0, 1, -1])  # (d_h,)

HIDDEN = ("h1", "h2", "h3")


def rnn_step(h, x, W_h=W_H, W_x=W_X, b=B):
    """One step: tanh(W_h h + W_x x + b). h: (d_h,), x: (d_in,) -> (d_h,)"""
    return np.tanh(W_h @ h + W_x @ x + b)


def rnn(X, W_h=W_H, W_x=W_X, b=B, h0=None):
    """Run the RNN over the rows of X (n, d_in); returns every state, (n, d_h).

    Step t needs the state of step t-1: the loop cannot be run in parallel.
    """
    X = as_float_array(X, "X")
    h = np.zeros(np.asarray(W_h).shape[0]) if h0 is None else as_float_array(h0, "h0")
    states = []
    for x in X:  # n sequential steps
        h = rnn_step(h, x, W_h, W_x, b)
        states.append(h)
    return np.array(states)


def rnn_influence_on_last(X, W_h=W_H, W_x=W_X, b=B):
    """‖∂h_n/∂x_j‖ (spectral norm) for every position j = 1..n, as an array (n,).

    The chain rule: ∂h_n/∂x_j = D_n W_h · D_{n-1} W_h ··· D_{j+1} W_h · D_j W_x,
    with D_t = diag(1 - h_t²) (the slope of tanh at step t). Walking back from
    the last step, each further word picks up one more factor D_t W_h.
    """
    H = rnn(X, W_h, W_x, b)
    W_h = np.asarray(W_h, float)
    W_x = np.asarray(W_x, float)
    n, d_h = H.shape
    out = np.zeros(n)
    G = np.eye(d_h)  # ∂h_n/∂h_t, starting at t = n
    for t in range(n - 1, -1, -1):
        D = 1 - H[t] ** 2  # (d_h,)
        out[t] = np.linalg.norm(G @ (D[:, None] * W_x), 2)
        G = G @ (D[:, None] * W_h)
    return out


def _first_word_jacobians(X, W_h=W_H, W_x=W_X, b=B):
    """∂h_t/∂x_1 for t = 1..n, one (d_h, d_in) matrix per step (a generator).

    ∂h_1/∂x_1 = D_1 W_x, and every later step multiplies by one more D_t W_h:
    ∂h_t/∂x_1 = D_t W_h · ∂h_{t-1}/∂x_1, with D_t = diag(1 - h_t²).
    """
    H = rnn(X, W_h, W_x, b)
    W_h = np.asarray(W_h, float)
    J = (1 - H[0] ** 2)[:, None] * np.asarray(W_x, float)  # (d_h, d_in)
    yield J
    for t in range(1, len(H)):
        J = (1 - H[t] ** 2)[:, None] * (W_h @ J)  # one more factor D_t W_h
        yield J


def first_word_jacobian(X, W_h=W_H, W_x=W_X, b=B):
    """∂h_n/∂x_1, a (d_h, d_in) matrix: D_n W_h ··· D_2 W_h · D_1 W_x with D_t = diag(1 - h_t²)."""
    *_, J = _first_word_jacobians(X, W_h, W_x, b)
    return J


def rnn_influence_of_first(X, W_h=W_H, W_x=W_X, b=B):
    """‖∂h_t/∂x_1‖ (spectral norm) for t = 1..n, as an array (n,)."""
    return np.array([np.linalg.norm(J, 2) for J in _first_word_jacobians(X, W_h, W_x, b)])


def rnn_graph(n):
    """Who feeds whom in an RNN over n words: x_t -> h_t and h_{t-1} -> h_t (1-based names)."""
    edges = {f"x{t}": [f"h{t}"] for t in range(1, n + 1)}
    for t in range(1, n):
        edges[f"h{t}"] = [f"h{t + 1}"]
    return edges


def attention_graph(n):
    """Who feeds whom in self-attention over n words: every x_j -> every y_i."""
    return {f"x{j}": [f"y{i}" for i in range(1, n + 1)] for j in range(1, n + 1)}


def path_length(edges, start, end):
    """The number of arrows on the shortest path from start to end (breadth-first search)."""
    frontier, seen, steps = [start], {start}, 0
    while frontier:
        if end in frontier:
            return steps
        nxt = []
        for node in frontier:
            for m in edges.get(node, []):
                if m not in seen:
                    seen.add(m)
                    nxt.append(m)
        frontier, steps = nxt, steps + 1
    raise ValueError(f"there is no path from {start} to {end}")


def attention(X):
    """Self-attention with no weights: softmax(X Xᵀ / √d) X, every row at once."""
    out, _ = scaled_dot_product_attention(X, X, X)
    return out


def attention_influence_on_last(X, eps=1e-6):
    """‖∂y_n/∂x_j‖ (spectral norm) for every j, y = attention(X), by central differences.

    All 2 · n · d nudged copies of X go through attention as one batch.
    """
    X = as_float_array(X, "X").astype(float)
    n, d = X.shape
    nudge = np.zeros((n, d, n, d))  # nudge[j, k] changes feature k of word j by 1
    nudge[np.arange(n)[:, None], np.arange(d)[None, :], np.arange(n)[:, None], np.arange(d)[None, :]] = 1.0
    nudge = nudge.reshape(n * d, n, d) * eps
    last_p = attention(X + nudge)[:, -1]  # (n * d, d)
    last_m = attention(X - nudge)[:, -1]
    J = ((last_p - last_m) / (2 * eps)).reshape(n, d, d)  # J[j, k] = ∂y_n/∂x_jk, a column
    return np.array([np.linalg.norm(J[j].T, 2) for j in range(n)])


# ---------------------------------------------------------------- the cost, counted (no clock: the same everywhere)


def sequential_steps(n):
    """(RNN, attention): how many computations must run one after another to read n words.

    The RNN: one per word. Attention: one call, whatever n (its scores, softmax and weighted sum
    are a fixed handful of stages; we count the call as 1).
    """
    return n, 1


def multiply_adds(n, d):
    """(RNN, attention): the multiply-adds to read n words of d features, with a state of d_h = d.

    RNN: n steps of W_h h (d_h²) and W_x x (d_h·d): n·(d_h² + d_h·d) = 2·n·d².
    Attention: the scores X Xᵀ (n·n·d) and the weighted sum (n·n·d): 2·n²·d.
    """
    return n * (d * d + d * d), 2 * n * n * d


def ticks(n, d, processors):
    """(RNN, attention): the time to read n words on a machine that does `processors` multiply-adds at once.

    One tick per round of `processors` multiply-adds, and a step cannot start before the one it waits for:
    the RNN takes n steps of ceil(2·d² / processors) ticks, attention one step of ceil(2·n²·d / processors).
    """
    rnn_work, attention_work = multiply_adds(n, d)
    return n * math.ceil(rnn_work / n / processors), math.ceil(attention_work / processors)


def draw_costs(lengths, d, machines):
    """Three panels over n (log-log): sequential steps, multiply-adds, and ticks on each machine size.

    machines: processor counts, e.g. (1024, 65536). Only counts are drawn, so the picture is the same
    on every computer. Returns a matplotlib Figure (imported here, not at package import).
    """
    import matplotlib.pyplot as plt

    n = np.asarray(lengths)
    fig, axes = plt.subplots(1, 3, figsize=(10.5, 3.3), dpi=80)
    plt.close(fig)
    panels = [("sequential steps", lambda m: sequential_steps(m)),
              ("multiply-adds", lambda m: multiply_adds(m, d))]
    for ax, (title, count) in zip(axes, panels):
        rnn_counts, attention_counts = zip(*(count(int(m)) for m in n))
        ax.loglog(n, rnn_counts, "o-", color="#2563eb", label="RNN")
        ax.loglog(n, attention_counts, "s-", color="#ea580c", label="attention")
        ax.set_title(title, fontsize=10)
    for P, style in zip(machines, ("-", "--", ":")):
        rnn_ticks, attention_ticks = zip(*(ticks(int(m), d, P) for m in n))
        axes[2].loglog(n, rnn_ticks, "o" + style, color="#2563eb", label=f"RNN, P = {P:,}")
        axes[2].loglog(n, attention_ticks, "s" + style, color="#ea580c", label=f"attention, P = {P:,}")
    axes[2].set_title("time in ticks, P multiply-adds at once", fontsize=10)
    for ax, corner in zip(axes, ("center right", "upper left", "upper left")):
        ax.set_xlabel("n (words)")
        ax.legend(fontsize=7, loc=corner)
    fig.tight_layout()
    return fig
