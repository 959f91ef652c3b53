"""Checks of code answers: check_function runs the learner's function on cases and diagnoses it."""

from __future__ import annotations

import contextlib
import io
import linecache
import os
import traceback

import numpy as np

from .diagnosis import alike, diagnose, same
from .drawing import MARKED, mark_note, marked_grid
from .reading import Unreadable, array_text, read_numbers, short_repr, warnings_off, zero_one
from .results import MARKS, NOT_DONE, Result, correct, finish, guarded, incorrect, internal_error, offer_answer

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
    """What a slip returns on case, as an array; None when it raises (or returns nothing numeric)."""
    try:
        with warnings_off(), contextlib.redirect_stdout(io.StringIO()):
            return np.asarray(fn(*_copy_args(case)))
    except Exception:  # noqa: BLE001 - a slip that does not apply to this case
        return None


def _slip_error(fn, case):
    """(type, message) of the exception a slip raises on case, or None when it does not raise."""
    try:
        with warnings_off(), contextlib.redirect_stdout(io.StringIO()):
            fn(*_copy_args(case))
    except Exception as err:  # noqa: BLE001 - raising is what we look for
        return type(err), str(err)
    return None


def _quiet_result(fn, case):
    """The learner's result on case as an array, or None (raised, not done, not numbers)."""
    try:
        return read_numbers(_call(fn, case, quiet=True), allow_bool=True)
    except BaseException as err:  # noqa: BLE001 - only a confirmation: anything odd is no evidence
        if isinstance(err, KeyboardInterrupt):
            raise
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


@guarded
def check_function(name, fn, reference, cases, *, slips=None, hint=None, labels=None,
                   case_labels=None, symbol=None, note=None, answer=None):
    """Check a learner's function on each case against reference. See the package docstring (helpers.checks).

    cases: a list of argument tuples (named by case_labels), or a dict {label: case}.
    answer: the worked answer (code), printed only with show=True.
    """
    name = str(name)
    offer_answer(answer)
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
        slips = dict(slips or {})
        for i, (where, case) in enumerate(zip(case_labels, cases)):
            try:
                raw = _call(fn, case, quiet=i > 0)
            except NotImplementedError:
                return finish(name, NOT_DONE, f"{MARKS[NOT_DONE]} {name}: not done yet — replace "
                                               f"`raise NotImplementedError()` in {fname} with your code.")
            except _Raised as r:
                return _raised(name, fname, r, where, case, slips, hint)
            exp = np.asarray(reference(*_copy_args(case)))
            out = _outcome(name, fname, raw, exp, where, hint)
            if isinstance(out, Result):  # not done, or not numbers
                return out
            if same(out, exp, exact=False):
                continue
            slip = _confirmed_slip(fn, reference, cases, i, out, slips)
            text, marks = diagnose(out, exp, slips={slip: _try_slip(slips[slip], case)} if slip else None,
                                   symbol=symbol, cell_names=None, labels=labels, what=f"the result of {fname}")
            if text is None:  # same numbers as a column vs a row: accept the loose shape
                continue
            first = case_labels[0] if i else None
            return _mismatch(name, fname, text, marks, out, exp, case, where, first, labels, hint)
        return correct(name, note)
    except Exception as err:  # noqa: BLE001 - a check never raises
        return internal_error(name, err)


def _outcome(name, fname, raw, exp, where, hint):
    """What fn returned on case, as numbers; or the Result when it is not done or not numbers.
    True/False count as 1/0 where the reference gives booleans or 0/1 integers."""
    if raw is Ellipsis:
        return finish(name, NOT_DONE, f"{MARKS[NOT_DONE]} {name}: not done yet — {fname} returns ... ; "
                                       f"replace it with your code.")
    if raw is None:
        return incorrect(name, f"{fname} returned None (on {where}): is there a `return` line?", hint)
    try:
        return read_numbers(raw, what=f"what {fname} returned", allow_bool=zero_one(exp))
    except Unreadable as why:
        return incorrect(name, f"On {where}, {why}.", hint)


def _raised(name, fname, r, where, case, slips, hint):
    """The learner's function raised on case: name the one slip that raises the same error, if any."""
    try:
        message = str(r.err).strip()
        detail = f"{type(r.err).__name__}: {message}"
    except Exception:  # noqa: BLE001
        message, detail = None, type(r.err).__name__
    same_error = [text for text, f in slips.items()
                  if message is not None and _slip_error(f, case) == (type(r.err), str(r.err))]
    if len(same_error) == 1:
        return incorrect(name, f"{fname} raised {type(r.err).__name__}{r.where} (on {where}): "
                               f"it looks like you {same_error[0]}.\n   numpy said: {detail}", hint)
    return incorrect(name, f"{fname} raised {detail}{r.where} (on {where}).", hint)


_UNSET = object()


def _confirmed_slip(fn, reference, cases, i, out, slips):
    """The slip that explains the learner's function, or None.

    A candidate reproduces the learner's result on the failing case i. It is confirmed on a later
    case where it gives a result different from the reference and from every other candidate,
    and the learner's function gives that result too. Named only when exactly one is confirmed."""
    candidates = [t for t, f in slips.items() if _agrees(_try_slip(f, cases[i]), out)]
    confirmed = set()
    for case in cases[i + 1:] if candidates else ():
        ref = np.asarray(reference(*_copy_args(case)))
        results = {t: _try_slip(slips[t], case) for t in candidates}
        mine = _UNSET
        for t, v in results.items():
            if v is None or _agrees(v, ref) or any(_agrees(results[u], v) for u in candidates if u != t):
                continue  # this case does not tell t apart
            if mine is _UNSET:
                mine = _quiet_result(fn, case)
            if _agrees(mine, v):
                confirmed.add(t)
    return confirmed.pop() if len(confirmed) == 1 else None


def _agrees(a, b):
    """Are a and b (arrays or None) the same numbers (a column for a row is fine)?"""
    return a is not None and b is not None and alike(a, b, exact=False)


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


SOFTMAX_HINT = ("softmax turns each row into weights that add up to 1: exponentiate, then divide each row by "
                "its own row's sum (check the axis, and that the sums line up with the rows); "
                "for large numbers subtract the row's largest value first.")
SOFTMAX_ANSWER = "e = np.exp(x - x.max(axis=-1, keepdims=True)); return e / e.sum(axis=-1, keepdims=True)"


@guarded(name_of=lambda args, kwargs: kwargs.get("name", args[1] if len(args) > 1 else "softmax"))
def check_softmax(fn, name="softmax", note=None, *, hint=SOFTMAX_HINT, answer=SOFTMAX_ANSWER):
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

    def no_keepdims(x):
        e = np.exp(np.asarray(x, dtype=float))
        return e / e.sum(axis=-1)

    cases = {
        "the example [[1, 2, 3], [0, 0, 0]]": (np.array([[1, 2, 3], [0, 0, 0]]),),
        **random_cases(rng, 4, lambda r: (r.integers(-3, 4, size=(int(r.integers(2, 5)), int(r.integers(3, 6)))),)),
        "large numbers [[1000, 1001, 1002]]": (np.array([[1000, 1001, 1002]]),),  # subtract the max first
    }
    return check_function(
        name, fn, ref, cases,
        slips={"took the softmax over the columns (axis=0) instead of each row (axis=-1)": over_columns,
               "forgot to divide by the sum (each row should add up to 1)": no_norm,
               "divided by the sum of the whole matrix instead of each row's sum": over_all,
               "divided by the row sums without keepdims=True, so numpy lined them up with the columns":
                   no_keepdims},
        hint=hint, answer=answer, note=note)
