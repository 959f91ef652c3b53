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
    # a slip is named only when it is the whole answer: here only the wrong cells are named
    assert "3 of 20 cells are wrong: R[3,1], R[3,2], R[4,3]" in r.message and "It looks like" not in r.message
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
    assert "it looks like you computed A·X" in r.message
    assert "\n   numpy said: ValueError: matmul" in r.message
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
    assert "raised ValueError" in r.message and "it looks like you" in r.message
    assert "\n   numpy said: ValueError: operands could not be broadcast" in r.message
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


def _fresh_lesson01():
    """lesson01 started with every exercise not done (states persist in a kernel, and across tests)."""
    lesson01.start()
    for name in lesson01.EXERCISES:
        checks.record(name, NOT_DONE)


def test_progress_lists_every_exercise_once(capsys):
    _fresh_lesson01()
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


# ------------------------------------------------------------------ slips: named only when they explain the answer


def test_a_by_hand_answer_matched_by_two_slips_gets_no_cause():
    # 4·8·64·64 = 131072 = 4·64·512: two slips, one number; neither is the cause
    slips = {"counted one head's slice (64 × 512)": 4 * 64 * 512, "counted 8 heads of 64 × 64": 4 * 8 * 64 * 64}
    r = checks.check_value("t two slips", 131072, 4 * 512 * 512, slips=slips)
    assert r.state == INCORRECT and "You entered 131072" in r.message and "It looks like" not in r.message
    # with one of them alone the same answer is explained
    one = {"counted 8 heads of 64 × 64": 4 * 8 * 64 * 64}
    r = checks.check_value("t one slip", 131072, 4 * 512 * 512, slips=one)
    assert "It looks like you counted 8 heads" in r.message


def test_a_by_hand_slip_must_explain_every_cell():
    # H = [11, 2, -1, 0] (see H_COL_1); "left out b1" gives [10, 2, 0, 1]. [10, 2, -1, 0] has only the
    # first cell of that slip: the old "every wrong cell holds the slip's value" rule named it, now not.
    slips = {"left out the bias b1": [10, 2, 0, 1]}
    r = checks.check_value("t partial slip", [10, 2, -1, 0], H_COL_1, slips=slips, cell_names=["H1", "H2", "H3", "H4"])
    assert "1 of 4 cells is wrong: H1" in r.message and "It looks like" not in r.message


def _cosine(a, b):
    return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))


# case 1: |a| = |b| = 5, so a·b/|a|·|b| = a·b there: the learner's slip and "the dot product" agree.
# case 2: |a| = 1, |b| = √8: they differ (a·b = 2, but 2/1·√8 = 5.66).
COSINE_CASES = {"equal lengths": (np.array([3.0, 4.0]), np.array([4.0, 3.0])),
                "unequal lengths": (np.array([1.0, 0.0]), np.array([2.0, 2.0]))}
DOT = {"returned the dot product, without dividing by the lengths": lambda a, b: float(a @ b)}


def test_a_code_slip_that_matches_only_on_the_first_case_is_not_named():
    def precedence_slip(a, b):
        return a @ b / np.linalg.norm(a) * np.linalg.norm(b)  # divides by |a|, then multiplies by |b|

    r = checks.check_function("t cos", precedence_slip, _cosine, COSINE_CASES, slips=DOT)
    # 3·4 + 4·3 = 24 on the first case: equal to the dot product, but that is a coincidence
    assert r.state == INCORRECT and "On equal lengths, you entered 24" in r.message
    assert "dot product" not in r.message


def test_a_code_slip_confirmed_on_a_second_distinguishing_case_is_named():
    r = checks.check_function("t cos", lambda a, b: a @ b, _cosine, COSINE_CASES, slips=DOT)
    assert "On equal lengths, it looks like you returned the dot product" in r.message


def test_two_code_slips_that_always_agree_are_not_named():
    same_twice = {"returned the dot product": lambda a, b: float(a @ b),
                  "summed a * b": lambda a, b: float((a * b).sum())}
    r = checks.check_function("t cos", lambda a, b: a @ b, _cosine, COSINE_CASES, slips=same_twice)
    assert r.state == INCORRECT and "It looks like" not in r.message and "looks like" not in r.message


