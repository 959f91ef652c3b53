"""Checks of by-hand answers: check_value (exact integers, floats to 1e-6) and check_close."""

from __future__ import annotations

import numpy as np

from .diagnosis import diagnose, is_exact, same
from .drawing import MARKED, mark_note, marked_grid
from .reading import Unreadable, array_text, contains_ellipsis, fmt, is_empty, read_numbers, warnings_off, zero_one
from .results import MARKS, NOT_DONE, correct, finish, guarded, incorrect, internal_error, offer_answer


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


def answer_text(expected, cell_names=None):
    """The right answer as a learner would type it: `11`, `[11, 2, -1, 0]`, or `Z_1_1 = 11, ...`."""
    exp = np.asarray(expected)
    if cell_names is not None and exp.ndim == 1 and len(cell_names) == exp.size:
        return ", ".join(f"{n} = {fmt(v)}" for n, v in zip(cell_names, exp))
    return fmt(exp) if exp.ndim == 0 else array_text(exp)


def _check_value(name, given, expected, *, hint=None, labels=None, slips=None, symbol=None,
                 cell_names=None, note=None, answer=None, extra=None):
    """check_value; extra: a sentence added to the diagnosis of a wrong answer (check_close's rounding)."""
    name = str(name)
    try:
        exp = np.asarray(expected)
        offer_answer(answer if answer is not None else answer_text(exp, cell_names))
        waiting = _not_done_value(given, cell_names)
        if waiting:
            return finish(name, NOT_DONE, f"{MARKS[NOT_DONE]} {name}: {waiting}")
        allow_bool = zero_one(exp)
        if exp.dtype.kind == "b":
            exp = exp.astype(np.int64)
        try:
            ans = read_numbers(given, allow_bool=allow_bool)
        except Unreadable as why:
            return incorrect(name, f"{str(why)[0].upper()}{str(why)[1:]}.", hint)
        exact = is_exact(exp)
        if same(ans, exp, exact) or (ans.shape != exp.shape and np.squeeze(ans).shape == np.squeeze(exp).shape
                                      and same(ans.reshape(exp.shape), exp, exact)):
            return correct(name, note)
        text, marks = diagnose(ans, exp, slips=slips, symbol=symbol, cell_names=cell_names, labels=labels)
        if extra:
            text = f"{text} {extra}"
        drawing = None
        if marks is not None and marks.ndim >= 1 and marks.size > 1:
            drawing = marked_grid(ans.reshape(exp.shape), marks, labels, f"{name}: your answer, wrong cells marked")
            text = mark_note(text, drawing)
        return incorrect(name, text.replace(MARKED, ""), hint, drawing)
    except Exception as err:  # noqa: BLE001 - a check never raises
        return internal_error(name, err)


@guarded
def check_value(name, given, expected, *, hint=None, labels=None, slips=None, symbol=None,
                cell_names=None, note=None, answer=None):
    """Check a by-hand answer `given` (number, row or matrix) against `expected`.

    answer: the worked answer, printed only with show=True (default: expected, as typed).
    See the package docstring (helpers.checks)."""
    return _check_value(name, given, expected, hint=hint, labels=labels, slips=slips, symbol=symbol,
                        cell_names=cell_names, note=note, answer=answer)


def _loosen(given, expected, slips, tol):
    """expected (and each slip) with every cell within tol of the answer replaced by the
    answer's own value, so that check_value accepts rounded by-hand numbers and still
    names the cells that are really wrong.

    Returns expected and slips unchanged when the answer is not a plain array of numbers
    of expected's shape, so that check_value diagnoses it (not done, text, ragged, ...).
    """
    exp = np.asarray(expected, dtype=float)
    ans = _plain_numbers(given, exp.shape)
    if ans is None:
        return exp, slips
    with warnings_off():
        loose = np.where(np.abs(ans - exp) <= tol, ans, exp)
        loose_slips = {}
        for text, slip in (slips or {}).items():
            s = np.asarray(slip, dtype=float)
            loose_slips[text] = np.where(np.abs(ans - s) <= tol, ans, s) if s.shape == exp.shape else s
    return loose, loose_slips


def _plain_numbers(given, shape):
    """given as a float array of `shape` (a column typed for a row is fine), or None when it is
    not done, not numbers (text is never a number), or of another shape."""
    if given is Ellipsis or contains_ellipsis(given):
        return None
    try:
        with warnings_off():
            ans = read_numbers(given).astype(float)
    except (Unreadable, TypeError, ValueError, OverflowError):
        return None
    if ans.shape != shape and np.squeeze(ans).shape == tuple(d for d in shape if d != 1):
        ans = ans.reshape(shape)
    return ans if ans.shape == shape else None


def _rounding(given, expected, decimals, tol):
    """"round to N decimals (you gave k)" when the wrong cells are the exact values rounded to k < N
    decimals; else None."""
    exp = np.asarray(expected, dtype=float)
    ans = _plain_numbers(given, exp.shape)
    if ans is None or decimals is None:
        return None
    with warnings_off():
        wrong = ~(np.abs(ans - exp) <= tol)
        if not wrong.any():
            return None
        for k in range(int(decimals)):
            if np.allclose(ans[wrong], np.round(exp[wrong], k), rtol=0, atol=1e-9):
                return f"Round to {int(decimals)} decimals (you gave {k})."
    return None


@guarded
def check_close(name, given, expected, *, tol=0.01, decimals=None, answer=None, **kwargs):
    """check_value for answers worked out by hand with rounding: a cell counts as right
    when it is within tol (default 0.01) of the exact value, so 0.42 is accepted for
    0.4223. Slips are recognised with the same tolerance. decimals: how many decimals the
    exercise asks for; an answer rounded to fewer is told "round to N decimals (you gave k)".
    answer (printed only with show=True) defaults to expected rounded to `decimals` (or 2).
    Never raises."""
    try:
        if answer is None:
            exact = np.asarray(expected, dtype=float)
            answer = answer_text(np.round(exact, 2 if decimals is None else int(decimals)), kwargs.get("cell_names"))
        offer_answer(answer)
        extra = _rounding(given, expected, decimals, tol)
        expected, slips = _loosen(given, expected, kwargs.pop("slips", None), tol)
        return _check_value(name, given, expected, slips=slips, answer=answer, extra=extra, **kwargs)
    except Exception as err:  # noqa: BLE001 - a check never raises
        return internal_error(str(name), err)


def snap_to_2_decimals(given, exact, tol=0.006):
    """A by-hand answer typed with 2 decimals: every cell within tol of the exact value
    becomes the exact value rounded to 2 decimals, so that check_value compares like with
    like. Anything that is not plain numbers (text, not done, ...) is returned unchanged,
    so check_value explains it: text never becomes a number here.

    Used by the checks of lessons 06, 07 and 09."""
    try:
        exact = np.asarray(exact, dtype=float)
        arr = _plain_numbers(given, exact.shape)
        if arr is None:
            return given
        with warnings_off():
            close = np.abs(arr - exact) <= tol
        return np.where(close, np.round(exact, 2), arr)
    except Exception:  # noqa: BLE001 - garbage: leave it to check_value's diagnosis
        return given
