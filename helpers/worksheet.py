"""Printable by-hand worksheets: a different integer problem per learner, and its key.

`byhand worksheet ...` (helpers/cli.py) is the command; this module does the work:

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
"""

from __future__ import annotations

import base64
import errno
import functools
import hashlib
import json
import logging
import math
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np

# ---------------------------------------------------------------- the kinds of sheet

KINDS = ("block", "attention", "ffn", "scores")

TITLES = {
    "block": "One transformer block: attention weighting, then the feed-forward network (lesson 01)",
    "attention": "Attention weighting: Z = X·A (lesson 01, step 1)",
    "ffn": "One feed-forward layer and its ReLU: H = W·Z + b, R = ReLU(H)",
    "scores": "The score matrix of attention: S = Q·Kᵀ",
}

# Given arrays of each kind: name -> shape. SIGNED ones may hold negatives; the attention
# weights A are never negative (they weight columns of X).
SIGNED = {
    "block": {"X": (3, 5), "W1": (4, 3), "b1": (4,), "W2": (3, 4), "b2": (3,)},
    "attention": {"X": (3, 5)},
    "ffn": {"Z": (3, 5), "W": (4, 3), "b": (4,)},
    "scores": {"Q": (4, 3), "K": (4, 3)},
}
WEIGHTS = {"block": {"A": (5, 5)}, "attention": {"A": (5, 5)}, "ffn": {}, "scores": {}}
RELU = {"block": ("H", "R"), "ffn": ("H", "R")}  # kinds whose ReLU must zero something

# What the learner does, one line per step (printed on the sheet, in this order).
STEPS = {
    "block": [
        "Z = X·A: each box is the row of X to its left times the column of A above it (multiply pairs, add).",
        "H = W1·Z + b1: the row of W1 times the column of Z above it, plus that row's b1.",
        "R = ReLU(H): copy H from page 1, but write 0 in place of every negative number.",
        "Y = W2·R + b2: the row of W2 times the column of R above it, plus that row's b2.",
    ],
    "attention": [
        "Z = X·A: each box is the row of X to its left times the column of A above it (multiply pairs, add).",
    ],
    "ffn": [
        "H = W·Z + b: each box is the row of W to its left times the column of Z above it, plus that row's b.",
        "R = ReLU(H): copy H, but write 0 in place of every negative number.",
    ],
    "scores": [
        "S = Q·Kᵀ: the box in row qi, column kj is query qi (row of Q) times key kj (column of Kᵀ): multiply pairs, add.",
    ],
}

EXAMPLE = "One box, for example: the row (1, 2, −1) times the column (3, 0, 2) is 1·3 + 2·0 + (−1)·2 = 1."

FORMULAS = {  # for the JSON, in numpy
    "block": ["Z = X @ A", "H = W1 @ Z + b1[:, None]", "R = maximum(H, 0)", "Y = W2 @ R + b2[:, None]"],
    "attention": ["Z = X @ A"],
    "ffn": ["H = W @ Z + b[:, None]", "R = maximum(H, 0)"],
    "scores": ["S = Q @ K.T"],
}


def solve(kind, given):
    """The answers of a problem, in the sheet's own integer arithmetic."""
    g = {k: np.asarray(v, dtype=np.int64) for k, v in given.items()}
    if kind == "scores":
        return {"S": g["Q"] @ g["K"].T}  # (n, d_k) @ (d_k, n) -> (n, n)
    if kind == "ffn":
        H = g["W"] @ g["Z"] + g["b"][:, None]  # (4, 3) @ (3, 5) -> (4, 5)
        return {"H": H, "R": np.maximum(H, 0)}
    Z = g["X"] @ g["A"]  # (3, 5) @ (5, 5) -> (3, 5)
    if kind == "attention":
        return {"Z": Z}
    H = g["W1"] @ Z + g["b1"][:, None]  # (4, 3) @ (3, 5) -> (4, 5)
    R = np.maximum(H, 0)
    Y = g["W2"] @ R + g["b2"][:, None]  # (3, 4) @ (4, 5) -> (3, 5)
    return {"Z": Z, "H": H, "R": R, "Y": Y}


# ---------------------------------------------------------------- difficulty

# level -> (max_value, max_weight, share of negative given numbers, max_digits)
LEVELS = {
    "easy": (2, 1, 0.10, 2),
    "medium": (3, 1, 0.20, 3),
    "hard": (5, 2, 0.30, 3),
}
MAX_TRIES = 400  # sub-seeds tried per sheet before giving up


