"""Checks for the exercise notebooks: not done, correct, incorrect with a diagnosis, or revealed.

How a lesson uses them
----------------------
Every exercise cell is followed by a check cell. A check prints one line that starts
with a mark, a hint after a wrong answer, and for a wrong row or matrix the learner's
answer drawn as a grid with the wrong cells marked (helpers.display.grid(..., marks=...);
outside IPython a text grid with the wrong cells in [brackets]):

    ✅ Z cells: correct. Each column of Z is the sum of two neighbouring columns of X.
    ⬜ A column of H: not done yet — replace the ... with your answer.
    ❌ ReLU(H): not quite. 1 of 20 cells is wrong: R[4,2] (marked in red below).
       Hint: ReLU keeps the positive numbers of H: look again at the negative ones.
       To see the answer: add show=True to this check (it then counts as revealed).

Hints are graduated: `hint=` names the idea and the step that looks wrong, never the answer.
The answer is in `answer=` and is printed ("   Answer: ...") only on request: every check takes
a keyword show=False, and `check.relu_h(R, show=True)` runs the check, prints the answer and
records the exercise as revealed (👁), which never counts as correct.

Two modes. Learning mode (the default) never raises. Grading mode, when the environment variable
NBGRADER_EXECUTION is "autograde" or "validate" (nbgrader sets it): a check whose verdict is not
correct (incorrect, not done, revealed, or an error inside the check) prints its usual feedback
and then raises AssertionError(<the diagnosis>), so nbgrader scores the cell 0 and shows why.

An exercise notebook imports its lesson's checks, `from helpers.checks import lesson05 as check`;
its first cell calls `check.start()` (declares the exercises), one check cell follows each
exercise, and the last cell calls `check.progress()`. Lesson notebooks import no checks.

The building blocks (everything after the answer is keyword-only and optional)
-----------------------------------------------------------------------------
check_value(name, given, expected, *, hint=None, labels=None, slips=None,
            symbol=None, cell_names=None, note=None, answer=None) -> Result
    For by-hand answers: a number, a row, a whole matrix. `given` (what the learner
    typed) may be an int, a float, a list, a tuple, a numpy array or a numpy scalar; a
    column typed as [[11], [2], ...] counts as the row [11, 2, ...]. Integer `expected`
    values are compared exactly, float ones with a relative tolerance of 1e-6 (RTOL).
    True/False count as 1/0 where expected is boolean or 0/1 integers (a causal mask);
    -inf (+inf) is right where expected holds the same infinity; text is never a number.
    Not done: `...` (anywhere in the answer), None, "" or [].
    answer:     the worked answer, printed only with show=True (default: expected).
    labels:     (row_labels, col_labels) for the grid; for a 1-D answer the labels of
                its cells (drawn as one row).
    symbol:     names wrong cells in the text, 1-based: symbol="R" gives "R[3,1]".
    cell_names: names of the cells of a 1-D answer (override symbol), e.g. for
                several by-hand numbers checked together: ["Z_1_1", "Z_2_4", "Z_3_5"].
    slips:      {"forgot the ReLU": H, "left out the bias b1": W1 @ Z, ...}:
                common wrong answers, each key completing "It looks like you …".
                Named only when exactly one slip reproduces every cell of the answer;
                otherwise the check says which cells are wrong, with no cause.
    hint:       one sentence the learner can act on (the idea, the step that looks
                wrong, never the answer), printed after a wrong answer.
    note:       printed after "correct." (what the result means).
    Diagnoses without slips: wrong shape ("the transpose of your answer would be
    right", "the numbers are right, in the wrong arrangement"), a square answer that is
    the transpose of a non-symmetric one, rows of different lengths, text, None or NaN
    inside, which cells are wrong (named and drawn), every cell off by the same amount,
    every sign flipped.

check_close(name, given, expected, *, tol=0.01, decimals=None, answer=None,
            **check_value_kwargs) -> Result
    check_value for numbers worked out by hand and rounded: a cell within tol of the
    exact value counts as right (0.42 for 0.4223). Slips use the same tolerance.
    decimals: the decimals asked for; cells that are the exact values rounded to fewer
    get "Round to N decimals (you gave k)".

check_function(name, fn, reference, cases, *, slips=None, hint=None, labels=None,
               case_labels=None, symbol=None, note=None, answer=None) -> Result
    (cases may be a dict {label: case}, so each case is named where it is declared)
    For code answers. Calls fn(*case) on copies of each case (by convention the first
    is the sheet example, the rest small random integer cases from a fixed seed) and
    compares with reference(*case) (tolerance RTOL). Not done: fn is `...`/None,
    raises NotImplementedError, or returns `...`. Diagnoses: an exception (type,
    message and the learner's line that raised), None returned (a missing `return`),
    text returned, wrong shape and transpose, the wrong cells (drawn for the first
    case; for a later case the inputs, the expected and the actual result are
    printed), and the slips, here functions with the reference's signature:
    {"took the softmax over the columns": lambda x: softmax(x, axis=0), ...}.
    A slip is named only if it reproduces the learner's result on the failing case AND
    on a later case where it differs from the reference and from the other candidate
    slips, and no other slip is confirmed. When the learner's function raises, a slip
    that raises the same error (type and message) on that case, and only one, is named,
    with numpy's message on a line below ("   numpy said: ...").
    answer: the code of the answer, printed only with show=True (no default).
    labels/symbol name the cells of the first case's result. Only the first case lets
    the learner's print() calls through.

int_cases(rng, n_cases, make) -> [tuple, ...]
    n_cases cases from make(rng), e.g. make = lambda r: (r.integers(-3, 4, size=(3, 4)),).
random_cases(rng, n_cases, make, first=1) -> {"random case 1": tuple, ...}
snap_to_2_decimals(given, exact, tol=0.006)
    a by-hand answer typed with 2 decimals, snapped to the exact value rounded to 2 decimals
    where it is within tol, so that check_value compares like with like. Text, not-done and
    other non-numbers are returned unchanged (check_value then explains them).

check_softmax(fn, name="softmax", note=None, *, hint=..., answer=...)
    A ready-made check of softmax over the last axis (wrong axis, no normalising,
    overflow on large logits), for the lessons that ask for a softmax.

start(lesson, names)  declares a lesson's exercises, in order, so a never-run check
                      shows "not done" in progress(); forgets other lessons' states.
fillable_sheet(name, left, right, answers=..., *, answer_name="answers", hint=None,
               answer=None, **widget_kwargs)
                      an exercise on the fillable sheet (helpers.widgets): the product as
                      boxes that turn green or red as the learner types; graded on
                      `answers` (the matrix in the answer cell), typed into the boxes.
                      The widget shows the line `<answer_name> = [[...]]` to paste there.
                      In learning mode the boxes count in progress(); revealed boxes make
                      the sheet "revealed", never "correct". Returns the widget.
progress()            prints the table: which exercises are correct, incorrect, revealed
                      (only mentioned when there are some), not done.
states()              {name: "not done" | "correct" | "incorrect" | "revealed"} (for tests).

Result: what every check returns. bool(result) is True only when correct, and
`result == True` / `result == False` work; result.state is "not done", "correct",
"incorrect" or "revealed", result.message the printed text, result.diagnosis the same
without the closing "To see the answer" line. In a notebook a Result displays nothing
(the check has printed already), so a check call can end a cell. The registry is
keyed by name: re-running a check updates its row.

In learning mode a check never raises, whatever it is given (None, strings, ragged
lists, NaN, a function that raises or returns garbage): a failure inside the check
itself is reported as "the check could not read your answer: …" and counts as incorrect.
Output is deterministic (nbval compares it): no timings, no addresses, random cases
only from seeded numpy Generators.

The modules, from the bottom: reading (is it numbers?), drawing (a grid with the wrong cells
marked), results (states, Result, progress), diagnosis (why it is wrong), values
(check_value, check_close), functions (check_function), sheet (fillable_sheet), registry
(@exercise). Each lesson's checks are top-level functions in checks/lessonNN.py, registered
with @exercise(title) in exercise order, with their expected values taken from
helpers.lessonNN (never typed in twice).
"""

from .functions import check_function, check_softmax, int_cases, random_cases
from .registry import checks, exercise, exercises, start_lesson
from .results import (
    ATOL,
    CORRECT,
    INCORRECT,
    MARKS,
    NOT_DONE,
    REVEALED,
    RTOL,
    Result,
    grading,
    progress,
    record,
    start,
    states,
)
from .sheet import fillable_sheet
from .values import check_close, check_value, snap_to_2_decimals

__all__ = [
    "ATOL", "CORRECT", "INCORRECT", "MARKS", "NOT_DONE", "REVEALED", "RTOL", "Result", "check_close",
    "check_function", "check_softmax", "check_value", "checks", "exercise", "exercises", "fillable_sheet",
    "grading", "int_cases", "progress", "random_cases", "record", "snap_to_2_decimals", "start", "start_lesson",
    "states",
]
