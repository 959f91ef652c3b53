"""The checks of exercises/12-the-model-learns.ipynb, one per exercise, in order.

    from helpers.checks import lesson12 as check
    check.start()                      # every exercise "not done"
    check.adam_step_by_hand(m1, m2, v1, v2, w1, w2)
    check.loss_curve_reading(warmup_end, best_step, verdict)
    check.train_step(train_step)
    check.progress()

Expected values come from helpers.lesson12 (adam_update, the made-up run's curves) and, for the training
step, from central finite differences of the loss: the check never uses the backward formula it tests.
"""

import numpy as np

from ..kernels import cross_entropy, softmax
from ..lesson12 import adam_update
from ..lesson12.exercises import EX_ADAM, EX_LR, EX_TARGETS, EX_W, EX_X, curve_answers, curve_run
from . import check_function, check_value, exercise, exercises, random_cases, start_lesson
from . import progress as progress  # check.progress() ends the notebook

SEED = 1212  # the random cases are the same in every run

_ADAM_CELLS = ["m1", "m2", "v1", "v2", "w1", "w2"]
VERDICTS = {1: "still learning: both losses are still falling",
            2: "over-fitting: the training loss falls while the held-out loss rises",
            3: "the learning rate is too high: both losses go up"}


def _adam(bias_correction=True, sqrt=True, sign=1):
    """[m1, m2, v1, v2, w1, w2] after one Adam step on EX_ADAM, with the chosen slips."""
    w, g, lr, t = (np.asarray(EX_ADAM[k], dtype=float) for k in ("w", "g", "lr", "t"))
    m = 0.1 * g  # β1·0 + (1 − β1)·g
    v = 0.02 * g * g  # β2·0 + (1 − β2)·g²
    m_hat, v_hat = (m / 0.1, v / 0.02) if bias_correction else (m, v)
    step = m_hat / (np.sqrt(v_hat) if sqrt else v_hat)  # ε = 1e-9 changes nothing here
    return [*m, *v, *(w - sign * lr * step)]


@exercise("Adam step by hand")
def adam_step_by_hand(m1, m2, v1, v2, w1, w2):
    """Adam's first step (t = 1) on w = (2, −1) with gradients g = (0.5, −0.1) and lr = 0.1: m, v and the new w."""
    w, g, lr, t = EX_ADAM["w"], EX_ADAM["g"], EX_ADAM["lr"], EX_ADAM["t"]
    w_new, m, v = adam_update(np.asarray(w, dtype=float), np.asarray(g, dtype=float), 0.0, 0.0, t, lr)
    return check_value(
        adam_step_by_hand.title, [m1, m2, v1, v2, w1, w2], [*m, *v, *w_new], cell_names=_ADAM_CELLS,
        labels=_ADAM_CELLS,
        slips={"left out the bias correction: at t = 1 divide m by 1 − β1 = 0.1 and v by 1 − β2 = 0.02 before "
               "the update": _adam(bias_correction=False),
               "divided by v̂, not by its square root √v̂": _adam(sqrt=False),
               "added the step to w: Adam moves against the gradient, w − lr · m̂ / (√v̂ + ε)": _adam(sign=-1)},
        hint="m = β1·0 + (1 − β1)·g and v = β2·0 + (1 − β2)·g², one number per weight; then correct both for "
             "starting at 0 (divide by 1 − β^t) and move w by lr · m̂ / (√v̂ + ε), against the gradient.",
        answer="m = 0.1·g = (0.05, −0.01); v = 0.02·g² = (0.005, 0.0002); m̂ = m / 0.1 = (0.5, −0.1), "
               "v̂ = v / 0.02 = (0.25, 0.01); m̂ / √v̂ = (0.5 / 0.5, −0.1 / 0.1) = (1, −1); "
               "w = (2 − 0.1·1, −1 − 0.1·(−1)) = (1.9, −0.9)",
        note="At the first step every weight moves by lr, whatever the size of its gradient: m̂ / √v̂ = ±1.")


