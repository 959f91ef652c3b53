"""The widgets' logic, driven from Python as a learner's clicks would drive it.

Expected numbers come from hand arithmetic written here, not from the widgets."""

import math
import re

import numpy as np
import pytest

from helpers import lesson01 as sheet
from helpers import widgets as w


@pytest.fixture
def reported():
    """The states the sheet reported through its on_state callback, in order."""
    return []


@pytest.fixture
def z_sheet(reported):
    return w.fillable_product(
        sheet.X, sheet.A, roles=("input", "attention", "output"), symbol="Z", name="test: Z",
        left_labels=(sheet.FEATURES, sheet.POSITIONS), right_labels=(sheet.POSITIONS, sheet.OUT_POSITIONS),
        on_state=reported.append,
    )


def test_fillable_sheet_colours_each_cell_as_it_is_typed(z_sheet):
    # Z[1,1] = 5·1 + 6·1 + 0·0 + 7·0 + 0·0 = 11 (first row of X, first column of A)
    z_sheet.type(0, 0, "11")
    assert z_sheet.cell_state(0, 0) == "right"
    assert z_sheet.boxes[0, 0].style.background == w.RIGHT_FILL
    # Z[1,2] = 6 + 0 = 6, so 5 is wrong
    z_sheet.type(0, 1, "5")
    assert z_sheet.cell_state(0, 1) == "wrong"
    assert z_sheet.boxes[0, 1].style.background == w.WRONG_FILL
    assert "1 of 15 right, 1 wrong" in z_sheet.status.value
    # fixing it turns it green; clearing it makes it plain again
    z_sheet.type(0, 1, "6")
    assert z_sheet.boxes[0, 1].style.background == w.RIGHT_FILL
    z_sheet.type(0, 1, "")
    assert z_sheet.boxes[0, 1].style.background == w.EMPTY_FILL


def test_fillable_sheet_accepts_a_typographic_minus_and_rejects_text():
    f = w.fillable_product([[1, -1]], [[0], [3]], symbol="y", name="test: minus")  # 1·0 + (-1)·3 = -3
    f.type(0, 0, "−3")
    assert f.cell_state(0, 0) == "right"
    f.type(0, 0, "minus three")
    assert f.cell_state(0, 0) == "wrong"


def test_fillable_sheet_reports_its_state_through_the_callback(z_sheet, reported):
    assert z_sheet.state == "not done"
    z_sheet.type(2, 4, "0")  # Z[3,5] = X[3,5] + X[3,1] = 1 + 0 = 1, so 0 is wrong
    assert reported[-1] == "incorrect"
    expected = [[11, 6, 7, 7, 5], [1, 2, 3, 3, 3], [1, 2, 0, 0, 1]]  # pair sums, by hand
    for i in range(3):
        for j in range(5):
            z_sheet.type(i, j, str(expected[i][j]))
    assert z_sheet.state == "correct"
    assert reported[-1] == "correct"
    assert "All right!" in z_sheet.status.value


def test_hint_shows_row_column_and_arithmetic_with_one_term_missing(z_sheet):
    text = z_sheet.hint_text(0, 0)
    # 5·1 + 6·1 + 0·0 + 7·0 + 0·0: the last non-zero term (6·1) is left for the learner
    assert text == "Z[1,1] = 5·1 + □·□ + 0·0 + 7·0 + 0·0 = ?"
    html = z_sheet.hint(0, 0)
    assert "□·□" in html and "11" not in text


def test_reveal_fills_the_chosen_cell(z_sheet):
    z_sheet.choice.value = (1, 3)  # Z[2,4] = X[2,4] + X[2,5] = 1 + 2 = 3
    z_sheet.reveal()
    assert z_sheet.boxes[1, 3].value == "3"
    assert z_sheet.cell_state(1, 3) == "right"
    assert z_sheet.boxes[1, 3].style.background == w.REVEALED_FILL
    assert "1 revealed" in z_sheet.status.value


