"""Lesson 02 (dot products and similarity): its numbers, tied to hand arithmetic.

Expected values are written as arithmetic a reader can redo on paper, or checked as a
property, or (for the learning loop) compared with PyTorch's autograd and SGD.
"""

import math
import re
import time
from pathlib import Path

import numpy as np
import pytest

from helpers import cosine_similarity, embed, one_hot
from helpers import lesson02 as L
from helpers.checks import lesson02 as check

MOVIE = {name: i for i, name in enumerate(L.MOVIES)}
USER = {name: i for i, name in enumerate(L.USERS)}
WORD = {name: i for i, name in enumerate(L.WORDS)}


# ---------------------------------------------------------------- the dot product


def test_dot_product_by_hand():
    a = np.array([2, -1, 3])
    assert a @ np.array([1, -2, 1]) == 2 * 1 + 1 * 2 + 3 * 1 == 7          # every sign agrees
    assert a @ np.array([-1, 2, -1]) == -2 - 2 - 3 == -7                   # every sign disagrees
    assert a @ np.array([2, 1, 0]) == 4 - 1 + 0 == 3                       # mixed
    assert a @ np.array([0, 0, 4]) == 3 * 4 == 12                          # one big pair dominates


# ---------------------------------------------------------------- the recommender


def test_shapes_and_labels():
    assert L.MOVIE_FEATURES.shape == (len(L.MOVIES), len(L.FEATURES)) == (8, 3)
    assert L.USER_TASTES.shape == (len(L.USERS), 3) == (10, 3)
    assert L.RATINGS.shape == L.KNOWN.shape == (10, 8)
    assert L.FEATURES == ("romance", "action", "comedy")


def test_scores_by_hand():
    R = L.RATINGS
    # Ana (2, -1, 1) · Paris Kiss (3, -1, 1)
    assert R[USER["Ana"], MOVIE["Paris Kiss"]] == 2 * 3 + (-1) * (-1) + 1 * 1 == 8
    # Ben (-1, 2, 0) · Paris Kiss (3, -1, 1)
    assert R[USER["Ben"], MOVIE["Paris Kiss"]] == (-1) * 3 + 2 * (-1) + 0 * 1 == -5
    # Ben (-1, 2, 0) · Steel Fist (-2, 3, -1)
    assert R[USER["Ben"], MOVIE["Steel Fist"]] == 2 + 6 + 0 == 8
    # Cleo (0, 1, 2) · Laugh Riot (0, -1, 3)
    assert R[USER["Cleo"], MOVIE["Laugh Riot"]] == 0 - 1 + 6 == 5


def test_ratings_are_every_dot_product():
    U, M = L.USER_TASTES, L.MOVIE_FEATURES
    for u in range(10):
        for m in range(8):
            assert L.RATINGS[u, m] == sum(int(U[u, f]) * int(M[m, f]) for f in range(3))


def test_best_movie_of_the_first_three_users():
    """The lesson recommends among the first four movies."""
    S = L.RATINGS[:3, :4]
    assert [L.MOVIES[int(j)] for j in S.argmax(axis=1)] == ["Paris Kiss", "Steel Fist", "Laugh Riot"]


def test_known_mask():
    known = L.KNOWN
    assert known.dtype == bool
    assert known.sum() == 80 - 20 == 60
    assert (~known).sum(axis=1).tolist() == [2] * 10           # two hidden ratings per user
    assert known.sum(axis=0).min() >= 4                         # every movie is seen by >= 4 users
    for u, m in L.HIDDEN_PAIRS:
        assert not known[u, m]


def test_data_is_read_only():
    with pytest.raises(ValueError):
        L.RATINGS[0, 0] = 99
    with pytest.raises(ValueError):
        L.KNOWN[0, 0] = False


# ---------------------------------------------------------------- learning the features


@pytest.fixture(scope="module")
def fitted():
    t0 = time.perf_counter()
    U, M, losses = L.fit_features(L.RATINGS, L.KNOWN)
    return U, M, losses, time.perf_counter() - t0


def test_fit_is_fast_and_deterministic(fitted):
    U, M, _, seconds = fitted
    assert seconds < 1.0
    U2, M2, _ = L.fit_features(L.RATINGS, L.KNOWN)
    assert np.array_equal(U, U2) and np.array_equal(M, M2)
    assert U.shape == (10, 3) and M.shape == (8, 3)


def test_fit_learns_the_known_ratings(fitted):
    U, M, losses, _ = fitted
    assert len(losses) == 1000
    assert losses[-1] < 0.01 < losses[0]
    assert all(b <= a + 1e-12 for a, b in zip(losses[100:], losses[101:]))  # steadily down after a warm-up


def test_fit_predicts_the_hidden_ratings(fitted):
    U, M, _, _ = fitted
    hidden = ~L.KNOWN
    miss = np.abs(U @ M.T - L.RATINGS)[hidden]
    assert miss.max() < 0.25                       # the lesson shows them rounded to 1 decimal
    assert np.corrcoef((U @ M.T)[hidden], L.RATINGS[hidden])[0, 1] > 0.999


