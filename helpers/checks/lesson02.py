"""The checks of exercises/02-dot-products.ipynb, one per exercise, in order.

    from helpers.checks import lesson02 as check
    check.start()                      # every exercise "not done"
    check.dot_products(a_dot_b, a_dot_c)
    ...
    check.progress()

Expected values come from helpers.lesson02 (the movies, users and word embeddings), never typed in twice.
"""

import numpy as np

from ..kernels import cosine_similarity, frozen
from ..lesson02 import KNOWN, MOVIE_FEATURES, MOVIES, RATINGS, USER_TASTES, USERS, WORD_EMBEDDINGS, WORDS
from . import check_close, check_function, check_value, exercise, exercises, random_cases, start_lesson
from . import progress as progress  # check.progress() ends the notebook

SEED = 202  # the random cases are the same in every run

# The vectors a, b, c of exercise 1, as its notebook cell types them.
_A = frozen([3, -2, 1])
_B = frozen([1, -1, 2])
_C = frozen([-2, 1, 4])


def _worked(a, b):
    """A dot product as a learner writes it out: 3·1 + (-2)·(-1) + 1·2 = 7."""
    def num(v):
        return f"({v})" if v < 0 else f"{v}"
    return " + ".join(f"{num(x)}·{num(y)}" for x, y in zip(a, b)) + f" = {int(np.dot(a, b))}"


@exercise("two dot products")
def dot_products(a_dot_b, a_dot_c):
    """a·b and a·c, worked out by hand."""
    return check_value(
        dot_products.title, [a_dot_b, a_dot_c], [int(_A @ _B), int(_A @ _C)], cell_names=["a_dot_b", "a_dot_c"],
        slips={"ignored the minus signs (every product counted as positive)":
                   [int(np.abs(_A) @ np.abs(_B)), int(np.abs(_A) @ np.abs(_C))],
               "added the numbers instead of multiplying them pair by pair":
                   [int((_A + _B).sum()), int((_A + _C).sum())]},
        hint="multiply the numbers in the same place, then add the three products; "
             "a minus times a minus is a plus.",
        answer=f"a·b = {_worked(_A, _B)}; a·c = {_worked(_A, _C)}",
        note="a and b agree in every sign, so every product is positive; c disagrees twice.")


@exercise("Dev's scores")
def dev_scores(scores):
    """Dev's tastes · the features of the first 4 movies (4 numbers)."""
    dev, movies4 = USER_TASTES[3], MOVIE_FEATURES[:4]  # (3,), (4, 3)
    return check_value(
        dev_scores.title, scores, (movies4 @ dev).astype(np.int64), cell_names=list(MOVIES[:4]),
        labels=list(MOVIES[:4]),
        slips={"dropped the minus sign of Dev's comedy taste (-1)": movies4 @ np.abs(dev),
               "added Dev's tastes to the movie features instead of multiplying":
                   (movies4 + dev).sum(axis=1)},
        hint="each score is Dev's tastes (1, 1, -1) · one movie's features: multiply in place and add, "
             "keeping the minus sign of his comedy taste.",
        answer="; ".join(f"{m}: {_worked(dev, feats)}" for m, feats in zip(MOVIES[:4], movies4)),
        note="Love & Bullets scores highest for Dev: he likes romance and action, and it has both.")


def _table_case(r):
    n_users, n_movies, k = (int(v) for v in r.integers(2, 6, size=3))
    return r.integers(-2, 4, size=(n_users, k)), r.integers(-2, 4, size=(n_movies, k))


@exercise("score_table")
def score_table(fn):
    """The learner's score_table(tastes, features) -> tastes @ features.T (users x movies)."""
    cases = {"the lesson's 3 users and 4 movies": (USER_TASTES[:3], MOVIE_FEATURES[:4]),
             **random_cases(np.random.default_rng(SEED), 4, _table_case)}
    return check_function(
        score_table.title, fn, lambda U, M: np.asarray(U) @ np.asarray(M).T, cases,
        labels=(USERS[:3], MOVIES[:4]),
        slips={"put the movies in the rows: the table is users × movies, tastes @ features.T":
                   lambda U, M: np.asarray(M) @ np.asarray(U).T},
        hint="every cell is one user's row times one movie's row: that is one matrix product, once the movies "
             "are turned into columns. The table is users × movies: check which side each goes.",
        answer="return tastes @ features.T   # (n_users, k) @ (k, n_movies) -> (n_users, n_movies)")


@exercise("one-hot vectors")
def one_hot_vectors(dot, distance):
    """The dot product and the distance of two different one-hot vectors."""
    return check_close(
        one_hot_vectors.title, [dot, distance], [0.0, float(np.sqrt(2))], cell_names=["onehot_dot", "onehot_distance"],
        slips={"gave the squared distance (1² + 1² = 2): take its square root": [0.0, 2.0]},
        hint="the two vectors have their single 1 in different places: look at each product of the dot "
             "product, and for the distance square the differences, add them, then take the square root.",
        answer="onehot_dot = 0 (every product has a 0 in it); onehot_distance = √(1² + 1²) = √2 ≈ 1.41",
        decimals=2,
        note="Every pair of one-hot vectors looks the same: dot product 0, distance √2.")


