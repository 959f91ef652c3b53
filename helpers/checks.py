"""Checks for the exercise notebooks: not done, correct, or incorrect with a diagnosis.

How a lesson uses them
----------------------
Every exercise cell is followed by a check cell. A check prints one line that starts
with a mark, a hint after a wrong answer, and for a wrong row or matrix the learner's
answer drawn as a grid with the wrong cells marked (helpers.display.grid(..., marks=...);
outside IPython a text grid with the wrong cells in [brackets]):

    ✅ Z cells: correct. Each column of Z is the sum of two neighbouring columns of X.
    ⬜ A column of H: not done yet — replace the ... with your answer.
    ❌ ReLU(H): not quite. 1 of 20 cells is wrong: R[4,2] (marked in red below).
       Hint: ReLU(h) = h when h > 0, and 0 otherwise: ...

A lesson's notebook: first cell `check.start()` (declares the exercises), one check
cell after each exercise, last cell `check.progress()`.

The building blocks (everything after the answer is keyword-only and optional)
-----------------------------------------------------------------------------
check_value(name, answer, expected, *, hint=None, labels=None, slips=None,
            symbol=None, cell_names=None, note=None) -> Result
    For by-hand answers: a number, a row, a whole matrix. `answer` may be an int, a
    float, a list, a tuple, a numpy array or a numpy scalar; a column typed as
    [[11], [2], ...] counts as the row [11, 2, ...]. Integer `expected` values are
    compared exactly, float ones with a relative tolerance of 1e-6 (RTOL).
    Not done: `...` (anywhere in the answer), None, "" or [].
    labels:     (row_labels, col_labels) for the grid; for a 1-D answer the labels of
                its cells (drawn as one row).
    symbol:     names wrong cells in the text, 1-based: symbol="R" gives "R[3,1]".
    cell_names: names of the cells of a 1-D answer (override symbol), e.g. for
                several by-hand numbers checked together: ["Z_1_1", "Z_2_4", "Z_3_5"].
    slips:      {"forgot the ReLU": H, "left out the bias b1": W1 @ Z, ...}:
                common wrong answers, each key completing "It looks like you …".
                Reported when the whole answer equals the slip, or when every wrong
                cell holds the slip's value and the learner made the slip in at least
                half of the cells where it differs from the answer key.
    hint:       one sentence the learner can act on, printed after a wrong answer.
    note:       printed after "correct." (what the result means).
    Diagnoses without slips: wrong shape ("the transpose of your answer would be
    right", "the numbers are right, in the wrong arrangement"), rows of different
    lengths, text, None or NaN inside, which cells are wrong (named and drawn),
    every cell off by the same amount, every sign flipped.

check_close(name, answer, expected, *, tol=0.01, **check_value_kwargs) -> Result
    check_value for numbers worked out by hand and rounded: a cell within tol of the
    exact value counts as right (0.42 for 0.4223). Slips use the same tolerance.

check_function(name, fn, reference, cases, *, slips=None, hint=None, labels=None,
               case_labels=None, symbol=None, note=None) -> Result
    For code answers. Calls fn(*case) on copies of each case (by convention the first
    is the sheet example, the rest small random integer cases from a fixed seed) and
    compares with reference(*case) (tolerance RTOL). Not done: fn is `...`/None,
    raises NotImplementedError, or returns `...`. Diagnoses: an exception (type,
    message and the learner's line that raised), None returned (a missing `return`),
    text returned, wrong shape and transpose, the wrong cells (drawn for the first
    case; for a later case the inputs, the expected and the actual result are
    printed), and the slips, here functions with the reference's signature:
    {"took the softmax over the columns": lambda x: softmax(x, axis=0), ...}.
    labels/symbol name the cells of the first case's result. Only the first case lets
    the learner's print() calls through.

int_cases(rng, n_cases, make) -> [tuple, ...]
    n_cases cases from make(rng), e.g. make = lambda r: (r.integers(-3, 4, size=(3, 4)),).

check_softmax(fn, name="softmax")
    A ready-made check of softmax over the last axis (wrong axis, no normalising,
    overflow on large logits), for the lessons that ask for a softmax.

start(lesson, names)  declares a lesson's exercises, in order, so a never-run check
                      shows "not done" in progress(); forgets other lessons' states.
fillable_sheet(name, left, right, answers=..., **widget_kwargs)
                      an exercise on the fillable sheet (helpers.widgets): the product as
                      boxes that turn green or red as the learner types; counts in progress().
progress()            prints the table: which exercises are correct, incorrect, not done.
states()              {name: "not done" | "correct" | "incorrect"} (for tests).

Result: what every check returns. bool(result) is True only when correct, and
`result == True` / `result == False` work; result.state is "not done", "correct" or
"incorrect", result.message the printed text. In a notebook a Result displays nothing
(the check has printed already), so a check call can end a cell. The registry is
keyed by name: re-running a check updates its row.

A check never raises, whatever it is given (None, strings, ragged lists, NaN, a
function that raises or returns garbage): a failure inside the check itself is
reported as "the check could not read your answer: …" and counts as incorrect.
Output is deterministic (nbval compares it): no timings, no addresses, random cases
only from seeded numpy Generators.

Lesson-specific checks live in namespaces at the end of this file:
`from helpers.checks import lesson01 as check`, then `check.start()`,
`check.z_cells(Z_1_1, Z_2_4, Z_3_5)`, ..., `check.progress()`. A new lesson adds a
`_lessonNN()` factory returning a SimpleNamespace of its checks, built from the
blocks above, with its expected values taken from helpers (never typed in twice).
"""