@dataclass(frozen=True)
class Difficulty:
    """What a problem may contain; `violations` checks a problem against it.

    max_value: given numbers lie in -max_value..max_value;
    max_weight: attention weights (A) lie in 0..max_weight, 1 to 3 non-zero per column;
    negatives: exactly this many given numbers are negative;
    max_digits: no answer needs more than this many digits (a sign aside);
    ReLU kinds: ReLU zeroes at least one cell of H and at most half of them.
    """

    level: str
    max_value: int
    max_weight: int
    negatives: int
    max_digits: int


def n_signed(kind):
    """How many given numbers of a kind may be negative."""
    return sum(int(np.prod(shape)) for shape in SIGNED[kind].values())


def difficulty(level="easy", kind="block", max_value=None, negatives=None, max_digits=None):
    """The Difficulty of a level, with overrides; ValueError if it cannot be met."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}: choose one of {', '.join(KINDS)}")
    if level not in LEVELS:
        raise ValueError(f"unknown difficulty {level!r}: choose one of {', '.join(LEVELS)}")
    mv, mw, share, md = LEVELS[level]
    max_value = mv if max_value is None else int(max_value)
    max_digits = md if max_digits is None else int(max_digits)
    total = n_signed(kind)
    negatives = round(share * total) if negatives is None else int(negatives)
    if max_value < 1:
        raise ValueError(f"--max-value must be at least 1, got {max_value}: "
                         "with every given number 0 there is nothing to compute")
    if not 1 <= max_digits <= 3:
        raise ValueError(f"--max-digits must be 1, 2 or 3, got {max_digits}: "
                         "an answer box holds at most three digits and a sign")
    if not 0 <= negatives <= total:
        raise ValueError(f"--negatives {negatives} is impossible for kind {kind}: "
                         f"it must be between 0 and {total} (the given numbers that may be negative)")
    if kind in RELU and negatives == 0:
        raise ValueError(f"--negatives 0 is impossible for kind {kind}: with no negative number "
                         "ReLU has nothing to zero; use --negatives 1 or more")
    return Difficulty(level, max_value, min(mw, max_value), negatives, max_digits)


def violations(kind, given, answers, diff):
    """The constraints of `diff` that a problem breaks, as sentences (empty: all hold)."""
    out = []
    signed = np.concatenate([np.ravel(given[k]) for k in SIGNED[kind]])
    if np.abs(signed).max() > diff.max_value:
        out.append(f"a given number is outside -{diff.max_value}..{diff.max_value}")
    if int((signed < 0).sum()) != diff.negatives:
        out.append(f"{int((signed < 0).sum())} given numbers are negative, not {diff.negatives}")
    for k in WEIGHTS[kind]:
        A = np.asarray(given[k])
        if A.min() < 0 or A.max() > diff.max_weight or not (1 <= (A != 0).sum(axis=0)).all():
            out.append(f"{k} is not 0..{diff.max_weight} with a non-zero in every column")
    limit = 10 ** diff.max_digits - 1
    for k, M in answers.items():
        if np.abs(M).max() > limit:
            out.append(f"answers need more than {diff.max_digits} digit(s) ({k} holds {np.abs(M).max()})")
        if not np.any(M):
            out.append(f"every cell of {k} is 0")
    if kind in RELU:
        zeroed = int((np.asarray(answers["H"]) < 0).sum())
        if not 1 <= zeroed <= answers["H"].size // 2:
            out.append(f"ReLU zeroes {zeroed} cells of H, not 1..{answers['H'].size // 2}")
    return out


# ---------------------------------------------------------------- problems


@dataclass
class Problem:
    """One sheet: what is given, what the learner writes, and where it came from."""

    kind: str
    seed: int
    index: int  # 0-based sheet number within the class set
    diff: Difficulty
    given: dict = field(repr=False)
    answers: dict = field(repr=False)


def _draw(rng, kind, diff):
    """One candidate problem: exactly diff.negatives negative cells, placed at random."""
    total = n_signed(kind)
    neg = np.zeros(total, dtype=bool)
    neg[rng.choice(total, size=diff.negatives, replace=False)] = True
    values = np.where(neg, -rng.integers(1, diff.max_value + 1, size=total),
                      rng.integers(0, diff.max_value + 1, size=total))
    given, start = {}, 0
    for name, shape in SIGNED[kind].items():
        size = int(np.prod(shape))
        given[name] = values[start:start + size].reshape(shape)
        start += size
    for name, (n_in, n_out) in WEIGHTS[kind].items():
        A = np.zeros((n_in, n_out), dtype=np.int64)
        for j in range(n_out):  # each output position mixes 1 to 3 input positions
            rows = rng.choice(n_in, size=int(rng.integers(1, 4)), replace=False)
            A[rows, j] = rng.integers(1, diff.max_weight + 1, size=len(rows))
        given[name] = A
    return given


def generate(kind, seed, index=0, diff=None):
    """The problem of sheet `index` for `seed`: a function of (kind, seed, index, diff) only."""
    diff = difficulty(kind=kind) if diff is None else diff
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}: choose one of {', '.join(KINDS)}")
    if int(seed) < 0:
        raise ValueError(f"--seed must be 0 or more, got {seed}")
    reasons = {}
    for attempt in range(MAX_TRIES):
        rng = np.random.default_rng([int(seed), int(index), attempt])
        given = _draw(rng, kind, diff)
        answers = solve(kind, given)
        broken = violations(kind, given, answers, diff)
        if not broken:
            return Problem(kind, int(seed), int(index), diff, given, answers)
        for why in broken:
            key = why.split(" (")[0]
            reasons[key] = reasons.get(key, 0) + 1
    common = max(reasons, key=reasons.get)
    raise ValueError(
        f"no {kind} problem met the difficulty in {MAX_TRIES} tries (sheet {index + 1}, seed {seed}); "
        f"most often: {common}. Loosen it: a smaller --max-value, more --max-digits, "
        f"or a different --negatives")


def class_set(kind, seed, count, diff=None):
    """`count` problems, sheet i made from (seed, i): the same seed gives the same set."""
    if int(count) < 1:
        raise ValueError(f"--count must be at least 1, got {count}")
    return [generate(kind, seed, i, diff) for i in range(int(count))]


def command(problem, count=None, paper="a4"):
    """The command that prints this sheet's class set (and its key) again."""
    d, default = problem.diff, difficulty(problem.diff.level, problem.kind)
    parts = [f"byhand worksheet --kind {problem.kind} --seed {problem.seed}"]
    parts.append(f"--count {count if count else problem.index + 1}")
    if d.level != "easy":
        parts.append(f"--difficulty {d.level}")
    for flag, mine, theirs in (("--max-value", d.max_value, default.max_value),
                               ("--negatives", d.negatives, default.negatives),
                               ("--max-digits", d.max_digits, default.max_digits)):
        if mine != theirs:
            parts.append(f"{flag} {mine}")
    if paper != "a4":
        parts.append(f"--paper {paper}")
    return " ".join(parts)


