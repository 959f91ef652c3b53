"""grid: a matrix as a grid of boxed numbers, with labels, highlights and marks."""

from __future__ import annotations

import numpy as np

from .drawing import Drawing
from .panels import Panel, cell, value_cell
from .style import check_role
from .values import as_matrix, check_labels, formatter, highlights


def grid(M, row_labels=None, col_labels=None, role="input", title=None, highlight=None,
         marks=None, fmt=None):
    """A matrix as a grid of boxed numbers, with optional row and column labels.

    M: 2-D array (a 1-D array is drawn as a single row).
    row_labels, col_labels: one label per row / column (token words are fine).
    role: colour of the boxes, a key of ROLE_COLORS.
    highlight: (i, j) one cell (0-based), ("row", i), ("col", j), or a list of those.
    marks: boolean array of M's shape; True cells are drawn as wrong (red border).
    fmt: callable number -> str (default: whole numbers as integers, others with
        2 decimals, -0 drawn as 0).
    """
    A = as_matrix(M, "M")
    check_role(role)
    m, n = A.shape
    rl = check_labels(row_labels, m, "row_labels", "row")
    cl = check_labels(col_labels, n, "col_labels", "column")
    cells, rows, cols = highlights(highlight, (m, n))
    wrong = _marks(marks, m, n)
    f = formatter(A, fmt)
    r0, c0 = (1 if cl else 0), (1 if rl else 0)
    p = Panel(m + r0, n + c0, title, title_role=role)
    p.shapes = [f"{m}×{n}"]
    if cl:
        for j, lab in enumerate(cl):
            p.put(0, c0 + j, cell("label", lab, role, hl=j in cols or any(c == j for _, c in cells)))
    if rl:
        for i, lab in enumerate(rl):
            p.put(r0 + i, 0, cell("label", lab, role, hl=i in rows or any(r == i for r, _ in cells)))
    for i in range(m):
        for j in range(n):
            p.put(r0 + i, c0 + j, value_cell(
                f(A[i, j]), role, hl=i in rows or j in cols, focus=(i, j) in cells,
                wrong=bool(wrong[i, j])))
    return Drawing([p])


def _marks(marks, m, n):
    """marks as an (m, n) boolean array (all False when None); a 1-D marks fits a single row."""
    wrong = np.zeros((m, n), bool)
    if marks is not None:
        mk = np.asarray(marks)
        if mk.ndim == 1 and m == 1:
            mk = mk[None, :]
        if mk.shape != (m, n):
            raise ValueError(f"marks has shape {mk.shape} but M has {(m, n)}: "
                             f"marks needs one True/False per cell of M")
        wrong = mk.astype(bool)
    return wrong