def test_a_code_slip_that_only_matches_where_it_equals_the_reference_is_not_confirmed():
    # a slip that differs from the reference only on the first case cannot be confirmed later
    cases = {"first": (np.array([3.0]),), "second": (np.array([0.0]),)}
    slips = {"squared it": lambda x: x ** 2}  # 9 (not 6) on the first case, 0 = the reference on the second
    r = checks.check_function("t square", lambda x: x ** 2, lambda x: 2 * x, cases, slips=slips)
    assert r.state == INCORRECT and "It looks like" not in r.message and "looks like" not in r.message


# The sheet: X (3, 5), A (5, 5). A @ X cannot be multiplied: (5, 5) @ (3, 5).
ORDER_CASES = {"the sheet example": (np.array([[5, 6, 0, 7, 0], [1, 0, 2, 1, 2], [0, 1, 1, -1, 1]]),
                                     np.eye(5, dtype=int))}
ORDER_SLIPS = {"computed A·X: the order matters, Z = X·A": lambda X, A: A @ X,
               "used Aᵀ instead of A": lambda X, A: X @ A.T}


def test_an_order_slip_that_raises_is_named_with_numpys_message_below():
    r = checks.check_function("t order", lambda X, A: A @ X, lambda X, A: X @ A, ORDER_CASES, slips=ORDER_SLIPS)
    first, numpy_line = r.message.splitlines()[:2]
    assert "raised ValueError" in first and "(on the sheet example)" in first
    assert "it looks like you computed A·X: the order matters, Z = X·A." in first
    assert numpy_line.startswith("   numpy said: ValueError: matmul: Input operand 1 has a mismatch")


def test_a_broadcast_slip_that_raises_is_named_with_numpys_message_below():
    Z, W, b = np.ones((3, 5), int), np.ones((4, 3), int), np.arange(4)  # W @ Z is (4, 5); b (4,) must be a column
    slips = {"added b as a row: b must be a column, b[:, None]": lambda Z_, W_, b_: W_ @ Z_ + b_,
             "left out the bias b": lambda Z_, W_, b_: W_ @ Z_}
    r = checks.check_function("t broadcast", lambda Z_, W_, b_: W_ @ Z_ + b_, lambda Z_, W_, b_: W_ @ Z_ + b_[:, None],
                              [(Z, W, b)], slips=slips)
    first, numpy_line = r.message.splitlines()[:2]
    assert "it looks like you added b as a row" in first
    assert numpy_line == "   numpy said: ValueError: operands could not be broadcast together with shapes (4,5) (4,)"


def test_an_error_raised_by_two_slips_names_neither():
    slips = dict(ORDER_SLIPS, **{"multiplied A by X, again": lambda X, A: A @ X})
    r = checks.check_function("t order", lambda X, A: A @ X, lambda X, A: X @ A, ORDER_CASES, slips=slips)
    assert "raised ValueError: matmul" in r.message and "looks like" not in r.message


# ------------------------------------------------------------------ square transposes


S_SQUARE = np.array([[1, 2], [3, 4]])  # not symmetric


def test_a_square_transpose_is_diagnosed_in_check_value():
    r = checks.check_value("t square T", S_SQUARE.T, S_SQUARE)
    assert "It is the transpose of the right answer: swap rows and columns (.T)." in r.message
    sym = np.array([[1, 2], [2, 1]])  # symmetric: its transpose is itself, so a wrong answer is just wrong cells
    assert "transpose" not in checks.check_value("t sym", [[1, 2], [2, 5]], sym).message


def test_a_square_transpose_is_diagnosed_in_check_function():
    Q, K = np.array([[1, 2], [0, 1]]), np.array([[1, 0], [1, 1]])  # Q Kᵀ = [[1, 3], [0, 1]], not symmetric
    r = checks.check_function("t scores", lambda Q_, K_: K_ @ Q_.T, lambda Q_, K_: Q_ @ K_.T, [(Q, K)])
    assert "On case 1, it is the transpose of the right answer: swap rows and columns (.T)." in r.message


# ------------------------------------------------------------------ forms: booleans, infinities, text, rounding


