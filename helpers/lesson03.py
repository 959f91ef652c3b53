"""The numbers of lesson 03 (self-attention with no parameters), in one place.

Tokens are rows. The small inputs:

- HAND_X (3, 2): three tokens with 2 integer features, small enough to
  follow every softmax by hand.
- SENTENCE_X (6, 3): toy embeddings for "the cat walks on the street",
  chosen (as a trained model would learn them) so that cat·walks is large
  and "the" scores low with every word.
- EX_X (3, 2), EX_TOKENS, EX_ORDER: the exercises' three tokens and their
  shuffled order (the checks are in helpers.checks.lesson03).

self_attention(x) is the whole parameter-free operation,
softmax(x xᵀ) x, for one sequence (n, d_model) or a batch (..., n, d_model).
"""

import numpy as np

from .kernels import as_float_array, frozen, softmax

HAND_TOKENS = ("x1", "x2", "x3")
HAND_FEATURES = ("f1", "f2")

HAND_X = frozen([
    [1, 0],   # x1
    [1, 1],   # x2
    [0, 2],   # x3
])

SENTENCE = ("the", "cat", "walks", "on", "the", "street")
SENTENCE_FEATURES = ("f1", "f2", "f3")

EMBEDDINGS = {
    "the": (0, 0, -1),
    "cat": (2, 1, 0),
    "walks": (3, 1, 0),
    "on": (0, 1, 1),
    "street": (1, 0, 2),
}

SENTENCE_X = frozen([EMBEDDINGS[word] for word in SENTENCE])  # (6, 3)


def self_attention(x):
    """Parameter-free self-attention. Returns (y, weights).

    x: (..., n, d_model)  ->  y: (..., n, d_model), weights: (..., n, n)
    raw scores w'_ij = x_i · x_j, weights = softmax over j, y_i = sum_j w_ij x_j.
    """
    x = as_float_array(x, "x")
    if x.ndim < 2:
        raise ValueError(f"x must have shape (..., n, d_model), got shape {x.shape}")
    raw = x @ np.swapaxes(x, -1, -2)  # (..., n, d_model) @ (..., d_model, n) -> (..., n, n)
    weights = softmax(raw, axis=-1)  # (..., n, n), every row sums to 1
    y = weights @ x  # (..., n, n) @ (..., n, d_model) -> (..., n, d_model)
    return y, weights


# ---------------------------------------------------------------- exercises

EX_TOKENS = ("t1", "t2", "t3")

EX_X = frozen([
    [2, 1],   # t1
    [1, 0],   # t2
    [0, 1],   # t3
])

EX_ORDER = (2, 0, 1)  # the shuffled order of exercise 6: t3, t1, t2
