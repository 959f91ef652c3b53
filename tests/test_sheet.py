"""helpers.sheet: the by-hand sheet of lesson 01 (features x positions).

The published cells come from the article; the rest is checked by hand arithmetic
written here, by properties, by the kernels in tokens-as-rows layout, and by PyTorch."""

import math
import re
from pathlib import Path

import numpy as np
import pytest

from helpers import ffn, linear, relu, scaled_dot_product_attention, sheet
from helpers.checks import lesson01 as check


def test_published_cells_of_Z():
    # 1-based on the sheet: first row of Z = 11, 6, 7, 7, 5; Z[2,4] = 3; Z[3,5] = 1
    Z = sheet.Z
    assert Z[0].tolist() == [11, 6, 7, 7, 5]
    assert Z[2 - 1, 4 - 1] == 3
    assert Z[3 - 1, 5 - 1] == 1


def test_published_first_cell_of_H():
    # H[1,1] = W1[1,:] · Z[:,1] + b1[1] = 11 (1-based)
    assert sheet.H[0, 0] == 11


def test_every_step_by_hand():
    # Z_j = X_j + X_(j+1): columns of X are (5,1,0) (6,0,1) (0,2,1) (7,1,-1) (0,2,1)
    Z = [[5 + 6, 6 + 0, 0 + 7, 7 + 0, 0 + 5],
         [1 + 0, 0 + 2, 2 + 1, 1 + 2, 2 + 1],
         [0 + 1, 1 + 1, 1 - 1, -1 + 1, 1 + 0]]
    assert sheet.Z.tolist() == Z
    # H = W1 Z + b1; W1 rows (1,0,-1) (0,1,1) (0,1,-1) (0,-1,2), b1 = (1,0,-1,-1)
    H = [[11 - 1 + 1, 6 - 2 + 1, 7 - 0 + 1, 7 - 0 + 1, 5 - 1 + 1],
         [1 + 1, 2 + 2, 3 + 0, 3 + 0, 3 + 1],
         [1 - 1 - 1, 2 - 2 - 1, 3 - 0 - 1, 3 - 0 - 1, 3 - 1 - 1],
         [-1 + 2 - 1, -2 + 4 - 1, -3 + 0 - 1, -3 + 0 - 1, -3 + 2 - 1]]
    assert sheet.H.tolist() == H
    R = [[max(v, 0) for v in row] for row in H]
    assert sheet.R.tolist() == R
    # Y = W2 R + b2; W2 rows (1,0,0,-1) (0,1,1,0) (0,-1,1,1), b2 = (0,1,-1)
    Y = [[R[0][j] - R[3][j] + 0 for j in range(5)],
         [R[1][j] + R[2][j] + 1 for j in range(5)],
         [-R[1][j] + R[2][j] + R[3][j] - 1 for j in range(5)]]
    assert sheet.Y.tolist() == Y
    assert Y == [[11, 4, 8, 8, 5], [3, 5, 6, 6, 6], [-3, -4, -2, -2, -4]]


def test_every_step_is_integer():
    for name, M in sheet.steps().items():
        assert M.dtype.kind == "i", name
    for name in ("X", "A", "W1", "b1", "W2", "b2", "Z", "H", "R", "Y"):
        assert getattr(sheet, name).dtype.kind == "i", name


def test_shapes():
    assert sheet.X.shape == (3, 5) and sheet.A.shape == (5, 5)
    assert sheet.W1.shape == (4, 3) and sheet.b1.shape == (4,)
    assert sheet.W2.shape == (3, 4) and sheet.b2.shape == (3,)
    assert sheet.Z.shape == (3, 5) and sheet.H.shape == (4, 5)
    assert sheet.R.shape == (4, 5) and sheet.Y.shape == (3, 5)
    assert len(sheet.FEATURES) == 3 and len(sheet.POSITIONS) == 5
    assert len(sheet.OUT_POSITIONS) == 5 and len(sheet.HIDDEN) == 4


def test_A_is_the_pair_sum_pattern():
    # column j of A has 1s in rows j and j+1 (wrapping), 0 elsewhere
    expected = np.zeros((5, 5), int)
    for j in range(5):
        expected[j, j] = expected[(j + 1) % 5, j] = 1
    assert (sheet.A == expected).all()
    # so for any X, Z_j = X_j + X_(j+1)
    rng = np.random.default_rng(0)
    X = rng.integers(-5, 6, size=(3, 5))
    Z = sheet.attention_weighting(X, sheet.A)
    for j in range(5):
        assert (Z[:, j] == X[:, j] + X[:, (j + 1) % 5]).all()


def test_relu_zeroes_at_least_two_cells():
    negative = sheet.H < 0
    assert negative.sum() >= 2
    assert (sheet.R[negative] == 0).all()
    assert (sheet.R[~negative] == sheet.H[~negative]).all()