def set_code(problem):
    """Five letters and digits that name a class set's problems on every student sheet.

    A SHA-256 hash of what makes the problems (kind, seed, difficulty), so the teacher can
    match a sheet to its key (reprinted on other paper or with a larger --count too) while
    the sheet does not give the seed away, short of trying seeds one by one.
    """
    d = problem.diff
    made_of = (f"{problem.kind} {problem.seed} {d.level} {d.max_value} {d.max_weight} "
               f"{d.negatives} {d.max_digits}")
    return base64.b32encode(hashlib.sha256(made_of.encode()).digest()).decode()[:5]


def to_json(problems, paper="a4"):
    """The class set as a JSON-ready dict (all numbers plain ints)."""
    p0 = problems[0]
    return {
        "kind": p0.kind,
        "title": TITLES[p0.kind],
        "seed": p0.seed,
        "set_code": set_code(p0),
        "count": len(problems),
        "paper": paper,
        "difficulty": vars(p0.diff).copy(),
        "layout": "features x positions for X, A, Z, W, H, R, Y (each token is a column); "
                  "tokens are rows for Q, K, S; weights are (d_out, d_in)",
        "formulas": FORMULAS[p0.kind],
        "command": command(p0, len(problems), paper),
        "sheets": [
            {"sheet": p.index + 1,
             "given": {k: np.asarray(v).tolist() for k, v in p.given.items()},
             "answers": {k: np.asarray(v).tolist() for k, v in p.answers.items()}}
            for p in problems
        ],
    }


# ---------------------------------------------------------------- page layout

PAPER = {"a4": (8.27, 11.69), "letter": (8.5, 11.0)}  # inches, portrait
BOX_MM = 14  # the narrowest answer box: room for "−168" written by hand
_PAD = 0.025  # the blank share of a cell on each side of its box
_CELL_MIN = math.ceil(BOX_MM / 25.4 / (1 - 2 * _PAD) * 1000) / 1000  # inches: a BOX_MM box
_CELL_MAX = 0.64
_ANSWER_INK = "#b91c1c"  # the key's answers, like a marking pen
_GREY, _BLACK = "#4b5563", "#111827"
_MARGIN = 0.55
_HEADER = 1.42  # from the top margin to the grids: the header's lines, its rule and a gap
_LINE = 0.21  # a label line, inches
_GAP = 0.14  # between a result and the label lines of the next step
_LAB = 0.36  # room for row labels beside a grid
_NAME = 0.42  # room for an operand's name to its left
_OP_GAP, _BIAS_GAP = 0.32, 0.14  # left operand to its result; between two left operands
_ROOM = 1.0  # the least height left free for working
_FOOT = 0.12  # kept clear above the bottom margin, under the key's footer


