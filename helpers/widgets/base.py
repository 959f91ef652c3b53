"""What every widget shares: a VBox with a short, fixed text form, and default labels."""

from __future__ import annotations

import ipywidgets as W


class Widget(W.VBox):
    """A VBox whose text form is one short, deterministic line."""

    def __init__(self, kind, title, children, **kwargs):
        super().__init__(children=children, **kwargs)
        self._kind, self._title = kind, title
        self.add_class("byhand-widget")

    def __repr__(self):
        return f"<{self._kind}: {self._title} (run the notebook to use it)>"


def numbered_labels(labels, n, prefix):
    """labels as a list, or prefix1 .. prefixN when labels is None."""
    return list(labels) if labels is not None else [f"{prefix}{i + 1}" for i in range(n)]