from __future__ import annotations

import contextlib
import io
import linecache
import math
import traceback
from types import SimpleNamespace

import numpy as np

NOT_DONE = "not done"
CORRECT = "correct"
INCORRECT = "incorrect"
MARKS = {NOT_DONE: "⬜", CORRECT: "✅", INCORRECT: "❌"}
RTOL = 1e-6  # relative tolerance for float answers
ATOL = 1e-9  # so that 1e-17 counts as 0


class Result:
    """The outcome of one check. Truthy only when correct."""

    __slots__ = ("name", "state", "message")

    def __init__(self, name, state, message):
        self.name, self.state, self.message = name, state, message

    def __bool__(self):
        return self.state == CORRECT

    def __eq__(self, other):
        if isinstance(other, (bool, np.bool_)):
            return bool(self) == bool(other)
        if isinstance(other, Result):
            return (self.name, self.state) == (other.name, other.state)
        return NotImplemented

    def __hash__(self):
        return hash((self.name, self.state))

    def __repr__(self):
        return f"Result({self.name!r}, {self.state!r})"

    def _ipython_display_(self):
        """Show nothing: the check has printed its message already."""


# ---------------------------------------------------------------- registry

_ORDER: list = []  # exercise names in the order start() declared them
_STATES: dict = {}  # name -> state of the last check run
_LESSON = {"id": None}


def start(lesson, names):
    """Declare the exercises of a lesson, in order; all start as "not done"."""
    _LESSON["id"] = str(lesson)
    _ORDER[:] = [str(n) for n in names]
    for n in [n for n in _STATES if n not in _ORDER]:
        del _STATES[n]  # one lesson per kernel: progress() lists exactly its exercises
    for n in _ORDER:
        _STATES.setdefault(n, NOT_DONE)


def states():
    """{exercise name: state}, declared exercises first, in order."""
    names = list(_ORDER) + [n for n in _STATES if n not in _ORDER]
    return {n: _STATES.get(n, NOT_DONE) for n in names}


def record(name, state):
    """Set an exercise's state from outside a check cell.

    The fillable sheet (helpers.widgets) calls this as the learner types, so its
    answers count in progress() like any other exercise.
    """
    if state not in MARKS:
        raise ValueError(f"state must be one of {sorted(MARKS)}, got {state!r}")
    _STATES[str(name)] = state
    if str(name) not in _ORDER:
        _ORDER.append(str(name))


def progress():
    """Print which exercises are done, correct and incorrect."""
    table = states()
    counts = {s: sum(v == s for v in table.values()) for s in (CORRECT, INCORRECT, NOT_DONE)}
    lesson = f" {_LESSON['id']}" if _LESSON["id"] else ""
    lines = [
        f"Exercises{lesson}: {counts[CORRECT]} of {len(table)} correct, "
        f"{counts[INCORRECT]} incorrect, {counts[NOT_DONE]} not done."
    ]
    width = max((len(n) for n in table), default=0)
    for i, (n, s) in enumerate(table.items(), 1):
        lines.append(f"  {MARKS[s]} {i}. {n.ljust(width)}  {s}")
    if table and counts[CORRECT] == len(table):
        lines.append("All done: well done!")
    elif counts[INCORRECT]:
        lines.append("Scroll up to a ❌ for its diagnosis and hint, fix the answer, and run its check again.")
    print("\n".join(lines))


def _finish(name, state, message, drawing=None):
    _STATES[name] = state
    if name not in _ORDER:
        _ORDER.append(name)
    print(message)
    if drawing is not None:
        _show(drawing)
    return Result(name, state, message)


# ---------------------------------------------------------------- reading answers


class _Unreadable(Exception):
    """The answer is not an array of numbers; the message says why, for a learner."""


def _contains_ellipsis(x, depth=0):
    if x is Ellipsis:
        return True
    if depth > 4 or isinstance(x, (str, bytes, np.ndarray)):
        return isinstance(x, np.ndarray) and x.dtype == object and any(
            _contains_ellipsis(v, depth + 1) for v in x.ravel()[:1000])
    if isinstance(x, (list, tuple)):
        return any(_contains_ellipsis(v, depth + 1) for v in x)
    return False


def _is_empty(x):
    if x is None:
        return True
    if isinstance(x, str):
        return x.strip() == ""
    if isinstance(x, (list, tuple)):
        return len(x) == 0
    if isinstance(x, np.ndarray):
        return x.size == 0
    return False


