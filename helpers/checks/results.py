"""What a check returns and remembers: the four states, Result, the progress table, and how a
check run ends (learning mode prints; grading mode also raises when the answer is not correct).

One lesson per kernel: start() declares its exercises in order, every check records the
state of its exercise by name, and progress() prints the table.

A check run: every public check (check_value, ..., and each lesson's @exercise) goes through
run_check. The outermost one opens a _Run (a contextvar): it holds `show` (the learner asked for
the answer), the answer to print then, and the last Result, so that nested checks (check_close
calls check_value) print one verdict and only the outermost raises in grading mode.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
import os

import numpy as np

from .drawing import show

NOT_DONE = "not done"
CORRECT = "correct"
INCORRECT = "incorrect"
REVEALED = "revealed"
MARKS = {NOT_DONE: "⬜", CORRECT: "✅", INCORRECT: "❌", REVEALED: "👁"}
RTOL = 1e-6  # relative tolerance for float answers
ATOL = 1e-9  # so that 1e-17 counts as 0
GRADING_MODES = ("autograde", "validate")  # the values nbgrader gives NBGRADER_EXECUTION
TO_SEE = "   To see the answer: add show=True to this check (it then counts as revealed)."


class Result:
    """The outcome of one check. Truthy only when correct.

    message: everything the check printed; diagnosis: the feedback without the closing
    "To see the answer" line (what grading mode raises with)."""

    __slots__ = ("name", "state", "message", "diagnosis")

    def __init__(self, name, state, message, diagnosis=None):
        self.name, self.state, self.message = name, state, message
        self.diagnosis = message if diagnosis is None else diagnosis

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

    The fillable sheet (checks.sheet) passes it to the widget as its callback, so what
    the learner types counts in progress() like any other exercise.
    """
    if state not in MARKS:
        raise ValueError(f"state must be one of {sorted(MARKS)}, got {state!r}")
    _STATES[str(name)] = state
    if str(name) not in _ORDER:
        _ORDER.append(str(name))


def progress():
    """Print which exercises are correct, incorrect, revealed and not done."""
    table = states()
    counts = {s: sum(v == s for v in table.values()) for s in MARKS}
    lesson = f" {_LESSON['id']}" if _LESSON["id"] else ""
    revealed = f"{counts[REVEALED]} revealed, " if counts[REVEALED] else ""
    lines = [
        f"Exercises{lesson}: {counts[CORRECT]} of {len(table)} correct, "
        f"{counts[INCORRECT]} incorrect, {revealed}{counts[NOT_DONE]} not done."
    ]
    width = max((len(n) for n in table), default=0)
    for i, (n, s) in enumerate(table.items(), 1):
        lines.append(f"  {MARKS[s]} {i}. {n.ljust(width)}  {s}")
    if table and counts[CORRECT] == len(table):
        lines.append("All done: well done!")
    elif counts[INCORRECT]:
        lines.append("Scroll up to a ❌ for its diagnosis and hint, fix the answer, and run its check again.")
    if counts[REVEALED]:
        lines.append(f"{MARKS[REVEALED]} revealed: you asked for the answer, so it does not count as correct "
                     "(nor when the notebook is graded).")
    print("\n".join(lines))


# ---------------------------------------------------------------- one check run


class CheckFailed(AssertionError):
    """What a check raises in grading mode: nbgrader scores the cell 0 and shows the diagnosis.

    IPython renders it as the diagnosis alone (_render_traceback_), so a learner's feedback shows
    what is wrong with the answer, not the check engine's frames and the paths of its files."""

    def _render_traceback_(self):
        return [f"AssertionError: {line}" if i == 0 else line for i, line in enumerate(str(self).splitlines())]


class _Run:
    """The check being run: show (the answer was asked for), the answer to print, the last Result."""

    __slots__ = ("show", "answer", "last")

    def __init__(self, show):
        self.show, self.answer, self.last = bool(show), None, None


_RUN = contextvars.ContextVar("helpers_checks_run", default=None)


def grading():
    """Is nbgrader running the notebook (NBGRADER_EXECUTION is autograde or validate)?"""
    return os.environ.get("NBGRADER_EXECUTION", "") in GRADING_MODES


def showing():
    """Did the learner ask for the answer (show=True) in the check being run?"""
    run = _RUN.get()
    return run is not None and run.show


