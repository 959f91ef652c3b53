"""Row-wise work on a block of scores, in place.

The max / subtract / exp / divide passes over the scores run in place (no temporary as large as
the scores) on one thread: measured on 2 cores, splitting them across threads lost, because
BLAS's own threads keep spinning on the other core between matrix products.
"""

from __future__ import annotations

import math

import numpy as np


def bounded_scores(qs, k, v=None):
    """True when every score q·k (q already scaled) is small enough that e^score, summed over the
    keys (and multiplied by v), stays well inside the float's range: then no maximum is needed.
    |q·k| ≤ |q|·|k| (Cauchy–Schwarz), so B = max|q| · max|k| bounds every score.

    qs: (..., n_q, d_k)  k: (..., n_k, d_k)  v: (..., n_k, d_v) or None, all of one float dtype."""
    if not (qs.size and k.size):
        return False
    info = np.finfo(qs.dtype)
    q_norm = math.sqrt(float(np.einsum("...d,...d->...", qs, qs).max()))
    k_norm = math.sqrt(float(np.einsum("...d,...d->...", k, k).max()))
    bound = q_norm * k_norm  # |score| ≤ bound; nan or inf when the input is
    v_max = float(np.abs(v).max()) if v is not None and v.size else 0.0
    room = math.log(info.max) - math.log(16 * k.shape[-2] * (v_max + 1))  # e^bound · n_k · |v| fits
    return bound <= min(-0.4 * math.log(info.tiny), room)  # and e^-bound stays a normal number


def softmax_rows_inplace(scores):
    """scores <- softmax(scores) over the last axis, in place. A row that is all -inf (every key
    masked) becomes zeros, never NaN."""
    m = scores.max(axis=-1, keepdims=True)
    np.copyto(m, 0.0, where=~np.isfinite(m))
    np.subtract(scores, m, out=scores)
    np.exp(scores, out=scores)
    total = scores.sum(axis=-1, keepdims=True)
    np.divide(scores, total, out=scores, where=total > 0)
    return scores