def _read(x, what="your answer"):
    """x as a float or int numpy array, or _Unreadable with a learner-facing reason."""
    if isinstance(x, (str, bytes)):
        raise _Unreadable(f"{what} is text ({_short(x)}), not a number: remove the quotes")
    if callable(x) and not isinstance(x, np.ndarray):
        raise _Unreadable(f"{what} is a function, not numbers: did you forget to call it?")
    try:
        with _warnings_off():
            arr = np.asarray(x)
    except (ValueError, TypeError):
        lengths = _row_lengths(x)
        if lengths:
            raise _Unreadable(
                f"the rows of {what} have different lengths ({', '.join(map(str, lengths))}): "
                f"every row needs the same number of cells") from None
        raise _Unreadable(f"{what} is not a rectangular table of numbers") from None
    if arr.dtype.kind == "b":
        raise _Unreadable(f"{what} is True/False, not numbers")
    if arr.dtype.kind in "US":
        raise _Unreadable(f"{what} contains text ({_short(arr.ravel()[0])}), not only numbers: remove the quotes")
    if arr.dtype.kind == "c":
        raise _Unreadable(f"{what} contains complex numbers")
    if arr.dtype.kind == "O":
        flat = list(arr.ravel())
        if any(v is None for v in flat):
            raise _Unreadable(f"{what} contains None where a number should be")
        try:
            arr = arr.astype(float)
        except (ValueError, TypeError, OverflowError):
            raise _Unreadable(f"{what} contains something that is not a number") from None
    if arr.dtype.kind not in "iuf":
        raise _Unreadable(f"{what} has values of type {arr.dtype}, not numbers")
    return arr


def _row_lengths(x):
    try:
        if isinstance(x, (list, tuple)) and all(isinstance(r, (list, tuple, np.ndarray)) for r in x):
            lengths = [len(r) for r in x]
            if len(set(lengths)) > 1:
                return lengths
    except Exception:  # noqa: BLE001 - garbage input
        pass
    return None


def _short(x, limit=40):
    try:
        if isinstance(x, np.generic):
            x = x.item()  # 'abc' rather than np.str_('abc')
        text = repr(x)
    except Exception:  # noqa: BLE001
        text = f"<{type(x).__name__}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


@contextlib.contextmanager
def _warnings_off():
    import warnings

    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        yield


def _fmt(v):
    """A number as a learner would write it: 11, -3, 0.25."""
    try:
        v = float(v)
    except (TypeError, ValueError):
        return _short(v)
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    if v == int(v) and abs(v) < 1e15:
        return str(int(v))
    return f"{v:.6g}"


def _array_text(a):
    a = np.asarray(a)
    if a.dtype.kind == "f" and np.all(np.isfinite(a)) and np.all(a == np.round(a)):
        a = a.astype(np.int64)
    return np.array2string(a, separator=", ", precision=4, suppress_small=True).replace("\n", "")


# ---------------------------------------------------------------- comparing


def _close(a, e, exact):
    """Elementwise: does a equal e (same shape)?"""
    with _warnings_off():
        if exact:
            return a == e
        return np.isclose(a, e, rtol=RTOL, atol=ATOL)


def _same(a, e, exact):
    a, e = np.asarray(a), np.asarray(e)
    return a.shape == e.shape and bool(np.all(_close(a, e, exact)))


def _is_exact(expected):
    return np.asarray(expected).dtype.kind in "iub"


def _cell_name(idx, shape, symbol, cell_names, labels):
    if cell_names is not None and len(shape) == 1:
        return str(cell_names[idx[0]])
    if symbol:
        return f"{symbol}[{','.join(str(i + 1) for i in idx)}]"
    if len(shape) == 2:
        return f"row {idx[0] + 1}, column {idx[1] + 1}"
    return f"cell {idx[0] + 1}" if len(shape) == 1 else f"cell {tuple(i + 1 for i in idx)}"


def _shape_text(shape, labels=None):
    if len(shape) == 0:
        return "a single number"
    if len(shape) == 1:
        return f"{shape[0]} numbers in a row, shape ({shape[0]},)"
    if len(shape) == 2:
        return f"{shape[0]} rows by {shape[1]} columns, shape {shape}"
    return f"shape {shape}"


