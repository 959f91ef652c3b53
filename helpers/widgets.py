"""Widgets: the fillable by-hand sheet and the explorers used in the lessons.

ipywidgets 8, pure Python, no custom front-end: they work in JupyterLab,
Notebook 7, VS Code and Colab alike. `import helpers` does not import this module.

Every widget is a VBox with a short, fixed text form (what a static viewer or
nbval sees), and its logic can be driven from Python without a browser: set a
control's value and read the widget's `output_html` (or its numbers). That is
how tests/test_widgets.py checks them, and how benchmarks/widgets.py times them.

    fillable_product(left, right, ...)     the blank sheet: type the result, cell by cell
    attention_explorer(X, A)               toggle cells of A, watch Z = X·A change   (lesson 01)
    softmax_explorer(scores, ...)          a temperature / √d_k slider over one row   (lessons 03-04)
    causal_mask_explorer(scores, labels)   the causal mask on and off                  (lessons 04, 08)
    head_explorer(weights, labels)         pick a head, see its attention weights      (lesson 05)
    position_explorer(n, d_model)          a position and a dimension of the encoding  (lesson 06)
"""

from __future__ import annotations

import html as _html

import ipywidgets as W
import numpy as np

from . import display
from .kernels import causal_mask, positional_encoding, softmax

RIGHT_FILL = "#bbf7d0"  # green: a right answer
WRONG_FILL = "#fecaca"  # red: a wrong answer
EMPTY_FILL = "#ffffff"
REVEALED_FILL = "#fef9c3"  # yellow: filled by the reveal button


class Widget(W.VBox):
    """A VBox whose text form is one short, deterministic line."""

    def __init__(self, kind, title, children, **kwargs):
        super().__init__(children=children, **kwargs)
        self._kind, self._title = kind, title
        self.add_class("byhand-widget")

    def __repr__(self):
        return f"<{self._kind}: {self._title} (run the notebook to use it)>"


def _labels(labels, n, prefix):
    return list(labels) if labels is not None else [f"{prefix}{i + 1}" for i in range(n)]


# ---------------------------------------------------------------- the fillable sheet


