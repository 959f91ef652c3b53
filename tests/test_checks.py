"""helpers.checks: every check of exercise 01 accepts the solution, diagnoses typical
wrong answers, reports "not done" for blanks, and never raises on garbage.

Expected values are worked out by hand in the comments (the sheet's X, A, W1, b1, W2, b2
are in helpers/sheet.py), never taken from the code under test.
"""

import numpy as np
import pytest

from helpers import checks
from helpers.checks import CORRECT, INCORRECT, NOT_DONE, lesson01
from helpers.checks import drawing as drawing_module
from helpers.checks.drawing import marked_grid

# Z = X·A: Z[i,j] = X[i,j] + X[i,j+1]; Z[1,1] = 5+6 = 11, Z[2,4] = 1+2 = 3, Z[3,5] = 1+0 = 1.
Z_CELLS = (11, 3, 1)
# H[:,1] = W1·(11, 1, 1) + b1 = (11-1+1, 1+1+0, 1-1-1, -1+2-1) = (11, 2, -1, 0).
H_COL_1 = [11, 2, -1, 0]
H = np.array([[11, 5, 8, 8, 5], [2, 4, 3, 3, 4], [-1, -1, 2, 2, 1], [0, 1, -4, -4, -2]])
R = np.array([[11, 5, 8, 8, 5], [2, 4, 3, 3, 4], [0, 0, 2, 2, 1], [0, 1, 0, 0, 0]])  # negatives -> 0
# Y[3,3] = (0, -1, 1, 1)·(8, 3, 2, 0) + b2[3] = -3 + 2 + 0 - 1 = -2.
Y_3_3 = -2
Y = np.array([[11, 4, 8, 8, 5], [3, 5, 6, 6, 6], [-3, -4, -2, -2, -4]])


def _raises(*args):
    raise RuntimeError("boom")


def _not_implemented(*args):
    raise NotImplementedError()


GARBAGE = [
    None, "abc", "", [[1, 2], [3]], float("nan"), np.full((3, 5), np.nan), np.full((4, 5), np.inf),
    _raises, lambda *a: "a string", {}, {"a": 1}, object(), [1, None, 3], [1, "x"], 10 ** 400, True,
    1 + 2j, np.array([]), [[[1]]], [..., 1, 2], b"bytes", set(),
]


def _state(result):
    return result.state


# ------------------------------------------------------------------ generic behaviour


def test_result_is_truthy_only_when_correct():
    ok = checks.check_value("t ok", 3, 3)
    bad = checks.check_value("t bad", 4, 3)
    blank = checks.check_value("t blank", ..., 3)
    assert ok and ok == True  # noqa: E712 - documented comparison with bools
    assert not bad and bad == False  # noqa: E712
    assert not blank and blank.state == NOT_DONE
    assert bad.state == INCORRECT and ok.state == CORRECT


def test_integers_exact_floats_with_tolerance():
    assert checks.check_value("t int", 11.0, 11)  # 11.0 is the number 11
    assert not checks.check_value("t int2", 11.0000001, 11)  # integer answers are exact
    assert checks.check_value("t float", 0.1 + 0.2, 0.3)  # 1e-6 relative tolerance
    assert not checks.check_value("t float2", 0.3001, 0.3)
    assert checks.check_value("t np scalar", np.int32(7), 7)
    assert checks.check_value("t tuple", (1, 2), np.array([1, 2]))
    assert checks.check_value("t column", [[1], [2]], [1, 2])  # a column typed as nested lists is fine


def test_wrong_matrix_names_and_draws_the_wrong_cells(capsys):
    answer = R.copy()
    answer[2, 3] = 5  # R[3,4]
    r = checks.check_value("t grid", answer, R, symbol="R", labels=(["H1", "H2", "H3", "H4"], None))
    out = capsys.readouterr().out
    assert r.state == INCORRECT
    assert "1 of 20 cells is wrong: R[3,4]" in r.message
    assert "[5]" in out  # the text grid brackets the wrong cell (outside IPython)
    grid_lines = out.splitlines()[1:]
    assert sum(line.count("[") for line in grid_lines) == 1  # only that cell


def test_in_ipython_the_grid_is_a_display_drawing_with_marks(monkeypatch):
    monkeypatch.setattr(drawing_module, "in_ipython", lambda: True)
    marks = np.zeros((4, 5), bool)
    marks[2, 3] = True
    drawing = marked_grid(R, marks, (["H1", "H2", "H3", "H4"], None), "t")
    from helpers import display

    assert isinstance(drawing, display.Drawing)
    html = drawing._repr_html_()
    clean = display.grid(R, row_labels=["H1", "H2", "H3", "H4"], role="output", title="t")._repr_html_()
    assert html != clean  # the marked cell is drawn differently


