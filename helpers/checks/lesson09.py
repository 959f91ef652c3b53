"""The checks of exercises/09-why-not-an-rnn.ipynb, one per exercise, in order.

    from helpers.checks import lesson09 as check
    check.start()                      # every exercise "not done"
    check.first_step_of_dog(a_1)
    ...
    check.progress()

Expected values come from helpers.lesson09 (the RNN's weights and functions) and helpers.lesson06
(the toy embedding the RNN reads), never typed in twice.
"""

import numpy as np

from .. import lesson09
from ..kernels import embed
from ..lesson06 import FEATURES, SENTENCE, E, encode, tokenize
from ..lesson09 import HIDDEN, W_H, W_X, B, rnn
from . import check_function, check_value, exercise, exercises, random_cases, snap_to_2_decimals, start_lesson
from . import progress as progress  # check.progress() in the notebooks

SEED = 909  # the random cases are the same in every run
DOG = E[5]  # the embedding of "dog", [2, 1, 1, 0]
X_SENTENCE = embed(encode(SENTENCE), E).astype(float)  # the lesson's sentence, (n, d_in) = (6, 4)


@exercise("first step for dog")
def first_step_of_dog(a_1):
    """a_1 = W_x x_1 + b for x_1 = dog (h_0 = 0)."""
    a_dog = W_X @ DOG + B
    a_1 = snap_to_2_decimals(a_1, np.tanh(a_dog))  # tanh typed with 2 decimals: the slip below
    return check_value(
        first_step_of_dog.title, a_1, a_dog, cell_names=list(HIDDEN),
        slips={"left out the bias b": W_X @ DOG,
               "took tanh already: the question asks for a_1, before the tanh": np.round(np.tanh(a_dog), 2),
               "used the embedding of cat (row 4 of E) instead of dog (row 5)": W_X @ E[4] + B},
        hint="entry k of a_1 is row k of W_x times dog's vector, plus b[k] (W_h h_0 is 0); "
             "stop before the tanh.",
        answer="a_1 = W_x·dog + b: " + "; ".join(
            " + ".join(f"({w})·{x}" if w < 0 else f"{w}·{x}" for w, x in zip(row, DOG))
            + (f" + ({b})" if b < 0 else f" + {b}") + f" = {int(row @ DOG + b)}" for row, b in zip(W_X, B))
            + f", so a_1 = {[int(v) for v in a_dog]}",
        note="h_1 = tanh(a_1) = [1.00, 0.96, 0].")


@exercise("steps and paths")
def steps_and_paths(rnn_steps, attention_steps, rnn_path, attention_path):
    """Sequential steps and the longest path from x_1, for the RNN and for attention, for n = 20 words."""
    return check_value(
        steps_and_paths.title, [rnn_steps, attention_steps, rnn_path, attention_path], [20, 1, 20, 1],
        cell_names=["rnn_steps", "attention_steps", "rnn_path", "attention_path"],
        slips={"counted one attention step per word: all 20 rows come out of one product": [20, 20, 20, 1],
               "gave the RNN path as 19: count the arrow x1 -> h1 too (x1 -> h1 -> ... -> h20)": [20, 1, 19, 1]},
        hint="an RNN step needs the state of the step before, while attention computes all its rows in one "
             "product; for the paths, count the arrows, the first one x1 -> h1 included.",
        answer="rnn_steps = 20, attention_steps = 1, rnn_path = 20 (x1 -> h1 -> ... -> h20), "
               "attention_path = 1 (x1 -> y20 directly)",
        note="n versus 1, twice.")


@exercise("halvings")
def halvings(k):
    """How many halvings until the influence is below 1/1000 of the start."""
    return check_value(
        halvings.title, k, 10,
        slips={"stopped one step early: after 9 halvings 1/512 is still more than 1/1000": 9,
               "halved 1000 instead of counting steps: count how many times you divide by 2": 500},
        hint="after k halvings 1/2^k of the influence is left: find the first k where that is below 1/1000.",
        answer="2^9 = 512 is not enough (1/512 > 1/1000), 2^10 = 1024 is: 10 halvings",
        note="2^10 = 1024: ten words back, less than a thousandth is left.")


def _step_case(r):
    d_h, d_in = int(r.integers(2, 5)), int(r.integers(2, 6))
    return (r.uniform(-1, 1, size=d_h).round(2), r.integers(-2, 3, size=d_in),
            r.integers(-1, 2, size=(d_h, d_h)), r.integers(-1, 2, size=(d_h, d_in)), r.integers(-1, 2, size=d_h))


def _sequence_case(r):
    d_h, d_in, n = int(r.integers(2, 5)), int(r.integers(2, 5)), int(r.integers(1, 7))
    return (r.integers(-2, 3, size=(n, d_in)), r.integers(-1, 2, size=(d_h, d_h)),
            r.integers(-1, 2, size=(d_h, d_in)), r.integers(-1, 2, size=d_h))