class FillableProduct(Widget):
    """The result of left @ right (+ bias) as boxes to type into.

    Each box turns green when it holds the right integer and red when it holds
    anything else, as the learner types. "Hint" shows, for the cell chosen in the
    menu, its row of `left` and its column of `right` highlighted, and the
    arithmetic with one term missing. "Reveal" fills that cell in.
    """

    def __init__(self, left, right, *, bias=None, blanks=None, name="sheet", symbol="Z",
                 left_labels=(None, None), right_labels=(None, None), roles=("weights", "input", "output"),
                 names=("left", "right"), title=None):
        left, right = np.asarray(left), np.asarray(right)
        self.left, self.right = left, right
        self.bias = None if bias is None else np.asarray(bias)
        expected = left @ right
        if self.bias is not None:
            expected = expected + self.bias[:, None]
        self.expected = expected
        m, n = expected.shape
        self.name, self.symbol = name, symbol
        self.blanks = np.ones((m, n), bool) if blanks is None else np.asarray(blanks, bool)
        if self.blanks.shape != (m, n):
            raise ValueError(f"blanks must have the result's shape {(m, n)}, got {self.blanks.shape}")
        self.row_labels = _labels(left_labels[0], m, "")
        self.col_labels = _labels(right_labels[1], n, "")
        self._left_labels, self._right_labels, self._roles = left_labels, right_labels, roles
        self.revealed = np.zeros((m, n), bool)

        operands = display.hstack(
            display.grid(left, *left_labels, role=roles[0], title=names[0]),
            display.grid(right, *right_labels, role=roles[1], title=names[1]),
        )
        self.operands = W.HTML(operands.html())
        self.boxes = {}
        cells = [W.HTML("")] + [W.HTML(f"<b>{_html.escape(str(c))}</b>") for c in self.col_labels]
        for i in range(m):
            cells.append(W.HTML(f"<b>{_html.escape(str(self.row_labels[i]))}</b>"))
            for j in range(n):
                if self.blanks[i, j]:
                    box = W.Text(value="", placeholder="?", continuous_update=True,
                                 layout=W.Layout(width="3.4em"))
                    box.add_class("byhand-cell")
                    box.add_class(f"byhand-cell-{i}-{j}")
                    box.observe(lambda change, i=i, j=j: self._changed(i, j), names="value")
                    self.boxes[i, j] = box
                    cells.append(box)
                else:
                    cells.append(W.HTML(f"<div style='width:3.4em;text-align:center'>{display.format_number(expected[i, j])}</div>"))
        self.table = W.GridBox(cells, layout=W.Layout(
            grid_template_columns=f"auto repeat({n}, 3.8em)", grid_gap="3px", width="max-content"))
        options = [(f"{symbol}[{i + 1},{j + 1}]", (i, j)) for (i, j) in self.boxes]
        self.choice = W.Dropdown(options=options, description="cell", layout=W.Layout(width="12em"))
        self.hint_button = W.Button(description="hint", icon="lightbulb-o", layout=W.Layout(width="7em"))
        self.reveal_button = W.Button(description="reveal", icon="eye", layout=W.Layout(width="7em"))
        self.hint_button.on_click(lambda _: self.hint())
        self.reveal_button.on_click(lambda _: self.reveal())
        self.status = W.HTML("")
        self.hint_area = W.HTML("")
        self.status.add_class("byhand-status")
        heading = W.HTML(f"<b>{_html.escape(title or f'Fill in {symbol}')}</b>")
        super().__init__("fillable sheet", title or f"fill in {symbol}", [
            heading, self.operands, W.HTML(f"<b>{_html.escape(symbol)} =</b>"), self.table,
            W.HBox([self.choice, self.hint_button, self.reveal_button]), self.status, self.hint_area,
        ])
        self._update_status()

    # -- logic, usable without a browser
    def cell_state(self, i, j):
        """'empty', 'right', 'wrong' (or 'given' for a cell that is not blank)."""
        if (i, j) not in self.boxes:
            return "given"
        text = self.boxes[i, j].value.strip().replace("−", "-")
        if not text:
            return "empty"
        try:
            value = float(text)
        except ValueError:
            return "wrong"
        return "right" if value == self.expected[i, j] else "wrong"

    @property
    def state(self):
        """'not done' (nothing typed), 'correct' (every blank right) or 'incorrect'."""
        states = [self.cell_state(i, j) for (i, j) in self.boxes]
        if all(s == "empty" for s in states):
            return "not done"
        return "correct" if all(s == "right" for s in states) else "incorrect"

    def type(self, i, j, text):
        """Type `text` into cell (i, j), 0-based, as a learner would."""
        self.boxes[i, j].value = str(text)

    def _changed(self, i, j):
        s = self.cell_state(i, j)
        fill = {"empty": EMPTY_FILL, "right": RIGHT_FILL, "wrong": WRONG_FILL}[s]
        if s == "right" and self.revealed[i, j]:
            fill = REVEALED_FILL
        self.boxes[i, j].style.background = fill
        self._update_status()

    def _update_status(self):
        states = [self.cell_state(i, j) for (i, j) in self.boxes]
        right, wrong = states.count("right"), states.count("wrong")
        text = f"{right} of {len(states)} right, {wrong} wrong"
        if self.revealed.any():
            text += f", {int(self.revealed.sum())} revealed"
        if states and right == len(states):
            text += ". All right!"
        self.status.value = text
        _record(self.name, self.state)

    def hint_text(self, i, j):
        """The arithmetic of cell (i, j) with one term left for the learner."""
        terms = [f"{display.format_number(a)}·{display._paren(display.format_number(b))}"
                 for a, b in zip(self.left[i], self.right[:, j])]
        if self.bias is not None:
            terms.append(f"{display.format_number(self.bias[i])}·1")
        nonzero = [k for k, (a, b) in enumerate(zip(self.left[i], self.right[:, j])) if a * b]
        k = nonzero[-1] if nonzero else len(terms) - 1
        terms[k] = "□·□"
        return f"{self.symbol}[{i + 1},{j + 1}] = " + " + ".join(terms) + " = ?"

    def hint(self, i=None, j=None):
        if i is None:
            i, j = self.choice.value
        drawing = display.hstack(
            display.grid(self.left, *self._left_labels, role=self._roles[0], highlight=("row", i), title="row"),
            display.grid(self.right, *self._right_labels, role=self._roles[1], highlight=("col", j), title="column"),
        )
        self.hint_area.value = drawing.html() + f"<div style='font-family:monospace'>{_html.escape(self.hint_text(i, j))}</div>"
        return self.hint_area.value

    def reveal(self, i=None, j=None):
        if i is None:
            i, j = self.choice.value
        self.revealed[i, j] = True
        self.type(i, j, display.format_number(self.expected[i, j]))
        self._changed(i, j)


