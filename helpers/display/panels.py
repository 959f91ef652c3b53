"""The layout model both renderers walk.

A panel is a small grid of cells (row, col) -> dict, plus a title and note lines.
A Drawing is a list of panels side by side.
"""

from __future__ import annotations


def cell(kind, text, role="neutral", **flags):
    """kind: 'value' (a boxed number) or 'label'. flags: zero, neg, hl, focus, wrong."""
    return {"kind": kind, "text": text, "role": role, **flags}


def value_cell(text, role, hl=False, focus=False, wrong=False):
    """A boxed number; zero and neg are read from its text."""
    zero = _looks_zero(text)
    neg = text.startswith("-") and not zero
    return cell("value", text, role, zero=zero, neg=neg, hl=hl, focus=focus, wrong=wrong)


def _looks_zero(text):
    try:
        return float(text) == 0.0
    except ValueError:
        return False


class Panel:
    """A grid of n_rows x n_cols cells, some empty, with a title above and notes below."""

    def __init__(self, n_rows, n_cols, title=None, notes=(), title_role="neutral", kind="grid"):
        self.n_rows, self.n_cols = n_rows, n_cols
        self.cells = {}
        self.title = title
        self.title_role = title_role
        self.notes = list(notes)
        self.kind = kind
        self.shapes = []

    def put(self, r, c, cell):
        self.cells[(r, c)] = cell
