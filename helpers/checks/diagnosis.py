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


def diagnose(answer, expected, *, slips, symbol, cell_names, labels, what="your answer"):
    """Why answer (an array) is not expected. Returns (text, marks or None)."""
    exact = is_exact(expected)
    ans, exp = np.asarray(answer), np.asarray(expected)
    # A whole-answer slip (any shape).
    for text, slip in (slips or {}).items():
        if slip is not None and same(ans, slip, exact or is_exact(slip)):
            return f"It looks like you {text}.", None
    if ans.shape != exp.shape:
        if np.squeeze(ans).shape == np.squeeze(exp).shape:
            ans = ans.reshape(exp.shape)  # a column typed as [[11], [2], ...] is fine
        else:
            msg = f"Wrong shape: {what} has {_shape_text(ans.shape)}, expected {_shape_text(exp.shape)}."
            if ans.ndim == 2 and ans.T.shape == exp.shape:
                if same(ans.T, exp, exact):
                    msg += " The transpose of your answer would be right: swap rows and columns (.T)."
                else:
                    msg += " Even transposed (.T) the numbers would not match."
            elif ans.size == exp.size and same(ans.reshape(exp.shape), exp, exact):
                msg += " The numbers are right, in the wrong arrangement."
            return msg, None
    nan = ~np.isfinite(ans) if ans.dtype.kind == "f" else np.zeros(ans.shape, bool)
    wrong = ~cells_equal(ans, exp, exact) | nan
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
    # A slip that explains every wrong cell.
    for text, slip in (slips or {}).items():
        s = np.asarray(slip) if slip is not None else None
        if s is None or s.shape != exp.shape or not np.all(cells_equal(ans[wrong], s[wrong], exact)):
            continue
        # Every wrong cell holds the slip's value. Report it when the learner made the slip
        # consistently: in at least half of the cells where the slip differs from the answer key.
        differs = ~cells_equal(s, exp, exact)
        if k == size or 2 * int(wrong[differs].sum()) >= int(differs.sum()):
            parts.append(f"It looks like you {text}" + ("." if k == size else " (in those cells)."))
            break
    else:
        if k == size and size > 1 and not nan.any():
            diff = (ans - exp).ravel()
            if np.allclose(diff, diff[0], rtol=RTOL, atol=ATOL):
                parts.append(f"Every cell is off by the same amount ({'+' if diff[0] > 0 else ''}{fmt(diff[0])}).")
            elif same(ans, -exp, exact):
                parts.append("Every sign is flipped.")
    return " ".join(parts), (wrong if exp.ndim >= 1 else None)
