"""An exercise on the fillable sheet: graded on its answer variable; the widget's boxes count in
progress() as the learner types (learning mode)."""

from __future__ import annotations

import numpy as np

from .diagnosis import diagnose, is_exact, same
from .drawing import MARKED
from .reading import Unreadable, contains_ellipsis, fmt, is_empty, read_numbers
from .results import (
    CORRECT,
    MARKS,
    NOT_DONE,
    finish,
    guarded,
    incorrect,
    internal_error,
    offer_answer,
    record,
    showing,
)

NOT_DONE_TEXT = "not done yet — type your answers in the boxes; they turn green or red as you type."
CORRECT_TEXT = "correct: every box is green."


@guarded
def fillable_sheet(name, left, right, answers=..., *, answer_name="answers", bias=None, hint=None, answer=None,
                   **widget_kwargs):
    """An exercise on the fillable sheet: the product left @ right (+ bias) as boxes to type into.

    Graded on `answers`, the matrix typed in the answer cell (nbgrader re-runs the notebook, so
    what lives only in the widget is gone when grading): not done while it holds `...`, else
    correct, or incorrect with check_value's diagnosis (transpose, wrong shape, wrong cells) in
    one line. The answer is typed into the boxes, so the widget shows it; under the boxes the
    widget shows the line of code `<answer_name> = [[...]]` holding what is typed, to paste into
    the answer cell. In learning mode the boxes count in progress() under `name` as the learner
    types (revealed boxes as revealed, never as correct).

    hint: printed after a wrong answer; answer: printed only with show=True (default: the line
    of code with the right matrix), which also reveals every box. Returns the widget (shown when
    it ends a cell). Never raises on a bad `answers`.
    """
    from ..widgets import fillable_product  # ipywidgets: imported only for the sheet

    name = str(name)
    w = fillable_product(left, right, bias=bias, name=name, answer_name=answer_name,
                         on_state=lambda state: record(name, state), **widget_kwargs)
    try:
        offer_answer(answer if answer is not None else f"{answer_name} = {_as_code(w.expected)}")
        _grade(name, w, answers, answer_name, hint)
    except Exception as err:  # noqa: BLE001 - a check never raises
        internal_error(name, err)
    return w


def _grade(name, w, answers, answer_name, hint):
    """Type answers into the boxes and print the verdict on answers (one line, then hint/answer)."""
    exp = np.asarray(w.expected)
    if answers is Ellipsis or is_empty(answers) or contains_ellipsis(answers):
        _type_what_is_there(w, answers)
        _reveal_if_asked(w)
        return finish(name, NOT_DONE, f"{MARKS[NOT_DONE]} {name}: {NOT_DONE_TEXT}")
    try:
        typed = read_numbers(answers, answer_name)
    except Unreadable as why:
        _reveal_if_asked(w)
        return incorrect(name, f"{why}; the boxes stay empty.", hint)
    if typed.shape != exp.shape and np.squeeze(typed).shape == np.squeeze(exp).shape:
        typed = typed.reshape(exp.shape)
    filled = typed.shape == exp.shape
    if filled:
        _type_cells(w, typed)
    exact = is_exact(exp)
    if same(typed, exp, exact):
        _reveal_if_asked(w)
        return finish(name, CORRECT, f"{MARKS[CORRECT]} {name}: {CORRECT_TEXT}")
    text, _ = diagnose(typed, exp, slips=None, symbol=w.symbol, cell_names=None, labels=None, what=answer_name)
    text = (text or "").replace(MARKED, " (red on the sheet below)" if filled else "")
    _reveal_if_asked(w)
    return incorrect(name, text if filled else f"{text} The boxes stay empty.", hint)


def _type_cells(w, typed):
    for (i, j), v in np.ndenumerate(typed):
        if (i, j) in w.boxes:
            w.type(i, j, fmt(v))


def _type_what_is_there(w, answers):
    """A line pasted with some `...` left: type its numbers into the boxes, leave the rest empty."""
    try:
        rows = list(answers)
        for i, row in enumerate(rows):
            for j, v in enumerate(list(row)):
                if (i, j) in w.boxes and v is not Ellipsis and not isinstance(v, (str, bytes)):
                    w.type(i, j, fmt(float(v)))
    except Exception:  # noqa: BLE001 - only a convenience: the verdict is "not done" anyway
        pass


def _reveal_if_asked(w):
    if showing():
        w.reveal_all()


def _as_code(matrix):
    """[[11, 6, 7], [1, 2, 3]] as a learner would type it."""
    return "[" + ", ".join("[" + ", ".join(fmt(v) for v in row) + "]" for row in np.asarray(matrix)) + "]"

