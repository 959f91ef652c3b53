"""Checks of code answers: check_function runs the learner's function on cases and diagnoses it."""

from __future__ import annotations

import contextlib
import io
import linecache
import os
import traceback

import numpy as np

from .diagnosis import diagnose, same
from .drawing import MARKED, mark_note, marked_grid
from .reading import Unreadable, array_text, read_numbers, short_repr, warnings_off
from .results import MARKS, NOT_DONE, Result, correct, finish, incorrect, internal_error

# Frames in the helpers package are never the learner's line (helpers/ is this file's grandparent).
_HELPERS = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


class _Raised(Exception):
    def __init__(self, err, where):
        super().__init__(str(err))
        self.err, self.where = err, where


def _copy_args(case):
    return tuple(np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in case)


def _call(fn, case, quiet):
    """Call the learner's fn; an exception becomes _Raised with the failing line."""
    sink = io.StringIO()
    try:
        with warnings_off(), (contextlib.redirect_stdout(sink) if quiet else contextlib.nullcontext()):
            return fn(*_copy_args(case))
    except NotImplementedError:
        raise
    except BaseException as err:  # noqa: BLE001 - even SystemExit/KeyboardInterrupt from learner code
        if isinstance(err, KeyboardInterrupt):
            raise
        where = ""
        try:
            frames = [f for f in traceback.extract_tb(err.__traceback__)
                      if "site-packages" not in f.filename and not f.filename.startswith(_HELPERS)]
            last = frames[-1] if frames else None
            line = last.line or linecache.getline(last.filename, last.lineno) if last else ""
            if line and line.strip():
                where = f" in the line `{line.strip()}`"
        except Exception:  # noqa: BLE001
            pass
        raise _Raised(err, where) from None


def _try_slip(fn, case):
    try:
        with warnings_off(), contextlib.redirect_stdout(io.StringIO()):
            return np.asarray(fn(*_copy_args(case)))
    except Exception:  # noqa: BLE001 - a slip that does not apply to this case
        return None


def _fn_name(fn):
    name = getattr(fn, "__name__", None)
    return f"`{name}`" if isinstance(name, str) and name.isidentifier() else "your function"


def int_cases(rng, n_cases, make):
    """n_cases tuples from make(rng): small random integer cases, seeded by rng."""
    return [tuple(make(rng)) for _ in range(n_cases)]


def random_cases(rng, n_cases, make, first=1):
    """{"random case 1": case, ...}: int_cases labelled where they are made, numbered from `first`."""
    return {f"random case {i}": case for i, case in enumerate(int_cases(rng, n_cases, make), first)}


def check_function(name, fn, reference, cases, *, slips=None, hint=None, labels=None,
                   case_labels=None, symbol=None, note=None):
    """Check a learner's function on each case against reference. See the package docstring (helpers.checks).

    cases: a list of argument tuples (named by case_labels), or a dict {label: case}.
    """
    name = str(name)
    try:
        if fn is Ellipsis or fn is None:
            return finish(name, NOT_DONE,
                          f"{MARKS[NOT_DONE]} {name}: not done yet — write the function in the cell above.")
        if not callable(fn):
            return incorrect(name, f"this should be a function (def ...), but it is {short_repr(fn)}.", hint)
        fname = _fn_name(fn)
        if isinstance(cases, dict):  # {label: case}: each case named where it is declared
            case_labels, cases = list(cases), list(cases.values())
        cases = list(cases)
        if case_labels is None:
            case_labels = [f"case {i + 1}" for i in range(len(cases))]
        for i, (where, case) in enumerate(zip(case_labels, cases)):
            out = _outcome(name, fn, fname, case, where, hint, quiet=i > 0)
            if isinstance(out, Result):  # not done, or not numbers
                return out
            exp = np.asarray(reference(*_copy_args(case)))
            if same(out, exp, exact=False):
                continue
            text, marks = diagnose(out, exp, slips={t: _try_slip(f, case) for t, f in (slips or {}).items()},
                                   symbol=symbol, cell_names=None, labels=labels, what=f"the result of {fname}")
            if text is None:  # same numbers as a column vs a row: accept the loose shape
                continue
            first = case_labels[0] if i else None
            return _mismatch(name, fname, text, marks, out, exp, case, where, first, labels, hint)
        return correct(name, note)
    except Exception as err:  # noqa: BLE001 - a check never raises
        return internal_error(name, err)


