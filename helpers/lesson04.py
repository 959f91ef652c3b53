"""The numbers of lesson 04 (queries, keys and values), in one place.

Lesson, exercises and tests read the toy vocabulary and the attention
weights from here. Tokens are rows; weights are stored (d_out, d_in) and
applied with `linear(X, W)` = X @ W.T.

- FEATURES: the five embedding features (d_model = 5), one meaning each.
- EMBEDDINGS: word -> its 5 features. A Spanish word gets the same features
  as its English translation (a toy simplification).
- KEY_FEATURES: the four query/key features (d_k = 4).
- W_Q, W_K (4, 5): what a word looks for, and what it offers.
- W_V (4, 5): what a word passes on when it is attended to (d_v = 4).
- CROSS_FEATURES: the four query/key/value features of cross-attention.
- W_Q_CROSS, W_K_CROSS, W_V_CROSS (4, 5): the encoder-decoder attention
  block's own weights (it matches words with the same features, and a word
  passes on those features).
- sentence(text) -> (words, X): split a sentence and stack its embeddings.
- scaling_experiment(...): the spread of q.k and the largest softmax weight
  for random unit-variance vectors, with and without the 1/sqrt(d_k) scale.

The checks of exercises/04 are in helpers.checks.lesson04.
"""

import numpy as np

from .kernels import frozen, softmax

FEATURES = ("article", "thing", "action", "colour", "drink")

EMBEDDINGS = {
    #         article, thing, action, colour, drink
    "the":   (1, 0, 0, 0, 0),
    "ball":  (0, 1, 0, 0, 0),
    "is":    (0, 0, 1, 0, 0),
    "blue":  (0, 0, 0, 1, 0),
    "black": (0, 0, 0, 1, 0),
    "cat":   (0, 1, 0, 0, 0),
    "drank": (0, 0, 1, 0, 1),
    "milk":  (0, 1, 0, 0, 1),
    # Spanish: the same features as the English translation
    "la":    (1, 0, 0, 0, 0),
    "bola":  (0, 1, 0, 0, 0),
    "es":    (0, 0, 1, 0, 0),
    "azul":  (0, 0, 0, 1, 0),
}

KEY_FEATURES = ("thing", "action", "colour", "drink")

# Rows: the query feature (what is looked for); columns: the embedding feature.
# Read a column: an article looks for a thing (1); a thing looks for an action (2);
# an action looks for a thing (1) and away from other actions (-2); a colour looks
# hard for a thing (4); a drink looks hard for an action (4) and for a thing (2).
W_Q = frozen([
    # article, thing, action, colour, drink
    [1, 0, 1, 4, 2],    # looks for: thing
    [0, 2, -2, 0, 4],   # looks for: action
    [0, 0, 0, 0, 0],    # looks for: colour
    [0, 0, 0, 0, 0],    # looks for: drink
])

# A key copies four of the five features and drops "article": nobody looks for articles.
W_K = frozen([
    # article, thing, action, colour, drink
    [0, 1, 0, 0, 0],    # offers: thing
    [0, 0, 1, 0, 0],    # offers: action
    [0, 0, 0, 1, 0],    # offers: colour
    [0, 0, 0, 0, 1],    # offers: drink
])

# What a word passes on; no story, just small integers.
W_V = frozen([
    # article, thing, action, colour, drink
    [1, 2, 0, 0, 0],
    [0, 0, 2, 0, 1],
    [0, 1, 0, 2, 0],
    [0, 0, 1, 0, 2],
])

CROSS_FEATURES = ("article", "thing", "action", "colour")

# Encoder-decoder attention has its own weights: here a query and a key both keep
# four features (doubled) and drop "drink", so a word matches its translation.
W_Q_CROSS = frozen([
    # article, thing, action, colour, drink
    [2, 0, 0, 0, 0],
    [0, 2, 0, 0, 0],
    [0, 0, 2, 0, 0],
    [0, 0, 0, 2, 0],
])
W_K_CROSS = W_Q_CROSS  # the same numbers here; a trained model's would differ
# Its values keep the same four features, not doubled: a word passes on what it is.
W_V_CROSS = frozen([
    # article, thing, action, colour, drink
    [1, 0, 0, 0, 0],
    [0, 1, 0, 0, 0],
    [0, 0, 1, 0, 0],
    [0, 0, 0, 1, 0],
])

BALL = "The ball is blue"
CAT = "The black cat drank the milk"
BOLA = "La bola es azul"


def sentence(text):
    """Split `text` on spaces and stack the words' embeddings: (words, X (n, d_model))."""
    words = text.split()
    X = np.array([EMBEDDINGS[w.lower()] for w in words], dtype=np.int64)  # (n, d_model)
    return words, X


DIMS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)


def scaling_experiment(dims=DIMS, n_keys=10, trials=500, seed=0):
    """Random queries and keys with unit-variance entries, for each d_k in dims.

    Returns a dict of 1-D arrays, one value per d_k:
    - "std": the standard deviation of q.k over all trials and keys,
    - "max_raw": the mean (over trials) of the largest softmax weight of q.K^T,
    - "max_scaled": the same for q.K^T / sqrt(d_k).
    """
    rng = np.random.default_rng(seed)
    std, max_raw, max_scaled = [], [], []
    for d_k in dims:
        q = rng.standard_normal((trials, 1, d_k))  # (trials, 1, d_k)
        K = rng.standard_normal((trials, n_keys, d_k))  # (trials, n_keys, d_k)
        scores = (q @ np.swapaxes(K, -1, -2))[:, 0, :]  # (trials, n_keys)
        std.append(scores.std())
        max_raw.append(softmax(scores).max(axis=-1).mean())
        max_scaled.append(softmax(scores / np.sqrt(d_k)).max(axis=-1).mean())
    return {"d_k": np.array(dims), "std": np.array(std),
            "max_raw": np.array(max_raw), "max_scaled": np.array(max_scaled)}
