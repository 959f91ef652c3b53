"""Lesson 09 data and tools: a tiny recurrent network next to attention.

The RNN reads the toy embeddings of lesson 06 (d_in = 4) into a hidden state of
d_h = 3 numbers:  h_t = tanh(W_h h_{t-1} + W_x x_t + b),  h_0 = 0.
Its weights are small integers, so the first step can be done by hand.
"""

from __future__ import annotations

import time

import numpy as np

from .kernels import as_float_array, scaled_dot_product_attention

# (d_h, d_in): how the current word enters the state
W_X = np.array(
    [
        [1, 0, 1, 0],
        [0, 1, 0, -1],
        [1, -1, 0, 1],
    ]
)
# (d_h, d_h): how the previous state enters the new one
W_H = np.array(
    [
        [0, 1, 0],
        [1, 0, -1],
        [0, 1, 1],
    ]
)
B = np.array([0, 1, -1])  # (d_h,)
for _a in (W_X, W_H, B):
    _a.setflags(write=False)

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


def rnn_influence_of_first(X, W_h=W_H, W_x=W_X, b=B):
    """‖∂h_t/∂x_1‖ (spectral norm) for t = 1..n, as an array (n,).

    ∂h_1/∂x_1 = D_1 W_x, and every later step multiplies by one more D_t W_h:
    ∂h_t/∂x_1 = D_t W_h · ∂h_{t-1}/∂x_1, with D_t = diag(1 - h_t²).
    """
    H = rnn(X, W_h, W_x, b)
    W_h = np.asarray(W_h, float)
    J = (1 - H[0] ** 2)[:, None] * np.asarray(W_x, float)  # (d_h, d_in)
    out = [np.linalg.norm(J, 2)]
    for t in range(1, len(H)):
        J = (1 - H[t] ** 2)[:, None] * (W_h @ J)  # one more factor D_t W_h
        out.append(np.linalg.norm(J, 2))
    return np.array(out)


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


