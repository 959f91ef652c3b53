"""An exercise on the fillable sheet: the widget's state counts in progress() like a check."""

from __future__ import annotations

import numpy as np

from .reading import Unreadable, contains_ellipsis, fmt, read_numbers
from .results import CORRECT, INCORRECT, MARKS, NOT_DONE, record


def fillable_sheet(name, left, right, answers=..., *, answer_name="answers", bias=None, **widget_kwargs):
    """An exercise on the fillable sheet: the product left @ right (+ bias) as boxes to type into.

    The boxes turn green or red as the learner types, and the sheet's state counts in
    progress() under `name`. `answers`, when it is not `...`, is the whole matrix typed
    into the boxes for the learner (for those who prefer to write it in code). Prints one
    line with the state, like every check, and returns the widget (shown when it ends a
    cell). Never raises on a bad `answers`: it says why the boxes stay empty.
    """
    from ..widgets import fillable_product  # ipywidgets: imported only for the sheet

    w = fillable_product(left, right, bias=bias, name=name,
                         on_state=lambda state: record(name, state), **widget_kwargs)
    if not contains_ellipsis(answers):
        try:
            typed = read_numbers(answers, answer_name)
            if typed.shape != w.expected.shape:
                raise Unreadable(f"{answer_name} has shape {typed.shape}, the sheet is {w.expected.shape}")
        except Unreadable as err:
            print(f"{MARKS[INCORRECT]} {name}: the boxes stay empty: {err}.")
        except Exception as err:  # noqa: BLE001 - a check never raises
            print(f"{MARKS[INCORRECT]} {name}: the boxes stay empty: the check could not read {answer_name} ({err}).")
        else:
            for (i, j), v in np.ndenumerate(typed):
                if (i, j) in w.boxes:
                    w.type(i, j, fmt(v))
    state = w.state
    text = {NOT_DONE: "not done yet — type your answers in the boxes; they turn green or red as you type.",
            CORRECT: "correct: every box is green.",
            INCORRECT: f"not quite: {w.status.value}. Fix the red boxes (try the hint button)."}[state]
    print(f"{MARKS[state]} {name}: {text}")
    return w
