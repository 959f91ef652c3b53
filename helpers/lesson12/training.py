"""Training (lesson 12): Adam, the paper's warm-up schedule and the loop, all numpy.

- lrate(step, d_model, warmup, scale): the paper's learning rate, d_model^-0.5 · min(step^-0.5, step · warmup^-1.5).
- adam_update(w, g, m, v, t, lr): one Adam step on arrays (the by-hand step of the lesson), and
  adam_step(p, grads, state, lr): the same on every weight of a model, in place.
- TrainConfig, CONFIG: the full configuration (`byhand train` trains it; the shipped weights are its result).
- train(config, steps, callback): the loop; returns the trained TransformerParams and the history.

Adam's constants are the paper's (section 5.3): β1 = 0.9, β2 = 0.98, ε = 1e-9. Everything is float64:
with 44,000 weights the speed is set by Python's overhead, not by the arithmetic, and float64 makes a run
repeat to the last digits, so that a recorded loss curve can be checked to 1e-6.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from ..lesson10 import init_transformer
from .corpus import TRAIN, VOCAB, batches
from .gradients import loss_and_gradients

BETA1, BETA2, EPS = 0.9, 0.98, 1e-9  # the paper's section 5.3


def lrate(step, d_model, warmup, scale=1.0):
    """The paper's schedule (section 5.3): scale · d_model^-0.5 · min(step^-0.5, step · warmup^-1.5).

    It grows linearly for the first `warmup` steps, peaks at step = warmup, then decays like 1/sqrt(step).
    step counts from 1; an array of steps gives an array of rates.
    """
    step = np.asarray(step, dtype=float)
    if np.any(step < 1):
        raise ValueError(f"step counts from 1, got {step.min():g}")
    rate = scale * d_model ** -0.5 * np.minimum(step ** -0.5, step * warmup ** -1.5)
    return float(rate) if rate.ndim == 0 else rate


def adam_update(w, g, m, v, t, lr, beta1=BETA1, beta2=BETA2, eps=EPS):
    """One Adam step at step t (counted from 1) on arrays (or numbers): returns (new w, new m, new v).

    m = β1·m + (1 − β1)·g          a running mean of the gradients
    v = β2·v + (1 − β2)·g²         a running mean of their squares
    m̂ = m / (1 − β1^t), v̂ = v / (1 − β2^t)   the bias correction: m and v start at 0
    w = w − lr · m̂ / (√v̂ + ε)
    """
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    m_hat = m / (1 - beta1 ** t)
    v_hat = v / (1 - beta2 ** t)
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def weight_pairs(p, grads, prefix=""):
    """[(name, weight array, its gradient)] for every weight of p, each array once (a tied E once).

    p and grads are the same structure of dataclasses and lists (as loss_and_gradients returns).
    """
    out, seen = [], set()

    def walk(a, g, name):
        if a is None:
            return
        if isinstance(a, np.ndarray):
            if id(a) not in seen:
                seen.add(id(a))
                out.append((name, a, g))
        elif isinstance(a, list):
            for i, (ai, gi) in enumerate(zip(a, g, strict=True)):
                walk(ai, gi, f"{name}.{i}")
        else:
            for f in dataclasses.fields(a):
                walk(getattr(a, f.name), getattr(g, f.name), f"{name}.{f.name}" if name else f.name)

    walk(p, grads, prefix)
    return out


def named_weights(p):
    """[(name, array)] of every weight of p, each array once: 'src_embed', 'encoder_layers.0.self_attn.W_q', ..."""
    return [(name, a) for name, a, _ in weight_pairs(p, p)]


@dataclass
class AdamState:
    """Adam's running means, one array per weight (in named_weights order), and the steps taken."""

    m: list
    v: list
    step: int = 0


def adam_init(p):
    """A fresh AdamState for the weights of p: every m and v zero."""
    return AdamState([np.zeros_like(a) for _, a in named_weights(p)], [np.zeros_like(a) for _, a in named_weights(p)])


def adam_step(p, grads, state, lr):
    """One Adam step on every weight of p, in place (a tied E stays one array); state.step goes up by 1."""
    state.step += 1
    for k, (_, w, g) in enumerate(weight_pairs(p, grads)):
        w_new, state.m[k], state.v[k] = adam_update(w, g, state.m[k], state.v[k], state.step, lr)
        w[...] = w_new


@dataclass(frozen=True)
class TrainConfig:
    """What `byhand train` trains. The schedule's scale is explained in the lesson (section 5)."""

    d_model: int = 32
    h: int = 4
    d_ff: int = 64
    n_layers: int = 2
    batch_size: int = 32
    steps: int = 800
    warmup: int = 200
    lr_scale: float = 0.5
    label_smoothing: float = 0.1
    seed: int = 0
    eval_every: int = 100


CONFIG = TrainConfig()


@dataclass
class History:
    """What a training run records: per step its loss and learning rate; per evaluation its accuracy."""

    loss: list = field(default_factory=list)
    lr: list = field(default_factory=list)
    eval_steps: list = field(default_factory=list)
    accuracy: list = field(default_factory=list)


def init_model(config=CONFIG):
    """The untrained model of config, from its seed: lesson 10's paper model over the corpus's vocabulary."""
    rng = np.random.default_rng(config.seed)
    return init_transformer(len(VOCAB), config.d_model, config.d_ff, config.n_layers, rng)


def train(config=CONFIG, steps=None, callback=None, evaluate=None, p=None):
    """Train the paper's model on the corpus's training pairs; returns (p, History).

    steps: how many steps (default config.steps). callback(step, loss, lr, accuracy or None) is called after
    every step (progress bars). evaluate(p) -> float is called every config.eval_every steps and at the end
    (e.g. the held-out exact match); its results go in the history. p: a model to continue (default: a
    fresh one from config.seed). Batches come from their own generator, seeded by config.seed too.
    """
    steps = config.steps if steps is None else steps
    p = init_model(config) if p is None else p
    state = adam_init(p)
    data = batches(TRAIN, config.batch_size, np.random.default_rng([config.seed, 1]))
    history = History()
    for step in range(1, steps + 1):
        src, tgt = next(data)  # (b, n_src), (b, n_tgt)
        loss, grads = loss_and_gradients(src, tgt, p, config.h, config.label_smoothing)
        lr = lrate(step, config.d_model, config.warmup, config.lr_scale)
        adam_step(p, grads, state, lr)
        history.loss.append(loss)
        history.lr.append(lr)
        accuracy = None
        if evaluate is not None and (step % config.eval_every == 0 or step == steps):
            accuracy = evaluate(p)
            history.eval_steps.append(step)
            history.accuracy.append(accuracy)
        if callback is not None:
            callback(step, loss, lr, accuracy)
    return p, history
