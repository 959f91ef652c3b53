"""Printable by-hand worksheets: a different integer problem per learner, and its key.

`byhand worksheet ...` (helpers/cli.py) is the command; this module does the work:

- `difficulty(...)` turns a level (easy, medium, hard) and overrides into a `Difficulty`,
  or raises ValueError when it cannot be met (e.g. no negatives, but ReLU must zero something);
- `generate(kind, seed, index, diff)` makes the problem of sheet `index` from (seed, index)
  alone, retrying with the next sub-seed until every constraint in `violations` holds;
- `write_worksheets(problems, out, paper)` writes the sheets PDF, the key PDF beside it and,
  if asked, the JSON, each to a temporary file renamed into place only when all are done.

The sheets use the by-hand layout of lesson 01 (features x positions: each token is a
column): the right operand above, the left operand to the left, the result where they cross.
matplotlib is imported only inside the functions that draw.
"""

from __future__ import annotations

import functools
import json
import logging
import math
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

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
        "R = ReLU(H): copy H, but write 0 in place of every negative number.",
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


def to_json(problems, paper="a4"):
    """The class set as a JSON-ready dict (all numbers plain ints)."""
    p0 = problems[0]
    return {
        "kind": p0.kind,
        "title": TITLES[p0.kind],
        "seed": p0.seed,
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
_ANSWER_INK = "#b91c1c"  # the key's answers, like a marking pen
_MARGIN = 0.55
_LINE = 0.21  # a label line, inches
_GAP = 0.14  # between a result and the label lines of the next step


def _labels(prefix, n):
    return [f"{prefix}{i}" for i in range(1, n + 1)]


def _plan(problem):
    """The grids of a sheet: the top grid, then steps of (title, left operands, result).

    A grid is (name, M, role, row_labels, col_labels, blank). A step's result sits under the
    previous result ("below") or beside it ("beside", for ReLU).
    """
    g, a, kind = problem.given, problem.answers, problem.kind
    P, Xs, Zs, Hs = _labels("P", 3), _labels("X", 5), _labels("Z", 5), _labels("H", 4)
    if kind == "scores":
        top = ("Kᵀ", g["K"].T, "input", _labels("d", 3), _labels("k", 4), False)
        return top, [("below", "S = Q·Kᵀ", [("Q", g["Q"], "input", None, _labels("d", 3), False)],
                      ("S", a["S"], "attention", _labels("q", 4), None, True))]
    if kind == "ffn":
        top = ("Z", g["Z"], "input", P, Zs, False)
        return top, [
            ("below", "H = W·Z + b", [("W", g["W"], "weights", None, P, False),
                                      ("b", g["b"][:, None], "bias", None, ["b"], False)],
             ("H", a["H"], "hidden", Hs, None, True)),
            ("beside", "R = ReLU(H)", [], ("R", a["R"], "hidden", Hs, None, True)),
        ]
    top = ("A", g["A"], "attention", Xs, Zs, False)
    steps = [("below", "Z = X·A", [("X", g["X"], "input", None, Xs, False)],
              ("Z", a["Z"], "output", P, None, True))]
    if kind == "block":
        steps += [
            ("below", "H = W1·Z + b1", [("W1", g["W1"], "weights", None, P, False),
                                        ("b1", g["b1"][:, None], "bias", None, ["b1"], False)],
             ("H", a["H"], "hidden", Hs, None, True)),
            ("beside", "R = ReLU(H)", [], ("R", a["R"], "hidden", Hs, None, True)),
            ("below", "Y = W2·R + b2", [("W2", g["W2"], "weights", None, Hs, False),
                                        ("b2", g["b2"][:, None], "bias", None, ["b2"], False)],
             ("Y", a["Y"], "output", P, None, True)),
        ]
    return top, steps


def _place(top, steps, c):
    """Where each grid goes for cell size c (inches): [(grid, x, y_top, step_no, title)].

    Coordinates are relative: x grows right, y grows DOWN from the top grid's title line.
    Also returns the bounding box (x_min, x_max, height).
    """
    lab = 0.36  # room for row labels beside a grid
    beside_gap = 0.95  # between H and R: H's row labels, then the ReLU arrow
    op_gap, bias_gap = 0.32, 0.14
    out = [(top, 0.0, 2 * _LINE, None, None)]
    x, y_top, rows, cols = 0.0, 2 * _LINE, top[1].shape[0], top[1].shape[1]
    xmin, xmax = -lab, cols * c + lab
    for no, (where, title, lefts, result) in enumerate(steps, 1):
        if where == "beside":
            x = x + cols * c + beside_gap
        else:
            y_top = y_top + rows * c + _GAP + 2 * _LINE
            right = x - op_gap
            for grid in reversed(lefts):
                width = grid[1].shape[1] * c
                out.append((grid, right - width, y_top, None, None))
                right -= width + bias_gap
            xmin = min(xmin, right + bias_gap)
        rows, cols = result[1].shape
        out.append((result, x, y_top, no, title))
        xmax = max(xmax, x + cols * c + lab)
    return out, (xmin, xmax, y_top + rows * c)


def _fit(top, steps, width, height):
    """The largest cell size (inches, at most 0.55) at which the grids fit the box."""
    c = 0.55
    while c > 0.2:
        _, (xmin, xmax, h) = _place(top, steps, c)
        if xmax - xmin <= width and h <= height:
            return c
        c -= 0.005
    return c


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


def _write(ink, x, y, s, size, color="#111827", bold=False, ha="left", va="baseline", text=False):
    """Queue s at (x, y) (inches, page coordinates) for _flush.

    Short strings (numbers, labels) become glyph outlines; text=True keeps a real text
    object (cheaper for a long line, and searchable in the PDF).
    """
    if not s:
        return
    if text and _core(s.replace("−", "–")):  # the core fonts have no minus sign: an en dash
        s = s.replace("−", "–")
        ink.append(("text", (x, y, s), {"fontsize": size, "color": color, "ha": ha, "va": va,
                                        "fontweight": "bold" if bold else "normal"}))
        return
    verts, codes, x0, x1 = _glyphs(s, float(size), bool(bold))
    dx = {"left": 0.0, "center": -(x0 + x1) / 2, "right": -x1}[ha]
    em = size / 72
    dy = {"baseline": 0.0, "center": -0.365 * em, "bottom": 0.24 * em, "top": -0.76 * em}[va]
    ink.append((color, verts + (x + dx, y + dy), codes))


def _core(s):
    """True when s can be set in the PDF core fonts (cp1252), drawn with pdf.use14corefonts."""
    try:
        s.encode("cp1252")
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
               row_labels=None, col_labels=None, row_labels_side="right", title=None,
               title_color=None):
    """Draw matrix M as boxed numbers on Figure `fig` (inches from lower left), top-left at (x, y).

    blank: white boxes to write in; fill_answers: the numbers of a blank grid, in answer ink.
    Labels and the title go outside the boxes; text is queued on `ink` (see _flush).
    """
    from matplotlib.colors import to_rgb
    from matplotlib.patches import PathPatch
    from matplotlib.path import Path

    from .display import ROLE_COLORS

    M = np.asarray(M)
    edge = ROLE_COLORS[role]
    tint = tuple(1 - 0.16 * (1 - ch) for ch in to_rgb(edge))
    n_rows, n_cols = M.shape
    pad = 0.035 * cell
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
    if not blank or fill_answers:
        for i in range(n_rows):
            for j in range(n_cols):
                v = M[i, j]
                color = _ANSWER_INK if blank else ("#6b7280" if v == 0 else "#111827")
                text, bold = _number(v), blank or v < 0
                _, _, x0, x1 = _glyphs(text, size, bold)
                fit = size if x1 - x0 <= 0.86 * cell else math.floor(2 * size * 0.86 * cell / (x1 - x0)) / 2
                _write(ink, x + (j + 0.5) * cell, y - (i + 0.5) * cell, text, fit, color,
                       bold=bold, ha="center", va="center")
    small = min(9.5, round(size * 0.78, 1))
    for j, text in enumerate(col_labels or []):
        _write(ink, x + (j + 0.5) * cell, y + 0.05, text, small, "#4b5563", ha="center", va="bottom")
    for i, text in enumerate(row_labels or []):
        right = row_labels_side == "right"
        _write(ink, x + n_cols * cell + 0.06 if right else x - 0.06, y - (i + 0.5) * cell, text,
               small, "#4b5563", ha="left" if right else "right", va="center")
    if title:
        ty = y + (_LINE + 0.05 if col_labels else 0.05)
        _write(ink, x, ty, title, 11, title_color or edge, bold=True, va="bottom")