def _diagnose(answer, expected, *, slips, symbol, cell_names, labels, what="your answer"):
    """Why answer (an array) is not expected. Returns (text, marks or None)."""
    exact = _is_exact(expected)
    ans, exp = np.asarray(answer), np.asarray(expected)
    # A whole-answer slip (any shape).
    for text, slip in (slips or {}).items():
        if slip is not None and _same(ans, slip, exact or _is_exact(slip)):
            return f"It looks like you {text}.", None
    if ans.shape != exp.shape:
        if np.squeeze(ans).shape == np.squeeze(exp).shape:
            ans = ans.reshape(exp.shape)  # a column typed as [[11], [2], ...] is fine
        else:
            msg = f"Wrong shape: {what} has {_shape_text(ans.shape)}, expected {_shape_text(exp.shape)}."
            if ans.ndim == 2 and ans.T.shape == exp.shape:
                if _same(ans.T, exp, exact):
                    msg += " The transpose of your answer would be right: swap rows and columns (.T)."
                else:
                    msg += " Even transposed (.T) the numbers would not match."
            elif ans.size == exp.size and _same(ans.reshape(exp.shape), exp, exact):
                msg += " The numbers are right, in the wrong arrangement."
            return msg, None
    nan = ~np.isfinite(ans) if ans.dtype.kind == "f" else np.zeros(ans.shape, bool)
    wrong = ~_close(ans, exp, exact) | nan
    k, size = int(wrong.sum()), int(exp.size)
    if k == 0:  # equal after reshaping a column: caller treats as correct
        return None, None
    names = [_cell_name(tuple(idx), exp.shape, symbol, cell_names, labels) for idx in np.argwhere(wrong)]
    shown = ", ".join(names[:6]) + (f" and {len(names) - 6} more" if len(names) > 6 else "")
    parts = []
    if exp.ndim == 0:
        parts.append(f"You entered {_fmt(ans)}" + (", which is not a number." if nan.any() else "; that is not it."))
    elif k == 1:
        parts.append(f"1 of {size} cells is wrong: {shown}{MARKED}.")
    else:
        parts.append(f"{k} of {size} cells are wrong: {shown}{MARKED}.")
    if nan.any() and exp.ndim > 0:
        parts.append(f"{int(nan.sum())} of them {'is' if nan.sum() == 1 else 'are'} not a number (NaN or inf).")
    # A slip that explains every wrong cell.
    for text, slip in (slips or {}).items():
        s = np.asarray(slip) if slip is not None else None
        if s is None or s.shape != exp.shape or not np.all(_close(ans[wrong], s[wrong], exact)):
            continue
        # Every wrong cell holds the slip's value. Report it when the learner made the slip
        # consistently: in at least half of the cells where the slip differs from the answer key.
        differs = ~_close(s, exp, exact)
        if k == size or 2 * int(wrong[differs].sum()) >= int(differs.sum()):
            parts.append(f"It looks like you {text}" + ("." if k == size else " (in those cells)."))
            break
    else:
        if k == size and size > 1 and not nan.any():
            diff = (ans - exp).ravel()
            if np.allclose(diff, diff[0], rtol=RTOL, atol=ATOL):
                parts.append(f"Every cell is off by the same amount ({'+' if diff[0] > 0 else ''}{_fmt(diff[0])}).")
            elif _same(ans, -exp, exact):
                parts.append("Every sign is flipped.")
    return " ".join(parts), (wrong if exp.ndim >= 1 else None)


# ---------------------------------------------------------------- drawing


def _in_ipython():
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    return get_ipython() is not None


def _labels_for(arr, labels):
    """(row_labels, col_labels) that fit arr, or (None, None)."""
    if labels is None:
        return None, None
    try:
        if arr.ndim == 1:
            cols = labels[1] if len(labels) == 2 and not isinstance(labels[0], str) else labels
            return None, (list(cols) if cols is not None and len(cols) == arr.shape[0] else None)
        rows, cols = labels
        rows = list(rows) if rows is not None and len(rows) == arr.shape[0] else None
        cols = list(cols) if cols is not None and len(cols) == arr.shape[1] else None
        return rows, cols
    except Exception:  # noqa: BLE001
        return None, None


def _marked_grid(answer, marks, labels, title):
    """A drawing of answer with marks (HTML in IPython), or a text grid elsewhere."""
    arr = np.asarray(answer)
    if arr.ndim not in (1, 2) or arr.size > 400:
        return None
    rows, cols = _labels_for(arr, labels)
    if _in_ipython():
        try:
            from . import display

            return display.grid(arr, row_labels=rows, col_labels=cols, role="output",
                                title=title, marks=np.asarray(marks).reshape(arr.shape))
        except Exception:  # noqa: BLE001 - fall back to text
            pass
    return _TextGrid(arr, marks, rows, cols)


class _TextGrid:
    """Plain-text fallback: wrong cells in [brackets]."""

    def __init__(self, arr, marks, rows, cols):
        arr2 = arr.reshape(1, -1) if arr.ndim == 1 else arr
        mk = np.asarray(marks).reshape(arr2.shape)
        cells = [[(f"[{_fmt(v)}]" if m else f" {_fmt(v)} ") for v, m in zip(r, mr)] for r, mr in zip(arr2, mk)]
        rows = rows if rows is not None else [""] * arr2.shape[0]
        head = [f" {c} " for c in cols] if cols is not None else None
        width = max([len(c) for r in cells for c in r] + ([len(h) for h in head] if head else [0]))
        lw = max(len(str(r)) for r in rows)
        lines = []
        if head:
            lines.append(" " * (lw + 1) + "".join(h.rjust(width) for h in head))
        for label, r in zip(rows, cells):
            lines.append(str(label).rjust(lw) + " " + "".join(c.rjust(width) for c in r))
        self.text = "\n".join("   " + ln.rstrip() for ln in lines)

    def __str__(self):
        return self.text


MARKED = "\x00marked\x00"  # placeholder in a diagnosis: where "(marked in red below)" goes


def _mark_note(text, drawing):
    if drawing is None:
        return text
    note = " (in [brackets] below)" if isinstance(drawing, _TextGrid) else " (marked in red below)"
    return text.replace(MARKED, note, 1)


def _show(drawing):
    try:
        if isinstance(drawing, _TextGrid):
            print(drawing)
            return
        from IPython.display import display as ipy_display

        ipy_display(drawing)
    except Exception:  # noqa: BLE001 - a drawing never breaks a check
        pass


