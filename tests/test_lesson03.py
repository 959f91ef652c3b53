"""Lesson 03 (self-attention with no parameters): its numbers, tied to hand arithmetic,
to the kernels, and to PyTorch's bmm version (the one in Peter Bloem's article)."""

import math
from pathlib import Path

import numpy as np
import pytest

from helpers import lesson03 as L
from helpers import scaled_dot_product_attention, softmax
from helpers.checks import lesson03 as check

E = math.e


# ---------------------------------------------------------------- by hand, three tokens


def test_hand_raw_scores():
    # x1 = (1, 0), x2 = (1, 1), x3 = (0, 2)
    X = L.HAND_X
    expected = [
        [1 * 1 + 0 * 0, 1 * 1 + 0 * 1, 1 * 0 + 0 * 2],   # 1, 1, 0
        [1 * 1 + 1 * 0, 1 * 1 + 1 * 1, 1 * 0 + 1 * 2],   # 1, 2, 2
        [0 * 1 + 2 * 0, 0 * 1 + 2 * 1, 0 * 0 + 2 * 2],   # 0, 2, 4
    ]
    assert (X @ X.T).tolist() == expected


def test_hand_weights():
    _, W = L.self_attention(L.HAND_X)
    expected = np.array([
        np.array([E, E, 1]) / (2 * E + 1),                   # e¹, e¹, e⁰
        np.array([E, E**2, E**2]) / (E + 2 * E**2),          # e¹, e², e²
        np.array([1, E**2, E**4]) / (1 + E**2 + E**4),       # e⁰, e², e⁴
    ])
    assert np.allclose(W, expected)
    # the rounded values the lesson shows
    assert np.round(W, 2).tolist() == [[0.42, 0.42, 0.16], [0.16, 0.42, 0.42], [0.02, 0.12, 0.87]]


def test_hand_outputs():
    Y, _ = L.self_attention(L.HAND_X)
    # y1 = (e·(1,0) + e·(1,1) + 1·(0,2)) / (2e + 1)
    assert np.allclose(Y[0], [2 * E / (2 * E + 1), (E + 2) / (2 * E + 1)])
    # y3 = (1·(1,0) + e²·(1,1) + e⁴·(0,2)) / (1 + e² + e⁴)
    assert np.allclose(Y[2], [(1 + E**2) / (1 + E**2 + E**4), (E**2 + 2 * E**4) / (1 + E**2 + E**4)])
    assert np.round(Y, 2).tolist() == [[0.84, 0.73], [0.58, 1.27], [0.13, 1.85]]
    # with the rounded weights, f2 of y1 is 0.42·1 + 0.16·2 = 0.74: the lesson says so
    assert 0.42 * 1 + 0.16 * 2 == pytest.approx(0.74)


def test_matches_the_kernel_with_scale_1():
    rng = np.random.default_rng(3)
    for X in (L.HAND_X, L.SENTENCE_X, rng.integers(-3, 4, size=(2, 5, 4))):
        Y, W = L.self_attention(X)
        Y_k, W_k = scaled_dot_product_attention(X, X, X, scale=1.0)
        assert np.allclose(Y, Y_k) and np.allclose(W, W_k)
        assert np.allclose(Y, softmax(np.asarray(X) @ np.swapaxes(X, -1, -2), axis=-1) @ X)


def test_rejects_a_single_vector():
    with pytest.raises(ValueError, match=r"\(\.\.\., n, d_model\)"):
        L.self_attention([1, 2, 3])


# ---------------------------------------------------------------- the sentence


def test_sentence_scores():
    S = L.SENTENCE_X
    words = L.SENTENCE
    assert S.shape == (6, 3) and words == ("the", "cat", "walks", "on", "the", "street")
    raw = S @ S.T
    cat, walks, the = 1, 2, 0
    assert raw[cat, walks] == 2 * 3 + 1 * 1 + 0 * 0 == 7
    off = raw[~np.eye(6, dtype=bool)]
    assert off.max() == 7 and np.count_nonzero(raw == 7) == 2  # (cat, walks) and (walks, cat) only
    assert raw[the].max() <= 1 and raw[the, 1:].tolist() == [0, 0, -1, 1, -2]


def test_sentence_weights():
    Y, W = L.self_attention(L.SENTENCE_X)
    assert np.allclose(W.sum(axis=-1), 1.0) and np.all(W > 0)
    assert int(np.argmax(W[1])) == 2                          # cat attends most to walks
    assert round(float(W[1, 2]), 2) == 0.87
    # row "the": raw 1, 0, 0, -1, 1, -2  ->  largest weight e / (2e + 2 + e⁻¹ + e⁻²)
    assert W[0].max() == pytest.approx(E / (2 * E + 2 + 1 / E + 1 / E**2))
    assert round(float(W[0].max()), 2) == 0.34
    assert np.array_equal(W[0], W[4]) and np.array_equal(Y[0], Y[4])  # the two "the"s