class Grid(NamedTuple):
    """A matrix as a sheet draws it; blank: the learner fills it in (the key: in red)."""

    name: str
    M: np.ndarray
    role: str
    rows: list | None  # row labels: on its right, or its left for the top grid of a page
    cols: list | None  # column labels, above it
    blank: bool = False


class Step(NamedTuple):
    """A grid under the one above it (its right operand), its left operands to its left.

    no and title are None for a given grid at the top of a page.
    """

    no: int | None
    title: str | None
    lefts: list
    result: Grid


class Layout(NamedTuple):
    """Where a page's parts go, in inches from its lower-left corner."""

    cell: float  # the side of a grid cell; a box is (1 - 2 * _PAD) of it
    grids: list  # [(Grid, x, y, Step or None for a left operand)]: top-left corners
    notes: tuple  # (x, y, width): the top of the instructions, and how wide they may run
    room: tuple  # (x0, y0, x1, y1): left free for working


def _labels(prefix, n):
    return [f"{prefix}{i}" for i in range(1, n + 1)]


def _plan(problem):
    """The pages of a sheet, each a list of Steps from its top grid down.

    The block takes two pages (Z and H, then R and Y) so that its boxes are BOX_MM wide.
    """
    g, a = problem.given, problem.answers
    P, Xs, Zs, Hs = _labels("P", 3), _labels("X", 5), _labels("Z", 5), _labels("H", 4)

    def bias(name):
        return Grid(name, g[name][:, None], "bias", None, [name])

    if problem.kind == "scores":
        return [[Step(None, None, [], Grid("Kᵀ", g["K"].T, "input", _labels("d", 3), _labels("k", 4))),
                 Step(1, "S = Q·Kᵀ", [Grid("Q", g["Q"], "input", None, _labels("d", 3))],
                      Grid("S", a["S"], "attention", _labels("q", 4), None, True))]]
    if problem.kind == "ffn":
        return [[Step(None, None, [], Grid("Z", g["Z"], "input", P, Zs)),
                 Step(1, "H = W·Z + b", [Grid("W", g["W"], "weights", None, P), bias("b")],
                      Grid("H", a["H"], "hidden", Hs, None, True)),
                 Step(2, "R = ReLU(H)", [], Grid("R", a["R"], "hidden", Hs, None, True))]]
    first = [Step(None, None, [], Grid("A", g["A"], "attention", Xs, Zs)),
             Step(1, "Z = X·A", [Grid("X", g["X"], "input", None, Xs)],
                  Grid("Z", a["Z"], "output", P, None, True))]
    if problem.kind == "attention":
        return [first]
    first.append(Step(2, "H = W1·Z + b1", [Grid("W1", g["W1"], "weights", None, P), bias("b1")],
                      Grid("H", a["H"], "hidden", Hs, None, True)))
    second = [Step(3, "R = ReLU(H), with H from page 1", [],
                   Grid("R", a["R"], "hidden", Hs, None, True)),
              Step(4, "Y = W2·R + b2", [Grid("W2", g["W2"], "weights", None, Hs), bias("b2")],
                   Grid("Y", a["Y"], "output", P, None, True))]
    return [first, second]


def _place(steps, c):
    """Where a page's grids go for cell size c (inches): [(Grid, x, y, Step)], extent.

    Relative coordinates: x grows right from the top grid's left edge, y grows DOWN from the
    top of the grid area to a grid's top edge. extent = (x_min, x_max, height) takes in the
    labels, the operands' names and the steps' title lines.
    """
    out, y, x_min, x_max = [], 0.0, -_LAB, 0.0
    for k, step in enumerate(steps):
        grid = step.result
        y += (_GAP if k else 0.0) + _LINE * (2 if step.no and grid.cols else 1)
        right = -_OP_GAP
        for op in reversed(step.lefts):
            right -= op.M.shape[1] * c
            out.append((op, right, y, None))
            x_min = min(x_min, right - (0.0 if op.cols == [op.name] else _NAME))
            right -= _BIAS_GAP
        out.append((grid, 0.0, y, step))
        x_max = max(x_max, grid.M.shape[1] * c + _LAB)
        y += grid.M.shape[0] * c
    return out, (x_min, x_max, y)


def _fit(steps, width, height):
    """The largest cell size (inches) from _CELL_MAX down to _CELL_MIN at which the grids fit."""
    for c in [*np.arange(_CELL_MAX, _CELL_MIN, -0.005), _CELL_MIN]:
        _, (x_min, x_max, h) = _place(steps, float(c))
        if x_max - x_min <= width and h <= height:
            return float(c)
    raise ValueError(f"the grids do not fit {width:.2f} x {height:.2f} in with {BOX_MM} mm boxes")