def test_fit_never_reads_the_hidden_ratings():
    """Changing a hidden rating must not change what is learned."""
    changed = L.RATINGS.copy()
    changed[~L.KNOWN] = 100
    U1, M1, _ = L.fit_features(L.RATINGS, L.KNOWN)
    U2, M2, _ = L.fit_features(changed, L.KNOWN)
    assert np.array_equal(U1, U2) and np.array_equal(M1, M2)


def test_learned_features_are_a_mix_of_the_hidden_ones(fitted):
    _, M, _, _ = fitted
    M_true = L.MOVIE_FEATURES.astype(float)
    B, *_ = np.linalg.lstsq(M_true, M, rcond=None)
    explained = 1 - np.sum((M_true @ B - M) ** 2) / np.sum((M - M.mean(axis=0)) ** 2)
    assert explained > 0.999
    assert not np.allclose(B, np.eye(3), atol=0.3)  # ... but not the hidden ones themselves


def test_features_are_only_fixed_up_to_a_mix(fitted):
    U, M, _, _ = fitted
    A = np.array([[1.0, 1, 0], [0, 1, 0], [0, 0, 2]])
    assert np.allclose((U @ A) @ (M @ np.linalg.inv(A).T).T, U @ M.T)


@pytest.mark.reference
def test_fit_matches_torch_sgd():
    """The hand-written gradient is the true gradient: torch autograd + SGD(weight_decay) agree."""
    torch = pytest.importorskip("torch")
    steps, lr, wd = 50, 0.1, 0.003
    rng = np.random.default_rng(0)  # the same initial values fit_features draws
    U0 = rng.normal(0.0, 0.5, size=(10, 3))
    M0 = rng.normal(0.0, 0.5, size=(8, 3))
    U = torch.tensor(U0, requires_grad=True)
    M = torch.tensor(M0, requires_grad=True)
    R = torch.tensor(L.RATINGS, dtype=torch.float64)
    known = torch.tensor(L.KNOWN)
    opt = torch.optim.SGD([U, M], lr=lr, weight_decay=wd)
    for _ in range(steps):
        opt.zero_grad()
        loss = ((U @ M.T - R)[known] ** 2).mean()
        loss.backward()
        opt.step()
    U_ours, M_ours, _ = L.fit_features(L.RATINGS, L.KNOWN, steps=steps, lr=lr,
                                              weight_decay=wd, seed=0)
    assert np.allclose(U_ours, U.detach().numpy(), atol=1e-10)
    assert np.allclose(M_ours, M.detach().numpy(), atol=1e-10)


# ---------------------------------------------------------------- one-hot, embeddings, cosine


def test_one_hot_vectors_are_all_sqrt2_apart():
    O = one_hot(np.arange(5), 5)
    for i in range(5):
        for j in range(5):
            d = np.linalg.norm(O[i] - O[j])
            assert d == pytest.approx(0.0 if i == j else math.sqrt(1 + 1))
            assert O[i] @ O[j] == (1 if i == j else 0)


def test_one_hot_times_E_is_a_row_lookup():
    E = L.WORD_EMBEDDINGS
    milk = one_hot([WORD["milk"]], 5) @ E
    assert milk.tolist() == [[-1, 3, 0]]  # 0·row0 + 0·row1 + 0·row2 + 0·row3 + 1·row4
    ids = np.array([0, 2, 3, 4])
    assert np.array_equal(one_hot(ids, 5) @ E, E[ids])
    assert np.array_equal(embed(ids, E), E[ids])


def test_cosine_similarity_by_hand():
    E = L.WORD_EMBEDDINGS
    black, brown, drank, milk = (E[WORD[w]] for w in ("black", "brown", "drank", "milk"))
    # black (3, 0, -1), brown (3, 1, 0): 9 / (√10 · √10)
    assert cosine_similarity(black, brown) == pytest.approx(9 / 10)
    # black · milk (-1, 3, 0) = -3, |milk| = √10
    assert cosine_similarity(black, milk) == pytest.approx(-3 / 10)
    # drank (-1, 2, 1) · milk = 1 + 6 + 0 = 7, |drank| = √6
    assert cosine_similarity(drank, milk) == pytest.approx(7 / math.sqrt(60))


def test_black_is_closer_to_brown_than_to_anything_else():
    E = L.WORD_EMBEDDINGS
    sim = cosine_similarity(E[:, None, :], E[None, :, :])
    assert sim.shape == (5, 5)
    assert np.allclose(np.diag(sim), 1.0)
    others = [w for w in L.WORDS if w != "black"]
    best = max(others, key=lambda w: sim[WORD["black"], WORD[w]])
    assert best == "brown"
    assert sim[WORD["black"], WORD["milk"]] < 0


# ---------------------------------------------------------------- exercise checks (solutions/02)

from check_harness import check_table_tests  # noqa: E402


def _solution_score_table(tastes, features):
    return tastes @ features.T


def _solution_cosine(a, b):
    return a @ b / (np.linalg.norm(a) * np.linalg.norm(b))