# ---------------------------------------------------------------- properties


@pytest.mark.parametrize("seed", range(5))
def test_permutation_equivariance(seed):
    rng = np.random.default_rng(seed)
    X = rng.integers(-3, 4, size=(6, 4))
    perm = rng.permutation(6)
    Y, W = L.self_attention(X)
    Y_p, W_p = L.self_attention(X[perm])
    assert np.allclose(Y_p, Y[perm])
    assert np.allclose(W_p, W[perm][:, perm])


def test_lesson_permutations():
    Y, _ = L.self_attention(L.HAND_X)
    Y_p, _ = L.self_attention(L.HAND_X[[2, 0, 1]])
    assert np.allclose(Y_p, Y[[2, 0, 1]])
    perm = [5, 3, 0, 2, 4, 1]
    assert [L.SENTENCE[p] for p in perm] == ["street", "on", "the", "walks", "the", "cat"]
    _, W = L.self_attention(L.SENTENCE_X)
    _, W_p = L.self_attention(L.SENTENCE_X[perm])
    assert W_p[5, 3] == pytest.approx(W[1, 2])   # (cat, walks) moves to row 5, column 3


def test_outputs_are_weighted_averages():
    """Every output lies inside the box spanned by the inputs, feature by feature."""
    rng = np.random.default_rng(7)
    X = rng.normal(size=(5, 3))
    Y, _ = L.self_attention(X)
    assert np.all(Y <= X.max(axis=0) + 1e-12) and np.all(Y >= X.min(axis=0) - 1e-12)


def test_batched_equals_one_at_a_time():
    rng = np.random.default_rng(0)
    Xb = rng.integers(-2, 3, size=(2, 4, 3))
    Y, W = L.self_attention(Xb)
    assert Y.shape == (2, 4, 3) and W.shape == (2, 4, 4)
    for b in range(2):
        Y1, W1 = L.self_attention(Xb[b])
        assert np.allclose(Y[b], Y1) and np.allclose(W[b], W1)


def test_softmax_over_the_wrong_axis_is_visible():
    """The lesson warns about axis=1 on a batch: its rows do not sum to 1."""
    rng = np.random.default_rng(0)
    Xb = rng.integers(-2, 3, size=(2, 4, 3))
    raw = Xb @ Xb.transpose(0, 2, 1)
    assert not np.allclose(softmax(raw, axis=1).sum(axis=-1), 1.0)
    assert np.allclose(softmax(raw, axis=-1).sum(axis=-1), 1.0)