def _corner(steps, c):
    """The free corner left of the top grid, relative as in _place: (x_min, width, height)."""
    placed, (x_min, _, _) = _place(steps, c)
    _, _, y, step = placed[0]
    return x_min, -_LAB - x_min, y + step.result.M.shape[0] * c


def _layout(problem, steps, paper):
    """The layout of one page: the largest cells that fit, and room to work.

    The instructions go in the corner left of the top grid when they fit there, else under
    the header. The room for working is the taller of what is left of that corner and what
    is left under the grids: at least _ROOM inches, kept free under the grids if need be.
    """
    W, H = PAPER[paper]
    left, width = _MARGIN, W - 2 * _MARGIN
    top, bottom = H - _MARGIN - _HEADER, _MARGIN
    notes = _notes(problem, steps)
    _, corner_w, corner_h = _corner(steps, _CELL_MIN)
    beside = _notes_height(notes, corner_w) <= corner_h
    room_beside = beside and _notes_height(notes, corner_w) + _ROOM <= corner_h
    above = 0.0 if beside else _notes_height(notes, width) + _GAP
    c = _fit(steps, width, top - above - bottom - (_FOOT if room_beside else _GAP + _ROOM))
    placed, (x_min, x_max, height) = _place(steps, c)
    x0 = left + (width - (x_max - x_min)) / 2 - x_min
    y0 = top - above
    grids = [(grid, x0 + x, y0 - y, step) for grid, x, y, step in placed]
    _, corner_w, corner_h = _corner(steps, c)
    notes_at = (x0 + x_min, y0, corner_w) if beside else (left, top, width)
    rooms = [(left, bottom, left + width, y0 - height - _GAP)]  # under the grids
    if beside:  # and in the corner, under the instructions
        below_notes = y0 - _notes_height(notes, corner_w) - 0.1
        rooms.append((x0 + x_min, y0 - corner_h, x0 - _LAB, below_notes))
    return Layout(c, grids, notes_at, max(rooms, key=lambda r: r[3] - r[1]))


# ----- the instructions: lines in the PDF core fonts, wrapped to the room they have


def _notes(problem, steps):
    """What a page asks for, as paragraphs (label, text, size, bold, color)."""
    out = [("", "Write one whole number in each empty box.", 10, True, _BLACK)]
    out += [(f"{s.no}.", STEPS[problem.kind][s.no - 1], 9.5, False, _BLACK) for s in steps if s.no]
    return out + [("", EXAMPLE, 9, False, _GREY)]


_INDENT = 0.25  # of a numbered paragraph's text


_CORE_NAMES = {"·": "periodcentered", "–": "endash", "−": "endash"}  # (− is set as –)


@functools.lru_cache(maxsize=2)
def _core_widths(bold):
    """Character widths (em) of the PDF core font Helvetica, from matplotlib's copy of its AFM."""
    import matplotlib

    name = "Helvetica-Bold.afm" if bold else "Helvetica.afm"
    afm = Path(matplotlib.get_data_path(), "fonts", "pdfcorefonts", name).read_text("latin-1")
    glyphs = re.findall(r"^C (-?\d+) ; WX (\d+) ; N (\w+)", afm, re.M)
    widths = {chr(int(c)): int(w) / 1000 for c, w, _ in glyphs if 32 <= int(c) < 127}
    by_name = {n: int(w) / 1000 for _, w, n in glyphs}
    return widths | {ch: by_name[n] for ch, n in _CORE_NAMES.items()}


def _text_width(s, size, bold, core):
    """How wide (inches) s is at `size` points: in Helvetica (core) or as DejaVu outlines."""
    if core:
        widths = _core_widths(bold)
        return sum(widths.get(ch, 1.0) for ch in s) * size / 72  # 1 em for what is not listed
    _, _, x0, x1 = _glyphs(s, float(size), bool(bold))
    return x1 - x0


@functools.lru_cache(maxsize=256)
def _wrap(text, size, bold, width):
    """text broken into lines at most `width` inches wide at `size` points."""
    core = _core(text)
    lines, line = [], ""
    for word in text.split():
        trial = f"{line} {word}" if line else word
        if line and _text_width(trial, size, bold, core) > width:
            lines.append(line)
            trial = word
        line = trial
    return tuple(lines + [line])


def _lead(size):
    return size * 1.3 / 72


def _notes_height(notes, width):
    """The height (inches) of the instructions set `width` inches wide."""
    return sum(len(_wrap(text, size, bold, width - (_INDENT if label else 0))) * _lead(size) + 0.06
               for label, text, size, bold, _ in notes)


