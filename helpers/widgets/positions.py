"""The explorer of lesson 06: the sinusoidal positional encoding, one wave and one vector."""

from __future__ import annotations

import html as _html

import ipywidgets as W
import numpy as np

from .. import display
from ..kernels import positional_encoding
from .base import Widget


class PositionExplorer(Widget):
    """The sinusoidal encoding: one dimension's wave over the positions, and one position's vector."""

    def __init__(self, n=32, d_model=16, pos=3, dim=0):
        self.pe = positional_encoding(n, d_model)
        self.pos = W.IntSlider(value=pos, min=0, max=n - 1, description="position", continuous_update=True)
        self.dim = W.IntSlider(value=dim, min=0, max=d_model - 1, description="dimension", continuous_update=True)
        self.pos.add_class("byhand-slider")
        self.dim.add_class("byhand-slider-dim")
        for s in (self.pos, self.dim):
            s.observe(lambda change: self._redraw(), names="value")
        self.output = W.HTML("")
        self.output.add_class("byhand-output")
        super().__init__("explorer", f"positional encoding, {n} positions × d_model = {d_model}",
                         [W.HBox([self.pos, self.dim]), self.output])
        self._redraw()

    @property
    def vector(self):
        return self.pe[self.pos.value]

    def formula(self):
        """PE[pos, dim] = sin or cos(...) = value, for the chosen position and dimension."""
        p, d = self.pos.value, self.dim.value
        i2 = d - d % 2
        fn = "sin" if d % 2 == 0 else "cos"
        d_model = self.pe.shape[1]
        return (f"PE[{p}, {d}] = {fn}({p} / 10000^({i2}/{d_model})) = {self.pe[p, d]:.3f}")

    def wave_svg(self, width=660, height=150):
        """The chosen dimension over all positions as an inline SVG (fast, crisp, no JavaScript)."""
        p, d = self.pos.value, self.dim.value
        n = self.pe.shape[0]
        pad = 24
        x = lambda k: pad + (width - 2 * pad) * k / max(n - 1, 1)  # noqa: E731
        y = lambda v: height / 2 - (height / 2 - 14) * v  # noqa: E731
        d_model = self.pe.shape[1]
        fine = np.linspace(0, n - 1, 8 * n)

        def curve(e):  # the continuous wave behind dimension e, sampled finely
            freq = 1.0 / 10000.0 ** ((e - e % 2) / d_model)
            vals = np.sin(fine * freq) if e % 2 == 0 else np.cos(fine * freq)
            return " ".join(f"{x(k):.1f},{y(v):.1f}" for k, v in zip(fine, vals))

        faint = "".join(
            f"<polyline fill='none' stroke='#cbd5e1' stroke-width='1' points='{curve(e)}'/>"
            for e in (d - 2, d + 2) if 0 <= e < d_model
        )
        points = curve(d)
        ticks = "".join(f"<circle cx='{x(k):.1f}' cy='{y(v):.1f}' r='2' fill='#1d4ed8'/>"
                        for k, v in enumerate(self.pe[:, d]))
        color, dot = display.ROLE_COLORS["input"], display.ROLE_COLORS["attention"]
        wave = "sin" if d % 2 == 0 else "cos"
        return (
            f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height + 18}' "
            f"style='background:#fff' class='byhand-wave'>"
            f"<line x1='{pad}' y1='{y(0):.1f}' x2='{width - pad}' y2='{y(0):.1f}' stroke='#9ca3af'/>"
            f"{faint}<polyline fill='none' stroke='{color}' stroke-width='1.5' points='{points}'/>{ticks}"
            f"<circle cx='{x(p):.1f}' cy='{y(self.pe[p, d]):.1f}' r='5' fill='{dot}'/>"
            f"<text x='{pad}' y='{height + 12}' font-size='12' font-family='sans-serif' fill='#111827'>"
            f"dimension {d}: a {wave} wave; small dots are positions 0..{n - 1}, the big dot is position {p} "
            f"(grey: dimensions {d}±2)</text></svg>"
        )

    def _redraw(self):
        p, d = self.pos.value, self.dim.value
        vec = display.grid(np.round(self.vector, 2)[None, :], [f"pos {p}"], [str(k) for k in range(len(self.vector))],
                           role="input", highlight=(0, d), title=f"the encoding of position {p}")
        self.output_html = self.output.value = (
            self.wave_svg() + vec.html()
            + f"<div style='font-family:monospace'>{_html.escape(self.formula())}</div>")


def position_explorer(n=32, d_model=16, pos=3, dim=0):
    """A PositionExplorer over n positions of a d_model-wide encoding: see its docstring."""
    return PositionExplorer(n, d_model, pos, dim)
