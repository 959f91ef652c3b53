"""The numbers of lesson 02 (dot products and similarity), in one place.

Lesson, exercises and tests read the movie recommender and the toy word
embeddings from here. Tokens (movies, users, words) are rows.

- MOVIE_FEATURES (8, 3): how much romance, action, comedy each movie has.
- USER_TASTES (10, 3): how much each user likes romance, action, comedy.
- RATINGS = USER_TASTES @ MOVIE_FEATURES.T (10, 8): the "hidden world".
- KNOWN (10, 8) bool: the ratings the learner's model is allowed to see
  (each user has two hidden ones, listed in HIDDEN_PAIRS).
- fit_features(): learn 3 features per user and per movie from KNOWN only,
  with plain gradient descent (the loop the lesson writes out).
- WORDS, WORD_EMBEDDINGS (5, 3): a toy embedding matrix for one-hot lookups
  and cosine similarity ("black" is close to "brown", far from "milk").
"""

import numpy as np

from .kernels import frozen

FEATURES = ("romance", "action", "comedy")

MOVIES = (
    "Paris Kiss",
    "Steel Fist",
    "Laugh Riot",
    "Love & Bullets",
    "Space Pranks",
    "Quiet Letters",
    "Wedding Chaos",
    "Grey Monday",
)

MOVIE_FEATURES = frozen([
    # romance, action, comedy
    [3, -1, 1],    # Paris Kiss
    [-2, 3, -1],   # Steel Fist
    [0, -1, 3],    # Laugh Riot
    [2, 2, 0],     # Love & Bullets
    [-1, 2, 2],    # Space Pranks
    [1, 0, -2],    # Quiet Letters
    [2, -2, 2],    # Wedding Chaos
    [-1, -1, 1],   # Grey Monday
])

USERS = ("Ana", "Ben", "Cleo", "Dev", "Eva", "Finn", "Gus", "Hana", "Ivan", "Jo")

USER_TASTES = frozen([
    # likes romance, likes action, likes comedy
    [2, -1, 1],    # Ana
    [-1, 2, 0],    # Ben
    [0, 1, 2],     # Cleo
    [1, 1, -1],    # Dev
    [2, 0, 0],     # Eva
    [-1, -1, 2],   # Finn
    [0, 2, -1],    # Gus
    [1, -2, 1],    # Hana
    [-2, 1, 1],    # Ivan
    [1, 1, 1],     # Jo
])

# users x movies: every cell is one user's tastes · one movie's features
RATINGS = frozen(USER_TASTES @ MOVIE_FEATURES.T)  # (10, 3) @ (3, 8) -> (10, 8)

# For each user, the two movies whose rating the model does NOT see.
HIDDEN_PAIRS = (
    (0, 5), (0, 7),   # Ana: Quiet Letters, Grey Monday
    (1, 3), (1, 7),   # Ben
    (2, 0), (2, 6),   # Cleo
    (3, 2), (3, 4),   # Dev
    (4, 4), (4, 6),   # Eva
    (5, 1), (5, 5),   # Finn
    (6, 1), (6, 4),   # Gus
    (7, 0), (7, 6),   # Hana
    (8, 3), (8, 6),   # Ivan
    (9, 5), (9, 7),   # Jo
)


def _known_mask():
    known = np.ones(RATINGS.shape, dtype=bool)
    for user, movie in HIDDEN_PAIRS:
        known[user, movie] = False
    return frozen(known)


KNOWN = _known_mask()  # (10, 8) bool, True = the model sees this rating


def fit_features(ratings, known, k=3, steps=1000, lr=0.1, weight_decay=0.003, seed=0):
    """Learn user tastes U (n_users, k) and movie features M (n_movies, k) so that
    U @ M.T matches `ratings` where `known` is True.

    Plain gradient descent on the mean squared error over the known cells,
    plus a small weight decay. Returns (U, M, losses) with one loss per step.
    """
    ratings = np.asarray(ratings, dtype=float)
    known = np.asarray(known, dtype=bool)
    rng = np.random.default_rng(seed)
    U = rng.normal(0.0, 0.5, size=(ratings.shape[0], k))  # (n_users, k)
    M = rng.normal(0.0, 0.5, size=(ratings.shape[1], k))  # (n_movies, k)
    n_known = known.sum()
    losses = []
    for _ in range(steps):
        err = np.where(known, U @ M.T - ratings, 0.0)  # (n_users, n_movies), 0 where unknown
        losses.append(float(np.sum(err**2) / n_known))
        grad_U = 2 * err @ M / n_known + weight_decay * U  # (n_users, k)
        grad_M = 2 * err.T @ U / n_known + weight_decay * M  # (n_movies, k)
        U = U - lr * grad_U
        M = M - lr * grad_M
    return U, M, losses


# A toy embedding matrix: one row of 3 numbers per word.
WORDS = ("black", "brown", "cat", "drank", "milk")

WORD_EMBEDDINGS = frozen([
    # f1, f2, f3 (think: "is a colour", "is about drinking", "is an animal")
    [3, 0, -1],    # black
    [3, 1, 0],     # brown
    [0, -1, 3],    # cat
    [-1, 2, 1],    # drank
    [-1, 3, 0],    # milk
])