def _outcome(name, fn, fname, case, where, hint, quiet):
    """What fn returned on case, as numbers; or the Result when it is not done or not numbers."""
    try:
        out = _call(fn, case, quiet=quiet)
    except NotImplementedError:
        return finish(name, NOT_DONE, f"{MARKS[NOT_DONE]} {name}: not done yet — replace "
                                       f"`raise NotImplementedError()` in {fname} with your code.")
    except _Raised as r:
        try:
            detail = f"{type(r.err).__name__}: {str(r.err).strip()}"
        except Exception:  # noqa: BLE001
            detail = type(r.err).__name__
        return incorrect(name, f"{fname} raised {detail}{r.where} (on {where}).", hint)
    if out is Ellipsis:
        return finish(name, NOT_DONE, f"{MARKS[NOT_DONE]} {name}: not done yet — {fname} returns ... ; "
                                       f"replace it with your code.")
    if out is None:
        return incorrect(name, f"{fname} returned None (on {where}): is there a `return` line?", hint)
    try:
        return read_numbers(out, what=f"what {fname} returned")
    except Unreadable as why:
        return incorrect(name, f"On {where}, {why}.", hint)


def _mismatch(name, fname, text, marks, ans, exp, case, where, first, labels, hint):
    """The incorrect Result for a wrong result on case `where` (first: the case that passed, if any)."""
    text = text[:1].lower() + text[1:]
    lead = f"On {where}, "
    if first is not None:
        lead = f"{fname} is right on {first} but not on {where}: "
        args = ", ".join(f"{array_text(a)}" for a in case)
        text = (f"{text}\n   The inputs were {fname}({args});\n"
                f"   expected {array_text(exp)},\n   got      {array_text(ans)}.")
    drawing = None
    if first is None and marks is not None and marks.size > 1:
        drawing = marked_grid(ans.reshape(exp.shape), marks, labels, f"{name}: your result, wrong cells marked")
        text = mark_note(text, drawing)
    return incorrect(name, (lead + text).replace(MARKED, ""), hint, drawing)


def check_softmax(fn, name="softmax", note=None):
    """Check a learner's softmax(x) over the last axis (rows of a matrix)."""
    rng = np.random.default_rng(0)

    def ref(x):
        x = np.asarray(x, dtype=float)
        e = np.exp(x - x.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)

    def over_columns(x):
        x = np.asarray(x, dtype=float)
        e = np.exp(x - x.max(axis=0, keepdims=True))
        return e / e.sum(axis=0, keepdims=True)

    def no_norm(x):
        return np.exp(np.asarray(x, dtype=float))

    def over_all(x):
        e = np.exp(np.asarray(x, dtype=float))
        return e / e.sum()

    cases = {
        "the example [[1, 2, 3], [0, 0, 0]]": (np.array([[1, 2, 3], [0, 0, 0]]),),
        **random_cases(rng, 4, lambda r: (r.integers(-3, 4, size=(int(r.integers(2, 5)), int(r.integers(3, 6)))),)),
        "large numbers [[1000, 1001, 1002]]": (np.array([[1000, 1001, 1002]]),),  # subtract the max first
    }
    return check_function(
        name, fn, ref, cases,
        slips={"took the softmax over the columns (axis=0) instead of each row (axis=-1)": over_columns,
               "forgot to divide by the sum (each row should add up to 1)": no_norm,
               "divided by the sum of the whole matrix instead of each row's sum": over_all},
        hint="exponentiate, then divide each row by its own sum: "
             "np.exp(x) / np.exp(x).sum(axis=-1, keepdims=True); subtract the row max first for large numbers.",
        note=note)