def offer_answer(answer):
    """The answer the check being run prints on show=True (the outermost check's offer wins)."""
    run = _RUN.get()
    if run is not None and run.answer is None and answer is not None:
        run.answer = str(answer)


def _name(name_of, args, kwargs):
    try:
        return str(name_of(args, kwargs))
    except Exception:  # noqa: BLE001 - a check never raises
        return "check"


def run_check(check, args, kwargs, show, name_of):
    """Run check(*args, **kwargs) as a check: never raises in learning mode; in grading mode the
    outermost check raises CheckFailed (an AssertionError) with the diagnosis when its verdict is not correct."""
    if _RUN.get() is not None:  # nested in another check: that one concludes
        if show:
            _RUN.get().show = True
        return check(*args, **kwargs)
    run = _Run(show)
    token = _RUN.set(run)
    try:
        try:
            returned = check(*args, **kwargs)
        except Exception as err:  # noqa: BLE001 - a lesson's check that failed before reaching the engine
            returned = internal_error(_name(name_of, args, kwargs), err)
    finally:
        _RUN.reset(token)
    verdict = run.last if run.last is not None else returned
    if grading() and isinstance(verdict, Result) and verdict.state != CORRECT:
        raise CheckFailed(verdict.diagnosis)
    return returned


def _with_show(check):
    """check's signature with a keyword-only show=False added (what `help` and Jupyter show)."""
    try:
        sig = inspect.signature(check)
    except (TypeError, ValueError):
        return None
    params = list(sig.parameters.values())
    if "show" in sig.parameters:
        return sig
    show_param = inspect.Parameter("show", inspect.Parameter.KEYWORD_ONLY, default=False)
    at = next((i for i, p in enumerate(params) if p.kind == inspect.Parameter.VAR_KEYWORD), len(params))
    return sig.replace(parameters=params[:at] + [show_param] + params[at:])


def _first_argument(args, kwargs):
    return args[0] if args else kwargs.get("name", "check")


def guarded(check=None, *, name_of=_first_argument):
    """check as a public check: a plain function with check's name and docstring, and a keyword
    show=False (True prints the answer and records the exercise as revealed). See run_check.
    name_of(args, kwargs) gives the exercise's name for an error the check did not catch.
    Use as @guarded, or @guarded(name_of=...)."""
    if check is None:
        return functools.partial(guarded, name_of=name_of)

    @functools.wraps(check)
    def run(*args, show=False, **kwargs):
        return run_check(check, args, kwargs, show, name_of)

    sig = _with_show(check)
    if sig is not None:
        run.__signature__ = sig
    return run


def finish(name, state, message, drawing=None):
    """Record and print a verdict. With show=True it becomes REVEALED and the answer is printed;
    a wrong answer ends with the line saying how to see the answer (when there is one)."""
    run = _RUN.get()
    tail, diagnosis = None, message
    if run is not None and run.show and run.answer is not None:
        state = REVEALED
        tail = ("   Answer: " + run.answer.replace("\n", "\n   ")
                + f"\n   {MARKS[REVEALED]} This exercise now counts as revealed, not as correct.")
        diagnosis = f"{MARKS[REVEALED]} {name}: the answer was revealed (show=True), so it does not count.\n{message}"
    elif state == INCORRECT and run is not None and run.answer is not None:
        tail = TO_SEE
    _STATES[name] = state
    if name not in _ORDER:
        _ORDER.append(name)
    print(message)
    if drawing is not None:
        show(drawing)
    if tail:
        print(tail)
    result = Result(name, state, message + (f"\n{tail}" if tail else ""), diagnosis)
    if run is not None:
        run.last = result
    return result


def correct(name, note):
    msg = f"{MARKS[CORRECT]} {name}: correct."
    if note:
        msg += f" {note}"
    return finish(name, CORRECT, msg)


def incorrect(name, text, hint, drawing=None):
    text = text[:1].upper() + text[1:]
    msg = f"{MARKS[INCORRECT]} {name}: not quite. {text}"
    if hint:
        msg += f"\n   Hint: {hint}"
    return finish(name, INCORRECT, msg, drawing)


def internal_error(name, err):
    try:
        detail = f"{type(err).__name__}: {err}"
    except Exception:  # noqa: BLE001
        detail = type(err).__name__
    msg = f"{MARKS[INCORRECT]} {name}: the check could not read your answer: {detail}"
    try:
        return finish(name, INCORRECT, msg)
    except Exception:  # noqa: BLE001 - even printing failed
        return Result(name, INCORRECT, msg)
