"""Printable by-hand worksheets: a different integer problem per learner, and its key.

`byhand worksheet ...` (helpers/cli.py) is the command; this package does the work:

- `difficulty(...)` turns a level (easy, medium, hard) and overrides into a `Difficulty`,
  or raises ValueError when it cannot be met (e.g. no negatives, but ReLU must zero something);
- `generate(kind, seed, index, diff)` makes the problem of sheet `index` from (seed, index)
  alone, retrying with the next sub-seed until every constraint in `violations` holds;
- `write_worksheets(problems, out, paper)` writes the sheets PDF, the key PDF beside it and,
  if asked, the JSON, each to a temporary file moved into place only when all are done, and
  never over an existing file unless forced.

The sheets use the by-hand layout of lesson 01 (features x positions: each token is a
column): the right operand above, the left operand to the left, the result where they cross.
Every box is at least BOX_MM wide, so the block takes two pages per sheet. A student's page
names its class set by `set_code` (a hash), never by the seed: the seed and the command that
prints the set again are on the key and in the JSON only.
matplotlib is imported only inside the functions that draw.

Modules, each importing only those above it:
    kinds     the kinds of sheet (KINDS, TITLES, STEPS, ...) and `solve`
    problems  Difficulty, difficulty, violations, Problem, generate, class_set, command, set_code, to_json
    text      numbers and lines of text on the page, and the instructions (notes)
    layout    PAPER, BOX_MM, Grid, Step, Layout: which grids go on a page (plan), and where (page_layout)
    render    drawing the pages: render_pdf
    files     outputs, write_worksheets
"""

from .files import outputs, write_worksheets
from .kinds import EXAMPLE, FORMULAS, KINDS, RELU, SIGNED, STEPS, TITLES, WEIGHTS, solve
from .layout import BOX_MM, PAPER, Grid, Layout, Step
from .problems import (
    LEVELS,
    MAX_TRIES,
    Difficulty,
    Problem,
    class_set,
    command,
    difficulty,
    generate,
    n_signed,
    set_code,
    to_json,
    violations,
)
from .render import render_pdf

__all__ = [
    "KINDS", "TITLES", "SIGNED", "WEIGHTS", "RELU", "STEPS", "EXAMPLE", "FORMULAS", "solve",
    "LEVELS", "MAX_TRIES", "Difficulty", "n_signed", "difficulty", "violations", "Problem",
    "generate", "class_set", "command", "set_code", "to_json",
    "PAPER", "BOX_MM", "Grid", "Step", "Layout", "render_pdf", "outputs", "write_worksheets",
]