# ---------------------------------------------------------------- value checks


def _not_done_value(answer, cell_names):
    """A not-done message, or None when the answer has been entered."""
    if answer is Ellipsis:
        return "not done yet — replace the ... with your answer."
    if _is_empty(answer):
        return "not done yet — nothing entered: type your answer in the cell above."
    if _contains_ellipsis(answer):
        if cell_names is not None and isinstance(answer, (list, tuple)) and len(answer) == len(cell_names):
            missing = [str(n) for n, v in zip(cell_names, answer) if v is Ellipsis or _contains_ellipsis(v)]
            if missing:
                return f"not done yet — {', '.join(missing)} {'is' if len(missing) == 1 else 'are'} still ... ."
        return "not done yet — some cells are still ... : fill them all in."
    return None


def check_value(name, answer, expected, *, hint=None, labels=None, slips=None, symbol=None,
                cell_names=None, note=None):
    """Check a by-hand answer (number, row or matrix). See the module docstring."""
    name = str(name)
    try:
        waiting = _not_done_value(answer, cell_names)
        if waiting:
            return _finish(name, NOT_DONE, f"{MARKS[NOT_DONE]} {name}: {waiting}")
        exp = np.asarray(expected)
        try:
            ans = _read(answer)
        except _Unreadable as why:
            return _incorrect(name, f"{str(why)[0].upper()}{str(why)[1:]}.", hint)
        exact = _is_exact(exp)
        if _same(ans, exp, exact) or (ans.shape != exp.shape and np.squeeze(ans).shape == np.squeeze(exp).shape
                                      and _same(ans.reshape(exp.shape), exp, exact)):
            return _correct(name, note)
        text, marks = _diagnose(ans, exp, slips=slips, symbol=symbol, cell_names=cell_names, labels=labels)
        drawing = None
        if marks is not None and marks.ndim >= 1 and marks.size > 1:
            drawing = _marked_grid(ans.reshape(exp.shape), marks, labels, f"{name}: your answer, wrong cells marked")
            text = _mark_note(text, drawing)
        return _incorrect(name, text.replace(MARKED, ""), hint, drawing)
    except Exception as err:  # noqa: BLE001 - a check never raises
        return _internal_error(name, err)


def _loosen(answer, expected, slips, tol):
    """expected (and each slip) with every cell within tol of the answer replaced by the
    answer's own value, so that check_value accepts rounded by-hand numbers and still
    names the cells that are really wrong.

    Returns expected and slips unchanged when the answer is not a plain array of numbers
    of expected's shape, so that check_value diagnoses it (not done, text, ragged, ...).
    """
    exp = np.asarray(expected, dtype=float)
    if answer is Ellipsis or _contains_ellipsis(answer) or isinstance(answer, (str, bytes)):
        return exp, slips
    try:
        with _warnings_off():
            ans = np.asarray(answer, dtype=float)
    except (TypeError, ValueError, OverflowError):
        return exp, slips
    if ans.shape != exp.shape and np.squeeze(ans).shape == np.squeeze(exp).shape:
        ans = ans.reshape(exp.shape)
    if ans.shape != exp.shape:
        return exp, slips
    with _warnings_off():
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
        return _internal_error(str(name), err)


def _correct(name, note):
    msg = f"{MARKS[CORRECT]} {name}: correct."
    if note:
        msg += f" {note}"
    return _finish(name, CORRECT, msg)


def _incorrect(name, text, hint, drawing=None):
    text = text[:1].upper() + text[1:]
    msg = f"{MARKS[INCORRECT]} {name}: not quite. {text}"
    if hint:
        msg += f"\n   Hint: {hint}"
    return _finish(name, INCORRECT, msg, drawing)


def _internal_error(name, err):
    try:
        detail = f"{type(err).__name__}: {err}"
    except Exception:  # noqa: BLE001
        detail = type(err).__name__
    msg = f"{MARKS[INCORRECT]} {name}: the check could not read your answer: {detail}"
    try:
        return _finish(name, INCORRECT, msg)
    except Exception:  # noqa: BLE001 - even printing failed
        return Result(name, INCORRECT, msg)


# ---------------------------------------------------------------- function checks


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
        with _warnings_off(), (contextlib.redirect_stdout(sink) if quiet else contextlib.nullcontext()):
            return fn(*_copy_args(case))
    except NotImplementedError:
        raise
    except BaseException as err:  # noqa: BLE001 - even SystemExit/KeyboardInterrupt from learner code
        if isinstance(err, KeyboardInterrupt):
            raise
        where = ""
        try:
            frames = [f for f in traceback.extract_tb(err.__traceback__)
                      if "site-packages" not in f.filename and not f.filename.endswith("checks.py")]
            last = frames[-1] if frames else None
            line = last.line or linecache.getline(last.filename, last.lineno) if last else ""
            if line and line.strip():
                where = f" in the line `{line.strip()}`"
        except Exception:  # noqa: BLE001
            pass
        raise _Raised(err, where) from None


def _try_slip(fn, case):
    try:
        with _warnings_off(), contextlib.redirect_stdout(io.StringIO()):
            return np.asarray(fn(*_copy_args(case)))
    except Exception:  # noqa: BLE001 - a slip that does not apply to this case
        return None


