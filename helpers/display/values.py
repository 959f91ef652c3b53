"""Numbers as drawn, the arithmetic behind a cell, and the checks of what is drawn."""

from __future__ import annotations

import math

import numpy as np


def as_matrix(M, name, one_d="row"):
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


def formatter(arr, fmt):
    """number -> text for the cells of arr: fmt if given, else format_number, whole when arr is."""
    if fmt is not None:
        return lambda v: str(fmt(v))
    whole = _is_whole(arr)
    return lambda v: format_number(v, whole)


def paren(text):
    """A number's text in parentheses when it is negative, as a factor is written: 1·(-1)."""
    return f"({text})" if text.startswith("-") else text


def arithmetic(left, right, i, j, bias=None):
    """The sum behind result cell (i, j) of left @ right (+ bias), spelled out.

    >>> arithmetic([[5, 6, 0, 7, 0]], [[1], [1], [0], [0], [0]], 0, 0)
    '5·1 + 6·1 + 0·0 + 7·0 + 0·0 = 11'

    Negative factors are put in parentheses, ``1·(-1)``. With a bias, its term is
    ``bias[i]·1`` at the end (the bias folded in as an extra column of left times a 1).
    Whole numbers are written as integers, others with 2 decimals.
    """
    L = as_matrix(left, "left", "row")
    R = as_matrix(right, "right", "col")
    check_chain(L, R)
    b = check_bias(bias, L)
    m, n = L.shape[0], R.shape[1]
    for name, idx, size, what in (("i", i, m, "rows of left"), ("j", j, n, "columns of right")):
        if not isinstance(idx, (int, np.integer)) or not 0 <= idx < size:
            raise ValueError(f"{name} must be an integer in 0..{size - 1} ({what}); got {idx!r}")
    fl, fr = formatter(L, None), formatter(R, None)
    terms = [f"{paren(fl(a))}·{paren(fr(c))}" for a, c in zip(L[i, :], R[:, j])]
    total = L[i, :] @ R[:, j]
    whole = _is_whole(L) and _is_whole(R)
    if b is not None:
        terms.append(f"{paren(formatter(b, None)(b[i]))}·1")
        total = total + b[i]
        whole = whole and _is_whole(b)
    return " + ".join(terms) + " = " + format_number(total, whole)


# ---------------------------------------------------------------- checks


def check_labels(labels, size, name, what):
    """One label per `what` as a list of strings (None stays None), or a ValueError."""
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


def check_chain(L, R):
    """left @ right must be defined: left's columns equal right's rows."""
    if L.shape[1] != R.shape[0]:
        raise ValueError(
            f"left has shape {L.shape} but right has {R.shape}: left's columns "
            f"({L.shape[1]}) must equal right's rows ({R.shape[0]})"
        )


def check_bias(bias, L):
    """The bias as a 1-D array with one entry per row of L (None stays None)."""
    if bias is None:
        return None
    b = as_matrix(bias, "bias").ravel()
    if b.shape[0] != L.shape[0]:
        raise ValueError(f"bias has {b.shape[0]} entries but left has {L.shape[0]} rows: "
                         f"bias needs one entry per row of left")
    return b


def highlights(highlight, shape, name="highlight"):
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