def _draw_notes(ink, notes, x, y, width):
    """Write the instructions from (x, y) down (inches from the page's lower-left corner)."""
    for label, text, size, bold, color in notes:
        indent, core = (_INDENT if label else 0.0), _core(text)  # one font for a paragraph
        _write(ink, x, y - size / 72, label, size, color, bold=bold, text=True)
        for line in _wrap(text, size, bold, width - indent):
            _write(ink, x + indent, y - size / 72, line, size, color, bold=bold, text=core)
            y -= _lead(size)
        y -= 0.06


def _number(value):
    return f"−{-int(value)}" if value < 0 else str(int(value))


# ----- drawing. _draw_grid is this module's one low-level grid renderer: swap it for display's
# once display can draw a grid onto a given Axes. Numbers and labels are glyph outlines, one
# path per colour per page; long lines use the PDF core fonts (Helvetica, not embedded). So a
# class set of 30 renders in seconds (matplotlib Text artists took half a minute), and the
# bytes of a PDF depend only on its options.


@functools.lru_cache(maxsize=4096)
def _glyphs(s, size, bold):
    """Outline of string s at `size` points, in inches, baseline at y=0: (verts, codes, x0, x1)."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextPath

    path = TextPath((0, 0), s, size=size / 72, prop=FontProperties(
        family="DejaVu Sans", weight="bold" if bold else "normal"))
    xs = path.vertices[path.codes != path.CLOSEPOLY, 0]  # control points bound the ink: cheap
    return path.vertices.copy(), path.codes.copy(), float(xs.min()), float(xs.max())


def _write(ink, x, y, s, size, color=_BLACK, bold=False, ha="left", va="baseline", text=False):
    """Queue s at (x, y) (inches, page coordinates) for _flush.

    Short strings (numbers, labels) become glyph outlines; text=True keeps a real text
    object (cheaper for a long line, and searchable in the PDF).
    """
    if not s:
        return
    if text and _core(s):
        s = s.replace("−", "–")  # the core fonts have no minus sign: an en dash
        ink.append(("text", (x, y, s), {"fontsize": size, "color": color, "ha": ha, "va": va,
                                        "fontweight": "bold" if bold else "normal"}))
        return
    verts, codes, x0, x1 = _glyphs(s, float(size), bool(bold))
    dx = {"left": 0.0, "center": -(x0 + x1) / 2, "right": -x1}[ha]
    em = size / 72
    dy = {"baseline": 0.0, "center": -0.365 * em, "bottom": 0.24 * em, "top": -0.76 * em}[va]
    ink.append((color, verts + (x + dx, y + dy), codes))


def _core(s):
    """True when s can be set in the PDF core fonts (cp1252, − as –), with pdf.use14corefonts."""
    try:
        s.replace("−", "–").encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


def _add(fig, artist):
    """Put an artist on the page; its coordinates are inches from the lower-left corner."""
    artist.set_transform(fig.dpi_scale_trans)
    fig.add_artist(artist)


def _flush(fig, ink):
    """Draw the queued text: one filled path per colour (add_artist: no costly autoscaling)."""
    from matplotlib.patches import PathPatch
    from matplotlib.path import Path
    from matplotlib.text import Text

    by_color = {}
    for color, verts, codes in ink:
        if color == "text":
            _add(fig, Text(*verts, **codes))
        else:
            by_color.setdefault(color, []).append(Path(verts, codes))
    for color, paths in by_color.items():
        _add(fig, PathPatch(Path.make_compound_path(*paths), facecolor=color,
                            edgecolor="none", linewidth=0, zorder=3))
    ink.clear()


def _draw_grid(fig, ink, M, x, y, cell, *, role="neutral", blank=False, fill_answers=False,
               row_labels=None, col_labels=None, row_labels_side="right"):
    """Draw matrix M as boxed numbers on Figure `fig` (inches from lower left), top-left at (x, y).

    blank: white boxes to write in; fill_answers: the numbers of a blank grid, in answer ink.
    Labels go outside the boxes; text is queued on `ink` (see _flush).
    """
    from matplotlib.colors import to_rgb
    from matplotlib.patches import PathPatch
    from matplotlib.path import Path

    from .display import ROLE_COLORS

    M = np.asarray(M)
    edge = ROLE_COLORS[role]
    tint = tuple(1 - 0.16 * (1 - ch) for ch in to_rgb(edge))
    n_rows, n_cols = M.shape
    pad = _PAD * cell
    jj, ii = np.meshgrid(np.arange(n_cols), np.arange(n_rows))
    x0 = (x + jj * cell + pad).ravel()  # every box's lower-left corner
    y0 = (y - (ii + 1) * cell + pad).ravel()
    s = cell - 2 * pad
    corners = np.stack([np.stack([x0, y0], 1), np.stack([x0 + s, y0], 1), np.stack([x0 + s, y0 + s], 1),
                        np.stack([x0, y0 + s], 1), np.stack([x0, y0], 1)], 1)  # (boxes, 5, 2)
    codes = np.tile([Path.MOVETO, Path.LINETO, Path.LINETO, Path.LINETO, Path.CLOSEPOLY], len(x0))
    _add(fig, PathPatch(Path(corners.reshape(-1, 2), codes), facecolor="white" if blank else tint,
                        edgecolor=edge, linewidth=1.4 if blank else 0.9, joinstyle="miter"))
    size = round(cell * 72 * 0.42, 1)
    if not blank or fill_answers:  # one size for the grid, so that its widest number fits
        widest = max(x1 - x0 for _, _, x0, x1 in (_glyphs(_number(v), size, True) for v in M.flat))
        fit = size if widest <= 0.8 * cell else math.floor(2 * size * 0.8 * cell / widest) / 2
        for i in range(n_rows):
            for j in range(n_cols):
                v = M[i, j]
                color = _ANSWER_INK if blank else ("#6b7280" if v == 0 else _BLACK)
                _write(ink, x + (j + 0.5) * cell, y - (i + 0.5) * cell, _number(v), fit, color,
                       bold=blank or v < 0, ha="center", va="center")
    small = min(9.5, round(size * 0.78, 1))
    for j, text in enumerate(col_labels or []):
        _write(ink, x + (j + 0.5) * cell, y + 0.05, text, small, _GREY, ha="center", va="bottom")
    for i, text in enumerate(row_labels or []):
        right = row_labels_side == "right"
        _write(ink, x + n_cols * cell + 0.06 if right else x - 0.06, y - (i + 0.5) * cell, text,
               small, _GREY, ha="left" if right else "right", va="center")


def _name_grid(ink, grid, x, y, cell, step, top):
    """A grid's name: a step's number and title above it, a given grid's name beside it."""
    from .display import ROLE_COLORS

    if step is not None and step.no:
        ty = y + 0.05 + (_LINE if grid.cols else 0.0)
        _write(ink, x, ty, f"{step.no}  {step.title}", 11, _BLACK, bold=True, va="bottom")
    elif top:  # in the corner of its column and row labels
        _write(ink, x - 0.06, y + 0.05, grid.name, 11, ROLE_COLORS[grid.role], bold=True,
               ha="right", va="bottom")
    elif grid.cols != [grid.name]:  # a left operand (a bias column is named by its label)
        _write(ink, x - 0.1, y - grid.M.shape[0] * cell / 2, grid.name, 11, ROLE_COLORS[grid.role],
               bold=True, ha="right", va="center")


