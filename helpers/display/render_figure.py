"""Panels as a matplotlib Figure: boxes are Rectangle patches and numbers are text, so a
PDF export stays crisp. matplotlib is imported only when a figure is drawn."""

from __future__ import annotations

import numpy as np

from .style import FILLS, INK, LABEL_INK, NEG_INK, PAPER, ROLE_COLORS, WRONG, WRONG_FILL, ZERO_INK

_UNIT = 0.42  # inches per cell
_CHAR = 0.085  # inches per character at the number font size (monospace, 11 pt)


def _col_widths(p):
    used = {c for _, c in p.cells}
    widths = [1.0 if c in used else 0.4 for c in range(p.n_cols)]  # empty columns: a thin gap
    for (r, c), cell in p.cells.items():
        need = (len(cell["text"]) * _CHAR + 0.14) / _UNIT
        widths[c] = max(widths[c], need)
    return widths


def _row_heights(p):
    used = {r for r, _ in p.cells}
    return [1.0 if r in used else 0.4 for r in range(p.n_rows)]  # empty rows: a thin gap


def _panel_size(p):
    widths = _col_widths(p)
    width = sum(widths)
    for line in p.notes + ([p.title] if p.title else []):
        width = max(width, len(line) * _CHAR * 0.95 / _UNIT)
    height = sum(_row_heights(p)) + (1.1 if p.title else 0) + 0.9 * len(p.notes)
    return widths, width, height


def render_figure(panels, gap, scale=1.0):
    """Draw the panels on a Figure with figure-level artists (no Axes: fast, and crisp).

    Coordinates are in cells, x to the right and y down; one cell is _UNIT inches.
    """
    import matplotlib.pyplot as plt
    from matplotlib.text import Text
    from matplotlib.transforms import Affine2D

    sizes = [_panel_size(p) for p in panels]
    total_w = sum(s[1] for s in sizes) + gap * (len(panels) - 1)
    total_h = max(s[2] for s in sizes)
    margin = 0.2
    unit = _UNIT * scale
    fig = plt.figure(figsize=((total_w + 2 * margin) * unit, (total_h + 2 * margin) * unit),
                     facecolor=PAPER)
    plt.close(fig)  # not kept by pyplot: shown once when returned, or saved
    to_fig = (Affine2D().translate(margin, margin).scale(unit, -unit)
              .translate(0, (total_h + 2 * margin) * unit) + fig.dpi_scale_trans)

    def text(x, y, s, **kw):
        fig.add_artist(Text(x, y, s, transform=to_fig, va="center", **kw))

    x0 = 0.0
    for p, (widths, width, _) in zip(panels, sizes):
        _draw_panel(fig, text, to_fig, p, widths, x0, scale)
        x0 += width + gap
    return fig


def _draw_panel(fig, text, to_fig, p, widths, x0, scale):
    """One panel with its left edge at x0 (cells): title, cells, then notes."""
    fs = 11 * scale
    y0 = 0.0
    if p.title:
        text(x0, 0.45, p.title, ha="left", fontsize=fs, fontweight="bold",
             color=ROLE_COLORS[p.title_role])
        y0 = 1.1
    lefts = np.concatenate([[0.0], np.cumsum(widths)]) + x0
    heights = _row_heights(p)
    tops = np.concatenate([[0.0], np.cumsum(heights)]) + y0
    for (r, c), cell in sorted(p.cells.items()):
        _draw_cell(fig, text, to_fig, cell, (lefts[c], tops[r], widths[c]), scale)
    for k, line in enumerate(p.notes):
        text(x0, tops[-1] + 0.5 + 0.9 * k, line, ha="left", fontsize=fs * 0.95,
             family="monospace", color=INK)


def _draw_cell(fig, text, to_fig, cell, box, scale):
    """A label, or a boxed number, in the cell whose top-left corner and width are box = (x, y, w)."""
    from matplotlib.patches import Rectangle

    x, y, w = box
    fs = 11 * scale
    cx, cy = x + w / 2, y + 0.5
    if cell["kind"] == "label":
        hl = cell.get("hl")
        text(cx, cy, cell["text"], ha="center", fontsize=fs * 0.85,
             color=ROLE_COLORS[cell["role"]] if hl else LABEL_INK,
             fontweight="bold" if hl else "normal")
        return
    fill, strong = FILLS[cell["role"]]
    edge, lw = ROLE_COLORS[cell["role"]], 1.0
    bg = strong if cell.get("hl") or cell.get("focus") else fill
    if cell.get("focus"):
        edge, lw = INK, 2.6
    if cell.get("wrong"):
        edge, lw, bg = WRONG, 2.6, WRONG_FILL
    pad = 0.06
    fig.add_artist(Rectangle((x + pad, y + pad), w - 2 * pad, 1 - 2 * pad,
                             facecolor=bg, edgecolor=edge, linewidth=lw * scale,
                             transform=to_fig))
    ink = ZERO_INK if cell["zero"] else (NEG_INK if cell["neg"] else INK)
    bold = cell["neg"] or cell.get("focus")
    text(cx, cy, cell["text"], ha="center", fontsize=fs, family="monospace",
         color=ink, fontweight="bold" if bold else "normal")