def _page(fig, problem, count, paper, key):
    """Draw one sheet (or its key) onto an empty Figure of the paper's size."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import FancyArrowPatch

    W, H = PAPER[paper]
    ink, grey, black = [], "#4b5563", "#111827"
    left, right = _MARGIN, W - _MARGIN
    y = H - _MARGIN - 0.2
    _write(ink, left, y, "Transformers by Hand · worksheet", 16, black, bold=True,
           text=True)
    tag = f"sheet {problem.index + 1} of {count}"
    _write(ink, right, y, ("ANSWER KEY · " if key else "") + tag, 12,
           _ANSWER_INK if key else black, bold=True, ha="right", text=True)
    y -= 0.32
    _write(ink, left, y, TITLES[problem.kind], 11, black, text=True)
    y -= 0.5
    _write(ink, left, y, "Name", 11, black, text=True)
    _add(fig, Line2D([left + 0.55, left + 4.3], [y - 0.04, y - 0.04], color=black, lw=0.8))
    _write(ink, left + 4.6, y, "Date", 11, black, text=True)
    _add(fig, Line2D([left + 5.05, right], [y - 0.04, y - 0.04], color=black, lw=0.8))
    y -= 0.3
    d = problem.diff
    _write(ink, left, y, f"kind {problem.kind} · seed {problem.seed} · sheet {problem.index + 1} of "
           f"{count} · difficulty {d.level}: given numbers −{d.max_value}..{d.max_value}, "
           f"{d.negatives} of them negative", 8.5, grey, text=True)
    y -= 0.34
    _write(ink, left, y, "Write one whole number in each empty box. Work down the page, step by step:",
           10, black, bold=True, text=True)
    for no, line in enumerate(STEPS[problem.kind], 1):
        y -= 0.2
        _write(ink, left + 0.05, y, f"{no}.", 9.5, black, text=True)
        _write(ink, left + 0.28, y, line, 9.5, black, text=True)
    y -= 0.21
    _write(ink, left + 0.28, y, EXAMPLE, 9, grey, text=True)
    y -= 0.16
    _add(fig, Line2D([left, right], [y, y], color="#d1d5db", lw=0.8))

    # the grids, centred in what is left of the page above the footer
    top, steps = _plan(problem)
    box_top, box_bottom = y - 0.12, _MARGIN + 0.35
    c = _fit(top, steps, right - left, box_top - box_bottom)
    placed, (xmin, xmax, height) = _place(top, steps, c)
    x0 = left + (right - left - (xmax - xmin)) / 2 - xmin
    y0 = box_top - max(0.0, (box_top - box_bottom - height) / 3)
    for grid, gx, gy, no, title in placed:
        name, M, role, rows, cols, blank = grid
        side = "left" if grid is top else "right"
        label = f"{no}  {title}" if no else name
        _draw_grid(fig, ink, M, x0 + gx, y0 - gy, c, role=role, blank=blank, fill_answers=key,
                   row_labels=rows, col_labels=cols, row_labels_side=side, title=label,
                   title_color=black if no else None)
        if title and title.startswith("R = ReLU"):  # the arrow from H to R
            ay = y0 - gy - M.shape[0] * c / 2
            _add(fig, FancyArrowPatch((x0 + gx - 0.55, ay), (x0 + gx - 0.08, ay),
                                      arrowstyle="->", mutation_scale=12, color=grey, lw=1.2))
            _write(ink, x0 + gx - 0.315, ay + 0.07, "ReLU", 8.5, grey, ha="center", va="bottom")

    foot = (f"For the teacher: this is sheet {problem.index + 1}; the set and its answer key print "
            f"again with   {command(problem, count, paper)}")
    _write(ink, W / 2, _MARGIN - 0.1, foot, 7.5, grey, ha="center", text=True)
    _flush(fig, ink)


def render_pdf(problems, path, paper="a4", key=False):
    """One page per problem (the key: answers filled in), written to `path`."""
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
                fig = Figure(figsize=PAPER[paper], facecolor="white")
                _page(fig, problem, len(problems), paper, key)
                pdf.savefig(fig)
    finally:
        log.setLevel(level)


def outputs(out):
    """(sheets.pdf, key.pdf, .json) paths for --out."""
    out = Path(out)
    return out, out.with_name(out.stem + "-key" + out.suffix), out.with_suffix(".json")


def write_worksheets(problems, out="worksheet.pdf", paper="a4", with_json=False):
    """Write the sheets, the key and (with_json) the JSON; all or nothing. Returns the paths."""
    sheets, key, js = outputs(out)
    targets = [sheets, key] + ([js] if with_json else [])
    temps = []
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
            os.replace(tmp, target)
    finally:
        for tmp in temps:
            if os.path.exists(tmp):
                os.unlink(tmp)
    return targets