def test_fillable_sheet_with_bias_and_given_cells():
    # H = W1·Z + b1; only the first column blank. H[1,1] = 1·11 + 0·1 + (-1)·1 + 1 = 11
    blanks = np.zeros((4, 5), bool)
    blanks[:, 0] = True
    f = w.fillable_product(sheet.W1, sheet.Z, bias=sheet.b1, blanks=blanks, symbol="H", name="test: H")
    assert set(f.boxes) == {(i, 0) for i in range(4)}
    f.type(0, 0, "11")
    assert f.cell_state(0, 0) == "right"
    assert f.cell_state(0, 1) == "given"
    assert f.hint_text(0, 0).endswith("+ 1·1 = ?")
    with pytest.raises(ValueError, match="blanks"):
        w.fillable_product(sheet.W1, sheet.Z, blanks=np.ones((2, 2), bool))


def test_attention_explorer_recomputes_z_when_a_cell_of_a_toggles():
    ex = w.attention_explorer(sheet.X, sheet.A, sheet.POSITIONS, sheet.FEATURES)
    assert ex.Z[0].tolist() == [11, 6, 7, 7, 5]
    ex.toggle(0, 0)  # X1 no longer feeds Z1: Z[1,1] = 11 - 5 = 6
    assert ex.Z[0, 0] == 6
    assert ex.toggles[0, 0].description == "0"
    assert re.search(r">6<", ex.output_html)
    ex.toggle(2, 0)  # X3 now feeds Z1: Z[:,1] = X2 + X3 = (6+0, 0+2, 1+1)
    assert ex.Z[:, 0].tolist() == [6, 2, 2]


def test_softmax_explorer_temperature_sharpens_and_flattens():
    ex = w.softmax_explorer([2.0, 1.0, 0.0], ["a", "b", "c"])
    # T = 1: e^2 / (e^2 + e + 1)
    assert ex.weights[0] == pytest.approx(math.e**2 / (math.e**2 + math.e + 1))
    ex.slider.value = 0.5  # scores / 0.5 = (4, 2, 0): sharper
    assert ex.weights[0] == pytest.approx(math.e**4 / (math.e**4 + math.e**2 + 1))
    assert f"{ex.weights[0]:.2f}" in ex.output_html
    ex.slider.value = 16  # (0.125, 0.0625, 0): nearly flat
    assert ex.weights.max() - ex.weights.min() < 0.05


def test_causal_mask_explorer_hides_the_future_only_when_on():
    scores = np.zeros((3, 3))
    ex = w.causal_mask_explorer(scores, ["la", "bola", "es"])
    # equal scores: row t spreads evenly over positions 0..t
    assert np.allclose(ex.weights, [[1, 0, 0], [1 / 2, 1 / 2, 0], [1 / 3, 1 / 3, 1 / 3]])
    assert "0.50" in ex.output_html
    ex.checkbox.value = False
    assert np.allclose(ex.weights, 1 / 3)
    assert "0.50" not in ex.output_html


def test_head_explorer_switches_heads():
    weights = np.stack([np.eye(3), np.full((3, 3), 1 / 3)])
    ex = w.head_explorer(weights, ["a", "b", "c"])
    assert "1.00" in ex.output_html and "head 1" in ex.output_html
    ex.selector.value = 1
    assert "1.00" not in ex.output_html and "0.33" in ex.output_html and "head 2" in ex.output_html


def test_position_explorer_follows_the_formula():
    ex = w.position_explorer(n=20, d_model=8)
    ex.pos.value, ex.dim.value = 5, 3
    # dimension 3 is odd: cos(5 / 10000^(2/8)) = cos(5 / 10)
    assert ex.vector[3] == pytest.approx(math.cos(0.5))
    assert f"{math.cos(0.5):.3f}" in ex.output_html
    ex.dim.value = 0  # sin(5 / 1)
    assert f"{math.sin(5):.3f}" in ex.output_html and "sin wave" in ex.output_html


