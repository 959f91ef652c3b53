"""heatmap: a real-valued matrix as coloured, annotated cells (a matplotlib figure)."""

from __future__ import annotations

import numpy as np

from .style import INK
from .values import as_matrix, check_labels, format_number


def heatmap(M, row_labels=None, col_labels=None, title=None, ax=None, cmap=None, annotate=True):
    """A real-valued matrix (e.g. attention weights 0..1) as coloured cells, annotated.

    Returns the matplotlib Figure (drawn into ax when given; a colour bar is added only
    when heatmap makes the figure itself). Values are written with 2 decimals; the colour
    scale runs from min(0, M.min()) to max(1, M.max()), in the attention orange unless
    cmap is given.
    """
    import matplotlib.pyplot as plt

    A = as_matrix(M, "M").astype(float)
    m, n = A.shape
    rl = check_labels(row_labels, m, "row_labels", "row")
    cl = check_labels(col_labels, n, "col_labels", "column")
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
                        fontsize=9, color="white" if dark else INK)
    if title:
        ax.set_title(title, fontsize=11)
    if own:  # into a caller's ax: the caller decides about colour bars
        fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    return fig