def test_slip_dict_and_constant_offset():
    r = checks.check_value("t slip", H, R, slips={"forgot the ReLU": H})
    assert "It looks like you forgot the ReLU" in r.message
    r = checks.check_value("t offset", R + 1, R)
    assert "off by the same amount (+1)" in r.message


def test_wrong_shape_and_transpose():
    r = checks.check_value("t T", R.T, R)
    assert r.state == INCORRECT
    assert "Wrong shape" in r.message and "transpose of your answer would be right" in r.message
    r = checks.check_value("t shape", [1, 2, 3], R)
    assert "Wrong shape" in r.message and "shape (4, 5)" in r.message


@pytest.mark.parametrize("garbage", GARBAGE, ids=range(len(GARBAGE)))
def test_check_value_survives_garbage(garbage):
    r = checks.check_value("t garbage", garbage, R, symbol="R")
    assert r.state in (NOT_DONE, INCORRECT)
    assert not r
    assert isinstance(r.message, str) and r.message


def test_ragged_and_text_are_explained():
    assert "different lengths (2, 1)" in checks.check_value("t ragged", [[1, 2], [3]], R).message
    assert "text" in checks.check_value("t text", "11", 11).message
    assert "not a number" in checks.check_value("t nan", float("nan"), 11).message
    assert "None" in checks.check_value("t none in list", [1, None], [1, 2]).message


def test_check_function_reports_its_own_internal_error():
    r = checks.check_function("t internal", lambda x: x, _raises, [(1,)])
    assert r.state == INCORRECT and "the check could not read your answer" in r.message


def test_learner_prints_only_on_the_first_case(capsys):
    def noisy(x):
        print("hello from the learner")
        return x

    checks.check_function("t noisy", noisy, lambda x: x, [(1,), (2,), (3,)])
    assert capsys.readouterr().out.count("hello from the learner") == 1


def test_learner_function_cannot_change_the_cases():
    case = (np.array([1, 2, 3]),)

    def mutates(x):
        x += 100
        return x - 100

    assert checks.check_function("t mutate", mutates, lambda x: x, [case])
    assert case[0].tolist() == [1, 2, 3]


# ------------------------------------------------------------------ softmax (reusable check)


def test_softmax_check():
    def good(x):
        x = np.asarray(x, dtype=float)
        e = np.exp(x - x.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)

    def columns(x):
        x = np.asarray(x, dtype=float)
        e = np.exp(x - x.max(axis=0, keepdims=True))
        return e / e.sum(axis=0, keepdims=True)

    def naive(x):
        e = np.exp(np.asarray(x, dtype=float))
        return e / e.sum(axis=-1, keepdims=True)

    assert checks.check_softmax(good)
    r = checks.check_softmax(columns)
    assert "wrong axis" in r.message or "over the columns" in r.message
    r = checks.check_softmax(lambda x: np.exp(x))
    assert "divide by the sum" in r.message
    r = checks.check_softmax(naive)  # exp(1000) overflows
    assert "large numbers" in r.message and "not a number" in r.message
    assert checks.check_softmax(_not_implemented).state == NOT_DONE


# ------------------------------------------------------------------ lesson 01, by hand


def test_z_cells():
    assert lesson01.z_cells(*Z_CELLS)
    # X·Aᵀ adds X[i,j] and X[i,j-1]: Z[1,1] -> X1+X5 = 5+0 = 5, Z[3,5] -> X5+X4 = 1-1 = 0.
    r = lesson01.z_cells(5, 3, 0)
    assert r.state == INCORRECT and "row of A instead of a column" in r.message
    r = lesson01.z_cells(12, 3, 1)
    assert "1 of 3 cells is wrong: Z_1_1" in r.message and "Hint" in r.message
    r = lesson01.z_cells(11, ..., 1)
    assert r.state == NOT_DONE and "Z_2_4" in r.message
    assert lesson01.z_cells(..., ..., ...).state == NOT_DONE