def fillable_product(left, right, **kwargs):
    """A FillableProduct: see its docstring. `name` is the exercise name in progress()."""
    return FillableProduct(left, right, **kwargs)


def _record(name, state):
    from . import checks

    record = getattr(checks, "record", None)
    if record is not None:
        record(name, state)


# ---------------------------------------------------------------- HTML helpers for the explorers


def weights_html(weights, row_labels=None, col_labels=None, title=None):
    """A small heatmap as an HTML table: darker orange = more weight, values to 2 decimals."""
    weights = np.asarray(weights, dtype=float)
    rows = _labels(row_labels, weights.shape[0], "q")
    cols = _labels(col_labels, weights.shape[1], "k")
    cell = "padding:3px 6px;text-align:center;font-family:monospace;border:1px solid #e5e7eb;"
    out = ["<table style='border-collapse:collapse;background:#fff;color:#111827'>"]
    if title:
        out.append(f"<caption style='font-weight:bold;color:#111827'>{_html.escape(title)}</caption>")
    out.append("<tr><td></td>" + "".join(f"<th style='{cell}'>{_html.escape(str(c))}</th>" for c in cols) + "</tr>")
    for r, row in zip(rows, weights):
        tds = []
        for w in row:
            alpha = 0.08 + 0.92 * float(np.clip(w, 0, 1))
            ink = "#ffffff" if w > 0.55 else "#111827"
            tds.append(f"<td style='{cell}background:rgba(194,65,12,{alpha:.2f});color:{ink}'>{w:.2f}</td>")
        out.append(f"<tr><th style='{cell}'>{_html.escape(str(r))}</th>{''.join(tds)}</tr>")
    out.append("</table>")
    return "".join(out)


def bars_html(values, labels, title=None):
    """Horizontal bars for one row of weights (0..1)."""
    out = [f"<div style='font-family:monospace;color:#111827;background:#fff;padding:4px'>"]
    if title:
        out.append(f"<div><b>{_html.escape(title)}</b></div>")
    for lab, v in zip(labels, values):
        width = int(round(240 * float(v)))
        out.append(
            f"<div style='display:flex;align-items:center;gap:6px'>"
            f"<span style='width:6em;text-align:right'>{_html.escape(str(lab))}</span>"
            f"<span style='display:inline-block;height:14px;width:{width}px;background:#c2410c'></span>"
            f"<span>{v:.2f}</span></div>"
        )
    out.append("</div>")
    return "".join(out)


# ---------------------------------------------------------------- explorers


class AttentionExplorer(Widget):
    """Toggle the 0/1 cells of the sheet's A and watch Z = X·A change (lesson 01)."""

    def __init__(self, X, A, position_labels=None, feature_labels=None):
        self.X = np.asarray(X)
        A = np.asarray(A)
        n = A.shape[0]
        self.positions = _labels(position_labels, n, "X")
        self.features = _labels(feature_labels, self.X.shape[0], "P")
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


def attention_explorer(X=None, A=None):
    """AttentionExplorer over the sheet's X and A (or your own)."""
    from . import sheet

    return AttentionExplorer(sheet.X if X is None else X, sheet.A if A is None else A,
                             sheet.POSITIONS, sheet.FEATURES)


class SoftmaxExplorer(Widget):
    """One row of scores divided by a temperature T before the softmax.

    T = √d_k is the transformer's scale: a small T sharpens the row (the largest
    score takes nearly all the weight), a large T flattens it towards uniform.
    """

    def __init__(self, scores, labels=None, temperature=1.0, title="softmax(scores / T)"):
        self.scores = np.asarray(scores, dtype=float)
        self.labels = _labels(labels, len(self.scores), "k")
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
    return SoftmaxExplorer(scores, labels, temperature)


class CausalMaskExplorer(Widget):
    """Attention weights softmax(scores) with and without the causal mask."""

    def __init__(self, scores, labels=None, masked=True):
        self.scores = np.asarray(scores, dtype=float)
        n = self.scores.shape[-1]
        self.labels = _labels(labels, n, "t")
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
    return HeadExplorer(weights, row_labels, col_labels)


