"""Why an answer is wrong: shape, transpose, which cells, a named slip, a constant offset."""

from __future__ import annotations

import numpy as np

from .drawing import MARKED
from .reading import fmt, warnings_off
from .results import ATOL, RTOL


def cells_equal(a, e, exact):
    """Elementwise: does a equal e (same shape)?"""
    with warnings_off():
        if exact:
            return a == e
        return np.isclose(a, e, rtol=RTOL, atol=ATOL)


def same(a, e, exact):
    a, e = np.asarray(a), np.asarray(e)
    return a.shape == e.shape and bool(np.all(cells_equal(a, e, exact)))


def is_exact(expected):
    return np.asarray(expected).dtype.kind in "iub"


def _cell_name(idx, shape, symbol, cell_names, labels):
    if cell_names is not None and len(shape) == 1:
        return str(cell_names[idx[0]])
    if symbol:
        return f"{symbol}[{','.join(str(i + 1) for i in idx)}]"
    if len(shape) == 2:
        return f"row {idx[0] + 1}, column {idx[1] + 1}"
    return f"cell {idx[0] + 1}" if len(shape) == 1 else f"cell {tuple(i + 1 for i in idx)}"


def _shape_text(shape, labels=None):
    if len(shape) == 0:
        return "a single number"
    if len(shape) == 1:
        return f"{shape[0]} numbers in a row, shape ({shape[0]},)"
    if len(shape) == 2:
        return f"{shape[0]} rows by {shape[1]} columns, shape {shape}"
    return f"shape {shape}"


def alike(a, b, exact):
    """Is a the same numbers as b, allowing a column typed for a row ([[11], [2]] for [11, 2])?"""
    try:
        a, b = np.asarray(a), np.asarray(b)
        if a.shape != b.shape and a.size == b.size and np.squeeze(a).shape == np.squeeze(b).shape:
            a = a.reshape(b.shape)
        return same(a, b, exact)
    except (TypeError, ValueError):  # a ragged or non-numeric slip is not this answer
        return False


def named_slip(answer, slips, exact):
    """The one slip whose value is the whole answer, or None (none does, or two or more do)."""
    hits = [text for text, slip in (slips or {}).items()
            if slip is not None and alike(answer, slip, exact or is_exact(slip))]
    return hits[0] if len(hits) == 1 else None


def is_transpose(ans, exp, exact):
    """A square answer that is the transpose of a non-symmetric expected matrix."""
    return (ans.ndim == 2 and ans.shape == exp.shape and ans.shape[0] == ans.shape[1]
            and not same(exp, exp.T, exact) and same(ans.T, exp, exact))


def _wrong_shape(ans, exp, exact, what):
    msg = f"Wrong shape: {what} has {_shape_text(ans.shape)}, expected {_shape_text(exp.shape)}."
    if ans.ndim == 2 and ans.T.shape == exp.shape:
        if same(ans.T, exp, exact):
            msg += " The transpose of your answer would be right: swap rows and columns (.T)."
        else:
            msg += " Even transposed (.T) the numbers would not match."
    elif ans.size == exp.size and same(ans.reshape(exp.shape), exp, exact):
        msg += " The numbers are right, in the wrong arrangement."
    return msg


def diagnose(answer, expected, *, slips, symbol, cell_names, labels, what="your answer"):
    """Why answer (an array) is not expected. Returns (text, marks or None).

    A slip is named only when it is the whole answer and no other slip is (two slips with the
    same value explain nothing); otherwise the text says which cells are wrong, with no cause."""
    exact = is_exact(expected)
    ans, exp = np.asarray(answer), np.asarray(expected)
    slip = named_slip(ans, slips, exact)
    if slip is not None:
        return f"It looks like you {slip}.", None
    if ans.shape != exp.shape:
        if np.squeeze(ans).shape != np.squeeze(exp).shape:
            return _wrong_shape(ans, exp, exact, what), None
        ans = ans.reshape(exp.shape)  # a column typed as [[11], [2], ...] is fine
    if is_transpose(ans, exp, exact):
        return "It is the transpose of the right answer: swap rows and columns (.T).", None
    equal = cells_equal(ans, exp, exact)
    nan = (np.isnan(ans) | (np.isinf(ans) & ~equal)) if ans.dtype.kind == "f" else np.zeros(ans.shape, bool)
    wrong = ~equal | nan
    k, size = int(wrong.sum()), int(exp.size)
    if k == 0:  # equal after reshaping a column: caller treats as correct
        return None, None
    names = [_cell_name(tuple(idx), exp.shape, symbol, cell_names, labels) for idx in np.argwhere(wrong)]
    shown = ", ".join(names[:6]) + (f" and {len(names) - 6} more" if len(names) > 6 else "")
    parts = []
    if exp.ndim == 0:
        parts.append(f"You entered {fmt(ans)}" + (", which is not a number." if nan.any() else "; that is not it."))
    elif k == 1:
        parts.append(f"1 of {size} cells is wrong: {shown}{MARKED}.")
    else:
        parts.append(f"{k} of {size} cells are wrong: {shown}{MARKED}.")
    if nan.any() and exp.ndim > 0:
        parts.append(f"{int(nan.sum())} of them {'is' if nan.sum() == 1 else 'are'} not a number (NaN or inf).")
    if k == size and size > 1 and not nan.any():
        with warnings_off():
            diff = (ans - exp).ravel()
        if np.all(np.isfinite(diff)) and np.allclose(diff, diff[0], rtol=RTOL, atol=ATOL):
            parts.append(f"Every cell is off by the same amount ({'+' if diff[0] > 0 else ''}{fmt(diff[0])}).")
        elif same(ans, -exp, exact):
            parts.append("Every sign is flipped.")
    return " ".join(parts), (wrong if exp.ndim >= 1 else None)
