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
"""

from __future__ import annotations

import html as _html
import math

import numpy as np

__all__ = [
    "ROLE_COLORS", "Drawing", "grid", "product", "arithmetic", "heatmap", "hstack",
    "format_number",
]

# ---------------------------------------------------------------- colours

#: role -> its colour (box borders, titles). Fills and highlights are tints of it.
ROLE_COLORS = {
    "input": "#1d4ed8",      # blue
    "attention": "#c2410c",  # orange
    "weights": "#15803d",    # green
    "hidden": "#0e7490",     # teal
    "output": "#7e22ce",     # purple
    "bias": "#be185d",       # pink
    "neutral": "#4b5563",    # grey
}

# role -> (light fill of a box, stronger fill of a highlighted box)
_FILLS = {
    "input": ("#dbeafe", "#93c5fd"),
    "attention": ("#ffedd5", "#fdba74"),
    "weights": ("#dcfce7", "#86efac"),
    "hidden": ("#cffafe", "#67e8f9"),
    "output": ("#f3e8ff", "#d8b4fe"),
    "bias": ("#fce7f3", "#f9a8d4"),
    "neutral": ("#f3f4f6", "#d1d5db"),
}

_INK = "#111827"       # numbers
_ZERO_INK = "#9ca3af"  # zeros: lighter
_NEG_INK = "#b91c1c"   # negatives: bold dark red
_LABEL_INK = "#4b5563"
_PAPER = "#ffffff"     # the sheet's background, in light and dark themes alike
_WRONG = "#dc2626"     # cells marked wrong by a check
_WRONG_FILL = "#fecaca"


def _check_role(role, name="role"):
    if role not in ROLE_COLORS:
        raise ValueError(
            f"{name} must be one of {', '.join(map(repr, ROLE_COLORS))}; got {role!r}"
        )
    return role


# ---------------------------------------------------------------- numbers


def _as_matrix(M, name, one_d="row"):
    """M as a 2-D numeric array; a 1-D array becomes one row (or one column)."""
    try:
        arr = np.asarray(M)
    except (ValueError, TypeError) as err:
        raise ValueError(f"{name} must be a rectangular array of numbers ({err})") from None
    if arr.dtype.kind not in "biuf":
        raise ValueError(
            f"{name} must contain numbers, got dtype {arr.dtype} with shape {arr.shape}"
        )
    if arr.ndim == 0:
        arr = arr.reshape(1, 1)
    elif arr.ndim == 1:
        arr = arr[None, :] if one_d == "row" else arr[:, None]
    elif arr.ndim != 2:
        raise ValueError(f"{name} must be 1-D or 2-D, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape}): nothing to draw")
    if arr.dtype.kind == "b":
        arr = arr.astype(np.int64)
    return arr


def _is_whole(arr):
    """True when every finite entry is a whole number (drawn without decimals)."""
    arr = np.asarray(arr)
    if arr.dtype.kind in "biu":
        return True
    finite = arr[np.isfinite(arr)]
    return bool(np.all(finite == np.round(finite)))


def format_number(x, whole=None):
    """One number as drawn: 11, -3, 0.25; -0 and -0.00 are drawn as 0 / 0.00.

    whole: draw as an integer (default: when x is a whole number).
    """
    x = float(x) if not isinstance(x, (int, np.integer)) else int(x)
    if isinstance(x, float) and not math.isfinite(x):
        return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")
    if whole is None:
        whole = float(x).is_integer()
    if whole:
        text = str(int(round(x)))
    else:
        text = f"{x:.2f}"
    if text.lstrip("-").strip("0.") == "":  # -0, -0.00 -> 0, 0.00
        text = text.lstrip("-")
    return text


def _formatter(arr, fmt):
    if fmt is not None:
        return lambda v: str(fmt(v))
    whole = _is_whole(arr)
    return lambda v: format_number(v, whole)


def _paren(text):
    return f"({text})" if text.startswith("-") else text


def arithmetic(left, right, i, j, bias=None):
    """The sum behind result cell (i, j) of left @ right (+ bias), spelled out.

    >>> arithmetic([[5, 6, 0, 7, 0]], [[1], [1], [0], [0], [0]], 0, 0)
    '5·1 + 6·1 + 0·0 + 7·0 + 0·0 = 11'

    Negative factors are put in parentheses, ``1·(-1)``. With a bias, its term is
    ``bias[i]·1`` at the end (the bias folded in as an extra column of left times a 1).
    Whole numbers are written as integers, others with 2 decimals.
    """
    L = _as_matrix(left, "left", "row")
    R = _as_matrix(right, "right", "col")
    _check_chain(L, R)
    b = _check_bias(bias, L)
    m, n = L.shape[0], R.shape[1]
    for name, idx, size, what in (("i", i, m, "rows of left"), ("j", j, n, "columns of right")):
        if not isinstance(idx, (int, np.integer)) or not 0 <= idx < size:
            raise ValueError(f"{name} must be an integer in 0..{size - 1} ({what}); got {idx!r}")
    fl, fr = _formatter(L, None), _formatter(R, None)
    terms = [f"{_paren(fl(a))}·{_paren(fr(c))}" for a, c in zip(L[i, :], R[:, j])]
    total = L[i, :] @ R[:, j]
    whole = _is_whole(L) and _is_whole(R)
    if b is not None:
        terms.append(f"{_paren(_formatter(b, None)(b[i]))}·1")
        total = total + b[i]
        whole = whole and _is_whole(b)
    return " + ".join(terms) + " = " + format_number(total, whole)


# ---------------------------------------------------------------- layout model
#
# A panel is a small grid of cells (row, col) -> dict, plus a title and note lines.
# A Drawing is a list of panels side by side; both renderers walk the same cells.


def _cell(kind, text, role="neutral", **flags):
    """kind: 'value' (a boxed number) or 'label'. flags: zero, neg, hl, focus, wrong."""
    return {"kind": kind, "text": text, "role": role, **flags}


def _value_cell(text, role, hl=False, focus=False, wrong=False):
    zero = _looks_zero(text)
    neg = text.startswith("-") and not zero
    return _cell("value", text, role, zero=zero, neg=neg, hl=hl, focus=focus, wrong=wrong)


def _looks_zero(text):
    try:
        return float(text) == 0.0
    except ValueError:
        return False


class _Panel:
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


class Drawing:
    """A drawing of boxed numbers: shown as HTML in Jupyter, or as a matplotlib figure.

    - ``_repr_html_()`` / ``html()``: self-contained HTML (inline styles, no JavaScript);
    - ``figure()``: a matplotlib Figure (patches and text; crisp in PDF);
    - ``savefig(path, **kw)``: write the figure to a file (png, pdf, svg).

    ``hstack(d1, d2, ...)`` places several drawings side by side.
    """

    def __init__(self, panels, gap=1.0):
        self._panels = list(panels)
        self._gap = float(gap)

    # -- text
    def __repr__(self):
        parts = [p.kind + ("" if not p.shapes else " " + " · ".join(p.shapes)) for p in self._panels]
        return f"Drawing({'; '.join(parts)})"

    @property
    def notes(self):
        """The note lines under the drawing (e.g. the highlighted cell's arithmetic)."""
        return [line for p in self._panels for line in p.notes]

    # -- HTML
    def _repr_html_(self):
        return self.html()

    def html(self):
        """Self-contained HTML: a white 'sheet' holding one table per panel."""
        panels = [_panel_html(p) for p in self._panels]
        paper = (f"display:inline-block;text-align:left;background:{_PAPER};color:{_INK};padding:8px 10px;"
                 f"border-radius:4px;font-family:sans-serif;font-size:14px")
        if len(panels) == 1:
            return f'<div style="{paper}">{panels[0]}</div>'
        gap = f"{self._gap * 1.6:g}em"
        cells = "".join(
            f'<td style="vertical-align:top;text-align:left;padding:0 {gap} 0 0;border:none;background:none">{p}</td>'
            for p in panels
        )
        return (f'<div style="{paper}"><table style="border-collapse:collapse;border:none;margin:0">'
                f'<tr style="background:none">{cells}</tr></table></div>')

    # -- matplotlib
    def figure(self, scale=1.0):
        """A matplotlib Figure of the drawing (not left open in pyplot: display it or save it)."""
        return _render_figure(self._panels, self._gap, scale)

    def savefig(self, path, **kwargs):
        """Save the figure (format from the file name); kwargs go to Figure.savefig."""
        kwargs.setdefault("bbox_inches", "tight")
        kwargs.setdefault("pad_inches", 0.15)
        kwargs.setdefault("facecolor", _PAPER)
        fig = self.figure()
        fig.savefig(path, **kwargs)
        return path


# ---------------------------------------------------------------- HTML rendering

_TD_BOX = "text-align:center;padding:1px 5px;min-width:1.6em;height:1.5em;"
_TD_LABEL = "text-align:center;padding:1px 5px;border:none;background:none;white-space:nowrap;"


def _cell_style(cell):
    if cell["kind"] == "label":
        weight = "font-weight:bold;" if cell.get("hl") else ""
        color = ROLE_COLORS[cell["role"]] if cell.get("hl") else _LABEL_INK
        return f"{_TD_LABEL}color:{color};font-size:12px;{weight}"
    fill, strong = _FILLS[cell["role"]]
    edge = ROLE_COLORS[cell["role"]]
    ring = ""  # a thick frame drawn inside the 1px border, so the row height never changes
    bg = strong if cell.get("hl") or cell.get("focus") else fill
    if cell.get("focus"):
        edge, ring = _INK, f"box-shadow:inset 0 0 0 2px {_INK};"
    if cell.get("wrong"):
        edge, ring, bg = _WRONG, f"box-shadow:inset 0 0 0 2px {_WRONG};", _WRONG_FILL
    ink = _ZERO_INK if cell["zero"] else (_NEG_INK if cell["neg"] else _INK)
    weight = "font-weight:bold;" if cell["neg"] or cell.get("focus") else ""
    color = "" if ink == _INK else f"color:{ink};"
    return f"{_TD_BOX}border:1px solid {edge};{ring}background:{bg};{color}{weight}"


def _panel_html(p):
    rows = []
    for r in range(p.n_rows):
        tds = []
        for c in range(p.n_cols):
            cell = p.cells.get((r, c))
            if cell is None:
                tds.append('<td style="border:none;padding:0"></td>')
            else:
                tds.append(f'<td style="{_cell_style(cell)}">{_html.escape(cell["text"])}</td>')
        rows.append('<tr style="background:none">' + "".join(tds) + "</tr>")
    out = []
    if p.title:
        out.append(f'<div style="font-weight:bold;margin:0 0 4px 0;color:{ROLE_COLORS[p.title_role]}">'
                   f"{_html.escape(p.title)}</div>")
    out.append('<table style="border-collapse:separate;border-spacing:2px;border:none;'
               'margin:0;font-family:monospace;font-size:14px;color:#111827">'
               + "".join(rows) + "</table>")
    for line in p.notes:
        out.append(f'<div style="font-family:monospace;margin-top:4px;color:{_INK}">'
                   f"{_html.escape(line)}</div>")
    return "".join(out)


# ---------------------------------------------------------------- figure rendering

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


def _render_figure(panels, gap, scale=1.0):
    """Draw the panels on a Figure with figure-level artists (no Axes: fast, and crisp).

    Coordinates are in cells, x to the right and y down; one cell is _UNIT inches.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle
    from matplotlib.text import Text
    from matplotlib.transforms import Affine2D

    sizes = [_panel_size(p) for p in panels]
    total_w = sum(s[1] for s in sizes) + gap * (len(panels) - 1)
    total_h = max(s[2] for s in sizes)
    margin = 0.2
    unit = _UNIT * scale
    fig = plt.figure(figsize=((total_w + 2 * margin) * unit, (total_h + 2 * margin) * unit),
                     facecolor=_PAPER)
    plt.close(fig)  # not kept by pyplot: shown once when returned, or saved
    to_fig = (Affine2D().translate(margin, margin).scale(unit, -unit)
              .translate(0, (total_h + 2 * margin) * unit) + fig.dpi_scale_trans)

    def text(x, y, s, **kw):
        fig.add_artist(Text(x, y, s, transform=to_fig, va="center", **kw))

    fs = 11 * scale
    x0 = 0.0
    for p, (widths, width, _) in zip(panels, sizes):
        y0 = 0.0
        if p.title:
            text(x0, 0.45, p.title, ha="left", fontsize=fs, fontweight="bold",
                 color=ROLE_COLORS[p.title_role])
            y0 = 1.1
        lefts = np.concatenate([[0.0], np.cumsum(widths)]) + x0
        heights = _row_heights(p)
        tops = np.concatenate([[0.0], np.cumsum(heights)]) + y0
        for (r, c), cell in sorted(p.cells.items()):
            x, y, w = lefts[c], tops[r], widths[c]
            cx, cy = x + w / 2, y + 0.5
            if cell["kind"] == "label":
                hl = cell.get("hl")
                text(cx, cy, cell["text"], ha="center", fontsize=fs * 0.85,
                     color=ROLE_COLORS[cell["role"]] if hl else _LABEL_INK,
                     fontweight="bold" if hl else "normal")
                continue
            fill, strong = _FILLS[cell["role"]]
            edge, lw = ROLE_COLORS[cell["role"]], 1.0
            bg = strong if cell.get("hl") or cell.get("focus") else fill
            if cell.get("focus"):
                edge, lw = _INK, 2.6
            if cell.get("wrong"):
                edge, lw, bg = _WRONG, 2.6, _WRONG_FILL
            pad = 0.06
            fig.add_artist(Rectangle((x + pad, y + pad), w - 2 * pad, 1 - 2 * pad,
                                     facecolor=bg, edgecolor=edge, linewidth=lw * scale,
                                     transform=to_fig))
            ink = _ZERO_INK if cell["zero"] else (_NEG_INK if cell["neg"] else _INK)
            bold = cell["neg"] or cell.get("focus")
            text(cx, cy, cell["text"], ha="center", fontsize=fs, family="monospace",
                 color=ink, fontweight="bold" if bold else "normal")
        for k, line in enumerate(p.notes):
            text(x0, tops[-1] + 0.5 + 0.9 * k, line, ha="left", fontsize=fs * 0.95,
                 family="monospace", color=_INK)
        x0 += width + gap
    return fig


# ---------------------------------------------------------------- checks


def _labels(labels, size, name, what):
    if labels is None:
        return None
    if isinstance(labels, str):
        raise ValueError(f"{name} must be a list of {size} labels (one per {what}), got the "
                         f"string {labels!r}; write e.g. list({labels!r}) or split it")
    labels = [str(x) for x in labels]
    if len(labels) != size:
        raise ValueError(f"{name} has {len(labels)} entries but there are {size} {what}s: "
                         f"give one label per {what}")
    return labels


def _check_chain(L, R):
    if L.shape[1] != R.shape[0]:
        raise ValueError(
            f"left has shape {L.shape} but right has {R.shape}: left's columns "
            f"({L.shape[1]}) must equal right's rows ({R.shape[0]})"
        )


def _check_bias(bias, L):
    if bias is None:
        return None
    b = _as_matrix(bias, "bias").ravel()
    if b.shape[0] != L.shape[0]:
        raise ValueError(f"bias has {b.shape[0]} entries but left has {L.shape[0]} rows: "
                         f"bias needs one entry per row of left")
    return b


def _highlights(highlight, shape, name="highlight"):
    """Normalise highlight to (cells, rows, cols) sets of 0-based indices."""
    cells, rows, cols = set(), set(), set()
    if highlight is None:
        return cells, rows, cols
    specs = list(highlight) if isinstance(highlight, (list, tuple)) else [highlight]
    if specs and not isinstance(specs[0], (tuple, list, np.ndarray)):
        specs = [highlight]  # a single spec: (i, j), ("row", i) or ("col", j)
    m, n = shape
    for spec in specs:
        spec = tuple(spec)
        bad = ValueError(f"{name} must be (i, j), ('row', i) or ('col', j) with 0 <= i < {m} "
                         f"and 0 <= j < {n}, or a list of those; got {spec!r}")
        if len(spec) != 2:
            raise bad
        a, b = spec
        if a in ("row", "col"):
            size = m if a == "row" else n
            if not isinstance(b, (int, np.integer)) or not 0 <= b < size:
                raise bad
            (rows if a == "row" else cols).add(int(b))
        elif isinstance(a, (int, np.integer)) and isinstance(b, (int, np.integer)):
            if not (0 <= a < m and 0 <= b < n):
                raise bad
            cells.add((int(a), int(b)))
        else:
            raise bad
    return cells, rows, cols


# ---------------------------------------------------------------- grid


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
    A = _as_matrix(M, "M")
    _check_role(role)
    m, n = A.shape
    rl = _labels(row_labels, m, "row_labels", "row")
    cl = _labels(col_labels, n, "col_labels", "column")
    cells, rows, cols = _highlights(highlight, (m, n))
    wrong = np.zeros((m, n), bool)
    if marks is not None:
        mk = np.asarray(marks)
        if mk.ndim == 1 and m == 1:
            mk = mk[None, :]
        if mk.shape != (m, n):
            raise ValueError(f"marks has shape {mk.shape} but M has {(m, n)}: "
                             f"marks needs one True/False per cell of M")
        wrong = mk.astype(bool)
    f = _formatter(A, fmt)
    r0, c0 = (1 if cl else 0), (1 if rl else 0)
    p = _Panel(m + r0, n + c0, title, title_role=role)
    p.shapes = [f"{m}×{n}"]
    if cl:
        for j, lab in enumerate(cl):
            p.put(0, c0 + j, _cell("label", lab, role, hl=j in cols or any(c == j for _, c in cells)))
    if rl:
        for i, lab in enumerate(rl):
            p.put(r0 + i, 0, _cell("label", lab, role, hl=i in rows or any(r == i for r, _ in cells)))
    for i in range(m):
        for j in range(n):
            p.put(r0 + i, c0 + j, _value_cell(
                f(A[i, j]), role, hl=i in rows or j in cols, focus=(i, j) in cells,
                wrong=bool(wrong[i, j])))
    return Drawing([p])


# ---------------------------------------------------------------- product


def _pair(labels, name):
    if labels is None:
        return None, None
    try:
        rows, cols = labels
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a pair (row_labels, col_labels), either may be None; "
                         f"got {labels!r}") from None
    return rows, cols


def product(left, right, result=None, *, left_labels=(None, None), right_labels=(None, None),
            result_labels=None, roles=("weights", "input", "output"), highlight=None,
            bias=None, title=None, names=None, fmt=None):
    """A matrix product drawn as on the by-hand sheets.

    The right operand sits above, the left operand on the left, and the result where
    they cross, so result cell (i, j) shares a row with left's row i and a column
    with right's column j.

    left (m, k), right (k, n); a 1-D left is one row, a 1-D right is one column.
    result: what to draw in the result block (default left @ right + bias[:, None]).
    left_labels, right_labels, result_labels: pairs (row_labels, col_labels), either
        may be None. result_labels defaults to (None, None); result row labels, when
        given, are drawn to the right of the result, column labels just above it.
    roles: colours of (left, right, result), keys of ROLE_COLORS.
    highlight: (i, j) lights up result cell (i, j), row i of left and column j of
        right, and spells out the arithmetic under the drawing. ("row", i) and
        ("col", j) light up a whole row of left and the result, or a column of
        right and the result.
    bias: 1-D, one entry per row of left: folded in as an extra column of left (role
        "bias"), with a row of 1s under right, as the hand-drawn sheets do.
    names: optional (left, right, result) names, e.g. ("X", "A", "Z"), written in the
        corners of the three blocks.
    fmt: callable number -> str for every block (default as in grid()).
    """
    L = _as_matrix(left, "left", "row")
    R = _as_matrix(right, "right", "col")
    _check_chain(L, R)
    b = _check_bias(bias, L)
    if len(tuple(roles)) != 3:
        raise ValueError(f"roles must be three roles (left, right, result); got {roles!r}")
    role_l, role_r, role_o = (_check_role(r, "roles") for r in roles)
    m, k = L.shape
    n = R.shape[1]
    computed = L @ R + (b[:, None] if b is not None else 0)
    if result is None:
        O = computed
    else:
        O = _as_matrix(result, "result", "row")
        if O.shape != (m, n):
            raise ValueError(f"result has shape {O.shape} but left @ right has shape {(m, n)}")
    lr, lc = _pair(left_labels, "left_labels")
    rr, rc = _pair(right_labels, "right_labels")
    orr, oc = _pair(result_labels, "result_labels")
    lr = _labels(lr, m, "left_labels[0] (left's row labels)", "row of left")
    lc = _labels(lc, k, "left_labels[1] (left's column labels)", "column of left")
    rr = _labels(rr, k, "right_labels[0] (right's row labels)", "row of right")
    rc = _labels(rc, n, "right_labels[1] (right's column labels)", "column of right")
    orr = _labels(orr, m, "result_labels[0] (result's row labels)", "row of result")
    oc = _labels(oc, n, "result_labels[1] (result's column labels)", "column of result")
    if names is not None:
        names = [None if x is None else str(x) for x in names]
        if len(names) != 3:
            raise ValueError(f"names must be three names (left, right, result); got {names!r}")
    else:
        names = [None, None, None]
    cells, hrows, hcols = _highlights(highlight, (m, n))
    hrows_all = hrows | {i for i, _ in cells}
    hcols_all = hcols | {j for _, j in cells}

    kb = k + (1 if b is not None else 0)  # left's columns, with the bias column
    # grid columns: [left row labels] [kb left columns] [right row labels] [n result] [result row labels]
    # grid rows:    [right col labels] [kb right rows] [left/result col labels] [m result rows]
    c_left, c_mid, c_res = 1, 1 + kb, 2 + kb
    r_right, r_mid, r_res = 1, 1 + kb, 2 + kb
    p = _Panel(r_res + m, c_res + n + (1 if orr else 0), title, title_role=role_o, kind="product")
    p.shapes = [f"{m}×{k}", f"{k}×{n}"] + (["+ bias"] if b is not None else [])

    fl, fr, fo = _formatter(L, fmt), _formatter(R, fmt), _formatter(O, fmt)
    fb = _formatter(b, fmt) if b is not None else None
    # right operand, above the result
    for t in range(k):
        for j in range(n):
            p.put(r_right + t, c_res + j, _value_cell(fr(R[t, j]), role_r, hl=j in hcols_all))
    if b is not None:  # the row of 1s under right
        for j in range(n):
            p.put(r_right + k, c_res + j, _value_cell("1", "bias", hl=j in hcols_all))
        p.put(r_right + k, c_mid, _cell("label", "1", "bias"))
    # left operand, left of the result
    for i in range(m):
        for t in range(k):
            p.put(r_res + i, c_left + t, _value_cell(fl(L[i, t]), role_l, hl=i in hrows_all))
        if b is not None:
            p.put(r_res + i, c_left + k, _value_cell(fb(b[i]), "bias", hl=i in hrows_all))
    # result, where they cross
    for i in range(m):
        for j in range(n):
            p.put(r_res + i, c_res + j, _value_cell(
                fo(O[i, j]), role_o, hl=i in hrows or j in hcols, focus=(i, j) in cells))
    # labels
    if rc:
        for j, lab in enumerate(rc):
            p.put(0, c_res + j, _cell("label", lab, role_r, hl=j in hcols_all))
    if rr:
        for t, lab in enumerate(rr):
            p.put(r_right + t, c_mid, _cell("label", lab, role_r))
    if lc:
        for t, lab in enumerate(lc):
            p.put(r_mid, c_left + t, _cell("label", lab, role_l))
    if b is not None:
        p.put(r_mid, c_left + k, _cell("label", "b", "bias"))
    if lr:
        for i, lab in enumerate(lr):
            p.put(r_res + i, 0, _cell("label", lab, role_l, hl=i in hrows_all))
    if oc:
        for j, lab in enumerate(oc):
            p.put(r_mid, c_res + j, _cell("label", lab, role_o, hl=j in hcols_all))
    if orr:
        for i, lab in enumerate(orr):
            p.put(r_res + i, c_res + n, _cell("label", lab, role_o, hl=i in hrows_all))
    # names in the corners of the blocks
    for (r, c), name, role in (((r_mid, 0), names[0], role_l), ((0, c_mid), names[1], role_r),
                               ((r_mid, c_mid), names[2], role_o)):
        if name and (r, c) not in p.cells:
            p.put(r, c, _cell("label", name, role, hl=True))
    # the arithmetic of each highlighted cell
    for i, j in sorted(cells):
        row_name = (lr[i] if lr else (orr[i] if orr else None))
        col_name = (oc[j] if oc else (rc[j] if rc else None))
        where = (f"({row_name}, {col_name})" if row_name and col_name
                 else f"{names[2] or 'result'}[{i}, {j}]")
        p.notes.append(f"{where}: {arithmetic(L, R, i, j, bias=b)}")
    return Drawing([p])


# ---------------------------------------------------------------- hstack


def hstack(*drawings, gap=1.0):
    """Drawings side by side (HTML and figure); gap is the space between them, in cells."""
    if len(drawings) == 1 and isinstance(drawings[0], (list, tuple)):
        drawings = tuple(drawings[0])
    if not drawings:
        raise ValueError("hstack needs at least one Drawing")
    panels = []
    for k, d in enumerate(drawings):
        if not isinstance(d, Drawing):
            raise ValueError(f"hstack takes Drawings (from grid, product, hstack); "
                             f"argument {k} is a {type(d).__name__}")
        panels.extend(d._panels)
    return Drawing(panels, gap=gap)


# ---------------------------------------------------------------- heatmap


def heatmap(M, row_labels=None, col_labels=None, title=None, ax=None, cmap=None, annotate=True):
    """A real-valued matrix (e.g. attention weights 0..1) as coloured cells, annotated.

    Returns the matplotlib Figure (drawn into ax when given; a colour bar is added only
    when heatmap makes the figure itself). Values are written with 2 decimals; the colour
    scale runs from min(0, M.min()) to max(1, M.max()), in the attention orange unless
    cmap is given.
    """
    import matplotlib.pyplot as plt

    A = _as_matrix(M, "M").astype(float)
    m, n = A.shape
    rl = _labels(row_labels, m, "row_labels", "row")
    cl = _labels(col_labels, n, "col_labels", "column")
    own = ax is None
    if own:
        fig = plt.figure(figsize=(0.55 * n + 1.6, 0.45 * m + 0.9), dpi=90)
        plt.close(fig)  # not kept by pyplot: shown once when returned
        ax = fig.add_subplot(1, 1, 1)
    else:
        fig = ax.figure
    cmap = cmap or "Oranges"
    finite = A[np.isfinite(A)]
    lo = min(0.0, float(finite.min())) if finite.size else 0.0
    hi = max(1.0, float(finite.max())) if finite.size else 1.0
    im = ax.imshow(A, cmap=cmap, vmin=lo, vmax=hi, aspect="equal")
    ax.set_xticks(range(n), cl if cl else [str(j) for j in range(n)])
    ax.set_yticks(range(m), rl if rl else [str(i) for i in range(m)])
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    if annotate:
        for i in range(m):
            for j in range(n):
                v = A[i, j]
                dark = np.isfinite(v) and (v - lo) / (hi - lo or 1) > 0.55
                ax.text(j, i, format_number(v, whole=False), ha="center", va="center",
                        fontsize=9, color="white" if dark else _INK)
    if title:
        ax.set_title(title, fontsize=11)
    if own:  # into a caller's ax: the caller decides about colour bars
        fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    return fig