def _header(fig, ink, problem, page, count, paper, key):
    """The top of a page: title, which sheet and page, the name and date lines, the difficulty.

    A student's page names its set by set_code only; the key adds the seed.
    """
    from matplotlib.lines import Line2D

    W, H = PAPER[paper]
    left, right = _MARGIN, W - _MARGIN
    y = H - _MARGIN - 0.2
    _write(ink, left, y, "Transformers by Hand", 14, _BLACK, bold=True, text=True)
    tag = f"set {set_code(problem)} · sheet {problem.index + 1} of {count} · page {page[0]} of {page[1]}"
    _write(ink, right, y, ("ANSWER KEY · " if key else "") + tag, 10.5,
           _ANSWER_INK if key else _BLACK, bold=True, ha="right", text=True)
    y -= 0.3
    _write(ink, left, y, TITLES[problem.kind], 11, _BLACK, text=True)
    y -= 0.38
    _write(ink, left, y, "Name", 11, _BLACK, text=True)
    _add(fig, Line2D([left + 0.55, left + 4.3], [y - 0.04, y - 0.04], color=_BLACK, lw=0.8))
    _write(ink, left + 4.6, y, "Date", 11, _BLACK, text=True)
    _add(fig, Line2D([left + 5.05, right], [y - 0.04, y - 0.04], color=_BLACK, lw=0.8))
    y -= 0.27
    d = problem.diff
    info = (f"kind {problem.kind} · difficulty {d.level}: given numbers −{d.max_value}..{d.max_value}, "
            f"{d.negatives} of them negative")
    _write(ink, left, y, info + (f" · seed {problem.seed}" if key else ""), 8.5, _GREY, text=True)
    y = H - _MARGIN - _HEADER + 0.12
    _add(fig, Line2D([left, right], [y, y], color="#d1d5db", lw=0.8))


