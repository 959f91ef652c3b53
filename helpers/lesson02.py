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

from .sheet import frozen as _frozen


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

MOVIE_FEATURES = _frozen([
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

USER_TASTES = _frozen([
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
RATINGS = _frozen(USER_TASTES @ MOVIE_FEATURES.T)  # (10, 3) @ (3, 8) -> (10, 8)

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
    known.flags.writeable = False
    return known


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

WORD_EMBEDDINGS = _frozen([
    # f1, f2, f3 (think: "is a colour", "is about drinking", "is an animal")
    [3, 0, -1],    # black
    [3, 1, 0],     # brown
    [0, -1, 3],    # cat
    [-1, 2, 1],    # drank
    [-1, 3, 0],    # milk
])


# ---------------------------------------------------------------- exercise checks
#
# Built on helpers.checks' building blocks (check_value, check_close, check_function).


def _exercise_checks():
    from types import SimpleNamespace

    from . import checks
    from .kernels import cosine_similarity

    names = ["two dot products", "Dev's scores", "score_table", "one-hot vectors",
             "cosine by hand", "cosine", "known_mse"]
    A = np.array([3, -2, 1])
    B = np.array([1, -1, 2])
    C = np.array([-2, 1, 4])
    dev = USER_TASTES[3]
    movies4 = MOVIE_FEATURES[:4]
    E = WORD_EMBEDDINGS
    black, drank = E[WORDS.index("black")], E[WORDS.index("drank")]

    def start_():
        checks.start("02", names)

    def dot_products(a_dot_b, a_dot_c):
        return checks.check_value(
            names[0], [a_dot_b, a_dot_c], [int(A @ B), int(A @ C)], cell_names=["a_dot_b", "a_dot_c"],
            slips={"ignored the minus signs (every product counted as positive)":
                       [int(np.abs(A) @ np.abs(B)), int(np.abs(A) @ np.abs(C))],
                   "added the numbers instead of multiplying them pair by pair":
                       [int((A + B).sum()), int((A + C).sum())]},
            hint="multiply the numbers in the same place, then add the three products: "
                 "for a·b, 3·1 + (-2)·(-1) + 1·2.",
            note="a and b agree in every sign, so every product is positive; c disagrees twice.")

    def dev_scores(scores):
        return checks.check_value(
            names[1], scores, (movies4 @ dev).astype(np.int64), cell_names=list(MOVIES[:4]),
            labels=list(MOVIES[:4]),
            slips={"dropped the minus sign of Dev's comedy taste (-1)": movies4 @ np.abs(dev),
                   "added Dev's tastes to the movie features instead of multiplying":
                       (movies4 + dev).sum(axis=1)},
            hint="Dev's tastes are (1, 1, -1): for Paris Kiss (3, -1, 1), 1·3 + 1·(-1) + (-1)·1.",
            note="Love & Bullets scores highest for Dev: he likes romance and action, and it has both.")

    def score_table(fn):
        rng = np.random.default_rng(202)

        def make(r):
            n_users, n_movies, k = (int(v) for v in r.integers(2, 6, size=3))
            return r.integers(-2, 4, size=(n_users, k)), r.integers(-2, 4, size=(n_movies, k))

        cases = [(USER_TASTES[:3], MOVIE_FEATURES[:4])] + checks.int_cases(rng, 4, make)
        return checks.check_function(
            names[2], fn, lambda U, M: np.asarray(U) @ np.asarray(M).T, cases,
            case_labels=["the lesson's 3 users and 4 movies"] + [f"random case {i}" for i in range(1, 5)],
            labels=(USERS[:3], MOVIES[:4]),
            slips={"put the movies in the rows: the table is users × movies, tastes @ features.T":
                       lambda U, M: np.asarray(M) @ np.asarray(U).T},
            hint="one line: return tastes @ features.T   # (n_users, k) @ (k, n_movies) -> (n_users, n_movies)")

    def one_hot_vectors(dot, distance):
        return checks.check_close(
            names[3], [dot, distance], [0.0, float(np.sqrt(2))], cell_names=["onehot_dot", "onehot_distance"],
            slips={"gave the squared distance (1² + 1² = 2): take its square root": [0.0, 2.0]},
            hint="the two vectors differ in exactly two places, by 1 each: "
                 "distance = √(1² + 1²). Every product in the dot product has a 0 in it.",
            note="Every pair of one-hot vectors looks the same: dot product 0, distance √2.")

    def cosine_by_hand(black_dot_drank, cos_black_drank):
        dot = float(black @ drank)
        n2 = float(black @ black) * float(drank @ drank)
        return checks.check_close(
            names[4], [black_dot_drank, cos_black_drank], [dot, dot / np.sqrt(n2)],
            cell_names=["black_dot_drank", "cos_black_drank"],
            slips={"forgot to divide by the lengths |black|·|drank|": [dot, dot],
                   "divided by the squared lengths (10·6) instead of the lengths (√10·√6)": [dot, dot / n2]},
            hint="black = (3, 0, -1), drank = (-1, 2, 1); |black| = √(3² + 0² + 1²) = √10, |drank| = √6; "
                 "cos = black·drank / (√10·√6).",
            note="A negative cosine: the two words point away from each other.")

    def cosine(fn):
        rng = np.random.default_rng(203)

        def make(r):
            d = int(r.integers(2, 6))
            a = r.integers(-3, 4, size=d)
            b = r.integers(-3, 4, size=d)
            a[0], b[0] = 1 + abs(a[0]), 1 + abs(b[0])  # never an all-zero vector
            return a, b

        cases = [(black, E[WORDS.index("brown")])] + checks.int_cases(rng, 5, make)
        return checks.check_function(
            names[5], fn, lambda a, b: cosine_similarity(a, b), cases,
            case_labels=["black and brown"] + [f"random case {i}" for i in range(1, 6)],
            slips={"returned the dot product: divide by both lengths": lambda a, b: np.asarray(a) @ np.asarray(b),
                   "divided by the squared lengths (a·a)(b·b) instead of the lengths":
                       lambda a, b: (np.asarray(a) @ b) / ((np.asarray(a) @ a) * (np.asarray(b) @ b))},
            hint="return a @ b / (np.linalg.norm(a) * np.linalg.norm(b))",
            note="This is helpers.cosine_similarity for two vectors.")

    def known_mse(fn):
        rng = np.random.default_rng(204)

        def make(r):
            n_u, n_m, k = int(r.integers(2, 5)), int(r.integers(2, 5)), int(r.integers(1, 4))
            known = r.random((n_u, n_m)) < 0.7
            known[0, 0], known[-1, -1] = True, False  # some known, some hidden
            return (r.integers(-2, 3, size=(n_u, k)), r.integers(-2, 3, size=(n_m, k)),
                    r.integers(-5, 6, size=(n_u, n_m)), known)

        def ref(U, M, R, K):
            err = (np.asarray(U) @ np.asarray(M).T - R)[np.asarray(K, dtype=bool)]
            return np.mean(err ** 2)

        def all_cells(U, M, R, K):
            return np.mean((np.asarray(U) @ np.asarray(M).T - R) ** 2)

        def zeros_counted(U, M, R, K):
            err = np.where(K, np.asarray(U) @ np.asarray(M).T - R, 0.0)
            return np.sum(err ** 2) / err.size

        def no_square(U, M, R, K):
            return np.mean((np.asarray(U) @ np.asarray(M).T - R)[np.asarray(K, dtype=bool)])

        U0 = np.round(np.random.default_rng(0).normal(0, 0.5, size=(10, 3)), 1)
        M0 = np.round(np.random.default_rng(1).normal(0, 0.5, size=(8, 3)), 1)
        cases = [(U0, M0, RATINGS, KNOWN)] + checks.int_cases(rng, 4, make)
        return checks.check_function(
            names[6], fn, ref, cases,
            case_labels=["the lesson's 10 users and 8 movies"] + [f"random case {i}" for i in range(1, 5)],
            slips={"averaged over every cell: only the known ratings count": all_cells,
                   "divided by all the cells, not by the number of known ones": zeros_counted,
                   "forgot to square the errors": no_square},
            hint="err = (U @ M.T - ratings)[known] keeps the known cells only; return np.mean(err ** 2).",
            note="This is the number the lesson's training loop makes small.")

    return SimpleNamespace(
        EXERCISES=tuple(names), start=start_, dot_products=dot_products, dev_scores=dev_scores,
        score_table=score_table, one_hot_vectors=one_hot_vectors, cosine_by_hand=cosine_by_hand,
        cosine=cosine, known_mse=known_mse, progress=checks.progress)


check = _exercise_checks()