def test_products_are_head_arithmetic():
    for name in ("X", "W1", "b1", "W2", "b2"):
        M = getattr(sheet, name)
        assert M.min() >= -1 and M.max() <= 7, name
    for name in ("W1", "b1", "W2", "b2", "A"):
        M = getattr(sheet, name)
        assert M.min() >= -1 and M.max() <= 3, name
    for left, right in ((sheet.X, sheet.A), (sheet.W1, sheet.Z), (sheet.W2, sheet.R)):
        terms = left[:, :, None] * right[None, :, :]  # every a·b of the product
        assert np.abs(terms).max() <= 30
    for M in sheet.steps().values():
        assert np.abs(M).max() <= 30


def test_sheet_path_equals_kernel_path_tokens_as_rows():
    Z = sheet.Z
    tokens = Z.T  # (n, d_model) = (5, 3): tokens are rows
    assert np.array_equal(linear(tokens, sheet.W1, sheet.b1).T, sheet.H)
    assert np.array_equal(relu(linear(tokens, sheet.W1, sheet.b1)).T, sheet.R)
    assert np.array_equal(ffn(tokens, sheet.W1, sheet.b1, sheet.W2, sheet.b2).T, sheet.Y)
    # attention weighting in tokens-as-rows: Z.T = A.T @ X.T, each row of A.T sums two tokens
    assert np.array_equal(sheet.A.T @ sheet.X.T, Z.T)


def test_sheet_matches_pytorch():
    torch = pytest.importorskip("torch")
    lin1 = torch.nn.Linear(3, 4)
    lin2 = torch.nn.Linear(4, 3)
    with torch.no_grad():
        lin1.weight.copy_(torch.tensor(sheet.W1, dtype=torch.float64).float())
        lin1.bias.copy_(torch.tensor(sheet.b1).float())
        lin2.weight.copy_(torch.tensor(sheet.W2).float())
        lin2.bias.copy_(torch.tensor(sheet.b2).float())
        tokens = torch.tensor(sheet.Z.T.copy()).float()
        out = lin2(torch.relu(lin1(tokens)))
    assert np.array_equal(out.numpy().T, sheet.Y)


def test_sheet_is_read_only():
    with pytest.raises(ValueError):
        sheet.X[0, 0] = 99
    with pytest.raises(ValueError):
        sheet.Z[0, 0] = 99


# ---------------------------------------------------------------- where A comes from (issue 14)


def test_no_queries_and_keys_from_X_alone_can_give_A():
    # X3 and X5 are the same token, so their keys are equal whatever W_K is: every query scores them alike
    assert sheet.X[:, 2].tolist() == sheet.X[:, 4].tolist() == [0, 2, 1]
    rng = np.random.default_rng(0)
    x = sheet.X.T  # (n, d_model) = (5, 3): tokens as rows
    for _ in range(50):
        d_k = int(rng.integers(1, 6))
        W_Q, W_K = rng.normal(0, 2, size=(2, d_k, 3))
        scores, weights = sheet.qk_attention(x, W_Q, W_K)
        assert np.allclose(scores[:, 2], scores[:, 4]) and np.allclose(weights[:, 2], weights[:, 4])
    # yet A gives Z2 the token X3 and not X5, and Z4 the token X5 and not X3
    assert sheet.A[2, 1] == 1 and sheet.A[4, 1] == 0
    assert sheet.A[4, 3] == 1 and sheet.A[2, 3] == 0


def test_qk_attention_is_the_kernels_scaled_dot_product():
    rng = np.random.default_rng(1)
    x = rng.integers(-2, 3, size=(5, 4))
    W_Q, W_K = rng.integers(-1, 2, size=(2, 3, 4))
    scores, weights = sheet.qk_attention(x, W_Q, W_K)
    Q, K = x @ W_Q.T, x @ W_K.T  # (5, 3) each
    _, kernel_weights = scaled_dot_product_attention(Q, K, K)  # scale 1/√d_k = 1/√3
    assert np.allclose(weights, kernel_weights)
    assert np.allclose(scores, Q @ K.T / math.sqrt(3))


def test_a_position_code_lets_integer_weights_give_the_neighbour_pattern():
    xp, W_Q, W_K = sheet.X_WITH_POSITION, sheet.W_Q_POSITION, sheet.W_K_POSITION
    assert xp.shape == (5, 8) and W_Q.shape == W_K.shape == (5, 8)
    assert all(M.dtype.kind == "i" for M in (xp, W_Q, W_K))
    assert np.array_equal(xp[:, :3], sheet.X.T) and np.array_equal(xp[:, 3:], np.eye(5))
    assert not np.array_equal(xp[2], xp[4])  # X3 and X5 now differ
    assert not W_Q[:, :3].any() and not W_K[:, :3].any()  # the features are not used
    # by hand: the key of position i is 3 at place i, the query of position j is 3 at places j and j+1
    Q, K = xp @ W_Q.T, xp @ W_K.T
    for j in range(5):
        assert Q[j].tolist() == [3 if i in (j, (j + 1) % 5) else 0 for i in range(5)]
        assert K[j].tolist() == [3 if i == j else 0 for i in range(5)]
    assert np.array_equal(Q @ K.T, 9 * sheet.A.T)
    scores, weights = sheet.qk_attention(xp, W_Q, W_K)
    assert np.allclose(scores, 9 / math.sqrt(5) * sheet.A.T)
    # the softmax has the sheet's pattern: each row's two largest weights are exactly A's pair, tied
    top_two = np.argsort(-weights, axis=1, kind="stable")[:, :2]
    for j in range(5):
        assert set(top_two[j]) == set(np.flatnonzero(sheet.A[:, j]))
        assert np.isclose(weights[j, top_two[j, 0]], weights[j, top_two[j, 1]])
    assert np.array_equal(np.round(weights, 1), sheet.A.T / 2)
    assert np.round(weights[1, 2], 2) == 0.49 and np.round(weights[1, 4], 2) == 0.01  # the lesson's words


