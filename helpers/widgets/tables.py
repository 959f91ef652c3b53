"""Small HTML pictures for the explorers: a weights table and a row of bars."""

from __future__ import annotations

import html as _html

import numpy as np

from .base import numbered_labels


def weights_html(weights, row_labels=None, col_labels=None, title=None):
    """A small heatmap as an HTML table: darker orange = more weight, values to 2 decimals."""
    weights = np.asarray(weights, dtype=float)
    rows = numbered_labels(row_labels, weights.shape[0], "q")
    cols = numbered_labels(col_labels, weights.shape[1], "k")
    cell = "padding:3px 6px;text-align:center;font-family:monospace;border:1px solid #e5e7eb;"
    out = ["<table style='border-collapse:collapse;background:#fff;color:#111827'>"]
    if title:
        out.append(f"<caption style='font-weight:bold;color:#111827'>{_html.escape(title)}</caption>")
    out.append("<tr><td></td>" + "".join(f"<th style='{cell}'>{_html.escape(str(c))}</th>" for c in cols) + "</tr>")
    for r, row in zip(rows, weights):
        tds = []
        for w in row:
            alpha = 0.08 + 0.92 * float(np.clip(w, 0, 1))
            ink = "#ffffff" if w > 0.55 else "#111827"
            tds.append(f"<td style='{cell}background:rgba(194,65,12,{alpha:.2f});color:{ink}'>{w:.2f}</td>")
        out.append(f"<tr><th style='{cell}'>{_html.escape(str(r))}</th>{''.join(tds)}</tr>")
    out.append("</table>")
    return "".join(out)


def bars_html(values, labels, title=None):
    """Horizontal bars for one row of weights (0..1)."""
    out = ["<div style='font-family:monospace;color:#111827;background:#fff;padding:4px'>"]
    if title:
        out.append(f"<div><b>{_html.escape(title)}</b></div>")
    for lab, v in zip(labels, values):
        width = int(round(240 * float(v)))
        out.append(
            f"<div style='display:flex;align-items:center;gap:6px'>"
            f"<span style='width:6em;text-align:right'>{_html.escape(str(lab))}</span>"
            f"<span style='display:inline-block;height:14px;width:{width}px;background:#c2410c'></span>"
            f"<span>{v:.2f}</span></div>"
        )
    out.append("</div>")
    return "".join(out)
