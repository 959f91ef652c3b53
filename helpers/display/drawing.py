"""Drawing: panels shown as HTML in Jupyter or as a matplotlib figure; hstack puts them side by side."""

from __future__ import annotations

from .render_figure import render_figure
from .render_html import panel_html
from .style import INK, PAPER


class Drawing:
    """A drawing of boxed numbers: shown as HTML in Jupyter, or as a matplotlib figure.

    - ``_repr_html_()`` / ``html()``: self-contained HTML (inline styles, no JavaScript);
    - ``figure()``: a matplotlib Figure (patches and text; crisp in PDF);
    - ``savefig(path, **kw)``: write the figure to a file (png, pdf, svg).

    ``hstack(d1, d2, ...)`` places several drawings side by side.
    """

    def __init__(self, panels, gap=1.0):
        self._panels = list(panels)
        self._gap = float(gap)

    # -- text
    def __repr__(self):
        parts = [p.kind + ("" if not p.shapes else " " + " · ".join(p.shapes)) for p in self._panels]
        return f"Drawing({'; '.join(parts)})"

    @property
    def notes(self):
        """The note lines under the drawing (e.g. the highlighted cell's arithmetic)."""
        return [line for p in self._panels for line in p.notes]

    # -- HTML
    def _repr_html_(self):
        return self.html()

    def html(self):
        """Self-contained HTML: a white 'sheet' holding one table per panel."""
        panels = [panel_html(p) for p in self._panels]
        paper = (f"display:inline-block;text-align:left;background:{PAPER};color:{INK};padding:8px 10px;"
                 f"border-radius:4px;font-family:sans-serif;font-size:14px")
        if len(panels) == 1:
            return f'<div style="{paper}">{panels[0]}</div>'
        gap = f"{self._gap * 1.6:g}em"
        cells = "".join(
            f'<td style="vertical-align:top;text-align:left;padding:0 {gap} 0 0;border:none;background:none">{p}</td>'
            for p in panels
        )
        return (f'<div style="{paper}"><table style="border-collapse:collapse;border:none;margin:0">'
                f'<tr style="background:none">{cells}</tr></table></div>')

    # -- matplotlib
    def figure(self, scale=1.0):
        """A matplotlib Figure of the drawing (not left open in pyplot: display it or save it)."""
        return render_figure(self._panels, self._gap, scale)

    def savefig(self, path, **kwargs):
        """Save the figure (format from the file name); kwargs go to Figure.savefig."""
        kwargs.setdefault("bbox_inches", "tight")
        kwargs.setdefault("pad_inches", 0.15)
        kwargs.setdefault("facecolor", PAPER)
        fig = self.figure()
        fig.savefig(path, **kwargs)
        return path


def hstack(*drawings, gap=1.0):
    """Drawings side by side (HTML and figure); gap is the space between them, in cells."""
    if len(drawings) == 1 and isinstance(drawings[0], (list, tuple)):
        drawings = tuple(drawings[0])
    if not drawings:
        raise ValueError("hstack needs at least one Drawing")
    panels = []
    for k, d in enumerate(drawings):
        if not isinstance(d, Drawing):
            raise ValueError(f"hstack takes Drawings (from grid, product, hstack); "
                             f"argument {k} is a {type(d).__name__}")
        panels.extend(d._panels)
    return Drawing(panels, gap=gap)
