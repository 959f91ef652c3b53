"""A panel as an HTML table: inline styles only, no JavaScript, no ids (deterministic)."""

from __future__ import annotations

import html as _html

from .style import FILLS, INK, LABEL_INK, NEG_INK, ROLE_COLORS, WRONG, WRONG_FILL, ZERO_INK

_TD_BOX = "text-align:center;padding:1px 5px;min-width:1.6em;height:1.5em;"
_TD_LABEL = "text-align:center;padding:1px 5px;border:none;background:none;white-space:nowrap;"


def _cell_style(cell):
    if cell["kind"] == "label":
        weight = "font-weight:bold;" if cell.get("hl") else ""
        color = ROLE_COLORS[cell["role"]] if cell.get("hl") else LABEL_INK
        return f"{_TD_LABEL}color:{color};font-size:12px;{weight}"
    fill, strong = FILLS[cell["role"]]
    edge = ROLE_COLORS[cell["role"]]
    ring = ""  # a thick frame drawn inside the 1px border, so the row height never changes
    bg = strong if cell.get("hl") or cell.get("focus") else fill
    if cell.get("focus"):
        edge, ring = INK, f"box-shadow:inset 0 0 0 2px {INK};"
    if cell.get("wrong"):
        edge, ring, bg = WRONG, f"box-shadow:inset 0 0 0 2px {WRONG};", WRONG_FILL
    ink = ZERO_INK if cell["zero"] else (NEG_INK if cell["neg"] else INK)
    weight = "font-weight:bold;" if cell["neg"] or cell.get("focus") else ""
    color = "" if ink == INK else f"color:{ink};"
    return f"{_TD_BOX}border:1px solid {edge};{ring}background:{bg};{color}{weight}"


def panel_html(p):
    """One panel: its title, its table of cells, and its note lines."""
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
        out.append(f'<div style="font-family:monospace;margin-top:4px;color:{INK}">'
                   f"{_html.escape(line)}</div>")
    return "".join(out)
