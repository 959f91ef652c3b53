"""The explorers of lessons 01 to 05: attention weighting, softmax temperature, the causal
mask, and the heads of multi-head attention. Each takes its data as arguments."""

from __future__ import annotations

import ipywidgets as W
import numpy as np

from .. import display
from ..kernels import causal_mask, softmax
from .base import Widget, numbered_labels
from .tables import bars_html, weights_html


class AttentionExplorer(Widget):
    """Toggle the 0/1 cells of the sheet's A and watch Z = X·A change (lesson 01)."""

    def __init__(self, X, A, position_labels=None, feature_labels=None):
        self.X = np.asarray(X)
        A = np.asarray(A)
        n = A.shape[0]
        self.positions = numbered_labels(position_labels, n, "X")
        self.features = numbered_labels(feature_labels, self.X.shape[0], "P")
        self.toggles = {}
        cells = [W.HTML("")] + [W.HTML(f"<b>Z{j + 1}</b>") for j in range(n)]
        for i in range(n):
            cells.append(W.HTML(f"<b>{self.positions[i]}</b>"))
            for j in range(n):
                t = W.ToggleButton(value=bool(A[i, j]), description=str(int(A[i, j])),
                                   layout=W.Layout(width="2.8em"))
                t.add_class(f"byhand-toggle-{i}-{j}")
                t.observe(lambda change, t=t: self._changed(t), names="value")
                self.toggles[i, j] = t
                cells.append(t)
        self.grid = W.GridBox(cells, layout=W.Layout(grid_template_columns=f"auto repeat({n}, 3em)",
                                                     grid_gap="2px", width="max-content"))
        self.output = W.HTML("")
        self.output.add_class("byhand-output")
        super().__init__("explorer", "attention weighting: toggle A, watch Z", [
            W.HTML("<b>A</b> (click a cell to switch it between 0 and 1)"), self.grid, self.output])
        self._redraw()

    @property
    def A(self):
        n = int(round(len(self.toggles) ** 0.5))
        return np.array([[int(self.toggles[i, j].value) for j in range(n)] for i in range(n)])

    @property
    def Z(self):
        return self.X @ self.A

    def toggle(self, i, j):
        self.toggles[i, j].value = not self.toggles[i, j].value

    def _changed(self, t):
        t.description = "1" if t.value else "0"
        self._redraw()

    def _redraw(self):
        d = display.product(self.X, self.A, left_labels=(self.features, self.positions),
                            right_labels=(self.positions, [f"Z{j + 1}" for j in range(self.A.shape[1])]),
                            roles=("input", "attention", "output"), title="Z = X · A")
        self.output_html = self.output.value = d.html()


def attention_explorer(X, A, position_labels=None, feature_labels=None):
    """An AttentionExplorer over X (features x positions) and the 0/1 weights A (positions x positions).

    position_labels name A's rows and X's columns (default X1, X2, ...); feature_labels name
    X's rows (default P1, P2, ...). Lesson 01: attention_explorer(L.X, L.A, L.POSITIONS, L.FEATURES).
    """
    return AttentionExplorer(X, A, position_labels, feature_labels)


class SoftmaxExplorer(Widget):
    """One row of scores divided by a temperature T before the softmax.

    T = √d_k is the transformer's scale: a small T sharpens the row (the largest
    score takes nearly all the weight), a large T flattens it towards uniform.
    """

    def __init__(self, scores, labels=None, temperature=1.0, title="softmax(scores / T)"):
        self.scores = np.asarray(scores, dtype=float)
        self.labels = numbered_labels(labels, len(self.scores), "k")
        self.slider = W.FloatLogSlider(value=temperature, base=2, min=-3, max=4, step=0.25,
                                       description="T", readout_format=".2f", continuous_update=True)
        self.slider.add_class("byhand-slider")
        self.slider.observe(lambda change: self._redraw(), names="value")
        self.output = W.HTML("")
        self.output.add_class("byhand-output")
        super().__init__("explorer", title, [self.slider, self.output])
        self._title_text = title
        self._redraw()

    @property
    def weights(self):
        return softmax(self.scores / self.slider.value)

    def _redraw(self):
        w = self.weights
        t = self.slider.value
        head = (f"scores {np.array2string(self.scores, precision=2)} ÷ T = {t:.2f}; "
                f"largest weight {w.max():.2f}")
        self.output_html = self.output.value = bars_html(w, self.labels, head)


def softmax_explorer(scores, labels=None, temperature=1.0):
    """A SoftmaxExplorer over one row of scores: see its docstring."""
    return SoftmaxExplorer(scores, labels, temperature)


class CausalMaskExplorer(Widget):
    """Attention weights softmax(scores) with and without the causal mask."""

    def __init__(self, scores, labels=None, masked=True):
        self.scores = np.asarray(scores, dtype=float)
        n = self.scores.shape[-1]
        self.labels = numbered_labels(labels, n, "t")
        self.checkbox = W.Checkbox(value=masked, description="causal mask (no peeking at later words)",
                                   indent=False)
        self.checkbox.add_class("byhand-checkbox")
        self.checkbox.observe(lambda change: self._redraw(), names="value")
        self.output = W.HTML("")
        self.output.add_class("byhand-output")
        super().__init__("explorer", "the causal mask on and off", [self.checkbox, self.output])
        self._redraw()

    @property
    def weights(self):
        s = self.scores
        if self.checkbox.value:
            s = np.where(causal_mask(s.shape[-1]), s, -np.inf)
        return softmax(s)

    def _redraw(self):
        title = "weights with the causal mask" if self.checkbox.value else "weights without a mask"
        self.output_html = self.output.value = weights_html(self.weights, self.labels, self.labels, title)


def causal_mask_explorer(scores, labels=None, masked=True):
    """A CausalMaskExplorer over an (n, n) score matrix: see its docstring."""
    return CausalMaskExplorer(scores, labels, masked)


class HeadExplorer(Widget):
    """Pick one head of a multi-head attention and see its weights (h, n_q, n_k)."""

    def __init__(self, weights, row_labels=None, col_labels=None):
        self.all_weights = np.asarray(weights, dtype=float)
        h = self.all_weights.shape[0]
        self.row_labels = row_labels
        self.col_labels = col_labels if col_labels is not None else row_labels
        self.selector = W.ToggleButtons(options=[(f"head {k + 1}", k) for k in range(h)], value=0)
        self.selector.add_class("byhand-heads")
        self.selector.observe(lambda change: self._redraw(), names="value")
        self.output = W.HTML("")
        self.output.add_class("byhand-output")
        super().__init__("explorer", f"{h} attention heads", [self.selector, self.output])
        self._redraw()

    @property
    def weights(self):
        return self.all_weights[self.selector.value]

    def _redraw(self):
        k = self.selector.value
        self.output_html = self.output.value = weights_html(
            self.weights, self.row_labels, self.col_labels, f"head {k + 1}: rows are queries, columns keys")


def head_explorer(weights, row_labels=None, col_labels=None):
    """A HeadExplorer over the weights of every head, (h, n_q, n_k): see its docstring."""
    return HeadExplorer(weights, row_labels, col_labels)