def test_widgets_have_short_deterministic_text_forms():
    assert repr(w.softmax_explorer([1, 2])) == "<explorer: softmax(scores / T) (run the notebook to use it)>"


# ---------------------------------------------------------------- the sheets in exercises 03 and 04


def test_exercise_03_sheet_accepts_the_scores_and_marks_a_slip(capsys):
    from helpers import lesson03
    from helpers.checks import lesson03 as check03

    # the cat walks ...: cat = (2, 1, 0), walks = (3, 1, 0) -> cat·walks = 2·3 + 1·1 + 0·0 = 7
    X = np.asarray(lesson03.SENTENCE_X)
    right = check03.sentence_sheet(X @ X.T)
    assert right.state == "correct" and "✅" in capsys.readouterr().out
    assert right.expected[1, 2] == 7
    slip = (X @ X.T).copy()
    slip[1, 2] = 8  # one cell off
    wrong = check03.sentence_sheet(slip)
    assert wrong.state == "incorrect" and wrong.cell_state(1, 2) == "wrong" and wrong.cell_state(1, 1) == "right"
    assert "1 of 36 cells is wrong: W′[2,3] (red on the sheet below)" in capsys.readouterr().out


def test_exercise_04_sheet_has_only_two_blank_rows_and_sees_a_transpose(capsys):
    from helpers import lesson04, linear
    from helpers.checks import lesson04 as check04

    words, X = lesson04.sentence(lesson04.CAT)
    S = linear(X, lesson04.W_Q) @ linear(X, lesson04.W_K).T
    sheet = check04.scores_sheet(...)
    assert sorted({i for i, _ in sheet.boxes}) == [2, 5]  # cat and milk
    assert check04.scores_sheet(S).state == "correct"
    # S is not symmetric: milk·drank = 6 but drank·milk = 3, so typing Sᵀ is wrong
    assert S[5, 3] == 6 and S[3, 5] == 3
    capsys.readouterr()
    transposed = check04.scores_sheet(S.T)
    assert transposed.state == "incorrect"
    out = capsys.readouterr().out
    verdicts = [line for line in out.splitlines() if line[:1] in "⬜✅❌👁"]
    assert verdicts == ["❌ rows of S (sheet): not quite. It is the transpose of the right answer: "
                        "swap rows and columns (.T)."], out
    assert out.count("transpose") == 1


@pytest.mark.parametrize("garbage", [None, "abc", [[1, 2], [3]], np.full((6, 6), np.nan), 3.5])
def test_sheets_never_raise(garbage, capsys):
    from helpers.checks import lesson03 as check03
    from helpers.checks import lesson04 as check04

    for make in (check03.sentence_sheet, check04.scores_sheet):
        w = make(garbage)
        assert w.state in ("not done", "incorrect")
    assert "Traceback" not in capsys.readouterr().out


# ---------------------------------------------------------------- the sheet as an exercise: revealed, code line, graded


def test_reveal_makes_the_sheet_revealed_never_correct(z_sheet, reported):
    expected = [[11, 6, 7, 7, 5], [1, 2, 3, 3, 3], [1, 2, 0, 0, 1]]  # pair sums, by hand
    for i in range(3):
        for j in range(5):
            if (i, j) != (1, 3):
                z_sheet.type(i, j, str(expected[i][j]))
    z_sheet.reveal(1, 3)  # the last box, by the button
    assert z_sheet.state == "revealed" and reported[-1] == "revealed"
    assert "1 revealed" in z_sheet.status.value and "All right!" not in z_sheet.status.value


def test_reveal_on_every_box_counts_as_revealed_in_progress(capsys):
    from helpers.checks import REVEALED, states
    from helpers.checks import lesson01 as check01

    check01.start()
    widget = check01.z_sheet(...)
    widget.reveal_all()
    assert widget.state == "revealed" and states()["Z on the fillable sheet"] == REVEALED
    check01.z_sheet(...)  # leave the exercise not done for the other tests in this process