def _fn_name(fn):
    name = getattr(fn, "__name__", None)
    return f"`{name}`" if isinstance(name, str) and name.isidentifier() else "your function"


def int_cases(rng, n_cases, make):
    """n_cases tuples from make(rng): small random integer cases, seeded by rng."""
    return [tuple(make(rng)) for _ in range(n_cases)]


def check_function(name, fn, reference, cases, *, slips=None, hint=None, labels=None,
                   case_labels=None, symbol=None, note=None):
    """Check a learner's function on each case against reference. See the module docstring."""
    name = str(name)
    try:
        if fn is Ellipsis or fn is None:
            return _finish(name, NOT_DONE, f"{MARKS[NOT_DONE]} {name}: not done yet — write the function in the cell above.")
        if not callable(fn):
            return _incorrect(name, f"this should be a function (def ...), but it is {_short(fn)}.", hint)
        fname = _fn_name(fn)
        cases = list(cases)
        if case_labels is None:
            case_labels = [f"case {i + 1}" for i in range(len(cases))]
        for i, case in enumerate(cases):
            where = case_labels[i]
            try:
                out = _call(fn, case, quiet=i > 0)
            except NotImplementedError:
                return _finish(name, NOT_DONE, f"{MARKS[NOT_DONE]} {name}: not done yet — replace "
                                               f"`raise NotImplementedError()` in {fname} with your code.")
            except _Raised as r:
                try:
                    detail = f"{type(r.err).__name__}: {str(r.err).strip()}"
                except Exception:  # noqa: BLE001
                    detail = type(r.err).__name__
                return _incorrect(name, f"{fname} raised {detail}{r.where} (on {where}).", hint)
            if out is Ellipsis:
                return _finish(name, NOT_DONE, f"{MARKS[NOT_DONE]} {name}: not done yet — {fname} returns ... ; "
                                               f"replace it with your code.")
            if out is None:
                return _incorrect(name, f"{fname} returned None (on {where}): is there a `return` line?", hint)
            try:
                ans = _read(out, what=f"what {fname} returned")
            except _Unreadable as why:
                return _incorrect(name, f"On {where}, {why}.", hint)
            exp = np.asarray(reference(*_copy_args(case)))
            if _same(ans, exp, exact=False):
                continue
            slip_values = {t: _try_slip(f, case) for t, f in (slips or {}).items()}
            text, marks = _diagnose(ans, exp, slips=slip_values, symbol=symbol, cell_names=None,
                                    labels=labels, what=f"the result of {fname}")
            if text is None:  # same numbers as a column vs a row: accept the loose shape
                continue
            text = text[:1].lower() + text[1:]
            lead = f"On {where}, "
            if i > 0:
                lead = f"{fname} is right on {case_labels[0]} but not on {where}: "
                args = ", ".join(f"{_array_text(a)}" for a in case)
                text = f"{text}\n   The inputs were {fname}({args});\n   expected {_array_text(exp)},\n   got      {_array_text(ans)}."
            drawing = None
            if i == 0 and marks is not None and marks.size > 1:
                drawing = _marked_grid(ans.reshape(exp.shape), marks, labels,
                                       f"{name}: your result, wrong cells marked")
                text = _mark_note(text, drawing)
            return _incorrect(name, (lead + text).replace(MARKED, ""), hint, drawing)
        return _correct(name, note)
    except Exception as err:  # noqa: BLE001 - a check never raises
        return _internal_error(name, err)


# ---------------------------------------------------------------- reusable function checks


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

    cases = [(np.array([[1, 2, 3], [0, 0, 0]]),)]
    cases += int_cases(rng, 4, lambda r: (r.integers(-3, 4, size=(int(r.integers(2, 5)), int(r.integers(3, 6)))),))
    cases.append((np.array([[1000, 1001, 1002]]),))  # large logits: subtract the max first
    return check_function(
        name, fn, ref, cases,
        case_labels=["the example [[1, 2, 3], [0, 0, 0]]"] + [f"random case {i}" for i in range(1, 5)]
        + ["large numbers [[1000, 1001, 1002]]"],
        slips={"took the softmax over the columns (axis=0) instead of each row (axis=-1)": over_columns,
               "forgot to divide by the sum (each row should add up to 1)": no_norm,
               "divided by the sum of the whole matrix instead of each row's sum": over_all},
        hint="exponentiate, then divide each row by its own sum: "
             "np.exp(x) / np.exp(x).sum(axis=-1, keepdims=True); subtract the row max first for large numbers.",
        note=note)


