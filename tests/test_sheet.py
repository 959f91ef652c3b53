"""helpers.sheet: the by-hand sheet of lesson 01 (features x positions).

The published cells come from the article; the rest is checked by hand arithmetic
written here, by properties, by the kernels in tokens-as-rows layout, and by PyTorch."""

import numpy as np
import pytest

from helpers import ffn, linear, relu, sheet


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