def test_the_code_line_under_the_boxes_follows_the_typing():
    f = w.fillable_product(sheet.X, sheet.A, symbol="Z", name="test: code", answer_name="Z_typed")
    empty_row = "[..., ..., ..., ..., ...]"
    assert f.code_line() == f"Z_typed = [{empty_row}, {empty_row}, {empty_row}]"
    f.type(0, 0, "11")
    f.type(0, 1, "−6")  # a typographic minus, as a learner may type it
    f.type(2, 4, "one")
    assert f.code_line() == ("Z_typed = [[11, -6, ..., ..., ...], [..., ..., ..., ..., ...], "
                             "[..., ..., ..., ..., 'one']]")
    assert "paste this line into the answer cell: this line is what gets graded" in f.code.value
    assert "Z_typed = [[11, -6, ..., ..., ...]" in f.code.value


def test_the_code_line_shows_the_given_cells():
    blanks = np.zeros((4, 5), bool)
    blanks[:, 0] = True
    f = w.fillable_product(sheet.W1, sheet.Z, bias=sheet.b1, blanks=blanks, symbol="H", answer_name="H_typed")
    f.type(0, 0, "11")  # H[1,1] = 11; the other columns are given: H's row 1 is 11, 5, 8, 8, 5
    assert f.code_line().startswith("H_typed = [[11, 5, 8, 8, 5], [..., 4, 3, 3, 4],")


def test_the_sheet_is_graded_on_its_answer_and_shows_it_in_the_boxes(capsys):
    from helpers.checks import CORRECT, INCORRECT, fillable_sheet, states

    left, right = np.array([[1, 2], [0, 1]]), np.array([[1, 0], [1, 1]])  # product [[3, 2], [1, 1]], not symmetric
    sheet_ = fillable_sheet("t sheet", left, right, [[3, 2], [1, 1]], answer_name="P_typed", symbol="P")
    assert sheet_.state == CORRECT and states()["t sheet"] == CORRECT
    assert capsys.readouterr().out == "✅ t sheet: correct: every box is green.\n"
    wrong = fillable_sheet("t sheet", left, right, [[3, 2], [1, 5]], answer_name="P_typed", symbol="P",
                           hint="row 2 of left times column 2 of right")
    out = capsys.readouterr().out
    assert states()["t sheet"] == INCORRECT and wrong.cell_state(1, 1) == "wrong"
    assert out.splitlines() == [
        "❌ t sheet: not quite. 1 of 4 cells is wrong: P[2,2] (red on the sheet below).",
        "   Hint: row 2 of left times column 2 of right",
        "   To see the answer: add show=True to this check (it then counts as revealed)."]
    assert wrong.code_line() == "P_typed = [[3, 2], [1, 5]]"


def test_the_sheet_with_show_reveals_every_box_and_prints_the_answer(capsys):
    from helpers.checks import REVEALED, fillable_sheet, states

    left, right = np.array([[1, 2], [0, 1]]), np.array([[1, 0], [1, 1]])
    shown = fillable_sheet("t sheet shown", left, right, answer_name="P_typed", show=True)
    out = capsys.readouterr().out
    assert shown.state == "revealed" and states()["t sheet shown"] == REVEALED
    assert "   Answer: P_typed = [[3, 2], [1, 1]]" in out


def test_a_partly_pasted_line_is_not_done_and_fills_what_it_has(capsys):
    from helpers.checks import NOT_DONE, fillable_sheet, states

    left, right = np.array([[1, 2], [0, 1]]), np.array([[1, 0], [1, 1]])
    part = fillable_sheet("t sheet part", left, right, [[3, ...], [..., ...]], answer_name="P_typed")
    assert states()["t sheet part"] == NOT_DONE and part.cell_state(0, 0) == "right"
    assert "not done yet" in capsys.readouterr().out
