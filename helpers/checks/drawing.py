"""Drawing a wrong answer with its wrong cells marked: an HTML grid in IPython, text elsewhere."""

from __future__ import annotations

import numpy as np

from .reading import fmt


def in_ipython():
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    return get_ipython() is not None


def _labels_for(arr, labels):
    """(row_labels, col_labels) that fit arr, or (None, None)."""
    if labels is None:
        return None, None
    try:
        if arr.ndim == 1:
            cols = labels[1] if len(labels) == 2 and not isinstance(labels[0], str) else labels
            return None, (list(cols) if cols is not None and len(cols) == arr.shape[0] else None)
        rows, cols = labels
        rows = list(rows) if rows is not None and len(rows) == arr.shape[0] else None
        cols = list(cols) if cols is not None and len(cols) == arr.shape[1] else None
        return rows, cols
    except Exception:  # noqa: BLE001
        return None, None


def marked_grid(answer, marks, labels, title):
    """A drawing of answer with marks (HTML in IPython), or a text grid elsewhere."""
    arr = np.asarray(answer)
    if arr.ndim not in (1, 2) or arr.size > 400:
        return None
    rows, cols = _labels_for(arr, labels)
    if in_ipython():
        try:
            from .. import display  # matplotlib and HTML: imported only to draw

            return display.grid(arr, row_labels=rows, col_labels=cols, role="output",
                                title=title, marks=np.asarray(marks).reshape(arr.shape))
        except Exception:  # noqa: BLE001 - fall back to text
            pass
    return TextGrid(arr, marks, rows, cols)


class TextGrid:
    """Plain-text fallback: wrong cells in [brackets]."""

    def __init__(self, arr, marks, rows, cols):
        arr2 = arr.reshape(1, -1) if arr.ndim == 1 else arr
        mk = np.asarray(marks).reshape(arr2.shape)
        cells = [[(f"[{fmt(v)}]" if m else f" {fmt(v)} ") for v, m in zip(r, mr)] for r, mr in zip(arr2, mk)]
        rows = rows if rows is not None else [""] * arr2.shape[0]
        head = [f" {c} " for c in cols] if cols is not None else None
        width = max([len(c) for r in cells for c in r] + ([len(h) for h in head] if head else [0]))
        lw = max(len(str(r)) for r in rows)
        lines = []
        if head:
            lines.append(" " * (lw + 1) + "".join(h.rjust(width) for h in head))
        for label, r in zip(rows, cells):
            lines.append(str(label).rjust(lw) + " " + "".join(c.rjust(width) for c in r))
        self.text = "\n".join("   " + ln.rstrip() for ln in lines)

    def __str__(self):
        return self.text


MARKED = "\x00marked\x00"  # placeholder in a diagnosis: where "(marked in red below)" goes


def mark_note(text, drawing):
    if drawing is None:
        return text
    note = " (in [brackets] below)" if isinstance(drawing, TextGrid) else " (marked in red below)"
    return text.replace(MARKED, note, 1)


def show(drawing):
    try:
        if isinstance(drawing, TextGrid):
            print(drawing)
            return
        from IPython.display import display as ipy_display

        ipy_display(drawing)
    except Exception:  # noqa: BLE001 - a drawing never breaks a check
        pass
