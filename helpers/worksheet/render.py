"""Drawing the pages: grids of boxes, their names, the header, a whole page, and the PDF.

_draw_grid is the worksheet's one low-level grid renderer (it uses display's role colours):
swap it for display's once display can draw a grid onto a given Axes. Numbers and labels are
glyph outlines, one path per colour per page; long lines use the PDF core fonts (Helvetica,
not embedded). So a class set of 30 renders in seconds (matplotlib Text artists took half a
minute), and the bytes of a PDF depend only on its options.
matplotlib is imported only inside the functions that draw.
"""

from __future__ import annotations

import logging
import math

import numpy as np

from ..display import ROLE_COLORS
from .kinds import TITLES
from .layout import HEADER, LINE, MARGIN, PAD, PAPER, page_layout, plan
from .problems import command, set_code
from .text import ANSWER_INK, BLACK, GREY, draw_notes, glyphs, notes, text_width, write


def _number(value):
    return f"−{-int(value)}" if value < 0 else str(int(value))


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

    M = np.asarray(M)
    edge = ROLE_COLORS[role]
    tint = tuple(1 - 0.16 * (1 - ch) for ch in to_rgb(edge))
    n_rows, n_cols = M.shape
    pad = PAD * cell
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
        widest = max(x1 - x0 for _, _, x0, x1 in (glyphs(_number(v), size, True) for v in M.flat))
        fit = size if widest <= 0.8 * cell else math.floor(2 * size * 0.8 * cell / widest) / 2
        for i in range(n_rows):
            for j in range(n_cols):
                v = M[i, j]
                color = ANSWER_INK if blank else ("#6b7280" if v == 0 else BLACK)
                write(ink, x + (j + 0.5) * cell, y - (i + 0.5) * cell, _number(v), fit, color,
                      bold=blank or v < 0, ha="center", va="center")
    small = min(9.5, round(size * 0.78, 1))
    for j, text in enumerate(col_labels or []):
        write(ink, x + (j + 0.5) * cell, y + 0.05, text, small, GREY, ha="center", va="bottom")
    for i, text in enumerate(row_labels or []):
        right = row_labels_side == "right"
        write(ink, x + n_cols * cell + 0.06 if right else x - 0.06, y - (i + 0.5) * cell, text,
              small, GREY, ha="left" if right else "right", va="center")


def _name_grid(ink, grid, x, y, cell, step, top):
    """A grid's name: a step's number and title above it, a given grid's name beside it."""
    if step is not None and step.no:
        ty = y + 0.05 + (LINE if grid.cols else 0.0)
        write(ink, x, ty, f"{step.no}  {step.title}", 11, BLACK, bold=True, va="bottom")
    elif top:  # in the corner of its column and row labels
        write(ink, x - 0.06, y + 0.05, grid.name, 11, ROLE_COLORS[grid.role], bold=True,
              ha="right", va="bottom")
    elif grid.cols != [grid.name]:  # a left operand (a bias column is named by its label)
        write(ink, x - 0.1, y - grid.M.shape[0] * cell / 2, grid.name, 11, ROLE_COLORS[grid.role],
              bold=True, ha="right", va="center")


def _header(fig, ink, problem, page, count, paper, key):
    """The top of a page: title, which sheet and page, the name and date lines, the difficulty.

    A student's page names its set by set_code only; the key adds the seed.
    """
    from matplotlib.lines import Line2D

    W, H = PAPER[paper]
    left, right = MARGIN, W - MARGIN
    y = H - MARGIN - 0.2
    write(ink, left, y, "Transformers by Hand", 14, BLACK, bold=True, text=True)
    tag = f"set {set_code(problem)} · sheet {problem.index + 1} of {count} · page {page[0]} of {page[1]}"
    write(ink, right, y, ("ANSWER KEY · " if key else "") + tag, 10.5,
          ANSWER_INK if key else BLACK, bold=True, ha="right", text=True)
    y -= 0.3
    write(ink, left, y, TITLES[problem.kind], 11, BLACK, text=True)
    y -= 0.38
    write(ink, left, y, "Name", 11, BLACK, text=True)
    _add(fig, Line2D([left + 0.55, left + 4.3], [y - 0.04, y - 0.04], color=BLACK, lw=0.8))
    write(ink, left + 4.6, y, "Date", 11, BLACK, text=True)
    _add(fig, Line2D([left + 5.05, right], [y - 0.04, y - 0.04], color=BLACK, lw=0.8))
    y -= 0.27
    d = problem.diff
    info = (f"kind {problem.kind} · difficulty {d.level}: given numbers −{d.max_value}..{d.max_value}, "
            f"{d.negatives} of them negative")
    write(ink, left, y, info + (f" · seed {problem.seed}" if key else ""), 8.5, GREY, text=True)
    y = H - MARGIN - HEADER + 0.12
    _add(fig, Line2D([left, right], [y, y], color="#d1d5db", lw=0.8))


def _page(fig, problem, steps, page, count, paper, key):
    """Draw page `page` = (number, of) of a sheet, or of its key, onto an empty Figure."""
    ink = []
    _header(fig, ink, problem, page, count, paper, key)
    lay = page_layout(problem, steps, paper)
    draw_notes(ink, notes(problem, steps), *lay.notes)
    write(ink, lay.room[0], lay.room[3] - 0.12, "space for working", 8, "#9ca3af", text=True)
    for grid, x, y, step in lay.grids:
        top = step is steps[0]
        _draw_grid(fig, ink, grid.M, x, y, lay.cell, role=grid.role, blank=grid.blank,
                   fill_answers=key, row_labels=grid.rows, col_labels=grid.cols,
                   row_labels_side="left" if top else "right")
        _name_grid(ink, grid, x, y, lay.cell, step, top)
    if key:  # one line, made smaller if the command is long
        foot = ("For the teacher: this set and its answer key print again with   "
                + command(problem, count, paper))
        width = PAPER[paper][0] - 2 * MARGIN
        size = min(7.5, math.floor(7.5 * width / text_width(foot, 7.5, False, True) * 10) / 10)
        write(ink, PAPER[paper][0] / 2, MARGIN - 0.17, foot, size, GREY, ha="center", text=True)
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
                pages = plan(problem)
                for number, steps in enumerate(pages, 1):
                    fig = Figure(figsize=PAPER[paper], facecolor="white")
                    _page(fig, problem, steps, (number, len(pages)), len(problems), paper, key)
                    pdf.savefig(fig)
    finally:
        log.setLevel(level)