def median_time(f, *args, repeat=7):
    """The median wall time of f(*args) over `repeat` runs, in seconds."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        f(*args)
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


# ---------------------------------------------------------------- exercise checks
#
# The checks of exercises/09-why-not-an-rnn.ipynb, built on helpers.checks:
# `from helpers.lesson09 import check`, then `check.start()`, `check.first_step_of_dog(a_1)`, ...


def first_word_jacobian(X, W_h=W_H, W_x=W_X, b=B):
    """∂h_n/∂x_1, a (d_h, d_in) matrix: D_n W_h ··· D_2 W_h · D_1 W_x with D_t = diag(1 - h_t²)."""
    H = rnn(X, W_h, W_x, b)
    J = (1 - H[0] ** 2)[:, None] * np.asarray(W_x, float)  # ∂h_1/∂x_1
    for t in range(1, len(H)):
        J = (1 - H[t] ** 2)[:, None] * (np.asarray(W_h, float) @ J)  # one more step
    return J


def _checks():
    from types import SimpleNamespace

    from . import checks as C
    from .kernels import embed
    from .lesson06 import E, FEATURES, SENTENCE, encode, snap_to_2_decimals, tokenize

    names = ["first step for dog", "steps and paths", "halvings", "rnn_step", "run_rnn", "first_word_jacobian"]
    dog = E[5]  # [2, 1, 1, 0]
    a_dog = W_X @ dog + B
    X_sent = embed(encode(SENTENCE), E).astype(float)
    rng_seed = 909

    def start():
        C.start("09", names)

    def first_step_of_dog(a_1):
        """a_1 = W_x x_1 + b for x_1 = dog (h_0 = 0)."""
        a_1 = snap_to_2_decimals(a_1, np.tanh(a_dog))  # tanh typed with 2 decimals: the slip below
        return C.check_value(
            names[0], a_1, a_dog, cell_names=list(HIDDEN),
            slips={"left out the bias b": W_X @ dog,
                   "took tanh already: the question asks for a_1, before the tanh": np.round(np.tanh(a_dog), 2),
                   "used the embedding of cat (row 4 of E) instead of dog (row 5)": W_X @ E[4] + B},
            hint="dog = [2, 1, 1, 0]; the first row of W_x is [1, 0, 1, 0] and the first entry of b is 0, "
                 "so the first entry of a_1 is 1·2 + 0·1 + 1·1 + 0·0 + 0 = 3.",
            note="h_1 = tanh(a_1) = [1.00, 0.96, 0].")

    def steps_and_paths(rnn_steps, attention_steps, rnn_path, attention_path):
        """For n = 20 words."""
        return C.check_value(
            names[1], [rnn_steps, attention_steps, rnn_path, attention_path], [20, 1, 20, 1],
            cell_names=["rnn_steps", "attention_steps", "rnn_path", "attention_path"],
            slips={"counted one attention step per word: all 20 rows come out of one product": [20, 20, 20, 1],
                   "gave the RNN path as 19: count the arrow x1 -> h1 too (x1 -> h1 -> ... -> h20)": [20, 1, 19, 1]},
            hint="the RNN's steps wait for one another, one per word; attention's rows do not wait. "
                 "The path x1 -> h1 -> h2 -> ... -> h20 has 20 arrows; x1 -> y20 has 1.",
            note="n versus 1, twice.")

    def halvings(k):
        """How many halvings until the influence is below 1/1000 of the start."""
        return C.check_value(
            names[2], k, 10,
            slips={"stopped one step early: after 9 halvings 1/512 is still more than 1/1000": 9,
                   "halved 1000 instead of counting steps: count how many times you divide by 2": 500},
            hint="1/2, 1/4, 1/8, ... after k steps the influence is 1/2^k; find the first k with 2^k > 1000.",
            note="2^10 = 1024: ten words back, less than a thousandth is left.")

    def _step_cases(rng):
        def make(r):
            d_h, d_in = int(r.integers(2, 5)), int(r.integers(2, 6))
            return (r.uniform(-1, 1, size=d_h).round(2), r.integers(-2, 3, size=d_in),
                    r.integers(-1, 2, size=(d_h, d_h)), r.integers(-1, 2, size=(d_h, d_in)), r.integers(-1, 2, size=d_h))
        h1 = np.tanh(W_X @ X_sent[0] + B)
        return [(h1, X_sent[1], W_H, W_X, B)] + C.int_cases(rng, 4, make)

    def rnn_step_(fn):
        return C.check_function(
            names[3], fn, lambda h, x, Wh, Wx, b_: np.tanh(Wh @ h + Wx @ x + b_),
            _step_cases(np.random.default_rng(rng_seed)),
            case_labels=["step 2 of the lesson ('cat')"] + [f"random case {i}" for i in range(1, 5)],
            labels=list(HIDDEN),
            slips={"forgot the tanh": lambda h, x, Wh, Wx, b_: Wh @ h + Wx @ x + b_,
                   "left out the previous state: add W_h @ h": lambda h, x, Wh, Wx, b_: np.tanh(Wx @ x + b_),
                   "used a ReLU: an RNN squashes with tanh":
                       lambda h, x, Wh, Wx, b_: np.maximum(Wh @ h + Wx @ x + b_, 0)},
            hint="return np.tanh(W_h @ h + W_x @ x + b)")

    def _seq_cases(rng):
        def make(r):
            d_h, d_in, n = int(r.integers(2, 5)), int(r.integers(2, 5)), int(r.integers(1, 7))
            return (r.integers(-2, 3, size=(n, d_in)), r.integers(-1, 2, size=(d_h, d_h)),
                    r.integers(-1, 2, size=(d_h, d_in)), r.integers(-1, 2, size=d_h))
        return [(X_sent, W_H, W_X, B)] + C.int_cases(rng, 4, make)

    def run_rnn(fn):
        def reset_every_step(X, Wh, Wx, b_):
            return np.tanh(np.asarray(X) @ np.asarray(Wx).T + b_)

        return C.check_function(
            names[4], fn, lambda X, Wh, Wx, b_: rnn(X, Wh, Wx, b_), _seq_cases(np.random.default_rng(rng_seed + 1)),
            case_labels=["the lesson's sentence"] + [f"random case {i}" for i in range(1, 5)],
            labels=(tokenize(SENTENCE), list(HIDDEN)),
            slips={"started every step from h = 0: carry h from one step to the next": reset_every_step,
                   "returned only the last state: return all n states, one row per word":
                       lambda X, Wh, Wx, b_: rnn(X, Wh, Wx, b_)[-1]},
            hint="h = np.zeros(d_h); for each row x of X: h = rnn_step(h, x, ...); keep every h in a list; "
                 "return np.array(states), shape (n, d_h).")

    def first_word_jacobian_(fn):
        def no_slopes(X, Wh, Wx, b_):
            J = np.asarray(Wx, float)
            for _ in range(1, len(X)):
                J = np.asarray(Wh, float) @ J
            return J

        def no_first_slope(X, Wh, Wx, b_):
            H = rnn(X, Wh, Wx, b_)
            J = np.asarray(Wx, float)
            for t in range(1, len(H)):
                J = (1 - H[t] ** 2)[:, None] * (np.asarray(Wh, float) @ J)
            return J

        def slope_of_tanh_wrong(X, Wh, Wx, b_):
            H = rnn(X, Wh, Wx, b_)
            J = (1 - H[0])[:, None] * np.asarray(Wx, float)
            for t in range(1, len(H)):
                J = (1 - H[t])[:, None] * (np.asarray(Wh, float) @ J)
            return J

        return C.check_function(
            names[5], fn, first_word_jacobian, _seq_cases(np.random.default_rng(rng_seed + 2)),
            case_labels=["the lesson's sentence"] + [f"random case {i}" for i in range(1, 5)],
            labels=(list(HIDDEN), list(FEATURES)),
            slips={"left out the tanh slopes D_t = diag(1 - h_t²)": no_slopes,
                   "left out the slope D_1 of the first step: ∂h_1/∂x_1 = D_1 W_x": no_first_slope,
                   "used 1 - h as the slope of tanh: it is 1 - h²": slope_of_tanh_wrong},
            hint="H = run the RNN; J = (1 - H[0]**2)[:, None] * W_x; then for t = 1..n-1: "
                 "J = (1 - H[t]**2)[:, None] * (W_h @ J). (d[:, None] * M is diag(d) @ M.)")

    return SimpleNamespace(
        EXERCISES=tuple(names), start=start, first_step_of_dog=first_step_of_dog, steps_and_paths=steps_and_paths,
        halvings=halvings, rnn_step=rnn_step_, run_rnn=run_rnn, first_word_jacobian=first_word_jacobian_,
        progress=C.progress)


check = _checks()