def _solution_known_mse(U, M, ratings, known):
    return np.mean((U @ M.T - ratings)[known] ** 2)


# name -> (check function, the solution's arguments, [(wrong arguments, words the diagnosis must contain)])
CHECKS = {
    "dot_products": (check.dot_products, (7, -4), [
        ((7, 12), "ignored the minus signs"),         # a·c with |3·(-2)| + |(-2)·1| + |1·4| = 12
        # added instead of multiplied: (3+1)+(-2-1)+(1+2) = 4 and (3-2)+(-2+1)+(1+4) = 5
        ((4, 5), "added the numbers"),
    ]),
    "dev_scores": (check.dev_scores, ([1, 2, -4, 4],), [
        (([3, 0, 2, 4],), "minus sign of Dev's comedy"),
        (([1, 2, -4],), "Wrong shape"),
    ]),
    "score_table": (check.score_table, (_solution_score_table,), [
        ((lambda U, M: M @ U.T,), "movies in the rows"),
        ((lambda U, M: U @ M,), "raised ValueError"),
    ]),
    "one_hot_vectors": (check.one_hot_vectors, (0, 1.41), [
        ((0, 2), "squared distance"),
        ((1, 1.41), "onehot_dot"),
    ]),
    "cosine_by_hand": (check.cosine_by_hand, (-4, -0.52), [
        ((-4, -4), "forgot to divide by the lengths"),
        ((-4, -4 / 60), "squared lengths"),
    ]),
    "cosine": (check.cosine, (_solution_cosine,), [
        ((lambda a, b: a @ b,), "returned the dot product"),
        ((lambda a, b: (a @ b) / ((a @ a) * (b @ b)),), "squared lengths"),
    ]),
    "known_mse": (check.known_mse, (_solution_known_mse,), [
        ((lambda U, M, R, K: np.mean((U @ M.T - R) ** 2),), "averaged over every cell"),
        ((lambda U, M, R, K: np.mean((U @ M.T - R)[K]),), "forgot to square"),
    ]),
}

BY_HAND = {"dot_products", "dev_scores", "one_hot_vectors", "cosine_by_hand"}


# accepts the solution, diagnoses the typical mistakes, "not done" for the blank exercise, and no
# exception escapes for garbage answers or bad functions (check_harness.GARBAGE, BAD_RETURNS)
(test_check_accepts_the_solution, test_check_diagnoses_typical_mistakes, test_check_not_done,
 test_check_survives_garbage) = check_table_tests(CHECKS, BY_HAND)


def test_rounded_answers_are_accepted_but_not_too_rounded():
    assert check.cosine_by_hand(-4, -0.516).state == "correct"
    assert check.cosine_by_hand(-4, -0.5).state == "incorrect"      # more than 0.01 away from -0.5164
    assert check.one_hot_vectors(0, np.sqrt(2)).state == "correct"
    assert check.one_hot_vectors(0, 1.4).state == "incorrect"


# ---------------------------------------------------------------- the notebooks, read in order (issue 14)

ROOT = Path(__file__).resolve().parents[1]
LESSON = ROOT / "notebooks" / "02-dot-products.ipynb"
SOLUTION = ROOT / "solutions" / "02-dot-products.ipynb"

from notebook_reading import cells_of, exercise_list_matches, first  # noqa: E402


@pytest.mark.parametrize("word, explanation", [
    (r"mean squared error", r"This is the \*\*mean squared error\*\*"),
    (r"gradient", r"compute the \*\*gradient\*\*: for every number of"),
    (r"2 · err @ M", r"Where the gradient's formula comes from"),
    (r"invertible", r"Such a \*\*C\*\* is called \*invertible\*"),
    (r"C⁻¹", r"there is a matrix \*\*C⁻¹\*\*, its \*inverse\*, with \*\*C C⁻¹ = I\*\*"),
    (r"least squares", r"This is called \*\*least squares\*\*, and `np.linalg.lstsq` computes it"),
    (r"R²", r"1 minus \(the squared differences left over\)"),
    (r"broadcasting", r"This repeating is called \*\*broadcasting\*\*"),
])
def test_words_are_explained_where_first_used(word, explanation):
    cells = cells_of(LESSON)
    i = first(cells, "markdown", re.escape(word) if "·" in word else word)
    assert re.search(explanation, " ".join(cells[i].source.split()))


def test_broadcasting_is_explained_before_it_is_used():
    cells = cells_of(LESSON)
    assert first(cells, "markdown", r"called \*\*broadcasting\*\*") < first(cells, "code", r"others \* a")
    assert first(cells, "markdown", r"O\[:, None, :\]") < first(cells, "code", r"O\[:, None, :\]")


def test_no_unexplained_statistics_on_screen():
    cells = cells_of(LESSON)
    assert not any("corrcoef" in c.source for c in cells if c.cell_type == "code")


def test_exercise_introduction_lists_what_the_notebook_holds():
    intro = exercise_list_matches(cells_of(SOLUTION), len(check.EXERCISES))
    assert "seven exercises" in intro
