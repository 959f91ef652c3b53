"""The numbers of the by-hand sheet (lesson 01), in the sheet's own layout.

The sheet works in features x positions: each token is a COLUMN.
X is 3 x 5 (rows P1..P3 are features, columns X1..X5 are positions).
Everywhere else in the package tokens are rows; `ffn(Z.T, ...).T` is the bridge.

The article pins these cells (1-based, row = feature, column = position):
first row of Z = 11, 6, 7, 7, 5;  Z[2,4] = 3;  Z[3,5] = 1;  H[1,1] = 11.
All other numbers are ours: small integers, chosen so every product can be
done in one's head and the ReLU visibly zeroes five cells of H.
"""

import numpy as np

from .kernels import frozen

FEATURES = ("P1", "P2", "P3")  # rows of X and Z
POSITIONS = ("X1", "X2", "X3", "X4", "X5")  # columns of X
OUT_POSITIONS = ("Z1", "Z2", "Z3", "Z4", "Z5")  # columns of Z
HIDDEN = ("H1", "H2", "H3", "H4")  # rows of H and R (the 4 hidden units)

# Input features from the previous block: 3 features x 5 positions.
X = frozen([
    [5, 6, 0, 7, 0],   # P1 (forced by the article's first row of Z)
    [1, 0, 2, 1, 2],   # P2
    [0, 1, 1, -1, 1],  # P3
])

# The attention weight matrix, 5 x 5. Column j has 1s in rows j and j+1,
# so Z_j = X_j + X_(j+1) and Z5 = X5 + X1.
A = frozen([
    [1, 0, 0, 0, 1],
    [1, 1, 0, 0, 0],
    [0, 1, 1, 0, 0],
    [0, 0, 1, 1, 0],
    [0, 0, 0, 1, 1],
])

# FFN layer 1: 3 -> 4, stored (d_out, d_in) = (4, 3), plus a bias of 4.
W1 = frozen([
    [1, 0, -1],
    [0, 1, 1],
    [0, 1, -1],
    [0, -1, 2],
])
b1 = frozen([1, 0, -1, -1])

# FFN layer 2: 4 -> 3, stored (3, 4), plus a bias of 3.
W2 = frozen([
    [1, 0, 0, -1],
    [0, 1, 1, 0],
    [0, -1, 1, 1],
])
b2 = frozen([0, 1, -1])


def attention_weighting(X=X, A=A):
    """Step [2]: Z = X . A, each column of Z a weighted sum of columns of X."""
    return np.asarray(X) @ np.asarray(A)  # (3, 5) @ (5, 5) -> (3, 5)


def ffn_layer(Z, W, b):
    """One FFN layer in the sheet's layout: W . Z + b (b added to every column)."""
    return np.asarray(W) @ np.asarray(Z) + np.asarray(b)[:, None]


def relu(H):
    """Step [4]: negatives become 0."""
    return np.maximum(np.asarray(H), 0)


def steps(X=X, A=A, W1=W1, b1=b1, W2=W2, b2=b2):
    """Every stage of the sheet, in order: {'Z', 'H', 'R', 'Y'} (all integer)."""
    Z = attention_weighting(X, A)  # (3, 5)
    H = ffn_layer(Z, W1, b1)  # (4, 3) @ (3, 5) -> (4, 5)
    R = relu(H)  # (4, 5)
    Y = ffn_layer(R, W2, b2)  # (3, 4) @ (4, 5) -> (3, 5)
    return {"Z": Z, "H": H, "R": R, "Y": Y}


Z, H, R, Y = (frozen(v) for v in steps().values())
