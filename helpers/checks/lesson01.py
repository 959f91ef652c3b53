"""The checks of exercises/01-transformer-by-hand.ipynb, one per exercise, in order.

    from helpers.checks import lesson01 as check
    check.start()                      # every exercise "not done"
    check.z_cells(Z_1_1, Z_2_4, Z_3_5)
    ...
    check.progress()

Expected values come from helpers.lesson01 (the sheet's numbers), never typed in twice.
"""

import numpy as np

from ..lesson01 import FEATURES, HIDDEN, OUT_POSITIONS, POSITIONS, W1, W2, A, H, R, X, Y, Z, b1, b2, steps
from . import check_function, check_value, exercise, exercises, fillable_sheet, random_cases, start_lesson
from . import progress as progress  # check.progress() in the notebooks

SEED = 101  # the random cases are the same in every run


def _worked(row, col, bias):
    """The arithmetic of one cell, row · col + bias, as a learner writes it: 1·11 + 0·1 + (-1)·1 + 1 = 11."""
    def num(v):
        return f"({v})" if v < 0 else f"{v}"
    terms = " + ".join(f"{num(a)}·{num(b)}" for a, b in zip(row, col))
    return f"{terms} + {num(bias)} = {int(row @ col + bias)}"


@exercise("Z cells")
def z_cells(Z_1_1, Z_2_4, Z_3_5):
    """Z[1,1], Z[2,4], Z[3,5] (1-based, row = feature, column = position)."""
    pick = ((0, 0), (1, 3), (2, 4))
    return check_value(
        z_cells.title, [Z_1_1, Z_2_4, Z_3_5], [Z[i, j] for i, j in pick],
        cell_names=["Z_1_1", "Z_2_4", "Z_3_5"],
        slips={"used a row of A instead of a column (X·Aᵀ)": [(X @ A.T)[i, j] for i, j in pick]},
        hint="Z[i,j] is row i of X times column j of A (down the column, not along a row of A): "
             "multiply cell by cell and add. Count rows and columns from 1, as the sheet does.",
        answer="Z_1_1 = X[1,1] + X[1,2] = 5 + 6 = 11; Z_2_4 = X[2,4] + X[2,5] = 1 + 2 = 3; "
               "Z_3_5 = X[3,5] + X[3,1] = 1 + 0 = 1",
        note="Each column of Z is the sum of two neighbouring columns of X.")


@exercise("Z on the fillable sheet")
def z_sheet(answers=...):
    """The fillable sheet for Z = X·A: type each cell (or pass the whole matrix as `answers`)."""
    return fillable_sheet(
        z_sheet.title, X, A, answers, answer_name="Z_typed", symbol="Z",
        roles=("input", "attention", "output"), names=("X", "A"),
        left_labels=(FEATURES, POSITIONS), right_labels=(POSITIONS, OUT_POSITIONS),
        title="Z = X · A: type each cell",
        hint="each box Z[i,j] is row i of X times column j of A: pick the cell on the sheet and press hint "
             "to see its row and column.")


@exercise("A column of H")
def h_column(H_col_1):
    """Column 1 of H = W1 · Z1 + b1 (4 numbers, H1..H4)."""
    return check_value(
        h_column.title, H_col_1, H[:, 0], cell_names=list(HIDDEN),
        labels=HIDDEN,
        slips={"left out the bias b1": (W1 @ Z)[:, 0],
               "subtracted the bias b1 instead of adding it": (W1 @ Z - b1[:, None])[:, 0],
               "applied the ReLU already (that is the next step)": R[:, 0],
               "used column 2 of Z instead of column 1": H[:, 1]},
        hint="H[k,1] is row k of W1 times the first column of Z, then plus b1[k]: "
             "check the signs of W1 and of b1, and that nothing is applied after the bias.",
        answer="H_col_1 = [" + ", ".join(str(v) for v in H[:, 0]) + "]: " + "; ".join(
            f"{h} = {_worked(W1[k], Z[:, 0], b1[k])}" for k, h in enumerate(HIDDEN)),
        note="The FFN mixes the 3 features of one position into 4 hidden features.")


@exercise("ReLU(H)")
def relu_h(R_answer):
    """ReLU(H), the whole 4 x 5 matrix."""
    return check_value(
        relu_h.title, R_answer, R, labels=(HIDDEN, OUT_POSITIONS), symbol="R",
        slips={"forgot the ReLU (this is H itself)": H,
               "took absolute values, but ReLU turns negatives into 0": np.abs(H),
               "kept the negatives and zeroed the positives (that is min(H, 0))": np.minimum(H, 0)},
        hint="ReLU keeps each positive number of H as it is and turns each negative one into 0: "
             "compare your grid with H cell by cell.",
        answer=f"R = np.maximum(H, 0) = {R.tolist()}",
        note="ReLU zeroed the five negative cells of H.")


@exercise("A cell of Y")
def y_cell(Y_3_3):
    """Y[3,3] = row 3 of W2 times column 3 of ReLU(H), plus b2[3]."""
    return check_value(
        y_cell.title, Y_3_3, Y[2, 2],
        slips={"used H instead of ReLU(H)": (W2 @ H + b2[:, None])[2, 2],
               "left out the bias b2": (W2 @ R)[2, 2],
               "used H instead of ReLU(H) and left out the bias b2": (W2 @ H)[2, 2]},
        hint="Y[3,3] is row 3 of W2 times column 3 of ReLU(H) (not of H), then plus b2[3]; "
             "mind the signs.",
        answer=f"Y_3_3 = {_worked(W2[2], R[:, 2], b2[2])}",
        note="Y goes on to the next block: same shape as X, 3 features x 5 positions.")


