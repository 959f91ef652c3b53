"""Input checks shared by the kernels, and `frozen` for the lessons' read-only data.

Every check raises a ValueError that names the argument, the expected shape in dimension
names, and what arrived.
"""

from __future__ import annotations

import numpy as np


def frozen(values, dtype=None):
    """A read-only array: lesson data that a learner cannot change by accident."""
    arr = np.array(values, dtype=dtype)
    arr.flags.writeable = False
    return arr


def as_float_array(x, name):
    """Turn x (array, list, number) into a float array, or explain why not.

    Integer and boolean input becomes float64; float32 and float64 are kept.
    """
    try:
        arr = np.asarray(x)
    except (ValueError, TypeError) as err:  # ragged nested lists
        raise ValueError(
            f"{name} must be a rectangular array of numbers, "
            f"but numpy could not read it as one ({err})"
        ) from None
    if arr.dtype.kind not in "biuf":
        raise ValueError(
            f"{name} must contain numbers, got an array of dtype {arr.dtype} "
            f"(shape {arr.shape}); did a string or None slip in?"
        )
    if arr.dtype.kind == "f" and arr.dtype.itemsize >= 4:
        return arr
    if arr.dtype.kind == "f":  # float16 -> float32
        return arr.astype(np.float32)
    return arr.astype(np.float64)


def need_ndim(arr, name, ndim, dims):
    """arr must have at least `ndim` axes; dims spells its shape in dimension names."""
    if arr.ndim < ndim:
        raise ValueError(
            f"{name} must have shape {dims}, got shape {arr.shape} "
            f"({arr.ndim} axes, at least {ndim} needed)"
        )


def check_weight(W, name, expected, dims):
    """W must be exactly `expected`; dims spells it in dimension names."""
    if W.shape != tuple(expected):
        raise ValueError(
            f"{name} must have shape {dims} = {tuple(expected)}, got {W.shape}"
        )


def check_mask(mask, target_shape, dims, name="mask"):
    """A boolean mask (True = may attend) that broadcasts to the scores' shape, as an array."""
    mask = np.asarray(mask)
    if mask.dtype != bool:
        raise ValueError(
            f"{name} must be boolean (True = may attend), got dtype {mask.dtype}; "
            f"for a 0/1 array use {name}.astype(bool)"
        )
    try:
        shape = np.broadcast_shapes(mask.shape, target_shape)
    except ValueError:
        shape = None
    if shape != tuple(target_shape):
        raise ValueError(
            f"{name} has shape {mask.shape}, which does not broadcast to the scores' "
            f"shape {dims} = {tuple(target_shape)}"
        )
    return mask


def result_dtype(*arrays):
    """The dtype a kernel returns for these inputs (float32 in, float32 out)."""
    return np.result_type(*arrays)
