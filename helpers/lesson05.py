"""The numbers of lesson 05 (multi-head attention), in one place.

d_model = 4, h = 2 heads, d_k = d_model / h = 2. Tokens are rows; weights are
stored (d_out, d_in) and applied with `linear(X, W)` = X @ W.T. Rows 0-1 of
W_Q, W_K, W_V belong to head 1, rows 2-3 to head 2.

- FEATURES: the four input features: "noun" (+1 for a noun, -1 otherwise),
  the position p (0, 1, 2, ...), p squared, and a constant 1.
- WORDS, X (5, 4): "the cat saw the dog" with those features.
- W_Q, W_K, W_V, W_O (4, 4): head 1 attends to the previous word, head 2 to
  words of the same type (noun or not); each head passes on (noun, p) of the
  words it attends to; W_O mixes the two heads' outputs.
- params(): the same weights as an AttentionParams (biases zero).
- inputs(words): the feature rows for any list of words (nouns from NOUNS).

The checks of exercises/05 are in helpers.checks.lesson05.
"""

import numpy as np

from .kernels import AttentionParams, frozen

FEATURES = ("noun", "p", "p²", "1")
NOUNS = frozenset({"cat", "dog", "mat", "ball", "milk", "fish"})
WORDS = ("the", "cat", "saw", "the", "dog")


def inputs(words):
    """(n, 4) integer features [noun, p, p², 1] of a list of words."""
    rows = []
    for p, w in enumerate(words):
        rows.append([1 if w in NOUNS else -1, p, p * p, 1])
    return np.array(rows, dtype=np.int64)


X = frozen(inputs(WORDS))  # (5, 4)

# Head 1 (rows 0-1): query (6p - 6, -3), key (p, p²). Their dot product for
# query position i and key position j is 3·(2(i-1)j - j²) = -3·(j - (i-1))² + a
# number that is the same for the whole row, so it is largest at j = i - 1.
# Head 2 (rows 2-3): query (3·noun, 0), key (noun, 0): +3 for the same type, -3 otherwise.
W_Q = frozen([
    # noun, p, p², 1
    [0, 6, 0, -6],   # head 1
    [0, 0, 0, -3],   # head 1
    [3, 0, 0, 0],    # head 2
    [0, 0, 0, 0],    # head 2
])
W_K = frozen([
    # noun, p, p², 1
    [0, 1, 0, 0],    # head 1
    [0, 0, 1, 0],    # head 1
    [1, 0, 0, 0],    # head 2
    [0, 0, 0, 0],    # head 2
])
# Both heads pass on (noun, p) of the words they attend to.
W_V = frozen([
    # noun, p, p², 1
    [1, 0, 0, 0],    # head 1
    [0, 1, 0, 0],    # head 1
    [1, 0, 0, 0],    # head 2
    [0, 1, 0, 0],    # head 2
])
# Columns: head 1's two outputs, then head 2's two outputs.
W_O = frozen([
    [1, 0, 1, 0],
    [0, 1, 0, 1],
    [1, 0, -1, 0],
    [0, 1, 0, -1],
])

D_MODEL = 4
H = 2
D_K = D_MODEL // H


def params():
    """W_Q, W_K, W_V, W_O as an AttentionParams with zero biases (float copies)."""
    z = np.zeros(D_MODEL)
    return AttentionParams(
        W_Q.astype(float), z.copy(), W_K.astype(float), z.copy(),
        W_V.astype(float), z.copy(), W_O.astype(float), z.copy(),
    )
