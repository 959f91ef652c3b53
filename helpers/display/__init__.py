"""The by-hand look: matrices as grids of boxed numbers, products drawn as on the sheets.

Every drawing comes in two renderings of the same layout:

- HTML (``Drawing.html()``, shown by Jupyter when a Drawing is the last expression of a
  cell): one ``<table>`` with inline styles only, no JavaScript, no ids, so it renders the
  same in JupyterLab, in static viewers and in a saved notebook, and is deterministic;
- a matplotlib figure (``Drawing.figure()``, ``Drawing.savefig(path)``): boxes are
  Rectangle patches and numbers are text, so a PDF export stays crisp.

One colour per role, the same in every lesson (``ROLE_COLORS``): input, attention,
weights, hidden, output, bias, neutral. Zeros are drawn in light grey, negative numbers in
bold dark red, so both stand out at a glance.

A product ``left @ right`` is drawn as on the hand-drawn sheets::

                 | right's column labels
                 | right (k x n)
    left (m x k) | result (m x n)

so result cell (i, j) sits in the row of left's row i and the column of right's column j.

`import helpers` does not import this module's matplotlib: it is imported inside the
functions that draw figures.

Modules, each importing only those above it:
    style          ROLE_COLORS and the other colours
    values         format_number, arithmetic, paren, and the checks of what is drawn
    panels         the layout model both renderers walk (cells in a grid, a title, notes)
    render_html    a panel as an HTML table
    render_figure  panels as a matplotlib Figure
    drawing        Drawing, hstack
    grids          grid
    products       product
    heatmaps       heatmap
"""

from .drawing import Drawing, hstack
from .grids import grid
from .heatmaps import heatmap
from .products import product
from .style import ROLE_COLORS
from .values import arithmetic, format_number, paren

__all__ = [
    "ROLE_COLORS", "Drawing", "grid", "product", "arithmetic", "heatmap", "hstack",
    "format_number", "paren",
]