def fillable_sheet(name, left, right, answers=..., *, answer_name="answers", bias=None, **widget_kwargs):
    """An exercise on the fillable sheet: the product left @ right (+ bias) as boxes to type into.

    The boxes turn green or red as the learner types, and the sheet's state counts in
    progress() under `name`. `answers`, when it is not `...`, is the whole matrix typed
    into the boxes for the learner (for those who prefer to write it in code). Prints one
    line with the state, like every check, and returns the widget (shown when it ends a
    cell). Never raises on a bad `answers`: it says why the boxes stay empty.
    """
    from .widgets import fillable_product

    w = fillable_product(left, right, bias=bias, name=name, **widget_kwargs)
    if not _contains_ellipsis(answers):
        try:
            typed = _read(answers, answer_name)
            if typed.shape != w.expected.shape:
                raise _Unreadable(f"{answer_name} has shape {typed.shape}, the sheet is {w.expected.shape}")
        except _Unreadable as err:
            print(f"{MARKS[INCORRECT]} {name}: the boxes stay empty: {err}.")
        except Exception as err:  # noqa: BLE001 - a check never raises
            print(f"{MARKS[INCORRECT]} {name}: the boxes stay empty: the check could not read {answer_name} ({err}).")
        else:
            for (i, j), v in np.ndenumerate(typed):
                if (i, j) in w.boxes:
                    w.type(i, j, _fmt(v))
    state = w.state
    text = {NOT_DONE: "not done yet — type your answers in the boxes; they turn green or red as you type.",
            CORRECT: "correct: every box is green.",
            INCORRECT: f"not quite: {w.status.value}. Fix the red boxes (try the hint button)."}[state]
    print(f"{MARKS[state]} {name}: {text}")
    return w


# ---------------------------------------------------------------- lesson 01: the by-hand sheet