def test_booleans_count_as_0_and_1_where_the_answer_is_0_or_1():
    keep = np.tril(np.ones((4, 4), bool))  # the causal mask, as the course builds it
    assert checks.check_value("t bool mask", keep, keep.astype(int))
    assert checks.check_value("t bool for bool", keep, keep)
    r = checks.check_value("t bool wrong", keep.T, keep.astype(int))
    assert r.state == INCORRECT and "transpose" in r.message
    assert "True/False" in checks.check_value("t bool not 0/1", [True, False], [2, 0]).message
    assert checks.check_function("t bool fn", lambda n: np.tril(np.ones((n, n), bool)),
                                 lambda n: np.tril(np.ones((n, n), int)), [(3,), (4,)])


def test_minus_infinity_is_right_where_the_answer_has_it():
    masked = np.array([[1.0, -np.inf], [2.0, 3.0]])
    assert checks.check_value("t -inf", [[1, -np.inf], [2, 3]], masked)
    r = checks.check_value("t -inf and a wrong cell", [[1, -np.inf], [2, 4]], masked)
    assert "1 of 4 cells is wrong: row 2, column 2" in r.message and "not a number" not in r.message
    assert "1 of 4 cells is wrong: row 1, column 2" in checks.check_value("t -99", [[1, -99], [2, 3]], masked).message
    r = checks.check_value("t -inf where -99", [[1, -np.inf], [2, 3]], [[1, -99], [2, 3]])
    assert r.state == INCORRECT and "not a number" in r.message
    assert checks.check_close("t close -inf", [[1.001, -np.inf], [2, 3]], masked)
    assert checks.check_function("t fn -inf", lambda s: np.where(np.eye(2, dtype=bool), s, -np.inf),
                                 lambda s: np.where(np.eye(2, dtype=bool), s, -np.inf), [(masked,)])


@pytest.mark.parametrize("text", ["16", ["16"], [16, "1"], np.array(["16.00"]), np.array([16, "x"], dtype=object)])
def test_text_is_never_a_number(text):
    r = checks.check_value("t text", checks.snap_to_2_decimals(text, 16.0), 16.0)
    assert r.state == INCORRECT and "text" in r.message, r.message
    assert checks.check_close("t text close", text, 16.0).state == INCORRECT
    assert checks.check_function("t text fn", lambda: text, lambda: 16.0, [()]).state == INCORRECT


def test_check_close_says_round_to_n_decimals():
    exact = np.exp([2, 1, 0]) / np.exp([2, 1, 0]).sum()  # 0.665, 0.245, 0.090
    r = checks.check_close("t decimals", [0.7, 0.2, 0.1], exact, decimals=2)
    assert r.state == INCORRECT and "round to 2 decimals (you gave 1)" in r.message.lower()
    assert checks.check_close("t 2 decimals", [0.67, 0.24, 0.09], exact, decimals=2)
    r = checks.check_close("t none asked", [0.7, 0.2, 0.1], exact)
    assert r.state == INCORRECT and "Round to" not in r.message
    r = checks.check_close("t other slip", [0.5, 0.3, 0.2], exact, decimals=2)  # not a rounding of the answer
    assert r.state == INCORRECT and "Round to" not in r.message


# ------------------------------------------------------------------ the answer on request: show=True, REVEALED


def test_show_true_prints_the_answer_and_records_revealed(capsys):
    r = checks.check_value("t show", 11, 11, hint="add the two neighbours", answer="Z[1,1] = 5 + 6 = 11", show=True)
    out = capsys.readouterr().out
    assert r.state == checks.REVEALED and not r
    assert "✅ t show: correct." in out and "\n   Answer: Z[1,1] = 5 + 6 = 11\n" in out
    assert checks.states()["t show"] == checks.REVEALED
    r = checks.check_value("t show wrong", 12, 11, show=True)  # no answer= given: the expected value
    assert r.state == checks.REVEALED and "   Answer: 11" in r.message and "To see the answer" not in r.message


def test_a_wrong_answer_ends_with_how_to_see_the_answer(capsys):
    r = checks.check_value("t to see", 12, 11, hint="add the two neighbours")
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1] == "   To see the answer: add show=True to this check (it then counts as revealed)."
    assert lines[-2] == "   Hint: add the two neighbours" and r.message.endswith(lines[-1])
    assert "To see the answer" not in checks.check_value("t right", 11, 11).message
    assert "To see the answer" not in checks.check_value("t blank", ..., 11).message
    r = checks.check_function("t no answer", lambda x: x + 1, lambda x: x, [(1,)])  # no answer written: no line
    assert "To see the answer" not in r.message
    r = checks.check_function("t answer", lambda x: x + 1, lambda x: x, [(1,)], answer="return x", show=True)
    assert r.state == checks.REVEALED and "   Answer: return x" in r.message