def _sequence_cases(seed):
    """The lesson's sentence, then 4 random sequences with random weights: (X, W_h, W_x, b)."""
    return {"the lesson's sentence": (X_SENTENCE, W_H, W_X, B),
            **random_cases(np.random.default_rng(seed), 4, _sequence_case)}


@exercise("rnn_step")
def rnn_step(fn):
    """The learner's rnn_step(h, x, W_h, W_x, b) -> tanh(W_h h + W_x x + b)."""
    h_1 = np.tanh(W_X @ X_SENTENCE[0] + B)
    cases = {"step 2 of the lesson ('cat')": (h_1, X_SENTENCE[1], W_H, W_X, B),
             **random_cases(np.random.default_rng(SEED), 4, _step_case)}
    return check_function(
        rnn_step.title, fn, lesson09.rnn_step, cases, labels=list(HIDDEN),
        slips={"forgot the tanh": lambda h, x, Wh, Wx, b: Wh @ h + Wx @ x + b,
               "left out the previous state: add W_h @ h": lambda h, x, Wh, Wx, b: np.tanh(Wx @ x + b),
               "used a ReLU: an RNN squashes with tanh": lambda h, x, Wh, Wx, b: np.maximum(Wh @ h + Wx @ x + b, 0)},
        hint="three terms added together, the previous state through W_h, the input through W_x, and the "
             "bias; then the tanh squashes the sum.",
        answer="return np.tanh(W_h @ h + W_x @ x + b)")


def _reset_every_step(X, Wh, Wx, b):
    return np.tanh(np.asarray(X) @ np.asarray(Wx).T + b)


@exercise("run_rnn")
def run_rnn(fn):
    """The learner's run_rnn(X, W_h, W_x, b) -> every state h_1..h_n, (n, d_h)."""
    return check_function(
        run_rnn.title, fn, rnn, _sequence_cases(SEED + 1), labels=(tokenize(SENTENCE), list(HIDDEN)),
        slips={"started every step from h = 0: carry h from one step to the next": _reset_every_step,
               "returned only the last state: return all n states, one row per word":
                   lambda X, Wh, Wx, b: rnn(X, Wh, Wx, b)[-1]},
        hint="start from h = 0 (d_h zeros), and carry h from one word to the next in order; "
             "keep every state, one row per word.",
        answer="h = np.zeros(len(b)); states = []; for x in X: h = rnn_step(h, x, W_h, W_x, b); "
               "states.append(h). After the loop: return np.array(states)   # (n, d_h)")


def _no_slopes(X, Wh, Wx, b):
    J = np.asarray(Wx, float)
    for _ in range(1, len(X)):
        J = np.asarray(Wh, float) @ J
    return J


def _no_first_slope(X, Wh, Wx, b):
    H = rnn(X, Wh, Wx, b)
    J = np.asarray(Wx, float)
    for t in range(1, len(H)):
        J = (1 - H[t] ** 2)[:, None] * (np.asarray(Wh, float) @ J)
    return J


def _slope_of_tanh_wrong(X, Wh, Wx, b):
    H = rnn(X, Wh, Wx, b)
    J = (1 - H[0])[:, None] * np.asarray(Wx, float)
    for t in range(1, len(H)):
        J = (1 - H[t])[:, None] * (np.asarray(Wh, float) @ J)
    return J


@exercise("first_word_jacobian")
def first_word_jacobian(fn):
    """The learner's first_word_jacobian(X, W_h, W_x, b) -> ∂h_n/∂x_1, (d_h, d_in)."""
    return check_function(
        first_word_jacobian.title, fn, lesson09.first_word_jacobian, _sequence_cases(SEED + 2),
        labels=(list(HIDDEN), list(FEATURES)),
        slips={"left out the tanh slopes D_t = diag(1 - h_t²)": _no_slopes,
               "left out the slope D_1 of the first step: ∂h_1/∂x_1 = D_1 W_x": _no_first_slope,
               "used 1 - h as the slope of tanh: it is 1 - h²": _slope_of_tanh_wrong},
        hint="run the RNN first to get every state h_t; then follow the chain rule from the first step: "
             "each step multiplies by its tanh slope diag(1 - h_t²), the first step with W_x, the others with W_h.",
        answer="H = run_rnn(X, W_h, W_x, b); J = (1 - H[0] ** 2)[:, None] * W_x; for t in range(1, len(H)): "
               "J = (1 - H[t] ** 2)[:, None] * (W_h @ J). After the loop: return J")


EXERCISES = exercises(__name__)


def start():
    """Declare this lesson's exercises, in order: each is "not done" until its check runs."""
    start_lesson(__name__)
