"""The kinds of sheet: what each gives, what the learner computes, and the answers."""

from __future__ import annotations

import numpy as np

KINDS = ("block", "attention", "ffn", "scores")

TITLES = {
    "block": "One transformer block: attention weighting, then the feed-forward network (lesson 01)",
    "attention": "Attention weighting: Z = X·A (lesson 01, step 1)",
    "ffn": "One feed-forward layer and its ReLU: H = W·Z + b, R = ReLU(H)",
    "scores": "The score matrix of attention: S = Q·Kᵀ",
}

# Given arrays of each kind: name -> shape. SIGNED ones may hold negatives; the attention
# weights A are never negative (they weight columns of X).
SIGNED = {
    "block": {"X": (3, 5), "W1": (4, 3), "b1": (4,), "W2": (3, 4), "b2": (3,)},
    "attention": {"X": (3, 5)},
    "ffn": {"Z": (3, 5), "W": (4, 3), "b": (4,)},
    "scores": {"Q": (4, 3), "K": (4, 3)},
}
WEIGHTS = {"block": {"A": (5, 5)}, "attention": {"A": (5, 5)}, "ffn": {}, "scores": {}}
RELU = {"block": ("H", "R"), "ffn": ("H", "R")}  # kinds whose ReLU must zero something

# What the learner does, one line per step (printed on the sheet, in this order).
STEPS = {
    "block": [
        "Z = X·A: each box is the row of X to its left times the column of A above it (multiply pairs, add).",
        "H = W1·Z + b1: the row of W1 times the column of Z above it, plus that row's b1.",
        "R = ReLU(H): copy H from page 1, but write 0 in place of every negative number.",
        "Y = W2·R + b2: the row of W2 times the column of R above it, plus that row's b2.",
    ],
    "attention": [
        "Z = X·A: each box is the row of X to its left times the column of A above it (multiply pairs, add).",
    ],
    "ffn": [
        "H = W·Z + b: each box is the row of W to its left times the column of Z above it, plus that row's b.",
        "R = ReLU(H): copy H, but write 0 in place of every negative number.",
    ],
    "scores": [
        "S = Q·Kᵀ: the box in row qi, column kj is query qi (row of Q) times key kj (column of Kᵀ): "
        "multiply pairs, add.",
    ],
}

EXAMPLE = "One box, for example: the row (1, 2, −1) times the column (3, 0, 2) is 1·3 + 2·0 + (−1)·2 = 1."

FORMULAS = {  # for the JSON, in numpy
    "block": ["Z = X @ A", "H = W1 @ Z + b1[:, None]", "R = maximum(H, 0)", "Y = W2 @ R + b2[:, None]"],
    "attention": ["Z = X @ A"],
    "ffn": ["H = W @ Z + b[:, None]", "R = maximum(H, 0)"],
    "scores": ["S = Q @ K.T"],
}


def solve(kind, given):
    """The answers of a problem, in the sheet's own integer arithmetic."""
    g = {k: np.asarray(v, dtype=np.int64) for k, v in given.items()}
    if kind == "scores":
        return {"S": g["Q"] @ g["K"].T}  # (n, d_k) @ (d_k, n) -> (n, n)
    if kind == "ffn":
        H = g["W"] @ g["Z"] + g["b"][:, None]  # (4, 3) @ (3, 5) -> (4, 5)
        return {"H": H, "R": np.maximum(H, 0)}
    Z = g["X"] @ g["A"]  # (3, 5) @ (5, 5) -> (3, 5)
    if kind == "attention":
        return {"Z": Z}
    H = g["W1"] @ Z + g["b1"][:, None]  # (4, 3) @ (3, 5) -> (4, 5)
    R = np.maximum(H, 0)
    Y = g["W2"] @ R + g["b2"][:, None]  # (3, 4) @ (4, 5) -> (3, 5)
    return {"Z": Z, "H": H, "R": R, "Y": Y}