@exercise("reading a loss curve")
def loss_curve_reading(warmup_end, best_step, verdict):
    """Three readings of the made-up run's curves: where the warm-up ends, the evaluation step with the lowest
    held-out loss, and which of three sentences describes the end of the run (1, 2 or 3)."""
    expected = list(curve_answers()[:2]) + [2]
    run = curve_run()
    return check_value(
        loss_curve_reading.title, [warmup_end, best_step, verdict], expected,
        cell_names=["warmup_end", "best_step", "verdict"], labels=["warmup_end", "best_step", "verdict"],
        slips={"read best_step off the training loss, which falls to the very end; the held-out points tell "
               "when the model stops improving on sentences it has not seen": [expected[0], run["step"][-1], 2]},
        hint="the warm-up ends where the learning rate stops growing; the held-out loss is the line of dots, "
             "measured every 100 steps: find its lowest point, then compare how the two losses move after it.",
        answer=f"warmup_end = {expected[0]} (the learning rate peaks there); best_step = {expected[1]} (the lowest "
               f"held-out point); verdict = 2: {VERDICTS[2]}",
        note="Stop (or keep the weights) at the lowest held-out loss: after it the model learns its training "
             "sentences by heart.")


def _loss_of(W, x, targets):
    return cross_entropy(np.asarray(x, dtype=float) @ np.asarray(W, dtype=float).T, targets)[0]


def _finite_difference_step(W, x, targets, lr, eps=1e-5):
    """W − lr · dL/dW with dL/dW from central differences: (L(W + ε) − L(W − ε)) / 2ε, one weight at a time."""
    W = np.array(W, dtype=float)
    grad = np.zeros_like(W)
    for i in np.ndindex(W.shape):
        old = W[i]
        W[i] = old + eps
        up = _loss_of(W, x, targets)
        W[i] = old - eps
        down = _loss_of(W, x, targets)
        W[i] = old
        grad[i] = (up - down) / (2 * eps)
    return W - lr * grad


def _with_dlogits(make_dlogits, sign=1):
    """A training step whose gradient of the logits is make_dlogits(probs, one_hot, n) (the slips)."""
    def step(W, x, targets, lr):
        W, x = np.asarray(W, dtype=float), np.asarray(x, dtype=float)
        probs = softmax(x @ W.T)  # (n, vocab)
        one_hot = np.eye(W.shape[0])[np.asarray(targets)]  # (n, vocab)
        dlogits = make_dlogits(probs, one_hot, len(x))
        return W - sign * lr * dlogits.T @ x  # (vocab, n) @ (n, d) -> (vocab, d)
    return step


def _transposed_step(W, x, targets, lr):
    """The slip dW = x.T @ dlogits: (d, vocab), which does not fit W unless W is square."""
    W, x = np.asarray(W, dtype=float), np.asarray(x, dtype=float)
    _, dlogits = cross_entropy(x @ W.T, targets)
    return W - lr * x.T @ dlogits


def _step_case(r):
    n, d, vocab = int(r.integers(1, 6)), int(r.integers(1, 5)), int(r.integers(2, 7))
    return (r.integers(-2, 3, size=(vocab, d)) * 0.5, r.integers(-2, 3, size=(n, d)).astype(float),
            r.integers(0, vocab, size=n), float(r.choice([0.1, 0.5, 1.0])))


@exercise("train_step")
def train_step(fn):
    """The learner's train_step(W, x, targets, lr): one step of gradient descent on a linear layer with no bias
    (logits = x Wᵀ) and cross-entropy, returning the new W."""
    cases = {"the exercise's x, W and targets, lr = 0.5": (EX_W, EX_X, EX_TARGETS, EX_LR),
             **random_cases(np.random.default_rng(SEED), 6, _step_case)}
    return check_function(
        train_step.title, fn, _finite_difference_step, cases, symbol="W_new",
        slips={"added the gradient to W: a step goes against it, W − lr · dW":
                   _with_dlogits(lambda p, y, n: (p - y) / n, sign=-1),
               "forgot to divide dlogits by n: cross_entropy's loss is the mean over the tokens":
                   _with_dlogits(lambda p, y, n: p - y),
               "left out the one-hot of the targets: dlogits = (softmax(logits) − one_hot(targets)) / n":
                   _with_dlogits(lambda p, y, n: p / n),
               "computed dW as x.T @ dlogits, the transpose: dW = dlogits.T @ x has W's shape (vocab, d)":
                   _transposed_step},
        hint="forward: logits = x @ W.T; loss and dlogits from cross_entropy(logits, targets); backward: "
             "dW = dlogits.T @ x (the shape of W); update: W − lr · dW.",
        answer="logits = x @ W.T                      # (n, vocab)\n"
               "loss, dlogits = cross_entropy(logits, targets)\n"
               "dW = dlogits.T @ x                     # (vocab, n) @ (n, d) -> (vocab, d)\n"
               "return W - lr * dW",
        note="The check computed its gradient by finite differences, one weight at a time: your backward pass "
             "agrees with it.")


EXERCISES = exercises(__name__)


def start():
    """Declare this lesson's exercises, in order: each is "not done" until its check runs."""
    start_lesson(__name__)
