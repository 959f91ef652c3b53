"""The fillable by-hand sheet: the result of a product as boxes to type into."""

from __future__ import annotations

import html as _html
import math

import ipywidgets as W
import numpy as np

from .. import display
from .base import Widget, numbered_labels

RIGHT_FILL = "#bbf7d0"  # green: a right answer
WRONG_FILL = "#fecaca"  # red: a wrong answer
EMPTY_FILL = "#ffffff"
REVEALED_FILL = "#fef9c3"  # yellow: filled by the reveal button


class FillableProduct(Widget):
    """The result of left @ right (+ bias) as boxes to type into.

    Each box turns green when it holds the right integer and red when it holds
    anything else, as the learner types. "Hint" shows, for the cell chosen in the
    menu, its row of `left` and its column of `right` highlighted, and the
    arithmetic with one term missing. "Reveal" fills that cell in and marks it revealed
    (yellow): a sheet whose boxes are all right but any revealed is "revealed", never "correct".

    Under the boxes, the line of code holding what was typed, `<answer_name> = [[11, 6, ...], ...]`
    (`...` for an empty box), to paste into the answer cell: that line is what gets graded.

    on_state, if given, is called with the sheet's state ("not done", "correct", "incorrect"
    or "revealed") after every change: that is how an exercise counts the sheet in its progress.
    """

    def __init__(self, left, right, *, bias=None, blanks=None, name="sheet", symbol="Z",
                 left_labels=(None, None), right_labels=(None, None), roles=("weights", "input", "output"),
                 names=("left", "right"), title=None, on_state=None, answer_name="answers"):
        left, right = np.asarray(left), np.asarray(right)
        self.left, self.right = left, right
        self.bias = None if bias is None else np.asarray(bias)
        expected = left @ right
        if self.bias is not None:
            expected = expected + self.bias[:, None]
        self.expected = expected
        m, n = expected.shape
        self.name, self.symbol, self.on_state, self.answer_name = name, symbol, on_state, answer_name
        self.blanks = np.ones((m, n), bool) if blanks is None else np.asarray(blanks, bool)
        if self.blanks.shape != (m, n):
            raise ValueError(f"blanks must have the result's shape {(m, n)}, got {self.blanks.shape}")
        self.row_labels = numbered_labels(left_labels[0], m, "")
        self.col_labels = numbered_labels(right_labels[1], n, "")
        self._left_labels, self._right_labels, self._roles = left_labels, right_labels, roles
        self.revealed = np.zeros((m, n), bool)

        operands = display.hstack(
            display.grid(left, *left_labels, role=roles[0], title=names[0]),
            display.grid(right, *right_labels, role=roles[1], title=names[1]),
        )
        self.operands = W.HTML(operands.html())
        self.table = self._make_table()
        self.code = W.HTML("")
        self.code.add_class("byhand-code")
        self._make_controls()
        heading = W.HTML(f"<b>{_html.escape(title or f'Fill in {symbol}')}</b>")
        super().__init__("fillable sheet", title or f"fill in {symbol}", [
            heading, self.operands, W.HTML(f"<b>{_html.escape(symbol)} =</b>"), self.table, self.code,
            W.HBox([self.choice, self.hint_button, self.reveal_button]), self.status, self.hint_area,
        ])
        self._update_status()

    def _make_table(self):
        """The result as a GridBox: a text box per blank cell (self.boxes), the given cells as text."""
        m, n = self.expected.shape
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
                    given = display.format_number(self.expected[i, j])
                    cells.append(W.HTML(f"<div style='width:3.4em;text-align:center'>{given}</div>"))
        return W.GridBox(cells, layout=W.Layout(
            grid_template_columns=f"auto repeat({n}, 3.8em)", grid_gap="3px", width="max-content"))

    def _make_controls(self):
        """The cell menu, the hint and reveal buttons, and the status and hint lines."""
        options = [(f"{self.symbol}[{i + 1},{j + 1}]", (i, j)) for (i, j) in self.boxes]
        self.choice = W.Dropdown(options=options, description="cell", layout=W.Layout(width="12em"))
        self.hint_button = W.Button(description="hint", icon="lightbulb-o", layout=W.Layout(width="7em"))
        self.reveal_button = W.Button(description="reveal", icon="eye", layout=W.Layout(width="7em"))
        self.hint_button.on_click(lambda _: self.hint())
        self.reveal_button.on_click(lambda _: self.reveal())
        self.status = W.HTML("")
        self.hint_area = W.HTML("")
        self.status.add_class("byhand-status")

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
        """'not done' (nothing typed), 'incorrect' (a box empty or wrong), 'revealed' (every box
        right, one or more by the reveal button) or 'correct' (every box right, typed)."""
        states = [self.cell_state(i, j) for (i, j) in self.boxes]
        if all(s == "empty" for s in states):
            return "not done"
        if not all(s == "right" for s in states):
            return "incorrect"
        return "revealed" if self.revealed.any() else "correct"

    def code_line(self):
        """The line of code holding what is typed: `Z_typed = [[11, 6, ...], ...]`, `...` for an
        empty box, a given cell as its number, text that is not a number in quotes."""
        m, n = self.expected.shape
        rows = []
        for i in range(m):
            cells = []
            for j in range(n):
                if (i, j) not in self.boxes:
                    cells.append(_number_text(self.expected[i, j]))
                else:
                    cells.append(_typed_text(self.boxes[i, j].value))
            rows.append("[" + ", ".join(cells) + "]")
        return f"{self.answer_name} = [" + ", ".join(rows) + "]"

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
            text += ". All right, some revealed: it counts as revealed." if self.revealed.any() else ". All right!"
        self.status.value = text
        self.code.value = (
            "<div>paste this line into the answer cell: this line is what gets graded</div>"
            f"<pre style='margin:2px 0'>{_html.escape(self.code_line(), quote=False)}</pre>")
        if self.on_state is not None:
            self.on_state(self.state)

    def hint_text(self, i, j):
        """The arithmetic of cell (i, j) with one term left for the learner."""
        terms = [f"{display.format_number(a)}·{display.paren(display.format_number(b))}"
                 for a, b in zip(self.left[i], self.right[:, j])]
        if self.bias is not None:
            terms.append(f"{display.format_number(self.bias[i])}·1")
        nonzero = [k for k, (a, b) in enumerate(zip(self.left[i], self.right[:, j])) if a * b]
        k = nonzero[-1] if nonzero else len(terms) - 1
        terms[k] = "□·□"
        return f"{self.symbol}[{i + 1},{j + 1}] = " + " + ".join(terms) + " = ?"

    def hint(self, i=None, j=None):
        """Show cell (i, j)'s row and column highlighted, and its arithmetic with one term missing."""
        if i is None:
            i, j = self.choice.value
        drawing = display.hstack(
            display.grid(self.left, *self._left_labels, role=self._roles[0], highlight=("row", i), title="row"),
            display.grid(self.right, *self._right_labels, role=self._roles[1], highlight=("col", j), title="column"),
        )
        text = _html.escape(self.hint_text(i, j))
        self.hint_area.value = drawing.html() + f"<div style='font-family:monospace'>{text}</div>"
        return self.hint_area.value

    def reveal(self, i=None, j=None):
        """Fill cell (i, j) in with its answer, marked as revealed (yellow)."""
        if i is None:
            i, j = self.choice.value
        self.revealed[i, j] = True
        self.type(i, j, display.format_number(self.expected[i, j]))
        self._changed(i, j)

    def reveal_all(self):
        """Fill every box in with its answer, marked as revealed."""
        for i, j in self.boxes:
            self.reveal(i, j)


def _number_text(v):
    """A number as Python code: 11, -3, 0.25 (an infinity as float('inf'))."""
    v = float(v)
    if not math.isfinite(v):
        return f"float({str(v)!r})"
    return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)


def _typed_text(text):
    """What a box holds, as Python code: ... when empty, the number, or the text in quotes."""
    text = text.strip().replace("−", "-")
    if not text:
        return "..."
    try:
        return _number_text(float(text))
    except ValueError:
        return repr(text)


def fillable_product(left, right, **kwargs):
    """A FillableProduct: see its docstring."""
    return FillableProduct(left, right, **kwargs)