def test_switching_off_one_1_of_A_drops_Z11_from_11_to_6():
    A_off = sheet.A.copy()
    A_off[0, 0] = 0  # row X1, column Z1
    Z_off = sheet.attention_weighting(sheet.X, A_off)
    assert sheet.Z[0, 0] == 11 and Z_off[0, 0] == 6
    assert Z_off[:, 0].tolist() == sheet.X[:, 1].tolist()  # Z1 is X2 alone


# ---------------------------------------------------------------- the notebooks, read in order

ROOT = Path(__file__).resolve().parents[1]
START = ROOT / "notebooks" / "00-start-here.ipynb"
LESSON = ROOT / "notebooks" / "01-transformer-by-hand.ipynb"
SOLUTION = ROOT / "solutions" / "01-transformer-by-hand.ipynb"

from notebook_reading import cells_of, first  # noqa: E402


def words(cell):
    return " ".join(cell.source.split())


def test_start_here_explains_its_labels_and_operator():
    cells = cells_of(START)
    i = first(cells, "markdown", r"A first taste")
    assert i < first(cells, "code", r"row @ column")
    text = words(cells[i])
    assert "named `P1, P2, P3`" in text and "five outputs `Z1 … Z5`" in text
    assert "The operator `@` does the multiplying" in text


def test_the_articles_labels_are_explained_once():
    cells = cells_of(LESSON)
    notes = [c for c in cells if c.cell_type == "markdown" and "uses the two words the other way round" in c.source]
    assert len(notes) == 1
    text = words(notes[0])
    assert "It calls `X1 … X5` the features and `P1, P2, P3` the positions" in text
    assert "`P` always names a feature" in text


@pytest.mark.parametrize("code, explanation", [
    (r"@", r"the operator `@` is the matrix product"),
    (r"\blinear\(", r"`linear\(x, W, b\)` is one layer, `x @ W.T \+ b`"),
    (r"\bsoftmax\(", r"A softmax turns a row of numbers into weights"),
])
def test_code_is_explained_before_its_first_use(code, explanation):
    cells = cells_of(LESSON)
    first_use = next(i for i, c in enumerate(cells[2:], 2) if c.cell_type == "code" and re.search(code, c.source))
    assert first(cells, "markdown", explanation) < first_use


def test_the_softmax_is_built_in_lesson_03_only():
    text = "\n".join(c.source for c in cells_of(LESSON) if c.cell_type == "markdown")
    assert "lessons 02 and 03" not in text and "(Lesson 03 works one out by hand.)" in text


def test_the_11_to_6_of_the_explorer_is_on_screen():
    cells = cells_of(LESSON)
    i = first(cells, "markdown", r"drops from 11 to 6")
    j = first(cells, "code", r"A_off\[0, 0\] = 0")
    assert i < j < first(cells, "code", r"attention_explorer\(")
    shown = "".join(o.get("text", "") for o in cells[j].outputs)
    assert "Z[1,1] with A: 11   with that 1 switched off: 6" in shown


def test_the_lesson_closes_the_qk_loop_with_positions():
    cells = cells_of(LESSON)
    i = first(cells, "markdown", r"^## Where does `A` come from\?")
    text = " ".join(words(c) for c in cells[i:] if c.cell_type == "markdown")
    assert "Columns `X3` and `X5` of `X` are the same, (0, 2, 1)" in text
    assert "`A` gives `Z2` the token `X3` and not `X5`" in text
    assert "That is why a transformer gives each token its position as well (lesson 06)" in text
    shown = "".join(o.get("text", "") for c in cells[i:] if c.cell_type == "code" for o in c.outputs)
    assert "rounded to 1 decimal, the weights are A.T / 2: True" in shown
    assert shown.count("columns X3 and X5 are equal in the scores: True, in the weights: True") == 3


def test_exercise_introduction_lists_what_the_notebook_holds():
    cells = cells_of(SOLUTION)
    intro = cells[0].source
    heads = [m.groups() for c in cells if c.cell_type == "markdown"
             for m in re.finditer(r"^## Exercise (\d+) \(([^)]+)\): (.+)$", c.source, re.M)]
    assert len(heads) == len(check.EXERCISES) == 8
    for n, kind, title in heads:
        line = next(line for line in intro.splitlines() if line.startswith(f"{n}. "))
        assert line.startswith(f"{n}. {title}") and line.rstrip(";.").endswith(f"({kind})"), line
    assert "fillable sheet" in intro and "eight exercises" in intro