def test_h_column():
    assert lesson01.h_column(H_COL_1)
    assert lesson01.h_column(np.array(H_COL_1))
    # Without b1 = (1, 0, -1, -1): (11-1, 2-0, -1+1, 0+1) = (10, 2, 0, 1).
    r = lesson01.h_column([10, 2, 0, 1])
    assert "left out the bias b1" in r.message
    # ReLU already applied: (11, 2, 0, 0).
    assert "ReLU" in lesson01.h_column([11, 2, 0, 0]).message
    r = lesson01.h_column([11, 2, -1, 1])
    assert "1 of 4 cells is wrong: H4" in r.message
    assert "Wrong shape" in lesson01.h_column([11, 2, -1]).message
    assert lesson01.h_column(...).state == NOT_DONE


def test_relu_h():
    assert lesson01.relu_h(R.tolist())
    r = lesson01.relu_h(H)
    assert "forgot the ReLU" in r.message
    r = lesson01.relu_h(R.T)
    assert "transpose of your answer would be right" in r.message
    one_off = R.copy()
    one_off[3, 1] = 0  # R[4,2] should be 1
    r = lesson01.relu_h(one_off)
    assert "1 of 20 cells is wrong: R[4,2]" in r.message
    assert "It looks like" not in r.message  # one slip of the pen is not a misunderstanding
    partly = R.copy()
    partly[2, :2] = -1  # H[3,1] and H[3,2] are -1: kept 2 of H's 5 negatives...
    partly[3, 2] = -4  # ...and a third one
    r = lesson01.relu_h(partly)
    assert "3 of 20 cells are wrong" in r.message and "forgot the ReLU" in r.message
    assert "absolute values" in lesson01.relu_h(np.abs(H)).message
    assert lesson01.relu_h(...).state == NOT_DONE
    assert lesson01.relu_h([[11, 5, 8, 8, 5], ..., ..., ...]).state == NOT_DONE


def test_y_cell():
    assert lesson01.y_cell(Y_3_3)
    assert lesson01.y_cell(np.int64(-2))
    assert "used H instead of ReLU(H)" in lesson01.y_cell(-6).message  # -3+2-4-1
    assert "left out the bias b2" in lesson01.y_cell(-1).message  # -3+2+0
    assert "You entered 3" in lesson01.y_cell(3).message
    assert lesson01.y_cell(...).state == NOT_DONE


# ------------------------------------------------------------------ lesson 01, code


def test_attention_weighting():
    assert lesson01.attention_weighting(lambda X, A: X @ A)
    r = lesson01.attention_weighting(lambda X, A: (X @ A).T)
    assert "transpose of your answer would be right" in r.message and "the sheet example" in r.message
    r = lesson01.attention_weighting(lambda X, A: X @ A.T)
    assert "used Aᵀ" in r.message
    r = lesson01.attention_weighting(lambda X, A: A @ X)  # (5, 5) @ (3, 5) cannot be multiplied
    assert "raised ValueError" in r.message and "on the sheet example" in r.message
    hard_coded = np.array([[11, 6, 7, 7, 5], [1, 2, 3, 3, 3], [1, 2, 0, 0, 1]])
    r = lesson01.attention_weighting(lambda X, A: hard_coded)
    assert "right on the sheet example but not on random case" in r.message
    assert lesson01.attention_weighting(_not_implemented).state == NOT_DONE
    assert lesson01.attention_weighting(...).state == NOT_DONE
    assert lesson01.attention_weighting(lambda X, A: ...).state == NOT_DONE


def test_ffn_layer():
    assert lesson01.ffn_layer(lambda Z, W, b: W @ Z + b[:, None])
    assert lesson01.ffn_layer(lambda Z, W, b: (Z.T @ W.T + b).T)  # the same in tokens-as-rows
    assert "left out the bias" in lesson01.ffn_layer(lambda Z, W, b: W @ Z).message
    assert "ReLU" in lesson01.ffn_layer(lambda Z, W, b: np.maximum(W @ Z + b[:, None], 0)).message
    r = lesson01.ffn_layer(lambda Z, W, b: W @ Z + b)  # (4, 5) + (4,) does not broadcast
    assert "raised ValueError" in r.message and "broadcast" in r.message
    r = lesson01.ffn_layer(lambda Z, W, b: Z.T @ W.T + b)
    assert "transpose of your answer would be right" in r.message
    r = lesson01.ffn_layer(lambda Z, W, b: None)
    assert "returned None" in r.message and "return" in r.message
    assert lesson01.ffn_layer(_not_implemented).state == NOT_DONE


