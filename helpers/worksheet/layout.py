"""Page layout: which grids go on which page (plan), and where (page_layout), in inches from
the page's lower-left corner, with the largest boxes that fit and room left for working."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from .text import notes, notes_height

PAPER = {"a4": (8.27, 11.69), "letter": (8.5, 11.0)}  # inches, portrait
BOX_MM = 14  # the narrowest answer box: room for "−168" written by hand
PAD = 0.025  # the blank share of a cell on each side of its box
_CELL_MIN = math.ceil(BOX_MM / 25.4 / (1 - 2 * PAD) * 1000) / 1000  # inches: a BOX_MM box
_CELL_MAX = 0.64
MARGIN = 0.55
HEADER = 1.42  # from the top margin to the grids: the header's lines, its rule and a gap
LINE = 0.21  # a label line, inches
_GAP = 0.14  # between a result and the label lines of the next step
LAB = 0.36  # room for row labels beside a grid
NAME = 0.42  # room for an operand's name to its left
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

    cell: float  # the side of a grid cell; a box is (1 - 2 * PAD) of it
    grids: list  # [(Grid, x, y, Step or None for a left operand)]: top-left corners
    notes: tuple  # (x, y, width): the top of the instructions, and how wide they may run
    room: tuple  # (x0, y0, x1, y1): left free for working


def _labels(prefix, n):
    return [f"{prefix}{i}" for i in range(1, n + 1)]


def plan(problem):
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
    out, y, x_min, x_max = [], 0.0, -LAB, 0.0
    for k, step in enumerate(steps):
        grid = step.result
        y += (_GAP if k else 0.0) + LINE * (2 if step.no and grid.cols else 1)
        right = -_OP_GAP
        for op in reversed(step.lefts):
            right -= op.M.shape[1] * c
            out.append((op, right, y, None))
            x_min = min(x_min, right - (0.0 if op.cols == [op.name] else NAME))
            right -= _BIAS_GAP
        out.append((grid, 0.0, y, step))
        x_max = max(x_max, grid.M.shape[1] * c + LAB)
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
    return x_min, -LAB - x_min, y + step.result.M.shape[0] * c


def page_layout(problem, steps, paper):
    """The layout of one page: the largest cells that fit, and room to work.

    The instructions go in the corner left of the top grid when they fit there, else under
    the header. The room for working is the taller of what is left of that corner and what
    is left under the grids: at least _ROOM inches, kept free under the grids if need be.
    """
    W, H = PAPER[paper]
    left, width = MARGIN, W - 2 * MARGIN
    top, bottom = H - MARGIN - HEADER, MARGIN
    paragraphs = notes(problem, steps)
    _, corner_w, corner_h = _corner(steps, _CELL_MIN)
    beside = notes_height(paragraphs, corner_w) <= corner_h
    room_beside = beside and notes_height(paragraphs, corner_w) + _ROOM <= corner_h
    above = 0.0 if beside else notes_height(paragraphs, width) + _GAP
    c = _fit(steps, width, top - above - bottom - (_FOOT if room_beside else _GAP + _ROOM))
    placed, (x_min, x_max, height) = _place(steps, c)
    x0 = left + (width - (x_max - x_min)) / 2 - x_min
    y0 = top - above
    grids = [(grid, x0 + x, y0 - y, step) for grid, x, y, step in placed]
    _, corner_w, corner_h = _corner(steps, c)
    notes_at = (x0 + x_min, y0, corner_w) if beside else (left, top, width)
    rooms = [(left, bottom, left + width, y0 - height - _GAP)]  # under the grids
    if beside:  # and in the corner, under the instructions
        below_notes = y0 - notes_height(paragraphs, corner_w) - 0.1
        rooms.append((x0 + x_min, y0 - corner_h, x0 - LAB, below_notes))
    return Layout(c, grids, notes_at, max(rooms, key=lambda r: r[3] - r[1]))