def _weighting_case(r):
    d, n = int(r.integers(2, 5)), int(r.integers(2, 6))
    return r.integers(-3, 4, size=(d, n)), r.integers(0, 3, size=(n, n))


@exercise("attention_weighting")
def attention_weighting(fn):
    """The learner's attention_weighting(X, A) -> Z = X·A, on the sheet and on random cases."""
    cases = {"the sheet example": (X, A),
             **random_cases(np.random.default_rng(SEED), 4, _weighting_case),
             "random case 5": (np.array([[1, 2], [3, 4]]), np.array([[0, 1], [1, 1]]))}
    return check_function(
        attention_weighting.title, fn, lambda X_, A_: np.asarray(X_) @ np.asarray(A_), cases,
        labels=(FEATURES, OUT_POSITIONS), symbol="Z",
        slips={"computed A·X: the order matters, Z = X·A": lambda X_, A_: A_ @ X_,
               "used Aᵀ (rows of A) instead of A": lambda X_, A_: X_ @ A_.T,
               "multiplied cell by cell (X * A) instead of a matrix product (X @ A)": lambda X_, A_: X_ * A_},
        hint="Z = X·A is one matrix product (@, not *), and the order matters: "
             "check which matrix goes on the left so that the shapes (d_model, n) and (n, n) fit.",
        answer="return X @ A   # (d_model, n) @ (n, n) -> (d_model, n)")


def _layer_case(r):
    d_in, n, d_out = int(r.integers(2, 5)), int(r.integers(2, 6)), int(r.integers(2, 5))
    return r.integers(-3, 4, size=(d_in, n)), r.integers(-2, 3, size=(d_out, d_in)), r.integers(-2, 3, size=d_out)


@exercise("ffn_layer")
def ffn_layer(fn):
    """The learner's ffn_layer(Z, W, b) -> W·Z + b in the sheet's layout."""
    square = (np.array([[1, 0, 2], [2, 1, 0]]), np.array([[1, 1], [0, 1], [1, -1]]), np.array([1, 2, 3]))
    cases = {"the sheet example": (Z, W1, b1),
             **random_cases(np.random.default_rng(SEED + 1), 4, _layer_case),
             "random case 5": square}
    return check_function(
        ffn_layer.title, fn, lambda Z_, W_, b_: W_ @ Z_ + b_[:, None], cases,
        labels=(HIDDEN, OUT_POSITIONS), symbol="H",
        slips={"left out the bias b": lambda Z_, W_, b_: W_ @ Z_,
               "added b as a row (W @ Z + b lines b up with the columns): b holds one number per row of "
               "the result, so add it as a column, b[:, None]": lambda Z_, W_, b_: W_ @ Z_ + b_,
               "applied a ReLU: ffn_layer is only W·Z + b (the ReLU is a separate step)":
                   lambda Z_, W_, b_: np.maximum(W_ @ Z_ + b_[:, None], 0)},
        hint="W·Z is a matrix product, (d_out, d_in) @ (d_in, n); b holds one number per ROW of the result, "
             "so it must be added to every column: check the order of the product and the shape of b.",
        answer="return W @ Z + b[:, None]   # b[:, None] is b as a column, added to every column")


def _block_case(r):
    d, n, d_ff = int(r.integers(2, 5)), int(r.integers(2, 6)), int(r.integers(2, 6))
    return (r.integers(-3, 4, size=(d, n)), r.integers(0, 2, size=(n, n)),
            r.integers(-2, 3, size=(d_ff, d)), r.integers(-2, 3, size=d_ff),
            r.integers(-2, 3, size=(d, d_ff)), r.integers(-2, 3, size=d))


def _block_tokens_as_rows(X_, A_, W1_, b1_, W2_, b2_):
    return steps(X_, A_, W1_, b1_, W2_, b2_)["Y"].T


def _no_relu(X_, A_, W1_, b1_, W2_, b2_):
    z = (X_ @ A_).T
    return (z @ W1_.T + b1_) @ W2_.T + b2_


def _a_not_transposed(X_, A_, W1_, b1_, W2_, b2_):
    z = A_ @ X_.T
    return np.maximum(z @ W1_.T + b1_, 0) @ W2_.T + b2_


def _no_bias(X_, A_, W1_, b1_, W2_, b2_):
    z = (X_ @ A_).T
    return np.maximum(z @ W1_.T, 0) @ W2_.T


@exercise("sheet_tokens_as_rows")
def sheet_tokens_as_rows(fn):
    """The learner's whole sheet with tokens as rows: equal to the sheet's Y, transposed."""
    cases = {"the sheet example": (X, A, W1, b1, W2, b2),
             **random_cases(np.random.default_rng(SEED + 2), 4, _block_case)}
    return check_function(
        sheet_tokens_as_rows.title, fn, _block_tokens_as_rows, cases,
        labels=(OUT_POSITIONS, FEATURES),
        slips={"forgot the ReLU between the two layers": _no_relu,
               "used A where tokens-as-rows needs its transpose: z = A.T @ x (or z = (X @ A).T)": _a_not_transposed,
               "left out the biases": _no_bias},
        hint="three steps in the tokens-as-rows layout: the tokens x = X.T; the attention step, "
             "transposed ((X·A)ᵀ = Aᵀ·Xᵀ); then the whole FFN (two layers, a ReLU between them) with ffn.",
        answer="x = X.T; z = A.T @ x; return ffn(z, W1, b1, W2, b2)   # (n, d_model) = the sheet's Y.T")


EXERCISES = exercises(__name__)


def start():
    """Declare this lesson's exercises, in order: each is "not done" until its check runs."""
    start_lesson(__name__)