def _lesson01():
    from . import sheet
    from .sheet import A, FEATURES, H, HIDDEN, OUT_POSITIONS, R, W1, W2, X, Y, Z, b1, b2

    names = ["Z cells", "Z on the fillable sheet", "A column of H", "ReLU(H)", "A cell of Y",
             "attention_weighting", "ffn_layer", "sheet_tokens_as_rows"]

    def start_():
        start("01", names)

    def z_cells(Z_1_1, Z_2_4, Z_3_5):
        """Z[1,1], Z[2,4], Z[3,5] (1-based, row = feature, column = position)."""
        pick = ((0, 0), (1, 3), (2, 4))
        return check_value(
            names[0], [Z_1_1, Z_2_4, Z_3_5], [Z[i, j] for i, j in pick],
            cell_names=["Z_1_1", "Z_2_4", "Z_3_5"],
            slips={"used a row of A instead of a column (X·Aᵀ)": [(X @ A.T)[i, j] for i, j in pick]},
            hint="Z[i,j] is row i of X times column j of A: multiply cell by cell and add. "
                 "Column j of A has 1s in rows j and j+1, so Z[i,j] = X[i,j] + X[i,j+1] (and Z[i,5] = X[i,5] + X[i,1]).",
            note="Each column of Z is the sum of two neighbouring columns of X.")

    def h_column(H_col_1):
        """Column 1 of H = W1 · Z1 + b1 (4 numbers, H1..H4)."""
        return check_value(
            names[2], H_col_1, H[:, 0], cell_names=list(HIDDEN),
            labels=HIDDEN,
            slips={"left out the bias b1": (W1 @ Z)[:, 0],
                   "subtracted the bias b1 instead of adding it": (W1 @ Z - b1[:, None])[:, 0],
                   "applied the ReLU already (that is the next step)": R[:, 0],
                   "used column 2 of Z instead of column 1": H[:, 1]},
            hint="row k of W1 times the column Z1 = (11, 1, 1), then add b1[k]: "
                 "for H1, 1·11 + 0·1 + (-1)·1 + 1 = 11.",
            note="The FFN mixes the 3 features of one position into 4 hidden features.")

    def relu_h(R_answer):
        """ReLU(H), the whole 4 x 5 matrix."""
        return check_value(
            names[3], R_answer, R, labels=(HIDDEN, OUT_POSITIONS), symbol="R",
            slips={"forgot the ReLU (this is H itself)": H,
                   "took absolute values, but ReLU turns negatives into 0": np.abs(H),
                   "kept the negatives and zeroed the positives (that is min(H, 0))": np.minimum(H, 0)},
            hint="ReLU(h) = h when h > 0, and 0 otherwise: copy H and replace each negative number by 0.",
            note="ReLU zeroed the five negative cells of H.")

    def z_sheet(answers=...):
        """The fillable sheet for Z = X·A (see fillable_sheet)."""
        return fillable_sheet(
            names[1], X, A, answers, answer_name="Z_typed", symbol="Z",
            roles=("input", "attention", "output"), names=("X", "A"),
            left_labels=(FEATURES, sheet.POSITIONS), right_labels=(sheet.POSITIONS, OUT_POSITIONS),
            title="Z = X · A: type each cell")

    def y_cell(Y_3_3):
        """Y[3,3] = row 3 of W2 times column 3 of ReLU(H), plus b2[3]."""
        return check_value(
            names[4], Y_3_3, Y[2, 2],
            slips={"used H instead of ReLU(H)": (W2 @ H + b2[:, None])[2, 2],
                   "left out the bias b2": (W2 @ R)[2, 2],
                   "used H instead of ReLU(H) and left out the bias b2": (W2 @ H)[2, 2]},
            hint="row 3 of W2 is (0, -1, 1, 1) and column 3 of ReLU(H) is (8, 3, 2, 0): "
                 "multiply cell by cell, add, then add b2[3] = -1.",
            note="Y goes on to the next block: same shape as X, 3 features x 5 positions.")

    rng_seed = 101  # fixed: the random cases are the same in every run

    def attention_weighting(fn):
        rng = np.random.default_rng(rng_seed)

        def make(r):
            d, n = int(r.integers(2, 5)), int(r.integers(2, 6))
            return r.integers(-3, 4, size=(d, n)), r.integers(0, 3, size=(n, n))

        cases = [(X, A)] + int_cases(rng, 4, make) + [(np.array([[1, 2], [3, 4]]), np.array([[0, 1], [1, 1]]))]
        return check_function(
            names[5], fn, lambda X_, A_: np.asarray(X_) @ np.asarray(A_), cases,
            case_labels=["the sheet example"] + [f"random case {i}" for i in range(1, 6)],
            labels=(FEATURES, OUT_POSITIONS), symbol="Z",
            slips={"computed A·X: the order matters, Z = X·A": lambda X_, A_: A_ @ X_,
                   "used Aᵀ (rows of A) instead of A": lambda X_, A_: X_ @ A_.T,
                   "multiplied cell by cell (X * A) instead of a matrix product (X @ A)": lambda X_, A_: X_ * A_},
            hint="one line: return X @ A   # (d_model, n) @ (n, n) -> (d_model, n)")

    def ffn_layer(fn):
        rng = np.random.default_rng(rng_seed + 1)

        def make(r):
            d_in, n, d_out = int(r.integers(2, 5)), int(r.integers(2, 6)), int(r.integers(2, 5))
            return r.integers(-3, 4, size=(d_in, n)), r.integers(-2, 3, size=(d_out, d_in)), r.integers(-2, 3, size=d_out)

        square = (np.array([[1, 0, 2], [2, 1, 0]]), np.array([[1, 1], [0, 1], [1, -1]]), np.array([1, 2, 3]))
        cases = [(Z, W1, b1)] + int_cases(rng, 4, make) + [square]
        return check_function(
            names[6], fn, lambda Z_, W_, b_: W_ @ Z_ + b_[:, None], cases,
            case_labels=["the sheet example"] + [f"random case {i}" for i in range(1, 6)],
            labels=(HIDDEN, OUT_POSITIONS), symbol="H",
            slips={"left out the bias b": lambda Z_, W_, b_: W_ @ Z_,
                   "added b to each row instead of each column (use b[:, None])": lambda Z_, W_, b_: W_ @ Z_ + b_[None, :],
                   "applied a ReLU: ffn_layer is only W·Z + b (the ReLU is a separate step)":
                       lambda Z_, W_, b_: np.maximum(W_ @ Z_ + b_[:, None], 0)},
            hint="return W @ Z + b[:, None]   # (d_out, d_in) @ (d_in, n) -> (d_out, n); "
                 "b[:, None] is b as a column, added to every column.")

    def sheet_tokens_as_rows(fn):
        rng = np.random.default_rng(rng_seed + 2)

        def ref(X_, A_, W1_, b1_, W2_, b2_):
            return sheet.steps(X_, A_, W1_, b1_, W2_, b2_)["Y"].T

        def make(r):
            d, n, d_ff = int(r.integers(2, 5)), int(r.integers(2, 6)), int(r.integers(2, 6))
            return (r.integers(-3, 4, size=(d, n)), r.integers(0, 2, size=(n, n)),
                    r.integers(-2, 3, size=(d_ff, d)), r.integers(-2, 3, size=d_ff),
                    r.integers(-2, 3, size=(d, d_ff)), r.integers(-2, 3, size=d))

        def no_relu(X_, A_, W1_, b1_, W2_, b2_):
            z = (X_ @ A_).T
            return (z @ W1_.T + b1_) @ W2_.T + b2_

        def a_not_transposed(X_, A_, W1_, b1_, W2_, b2_):
            z = A_ @ X_.T
            return np.maximum(z @ W1_.T + b1_, 0) @ W2_.T + b2_

        def no_bias(X_, A_, W1_, b1_, W2_, b2_):
            z = (X_ @ A_).T
            return np.maximum(z @ W1_.T, 0) @ W2_.T

        cases = [(X, A, W1, b1, W2, b2)] + int_cases(rng, 4, make)
        return check_function(
            names[7], fn, ref, cases,
            case_labels=["the sheet example"] + [f"random case {i}" for i in range(1, 5)],
            labels=(OUT_POSITIONS, FEATURES),
            slips={"forgot the ReLU between the two layers": no_relu,
                   "used A where tokens-as-rows needs its transpose: z = A.T @ x (or z = (X @ A).T)": a_not_transposed,
                   "left out the biases": no_bias},
            hint="tokens are rows: x = X.T is (n, d_model); z = A.T @ x is (X @ A).T; "
                 "then return ffn(z, W1, b1, W2, b2), which is (n, d_model) = the sheet's Y.T.")

    return SimpleNamespace(
        EXERCISES=tuple(names), start=start_, z_cells=z_cells, z_sheet=z_sheet, h_column=h_column, relu_h=relu_h,
        y_cell=y_cell, attention_weighting=attention_weighting, ffn_layer=ffn_layer,
        sheet_tokens_as_rows=sheet_tokens_as_rows, progress=progress)


lesson01 = _lesson01()