class PositionExplorer(Widget):
    """The sinusoidal encoding: one dimension's wave over the positions, and one position's vector."""

    def __init__(self, n=32, d_model=16, pos=3, dim=0):
        self.pe = positional_encoding(n, d_model)
        self.pos = W.IntSlider(value=pos, min=0, max=n - 1, description="position", continuous_update=True)
        self.dim = W.IntSlider(value=dim, min=0, max=d_model - 1, description="dimension", continuous_update=True)
        self.pos.add_class("byhand-slider")
        self.dim.add_class("byhand-slider-dim")
        for s in (self.pos, self.dim):
            s.observe(lambda change: self._redraw(), names="value")
        self.output = W.HTML("")
        self.output.add_class("byhand-output")
        super().__init__("explorer", f"positional encoding, {n} positions × d_model = {d_model}",
                         [W.HBox([self.pos, self.dim]), self.output])
        self._redraw()

    @property
    def vector(self):
        return self.pe[self.pos.value]

    def formula(self):
        p, d = self.pos.value, self.dim.value
        i2 = d - d % 2
        fn = "sin" if d % 2 == 0 else "cos"
        d_model = self.pe.shape[1]
        return (f"PE[{p}, {d}] = {fn}({p} / 10000^({i2}/{d_model})) = {self.pe[p, d]:.3f}")

    def wave_svg(self, width=660, height=150):
        """The chosen dimension over all positions as an inline SVG (fast, crisp, no JavaScript)."""
        p, d = self.pos.value, self.dim.value
        n = self.pe.shape[0]
        pad = 24
        x = lambda k: pad + (width - 2 * pad) * k / max(n - 1, 1)  # noqa: E731
        y = lambda v: height / 2 - (height / 2 - 14) * v  # noqa: E731
        d_model = self.pe.shape[1]
        fine = np.linspace(0, n - 1, 8 * n)

        def curve(e):  # the continuous wave behind dimension e, sampled finely
            freq = 1.0 / 10000.0 ** ((e - e % 2) / d_model)
            vals = np.sin(fine * freq) if e % 2 == 0 else np.cos(fine * freq)
            return " ".join(f"{x(k):.1f},{y(v):.1f}" for k, v in zip(fine, vals))

        faint = "".join(
            f"<polyline fill='none' stroke='#cbd5e1' stroke-width='1' points='{curve(e)}'/>"
            for e in (d - 2, d + 2) if 0 <= e < d_model
        )
        points = curve(d)
        ticks = "".join(f"<circle cx='{x(k):.1f}' cy='{y(v):.1f}' r='2' fill='#1d4ed8'/>"
                        for k, v in enumerate(self.pe[:, d]))
        color, dot = display.ROLE_COLORS["input"], display.ROLE_COLORS["attention"]
        wave = "sin" if d % 2 == 0 else "cos"
        return (
            f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height + 18}' "
            f"style='background:#fff' class='byhand-wave'>"
            f"<line x1='{pad}' y1='{y(0):.1f}' x2='{width - pad}' y2='{y(0):.1f}' stroke='#9ca3af'/>"
            f"{faint}<polyline fill='none' stroke='{color}' stroke-width='1.5' points='{points}'/>{ticks}"
            f"<circle cx='{x(p):.1f}' cy='{y(self.pe[p, d]):.1f}' r='5' fill='{dot}'/>"
            f"<text x='{pad}' y='{height + 12}' font-size='12' font-family='sans-serif' fill='#111827'>"
            f"dimension {d}: a {wave} wave; small dots are positions 0..{n - 1}, the big dot is position {p} "
            f"(grey: dimensions {d}±2)</text></svg>"
        )

    def _redraw(self):
        p, d = self.pos.value, self.dim.value
        vec = display.grid(np.round(self.vector, 2)[None, :], [f"pos {p}"], [str(k) for k in range(len(self.vector))],
                           role="input", highlight=(0, d), title=f"the encoding of position {p}")
        self.output_html = self.output.value = (
            self.wave_svg() + vec.html()
            + f"<div style='font-family:monospace'>{_html.escape(self.formula())}</div>")


def position_explorer(n=32, d_model=16, pos=3, dim=0):
    return PositionExplorer(n, d_model, pos, dim)