def test_a_registered_check_takes_show(capsys):
    lesson01.start()
    r = lesson01.y_cell(Y_3_3, show=True)
    out = capsys.readouterr().out
    assert r.state == checks.REVEALED and "\n   Answer: " in out
    assert checks.states()["A cell of Y"] == checks.REVEALED
    assert lesson01.y_cell(Y_3_3).state == CORRECT  # run again without show: graded on the answer


def test_progress_counts_revealed_apart(capsys):
    _fresh_lesson01()
    capsys.readouterr()
    checks.progress()
    untouched = capsys.readouterr().out
    assert untouched.splitlines()[0] == "Exercises 01: 0 of 8 correct, 0 incorrect, 8 not done."
    assert "revealed" not in untouched
    lesson01.z_cells(*Z_CELLS)
    lesson01.y_cell(Y_3_3, show=True)
    lesson01.relu_h(H)
    capsys.readouterr()
    checks.progress()
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "Exercises 01: 1 of 8 correct, 1 incorrect, 1 revealed, 5 not done."
    assert "👁 5. A cell of Y" in out and "revealed" in out.splitlines()[5]
    assert "All done" not in out


# ------------------------------------------------------------------ grading mode (nbgrader)


@pytest.fixture
def grading(monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")


def test_grading_mode_raises_with_the_diagnosis(grading, capsys):
    with pytest.raises(AssertionError) as err:
        lesson01.relu_h(H)
    out = capsys.readouterr().out
    assert "It looks like you forgot the ReLU" in str(err.value) and "❌ ReLU(H)" in str(err.value)
    assert "It looks like you forgot the ReLU" in out  # the usual feedback is printed first
    assert "To see the answer" not in str(err.value)
    with pytest.raises(AssertionError, match="cells are wrong"):
        checks.check_value("t graded", [1, 5, 7], [1, 2, 3])


def test_grading_mode_does_not_raise_when_correct(grading):
    assert lesson01.relu_h(R) and lesson01.z_cells(*Z_CELLS)
    assert checks.check_close("t graded close", 0.42, 0.4223)
    assert lesson01.attention_weighting(lambda X, A: X @ A)


def test_grading_mode_raises_on_not_done_revealed_and_internal_errors(grading, monkeypatch):
    with pytest.raises(AssertionError, match="not done"):
        lesson01.z_cells(..., ..., ...)
    with pytest.raises(AssertionError, match="not done"):
        lesson01.attention_weighting(_not_implemented)
    with pytest.raises(AssertionError, match="revealed"):
        lesson01.z_cells(*Z_CELLS, show=True)
    with pytest.raises(AssertionError, match="could not read your answer"):
        checks.check_function("t internal", lambda x: x, _raises, [(1,)])
    with pytest.raises(AssertionError, match="raised RuntimeError: boom"):
        lesson01.ffn_layer(_raises)
    monkeypatch.setattr(lesson01, "Y", None)  # the lesson's own check breaks before reaching the engine
    with pytest.raises(AssertionError, match="could not read your answer"):
        lesson01.y_cell(Y_3_3)
    monkeypatch.setenv("NBGRADER_EXECUTION", "validate")
    with pytest.raises(AssertionError):
        checks.check_value("t validate", 3, 4)


def test_grading_mode_raises_on_the_fillable_sheet(grading, capsys):
    with pytest.raises(AssertionError, match="not done"):
        lesson01.z_sheet(...)
    with pytest.raises(AssertionError, match="transpose"):
        lesson01.z_sheet(np.array([[11, 6, 7, 7, 5], [1, 2, 3, 3, 3], [1, 2, 0, 0, 1]]).T)
    w = lesson01.z_sheet([[11, 6, 7, 7, 5], [1, 2, 3, 3, 3], [1, 2, 0, 0, 1]])
    assert w.state == CORRECT


def test_learning_mode_never_raises_even_when_the_lessons_check_breaks(monkeypatch, capsys):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    monkeypatch.setattr(lesson01, "Y", None)
    r = lesson01.y_cell(Y_3_3)
    assert r.state == INCORRECT and "could not read your answer" in r.message