def test_sheet_tokens_as_rows():
    from helpers import ffn

    def good(X, A, W1, b1, W2, b2):
        return ffn(A.T @ X.T, W1, b1, W2, b2)

    assert lesson01.sheet_tokens_as_rows(good)
    r = lesson01.sheet_tokens_as_rows(lambda X, A, W1, b1, W2, b2: good(X, A, W1, b1, W2, b2).T)
    assert "transpose of your answer would be right" in r.message

    def no_relu(X, A, W1, b1, W2, b2):
        z = (X @ A).T
        return (z @ W1.T + b1) @ W2.T + b2

    assert "forgot the ReLU" in lesson01.sheet_tokens_as_rows(no_relu).message

    def a_not_transposed(X, A, W1, b1, W2, b2):
        return ffn(A @ X.T, W1, b1, W2, b2)

    assert "needs its transpose" in lesson01.sheet_tokens_as_rows(a_not_transposed).message
    r = lesson01.sheet_tokens_as_rows(lambda *args: Y.T)  # hard-coded sheet answer
    assert "right on the sheet example but not on random case 1" in r.message
    assert lesson01.sheet_tokens_as_rows(_not_implemented).state == NOT_DONE


VALUE_CHECKS = [lesson01.h_column, lesson01.relu_h, lesson01.y_cell]
FUNCTION_CHECKS = [lesson01.attention_weighting, lesson01.ffn_layer, lesson01.sheet_tokens_as_rows]


@pytest.mark.parametrize("garbage", GARBAGE, ids=range(len(GARBAGE)))
def test_lesson01_checks_survive_garbage(garbage):
    results = [lesson01.z_cells(garbage, garbage, garbage)]
    results += [check(garbage) for check in VALUE_CHECKS + FUNCTION_CHECKS]
    for r in results:
        assert not r and r.state in (NOT_DONE, INCORRECT), r


@pytest.mark.parametrize("check", FUNCTION_CHECKS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("fn", [_raises, lambda *a: "a string", lambda *a: [[1, 2], [3]],
                                lambda *a: np.full((3, 5), np.nan), lambda *a: 1 / 0, lambda *a: {},
                                lambda: 1, lambda *a: ...],
                         ids=["raises", "string", "ragged", "nan", "zerodiv", "dict", "no-args", "ellipsis"])
def test_function_checks_survive_bad_functions(check, fn):
    r = check(fn)
    assert not r and r.state in (NOT_DONE, INCORRECT)
    if fn is _raises:
        assert "raised RuntimeError: boom" in r.message


# ------------------------------------------------------------------ progress


def test_progress_lists_every_exercise_once(capsys):
    lesson01.start()
    lesson01.z_cells(*Z_CELLS)
    lesson01.relu_h(H)
    lesson01.relu_h(H)  # re-running a check updates its row, never adds one
    lesson01.y_cell(...)
    capsys.readouterr()
    checks.progress()
    out = capsys.readouterr().out
    states = checks.states()
    assert list(states)[:len(lesson01.EXERCISES)] == list(lesson01.EXERCISES)
    assert states["Z cells"] == CORRECT and states["ReLU(H)"] == INCORRECT and states["A cell of Y"] == NOT_DONE
    assert out.count("ReLU(H)") == 1
    assert "✅ 1. Z cells" in out and "❌ 4. ReLU(H)" in out and "⬜ 5. A cell of Y" in out
    assert "⬜ 2. Z on the fillable sheet" in out


# ------------------------------------------------------------------ the fillable sheet in exercise 01


def test_z_sheet_counts_in_progress_and_types_a_matrix(capsys):
    lesson01.start()
    sheet_widget = lesson01.z_sheet(...)  # untouched: nothing typed
    assert sheet_widget.state == NOT_DONE and checks.states()["Z on the fillable sheet"] == NOT_DONE
    sheet_widget.type(0, 0, "11")  # Z[1,1] = 5 + 6
    sheet_widget.type(0, 1, "7")   # Z[1,2] = 6 + 0 = 6, so 7 is wrong
    assert checks.states()["Z on the fillable sheet"] == INCORRECT
    # the whole matrix typed from code: Z = pair sums of X's columns, worked by hand
    full = lesson01.z_sheet([[11, 6, 7, 7, 5], [1, 2, 3, 3, 3], [1, 2, 0, 0, 1]])
    assert full.state == CORRECT and checks.states()["Z on the fillable sheet"] == CORRECT


@pytest.mark.parametrize("garbage", [None, "abc", [[1, 2], [3]], [[1, 2, 3]], float("nan")])
def test_z_sheet_never_raises_on_garbage(garbage, capsys):
    w = lesson01.z_sheet(garbage)
    out = capsys.readouterr().out
    assert w.state == NOT_DONE or w.state == INCORRECT
    assert "Traceback" not in out
