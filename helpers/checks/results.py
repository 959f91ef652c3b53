"""What a check returns and remembers: the three states, Result, and the progress table.

One lesson per kernel: start() declares its exercises in order, every check records the
state of its exercise by name, and progress() prints the table.
"""

from __future__ import annotations

import numpy as np

from .drawing import show

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


def finish(name, state, message, drawing=None):
    _STATES[name] = state
    if name not in _ORDER:
        _ORDER.append(name)
    print(message)
    if drawing is not None:
        show(drawing)
    return Result(name, state, message)


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
