"""The numbers of exercises/12, in one place (the checks read them from here, never typed twice).

- EX_ADAM: one Adam step by hand on two weights (the paper's β1, β2, ε; the first step, t = 1).
- curve_run(): the loss curves of a made-up run to read (a warm-up, then over-fitting), and curve_figure().
- EX_X, EX_W, EX_TARGETS, EX_LR: a linear layer with no bias and cross-entropy, for one training step in code.
"""

from __future__ import annotations

import numpy as np

from ..kernels import frozen
from .training import lrate

# ---------------------------------------------------------------- an Adam step by hand

EX_ADAM = dict(w=frozen([2.0, -1.0]),  # two weights
               g=frozen([0.5, -0.1]),  # their gradients at step t = 1
               lr=0.1, t=1)  # m and v start at 0

# ---------------------------------------------------------------- reading a loss curve

CURVE_STEPS = 2000
CURVE_WARMUP = 400
CURVE_EVERY = 100  # the held-out loss is measured every 100 steps


def curve_run():
    """A made-up run to read (not a model trained here): dict of step, lr, train (the loss of each step) and
    eval_steps, held_out (the held-out loss every CURVE_EVERY steps). The held-out loss falls, then rises:
    the model starts to learn its training sentences by heart (over-fitting)."""
    rng = np.random.default_rng(12)
    step = np.arange(1, CURVE_STEPS + 1)
    lr = lrate(step, 32, CURVE_WARMUP)
    learned = np.cumsum(lr) / np.sum(lr)  # how far the run has got: 0 -> 1, fastest where lr is largest
    train = 0.15 + 4.2 * np.exp(-7 * learned) + rng.normal(0, 0.04, size=CURVE_STEPS) * np.exp(-2 * learned)
    eval_steps = np.arange(CURVE_EVERY, CURVE_STEPS + 1, CURVE_EVERY)
    e = learned[eval_steps - 1]
    held_out = 0.45 + 4.2 * np.exp(-7 * e) + 4 * np.maximum(0, e - 0.45)  # falls, then rises
    return dict(step=step, lr=lr, train=train, eval_steps=eval_steps, held_out=held_out)


def curve_answers():
    """(the step where the warm-up ends, the evaluation step with the lowest held-out loss, over-fitting at the
    end?) read from curve_run() the way the exercise asks."""
    run = curve_run()
    best = int(run["eval_steps"][np.argmin(run["held_out"])])
    return CURVE_WARMUP, best, bool(run["held_out"][-1] > run["held_out"].min())


def curve_figure():
    """The run of curve_run(): the learning rate above, the two losses below, on one step axis."""
    import matplotlib.pyplot as plt

    run = curve_run()
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(7, 4.6), dpi=80, sharex=True,
                                      gridspec_kw=dict(height_ratios=(1, 2)))
    plt.close(fig)
    top.plot(run["step"], run["lr"], color="#1d4ed8")
    top.set_ylabel("learning rate")
    bottom.plot(run["step"], run["train"], color="#93c5fd", lw=0.8, label="training loss (each batch)")
    bottom.plot(run["eval_steps"], run["held_out"], "o-", color="#c2410c", ms=4, label="held-out loss")
    bottom.set_ylabel("loss")
    bottom.set_xlabel("step")
    bottom.set_ylim(0, 3)
    bottom.legend(loc="upper right", fontsize=8)
    for ax in (top, bottom):
        ax.set_xticks(range(0, CURVE_STEPS + 1, 200))
        ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------- one training step in code

EX_X = frozen([[1.0, 0.0, 2.0],  # token 1
               [0.0, 1.0, -1.0]])  # token 2: x (n, d) = (2, 3)
EX_W = frozen([[0.5, -0.5, 0.0],  # word 0
               [0.0, 1.0, 0.5],  # word 1
               [-1.0, 0.0, 0.5],  # word 2
               [0.5, 0.5, -0.5]])  # word 3: W (vocab, d) = (4, 3), no bias
EX_TARGETS = frozen([2, 1])  # the right next word of each token
EX_LR = 0.5