@pytest.mark.reference
def test_matches_torch_bmm():
    """The article's PyTorch code: bmm(x, xᵀ), softmax(dim=2), bmm(weights, x)."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(11)
    x = rng.normal(size=(3, 5, 4))
    xt = torch.from_numpy(x)
    raw = torch.bmm(xt, xt.transpose(1, 2))
    weights = torch.nn.functional.softmax(raw, dim=2)
    y = torch.bmm(weights, xt)
    Y, W = L.self_attention(x)
    assert np.allclose(W, weights.numpy(), atol=1e-12)
    assert np.allclose(Y, y.numpy(), atol=1e-12)


# ---------------------------------------------------------------- exercise checks (solutions/03)

from check_harness import check_table_tests  # noqa: E402


def test_exercise_numbers_by_hand():
    # t1 = (2, 1), t2 = (1, 0), t3 = (0, 1)
    X = L.EX_X
    assert (X @ X.T).tolist() == [[4 + 1, 2 + 0, 0 + 1], [2 + 0, 1 + 0, 0 + 0], [0 + 1, 0 + 0, 0 + 1]]
    Y, W = L.self_attention(X)
    s = E**2 + E + 1                                       # row t2: raw (2, 1, 0)
    assert np.allclose(W[1], [E**2 / s, E / s, 1 / s])
    assert np.round(W[1], 2).tolist() == [0.67, 0.24, 0.09]
    assert np.allclose(Y[1], [(2 * E**2 + E) / s, (E**2 + 1) / s])   # y = w1·(2,1) + w2·(1,0) + w3·(0,1)
    # the rounded weights give the same 2 decimals: 0.67·2 + 0.24 = 1.58, 0.67 + 0.09 = 0.76
    assert np.round(Y[1], 2).tolist() == [1.58, 0.76]


def _sol_weights(X):
    return softmax(X @ X.T, axis=-1)


def _sol_attention(X):
    return softmax(X @ X.T, axis=-1) @ X


def _sol_batched(X):
    return softmax(X @ X.transpose(0, 2, 1), axis=-1) @ X


_Y, _W = L.self_attention(L.EX_X)

CHECKS = {
    "raw_scores": (check.raw_scores, ([[5, 2, 1], [2, 1, 0], [1, 0, 1]],), [
        (([[5, 2], [2, 2]],), "Xᵀ·X"),
        (([[5, 2, 1], [2, 1, 0], [1, 0, 2]],), "W′[3,3]"),
    ]),
    "softmax_row": (check.softmax_row, ([0.67, 0.24, 0.09],), [
        (([2 / 3, 1 / 3, 0],), "without taking e to the power"),
        (([7.39, 2.72, 1],), "forgot to divide by the sum"),
    ]),
    "output_t2": (check.output_t2, ([1.58, 0.76],), [
        (([5, 2],), "raw scores"),
        (([1, 2 / 3],), "plain average"),
    ]),
    "attention_weights": (check.attention_weights, (_sol_weights,), [
        # X Xᵀ is symmetric: axis=0 and a row sum without keepdims give the same numbers, so the
        # diagnosis names what both do (the columns add up to 1), not one cause
        ((lambda X: softmax(X @ X.T, axis=0),), "columns of your weights add up to 1"),
        ((lambda X: X @ X.T,), "forgot the softmax"),
    ]),
    "self_attention": (check.self_attention, (_sol_attention,), [
        ((_sol_weights,), "returned the weights"),
        ((lambda X: (X @ X.T) @ X,), "forgot the softmax"),
    ]),
    "shuffled": (check.shuffled, (np.round(_Y[[2, 0, 1]], 2).tolist(),), [
        ((np.round(_Y, 2).tolist(),), "old order"),
        ((np.round(_Y[[2, 0, 1]], 2)[:, ::-1].tolist(),), "cells are wrong"),
    ]),
    "batched": (check.batched, (_sol_batched,), [
        ((lambda X: softmax(X @ X.transpose(0, 2, 1), axis=1) @ X,), "axis=1"),
        ((lambda X: softmax(X @ X.T, axis=-1) @ X,), "used X.T"),  # numpy's error, explained
    ]),
}
BY_HAND = {"raw_scores", "softmax_row", "output_t2", "shuffled"}


# accepts the solution, diagnoses the typical mistakes, "not done" for the blank exercise, and no
# exception escapes for garbage answers or bad functions (check_harness.GARBAGE, BAD_RETURNS)
(test_check_accepts_the_solution, test_check_diagnoses_typical_mistakes, test_check_not_done,
 test_check_survives_garbage) = check_table_tests(CHECKS, BY_HAND)


def test_rounded_answers():
    assert check.softmax_row([0.665, 0.245, 0.090]).state == "correct"
    assert check.softmax_row([0.7, 0.2, 0.1]).state == "incorrect"   # 0.7 is 0.035 away from 0.665


# ---------------------------------------------------------------- the notebooks, read in order (issue 14)

ROOT = Path(__file__).resolve().parents[1]
LESSON = ROOT / "notebooks" / "03-self-attention.ipynb"
SOLUTION = ROOT / "solutions" / "03-self-attention.ipynb"

from notebook_reading import cells_of, exercise_list_matches, first  # noqa: E402


def test_d_k_is_explained_where_first_used():
    cells = cells_of(LESSON)
    text = " ".join(cells[first(cells, "markdown", r"d_k")].source.split())
    assert "where `d_k` is the number of features in each of the vectors being compared" in text


def test_bloems_naming_example_and_his_letters():
    cells = cells_of(LESSON)
    i = first(cells, "markdown", r"Bloem")
    assert "the weights 0, 0, 0, 0.5, 0.5" in " ".join(cells[i].source.split())
    shown = "".join(o.get("text", "") for o in cells[i + 1].outputs)
    assert "output = 0·1 + 0·2 + 0·3 + 0.5·4 + 0.5·5 = 4.5" in shown
    assert "with the first three inputs changed: 4.5" in shown
    assert np.array([0, 0, 0, 0.5, 0.5]) @ np.arange(1, 6) == 0.5 * 4 + 0.5 * 5  # by hand
    text = " ".join(cells[i + 2].source.split())
    assert "The output **attends** to the last two" in text
    assert "Bloem writes *t* for the number of vectors and *k* for their length" in text
    assert "this course writes `n` and `d_model`" in text


def test_the_softmax_explorer_follows_step_2_and_precedes_step_3():
    cells = cells_of(LESSON)
    step2, step3 = first(cells, "markdown", r"^### Step 2"), first(cells, "markdown", r"^### Step 3")
    explorer = first(cells, "code", r"softmax_explorer\(")
    assert step2 < first(cells, "code", r"W = softmax\(raw") < explorer < step3 < first(cells, "code", r"Y = W @ X")
    assert cells[explorer + 1].source.startswith("### Step 3")


def test_exercise_introduction_lists_what_the_notebook_holds():
    intro = exercise_list_matches(cells_of(SOLUTION), len(check.EXERCISES))
    assert "eight exercises" in intro and "fillable sheet" in intro
