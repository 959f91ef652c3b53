"""Checks of by-hand answers: check_value (exact integers, floats to 1e-6) and check_close."""

from __future__ import annotations

import numpy as np

from .diagnosis import diagnose, is_exact, same
from .drawing import MARKED, mark_note, marked_grid
from .reading import Unreadable, contains_ellipsis, is_empty, read_numbers, warnings_off
from .results import MARKS, NOT_DONE, correct, finish, incorrect, internal_error


def _not_done_value(answer, cell_names):
    """A not-done message, or None when the answer has been entered."""
    if answer is Ellipsis:
        return "not done yet — replace the ... with your answer."
    if is_empty(answer):
        return "not done yet — nothing entered: type your answer in the cell above."
    if contains_ellipsis(answer):
        if cell_names is not None and isinstance(answer, (list, tuple)) and len(answer) == len(cell_names):
            missing = [str(n) for n, v in zip(cell_names, answer) if v is Ellipsis or contains_ellipsis(v)]
            if missing:
                return f"not done yet — {', '.join(missing)} {'is' if len(missing) == 1 else 'are'} still ... ."
        return "not done yet — some cells are still ... : fill them all in."
    return None


def check_value(name, answer, expected, *, hint=None, labels=None, slips=None, symbol=None,
                cell_names=None, note=None):
    """Check a by-hand answer (number, row or matrix). See the package docstring (helpers.checks)."""
    name = str(name)
    try:
        waiting = _not_done_value(answer, cell_names)
        if waiting:
            return finish(name, NOT_DONE, f"{MARKS[NOT_DONE]} {name}: {waiting}")
        exp = np.asarray(expected)
        try:
            ans = read_numbers(answer)
        except Unreadable as why:
            return incorrect(name, f"{str(why)[0].upper()}{str(why)[1:]}.", hint)
        exact = is_exact(exp)
        if same(ans, exp, exact) or (ans.shape != exp.shape and np.squeeze(ans).shape == np.squeeze(exp).shape
                                      and same(ans.reshape(exp.shape), exp, exact)):
            return correct(name, note)
        text, marks = diagnose(ans, exp, slips=slips, symbol=symbol, cell_names=cell_names, labels=labels)
        drawing = None
        if marks is not None and marks.ndim >= 1 and marks.size > 1:
            drawing = marked_grid(ans.reshape(exp.shape), marks, labels, f"{name}: your answer, wrong cells marked")
            text = mark_note(text, drawing)
        return incorrect(name, text.replace(MARKED, ""), hint, drawing)
    except Exception as err:  # noqa: BLE001 - a check never raises
        return internal_error(name, err)


def _loosen(answer, expected, slips, tol):
    """expected (and each slip) with every cell within tol of the answer replaced by the
    answer's own value, so that check_value accepts rounded by-hand numbers and still
    names the cells that are really wrong.

    Returns expected and slips unchanged when the answer is not a plain array of numbers
    of expected's shape, so that check_value diagnoses it (not done, text, ragged, ...).
    """
    exp = np.asarray(expected, dtype=float)
    if answer is Ellipsis or contains_ellipsis(answer) or isinstance(answer, (str, bytes)):
        return exp, slips
    try:
        with warnings_off():
            ans = np.asarray(answer, dtype=float)
    except (TypeError, ValueError, OverflowError):
        return exp, slips
    if ans.shape != exp.shape and np.squeeze(ans).shape == np.squeeze(exp).shape:
        ans = ans.reshape(exp.shape)
    if ans.shape != exp.shape:
        return exp, slips
    with warnings_off():
        loose = np.where(np.abs(ans - exp) <= tol, ans, exp)
        loose_slips = {}
        for text, slip in (slips or {}).items():
            s = np.asarray(slip, dtype=float)
            loose_slips[text] = np.where(np.abs(ans - s) <= tol, ans, s) if s.shape == exp.shape else s
    return loose, loose_slips


def check_close(name, answer, expected, *, tol=0.01, **kwargs):
    """check_value for answers worked out by hand with rounding: a cell counts as right
    when it is within tol (default 0.01) of the exact value, so 0.42 is accepted for
    0.4223. Slips are recognised with the same tolerance. Never raises."""
    try:
        expected, slips = _loosen(answer, expected, kwargs.pop("slips", None), tol)
        return check_value(name, answer, expected, slips=slips, **kwargs)
    except Exception as err:  # noqa: BLE001 - a check never raises
        return internal_error(str(name), err)


def snap_to_2_decimals(answer, exact, tol=0.006):
    """A by-hand answer typed with 2 decimals: every cell within tol of the exact value
    becomes the exact value rounded to 2 decimals, so that check_value compares like with
    like. Anything unreadable is returned unchanged (check_value then explains it).

    Used by the checks of lessons 06, 07 and 09."""
    try:
        exact = np.asarray(exact, dtype=float)
        arr = np.asarray(answer, dtype=float)
        if arr.shape != exact.shape:
            return answer
        close = np.abs(arr - exact) <= tol
        return np.where(close, np.round(exact, 2), arr)
    except Exception:  # noqa: BLE001 - garbage: leave it to check_value's diagnosis
        return answer