def _page(fig, problem, steps, page, count, paper, key):
    """Draw page `page` = (number, of) of a sheet, or of its key, onto an empty Figure."""
    ink = []
    _header(fig, ink, problem, page, count, paper, key)
    lay = _layout(problem, steps, paper)
    _draw_notes(ink, _notes(problem, steps), *lay.notes)
    _write(ink, lay.room[0], lay.room[3] - 0.12, "space for working", 8, "#9ca3af", text=True)
    for grid, x, y, step in lay.grids:
        top = step is steps[0]
        _draw_grid(fig, ink, grid.M, x, y, lay.cell, role=grid.role, blank=grid.blank,
                   fill_answers=key, row_labels=grid.rows, col_labels=grid.cols,
                   row_labels_side="left" if top else "right")
        _name_grid(ink, grid, x, y, lay.cell, step, top)
    if key:  # one line, made smaller if the command is long
        foot = ("For the teacher: this set and its answer key print again with   "
                + command(problem, count, paper))
        width = PAPER[paper][0] - 2 * _MARGIN
        size = min(7.5, math.floor(7.5 * width / _text_width(foot, 7.5, False, True) * 10) / 10)
        _write(ink, PAPER[paper][0] / 2, _MARGIN - 0.17, foot, size, _GREY, ha="center", text=True)
    _flush(fig, ink)


def render_pdf(problems, path, paper="a4", key=False):
    """Every page of every problem (the key: answers filled in), written to `path`."""
    from matplotlib import rc_context
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.figure import Figure

    if paper not in PAPER:
        raise ValueError(f"unknown paper {paper!r}: choose a4 or letter")
    title = "Transformers by Hand worksheet" + (" (answer key)" if key else "")
    metadata = {"Title": title, "Creator": "byhand worksheet", "CreationDate": None}
    # Long lines are set in the PDF core fonts (Helvetica: nothing to lay out or embed, so a
    # class set of 30 takes seconds, not half a minute); numbers and labels are outlines.
    log = logging.getLogger("matplotlib.font_manager")  # "no Helvetica of weight normal": fine
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        with rc_context({"pdf.use14corefonts": True}), PdfPages(path, metadata=metadata) as pdf:
            for problem in problems:
                pages = _plan(problem)
                for number, steps in enumerate(pages, 1):
                    fig = Figure(figsize=PAPER[paper], facecolor="white")
                    _page(fig, problem, steps, (number, len(pages)), len(problems), paper, key)
                    pdf.savefig(fig)
    finally:
        log.setLevel(level)


def outputs(out):
    """(sheets.pdf, key.pdf, .json) paths for --out."""
    out = Path(out)
    return out, out.with_name(out.stem + "-key" + out.suffix), out.with_suffix(".json")


def _move_new(tmp, target):
    """Rename tmp to target, which must not exist, not even since a moment ago.

    A hard link fails if target exists (FileExistsError); where hard links are not supported,
    an exclusive create and a copy do the same, less atomically.
    """
    try:
        os.link(tmp, target)
    except FileExistsError:
        raise FileExistsError(errno.EEXIST, "already exists", str(target)) from None
    except OSError:  # no hard links on this file system (e.g. FAT, some network shares)
        with open(tmp, "rb") as src, open(target, "xb") as dst:
            try:
                shutil.copyfileobj(src, dst)
            except BaseException:
                dst.close()
                os.unlink(target)
                raise
    os.unlink(tmp)


def write_worksheets(problems, out="worksheet.pdf", paper="a4", with_json=False, force=False):
    """Write the sheets, the key and (with_json) the JSON; all or nothing. Returns the paths.

    Each is written to a temporary file, moved into place once all are done. Without `force`
    no file is replaced, even one that appears while they are written: FileExistsError names
    it, and what was moved into place is removed again.
    """
    sheets, key, js = outputs(out)
    targets = [sheets, key] + ([js] if with_json else [])
    temps, moved = [], []
    try:
        for target in targets:
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
            os.close(fd)
            temps.append(tmp)
        render_pdf(problems, temps[0], paper, key=False)
        render_pdf(problems, temps[1], paper, key=True)
        if with_json:
            with open(temps[2], "w", encoding="utf-8") as f:
                json.dump(to_json(problems, paper), f, indent=1, ensure_ascii=False)
                f.write("\n")
        umask = os.umask(0)
        os.umask(umask)
        for tmp, target in zip(temps, targets):
            os.chmod(tmp, 0o666 & ~umask)  # as a plain open() would have made it
            if force:
                os.replace(tmp, target)
            else:
                _move_new(tmp, target)
                moved.append(target)
    except BaseException:
        for target in moved:
            target.unlink()
        raise
    finally:
        for tmp in temps:
            if os.path.exists(tmp):
                os.unlink(tmp)
    return targets
