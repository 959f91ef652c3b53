"""The numbers of the by-hand sheet (lesson 01), in the sheet's own layout.

The sheet works in features x positions: each token is a COLUMN.
X is 3 x 5 (rows P1..P3 are features, columns X1..X5 are positions).
Everywhere else in the package tokens are rows; `ffn(Z.T, ...).T` is the bridge.

The article pins these cells (1-based, row = feature, column = position):
first row of Z = 11, 6, 7, 7, 5;  Z[2,4] = 3;  Z[3,5] = 1;  H[1,1] = 11.
All other numbers are ours: small integers, chosen so every product can be
done in one's head and the ReLU visibly zeroes five cells of H.

The article keeps the letters but swaps the words: it calls X1..X5 "features" and
P1..P3 "positions". Here, as in the whole course, P1..P3 are features and X1..X5 tokens.

The article says A "comes from the QK module" and skips it. The last part of this module
closes that loop: X3 and X5 are the same column, so no queries and keys computed from X
alone can give A; with a one-hot position code appended, integer W_Q and W_K can.
"""

import numpy as np

from .kernels import frozen, softmax

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


# ---------------------------------------------------------------- where A comes from
# Tokens as rows from here on. Each token gets its position appended as a one-hot code,
# so X_WITH_POSITION is (n, d_model + n) = (5, 8): P1..P3, then pos1..pos5.
POSITION_CODES = ("pos1", "pos2", "pos3", "pos4", "pos5")
X_WITH_POSITION = frozen(np.hstack([X.T, np.eye(5, dtype=int)]))

# W_K (d_k, 8) = (5, 8): the key of the token at position i is 3 at place i (features ignored).
W_K_POSITION = frozen([
    [0, 0, 0, 3, 0, 0, 0, 0],
    [0, 0, 0, 0, 3, 0, 0, 0],
    [0, 0, 0, 0, 0, 3, 0, 0],
    [0, 0, 0, 0, 0, 0, 3, 0],
    [0, 0, 0, 0, 0, 0, 0, 3],
])
# W_Q (d_k, 8) = (5, 8): the query of the token at position j is 3 at places j and j+1
# (position 5 asks for 5 and 1), so q_j . k_i = 9 when i is j or j+1, else 0: that is 9 * A.T.
W_Q_POSITION = frozen([
    [0, 0, 0, 3, 0, 0, 0, 3],
    [0, 0, 0, 3, 3, 0, 0, 0],
    [0, 0, 0, 0, 3, 3, 0, 0],
    [0, 0, 0, 0, 0, 3, 3, 0],
    [0, 0, 0, 0, 0, 0, 3, 3],
])


def qk_attention(x, W_Q, W_K):
    """The QK module, tokens as rows: Q = x W_Qᵀ, K = x W_Kᵀ, scores Q Kᵀ / √d_k, softmax per row.

    Returns (scores, weights), both (n, n); row j of weights says how much of each
    token goes into output token j (the sheet's A.T, up to normalisation)."""
    x, W_Q, W_K = (np.asarray(a) for a in (x, W_Q, W_K))
    Q = x @ W_Q.T  # (n, d_in) @ (d_in, d_k) -> (n, d_k)
    K = x @ W_K.T  # (n, d_in) @ (d_in, d_k) -> (n, d_k)
    scores = Q @ K.T / np.sqrt(W_K.shape[0])  # (n, d_k) @ (d_k, n) -> (n, n)
    return scores, softmax(scores, axis=-1)
