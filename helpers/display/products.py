"""product: a matrix product drawn as on the by-hand sheets.

                 | right's column labels
                 | right (k x n)
    left (m x k) | result (m x n)

The panel's grid, from the left and from the top:
    columns: [left's row labels] [kb columns of left] [right's row labels] [n result] [result's row labels]
    rows:    [right's column labels] [kb rows of right] [left's and result's column labels] [m result rows]
where kb = k, plus one for a bias folded in as an extra column of left (and a row of 1s under right).
"""

from __future__ import annotations

from typing import NamedTuple

from .drawing import Drawing
from .panels import Panel, cell, value_cell
from .style import check_role
from .values import arithmetic, as_matrix, check_bias, check_chain, check_labels, formatter, highlights


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
    L, R, b, roles = _operands(left, right, bias, roles)
    O = _result(L, R, b, result)
    labels = _product_labels(L, R, left_labels, right_labels, result_labels)
    q = _Blocks(L, R, O, b, roles, labels, _names(names), *highlights(highlight, O.shape))
    p = Panel(q.r_res + q.m, q.c_res + q.n + (1 if labels.result_rows else 0), title,
              title_role=q.roles[2], kind="product")
    p.shapes = [f"{q.m}×{q.k}", f"{q.k}×{q.n}"] + (["+ bias"] if b is not None else [])
    _put_right(p, q, fmt)
    _put_left(p, q, fmt)
    _put_result(p, q, fmt)
    _put_labels(p, q)
    _put_names(p, q)
    _put_arithmetic(p, q)
    return Drawing([p])


# ---------------------------------------------------------------- what is drawn, checked


def _operands(left, right, bias, roles):
    """left and right as 2-D arrays that chain, the bias (or None), and the three roles."""
    L = as_matrix(left, "left", "row")
    R = as_matrix(right, "right", "col")
    check_chain(L, R)
    b = check_bias(bias, L)
    if len(tuple(roles)) != 3:
        raise ValueError(f"roles must be three roles (left, right, result); got {roles!r}")
    return L, R, b, tuple(check_role(r, "roles") for r in roles)


def _result(L, R, b, result):
    """What the result block shows: result if given (of the product's shape), else L @ R + b."""
    computed = L @ R + (b[:, None] if b is not None else 0)
    if result is None:
        return computed
    O = as_matrix(result, "result", "row")
    if O.shape != computed.shape:
        raise ValueError(f"result has shape {O.shape} but left @ right has shape {computed.shape}")
    return O


class _Labels(NamedTuple):
    """The labels of the three blocks, each a list of strings or None."""

    left_rows: list | None
    left_cols: list | None
    right_rows: list | None
    right_cols: list | None
    result_rows: list | None
    result_cols: list | None


def _pair(labels, name):
    """(row_labels, col_labels) from a pair (None: neither), or a ValueError naming the argument."""
    if labels is None:
        return None, None
    try:
        rows, cols = labels
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a pair (row_labels, col_labels), either may be None; "
                         f"got {labels!r}") from None
    return rows, cols


def _product_labels(L, R, left_labels, right_labels, result_labels):
    """Every block's labels, checked against its size."""
    (m, k), n = L.shape, R.shape[1]
    lr, lc = _pair(left_labels, "left_labels")
    rr, rc = _pair(right_labels, "right_labels")
    orr, oc = _pair(result_labels, "result_labels")
    return _Labels(
        check_labels(lr, m, "left_labels[0] (left's row labels)", "row of left"),
        check_labels(lc, k, "left_labels[1] (left's column labels)", "column of left"),
        check_labels(rr, k, "right_labels[0] (right's row labels)", "row of right"),
        check_labels(rc, n, "right_labels[1] (right's column labels)", "column of right"),
        check_labels(orr, m, "result_labels[0] (result's row labels)", "row of result"),
        check_labels(oc, n, "result_labels[1] (result's column labels)", "column of result"),
    )


def _names(names):
    """(left, right, result) names as strings or None."""
    if names is None:
        return [None, None, None]
    names = [None if x is None else str(x) for x in names]
    if len(names) != 3:
        raise ValueError(f"names must be three names (left, right, result); got {names!r}")
    return names


