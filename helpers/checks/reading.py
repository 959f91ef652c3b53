"""Reading a learner's answer: not done (`...`, None, empty), or numbers, or a reason why not.

The bottom of the check engine: numpy only. Every reason is a sentence for a learner.
"""

from __future__ import annotations

import contextlib
import math
import warnings

import numpy as np


class Unreadable(Exception):
    """The answer is not an array of numbers; the message says why, for a learner."""


def contains_ellipsis(x, depth=0):
    if x is Ellipsis:
        return True
    if depth > 4 or isinstance(x, (str, bytes, np.ndarray)):
        return isinstance(x, np.ndarray) and x.dtype == object and any(
            contains_ellipsis(v, depth + 1) for v in x.ravel()[:1000])
    if isinstance(x, (list, tuple)):
        return any(contains_ellipsis(v, depth + 1) for v in x)
    return False


def is_empty(x):
    if x is None:
        return True
    if isinstance(x, str):
        return x.strip() == ""
    if isinstance(x, (list, tuple)):
        return len(x) == 0
    if isinstance(x, np.ndarray):
        return x.size == 0
    return False


def read_numbers(x, what="your answer", allow_bool=False):
    """x as a float or int numpy array, or Unreadable with a learner-facing reason.

    Text is never a number. True/False count as 1/0 only with allow_bool (where the expected
    values are booleans or 0/1 integers, e.g. a causal mask)."""
    if isinstance(x, (str, bytes)):
        raise Unreadable(f"{what} is text ({short_repr(x)}), not a number: remove the quotes")
    if callable(x) and not isinstance(x, np.ndarray):
        raise Unreadable(f"{what} is a function, not numbers: did you forget to call it?")
    try:
        with warnings_off():
            arr = np.asarray(x)
    except (ValueError, TypeError):
        lengths = _row_lengths(x)
        if lengths:
            raise Unreadable(
                f"the rows of {what} have different lengths ({', '.join(map(str, lengths))}): "
                f"every row needs the same number of cells") from None
        raise Unreadable(f"{what} is not a rectangular table of numbers") from None
    if arr.dtype.kind == "b":
        if allow_bool:
            return arr.astype(np.int64)
        raise Unreadable(f"{what} is True/False, not numbers")
    if arr.dtype.kind in "US":
        raise Unreadable(f"{what} contains text ({short_repr(arr.ravel()[0])}), not only numbers: remove the quotes")
    if arr.dtype.kind == "c":
        raise Unreadable(f"{what} contains complex numbers")
    if arr.dtype.kind == "O":
        flat = list(arr.ravel())
        if any(v is None for v in flat):
            raise Unreadable(f"{what} contains None where a number should be")
        text = next((v for v in flat if isinstance(v, (str, bytes))), None)
        if text is not None:
            raise Unreadable(f"{what} contains text ({short_repr(text)}), not only numbers: remove the quotes")
        try:
            arr = arr.astype(float)
        except (ValueError, TypeError, OverflowError):
            raise Unreadable(f"{what} contains something that is not a number") from None
    if arr.dtype.kind not in "iuf":
        raise Unreadable(f"{what} has values of type {arr.dtype}, not numbers")
    return arr


def zero_one(expected):
    """Are the expected values booleans or 0/1 integers (so True/False may stand for them)?"""
    exp = np.asarray(expected)
    return exp.dtype.kind == "b" or (exp.dtype.kind in "iu" and bool(np.isin(exp, (0, 1)).all()))


def _row_lengths(x):
    try:
        if isinstance(x, (list, tuple)) and all(isinstance(r, (list, tuple, np.ndarray)) for r in x):
            lengths = [len(r) for r in x]
            if len(set(lengths)) > 1:
                return lengths
    except Exception:  # noqa: BLE001 - garbage input
        pass
    return None


def short_repr(x, limit=40):
    try:
        if isinstance(x, np.generic):
            x = x.item()  # 'abc' rather than np.str_('abc')
        text = repr(x)
    except Exception:  # noqa: BLE001
        text = f"<{type(x).__name__}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


@contextlib.contextmanager
def warnings_off():
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        yield


def fmt(v):
    """A number as a learner would write it: 11, -3, 0.25."""
    try:
        v = float(v)
    except (TypeError, ValueError):
        return short_repr(v)
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    if v == int(v) and abs(v) < 1e15:
        return str(int(v))
    return f"{v:.6g}"


def array_text(a):
    a = np.asarray(a)
    if a.dtype.kind == "f" and np.all(np.isfinite(a)) and np.all(a == np.round(a)):
        a = a.astype(np.int64)
    return np.array2string(a, separator=", ", precision=4, suppress_small=True).replace("\n", "")