@exercise("cosine by hand")
def cosine_by_hand(black_dot_drank, cos_black_drank):
    """black·drank and cos(black, drank) from the word embeddings, rounded to 2 decimals."""
    black, drank = WORD_EMBEDDINGS[WORDS.index("black")], WORD_EMBEDDINGS[WORDS.index("drank")]  # (3,) each
    dot = float(black @ drank)
    n2 = float(black @ black) * float(drank @ drank)
    return check_close(
        cosine_by_hand.title, [black_dot_drank, cos_black_drank], [dot, dot / np.sqrt(n2)],
        cell_names=["black_dot_drank", "cos_black_drank"],
        slips={"forgot to divide by the lengths |black|·|drank|": [dot, dot],
               "divided by the squared lengths (10·6) instead of the lengths (√10·√6)": [dot, dot / n2]},
        hint="cos = black·drank / (|black|·|drank|), where a length is the square root of the sum of the "
             "squares; round only at the end, to 2 decimals.",
        answer="black·drank = 3·(-1) + 0·2 + (-1)·1 = -4; |black| = √10, |drank| = √6; "
               "cos = -4 / (√10·√6) = -4 / √60 ≈ -0.52",
        decimals=2,
        note="A negative cosine: the two words point away from each other.")


def _cosine_case(r):
    d = int(r.integers(2, 6))
    a = r.integers(-3, 4, size=d)
    b = r.integers(-3, 4, size=d)
    a[0], b[0] = 1 + abs(a[0]), 1 + abs(b[0])  # never an all-zero vector
    return a, b


@exercise("cosine")
def cosine(fn):
    """The learner's cosine(a, b) = a·b / (|a| |b|), on black and brown and on random cases."""
    black, brown = WORD_EMBEDDINGS[WORDS.index("black")], WORD_EMBEDDINGS[WORDS.index("brown")]
    cases = {"black and brown": (black, brown), **random_cases(np.random.default_rng(SEED + 1), 5, _cosine_case)}
    return check_function(
        cosine.title, fn, cosine_similarity, cases,
        slips={"returned the dot product: divide by both lengths": lambda a, b: np.asarray(a) @ np.asarray(b),
               "divided by |a| and then multiplied by |b|: a @ b / x * y is (a @ b / x) * y, "
               "so put the two lengths in brackets":
                   lambda a, b: np.asarray(a) @ b / np.linalg.norm(a) * np.linalg.norm(b),
               "divided by the squared lengths (a·a)(b·b) instead of the lengths":
                   lambda a, b: (np.asarray(a) @ b) / ((np.asarray(a) @ a) * (np.asarray(b) @ b))},
        hint="divide the dot product by the product of the two lengths (np.linalg.norm); "
             "check the order of the operations.",
        answer="return a @ b / (np.linalg.norm(a) * np.linalg.norm(b))",
        note="This is helpers.cosine_similarity for two vectors.")


def _mse_case(r):
    n_u, n_m, k = int(r.integers(2, 5)), int(r.integers(2, 5)), int(r.integers(1, 4))
    known = r.random((n_u, n_m)) < 0.7
    known[0, 0], known[-1, -1] = True, False  # some known, some hidden
    return (r.integers(-2, 3, size=(n_u, k)), r.integers(-2, 3, size=(n_m, k)),
            r.integers(-5, 6, size=(n_u, n_m)), known)


def _known_mse(U, M, R, K):
    err = (np.asarray(U) @ np.asarray(M).T - R)[np.asarray(K, dtype=bool)]  # the known cells, flat
    return np.mean(err ** 2)


def _all_cells_mse(U, M, R, K):
    return np.mean((np.asarray(U) @ np.asarray(M).T - R) ** 2)


def _zeros_counted_mse(U, M, R, K):
    err = np.where(K, np.asarray(U) @ np.asarray(M).T - R, 0.0)  # (n_users, n_movies)
    return np.sum(err ** 2) / err.size


def _unsquared_mean(U, M, R, K):
    return np.mean((np.asarray(U) @ np.asarray(M).T - R)[np.asarray(K, dtype=bool)])


@exercise("known_mse")
def known_mse(fn):
    """The learner's known_mse(U, M, ratings, known): the mean squared error over the known cells."""
    U0 = np.round(np.random.default_rng(0).normal(0, 0.5, size=(10, 3)), 1)  # (n_users, k)
    M0 = np.round(np.random.default_rng(1).normal(0, 0.5, size=(8, 3)), 1)  # (n_movies, k)
    cases = {"the lesson's 10 users and 8 movies": (U0, M0, RATINGS, KNOWN),
             **random_cases(np.random.default_rng(SEED + 2), 4, _mse_case)}
    return check_function(
        known_mse.title, fn, _known_mse, cases,
        slips={"averaged over every cell: only the known ratings count": _all_cells_mse,
               "divided by all the cells, not by the number of known ones": _zeros_counted_mse,
               "forgot to square the errors": _unsquared_mean},
        hint="only the known cells count: pick them with the True/False array before averaging, "
             "and square each error before taking the mean.",
        answer="err = (U @ M.T - ratings)[known]; return np.mean(err ** 2)",
        note="This is the number the lesson's training loop makes small.")


EXERCISES = exercises(__name__)


def start():
    """Declare this lesson's exercises, in order: each is "not done" until its check runs."""
    start_lesson(__name__)