class _Blocks:
    """A product's blocks, labels, names and highlights, and where the blocks go on the grid."""

    def __init__(self, L, R, O, b, roles, labels, names, cells, hrows, hcols):
        self.L, self.R, self.O, self.b = L, R, O, b
        self.roles, self.labels, self.names = roles, labels, names
        self.cells, self.hrows, self.hcols = cells, hrows, hcols  # highlighted result cells, rows, columns
        self.hrows_all = hrows | {i for i, _ in cells}  # rows of left lit up
        self.hcols_all = hcols | {j for _, j in cells}  # columns of right lit up
        self.m, self.k = L.shape
        self.n = R.shape[1]
        kb = self.k + (1 if b is not None else 0)  # left's columns, with the bias column
        self.c_left, self.c_mid, self.c_res = 1, 1 + kb, 2 + kb
        self.r_right, self.r_mid, self.r_res = 1, 1 + kb, 2 + kb


# ---------------------------------------------------------------- what is drawn, placed


def _put_right(p, q, fmt):
    """The right operand above the result, and with a bias the row of 1s under it."""
    fr = formatter(q.R, fmt)
    for t in range(q.k):
        for j in range(q.n):
            p.put(q.r_right + t, q.c_res + j, value_cell(fr(q.R[t, j]), q.roles[1], hl=j in q.hcols_all))
    if q.b is not None:
        for j in range(q.n):
            p.put(q.r_right + q.k, q.c_res + j, value_cell("1", "bias", hl=j in q.hcols_all))
        p.put(q.r_right + q.k, q.c_mid, cell("label", "1", "bias"))


def _put_left(p, q, fmt):
    """The left operand left of the result, and with a bias its column beside it."""
    fl = formatter(q.L, fmt)
    fb = formatter(q.b, fmt) if q.b is not None else None
    for i in range(q.m):
        for t in range(q.k):
            p.put(q.r_res + i, q.c_left + t, value_cell(fl(q.L[i, t]), q.roles[0], hl=i in q.hrows_all))
        if q.b is not None:
            p.put(q.r_res + i, q.c_left + q.k, value_cell(fb(q.b[i]), "bias", hl=i in q.hrows_all))


def _put_result(p, q, fmt):
    """The result where the two operands cross."""
    fo = formatter(q.O, fmt)
    for i in range(q.m):
        for j in range(q.n):
            p.put(q.r_res + i, q.c_res + j, value_cell(
                fo(q.O[i, j]), q.roles[2], hl=i in q.hrows or j in q.hcols, focus=(i, j) in q.cells))


def _put_labels(p, q):
    """Each block's row and column labels, and the bias column's "b"."""
    lab, (role_l, role_r, role_o) = q.labels, q.roles
    for j, text in enumerate(lab.right_cols or []):
        p.put(0, q.c_res + j, cell("label", text, role_r, hl=j in q.hcols_all))
    for t, text in enumerate(lab.right_rows or []):
        p.put(q.r_right + t, q.c_mid, cell("label", text, role_r))
    for t, text in enumerate(lab.left_cols or []):
        p.put(q.r_mid, q.c_left + t, cell("label", text, role_l))
    if q.b is not None:
        p.put(q.r_mid, q.c_left + q.k, cell("label", "b", "bias"))
    for i, text in enumerate(lab.left_rows or []):
        p.put(q.r_res + i, 0, cell("label", text, role_l, hl=i in q.hrows_all))
    for j, text in enumerate(lab.result_cols or []):
        p.put(q.r_mid, q.c_res + j, cell("label", text, role_o, hl=j in q.hcols_all))
    for i, text in enumerate(lab.result_rows or []):
        p.put(q.r_res + i, q.c_res + q.n, cell("label", text, role_o, hl=i in q.hrows_all))


def _put_names(p, q):
    """The blocks' names in their corners, where no label is already."""
    corners = ((q.r_mid, 0), (0, q.c_mid), (q.r_mid, q.c_mid))
    for (r, c), name, role in zip(corners, q.names, q.roles):
        if name and (r, c) not in p.cells:
            p.put(r, c, cell("label", name, role, hl=True))


def _put_arithmetic(p, q):
    """Under the drawing, the arithmetic of each highlighted result cell."""
    lab = q.labels
    for i, j in sorted(q.cells):
        row_name = (lab.left_rows[i] if lab.left_rows else (lab.result_rows[i] if lab.result_rows else None))
        col_name = (lab.result_cols[j] if lab.result_cols else (lab.right_cols[j] if lab.right_cols else None))
        where = (f"({row_name}, {col_name})" if row_name and col_name
                 else f"{q.names[2] or 'result'}[{i}, {j}]")
        p.notes.append(f"{where}: {arithmetic(q.L, q.R, i, j, bias=q.b)}")
