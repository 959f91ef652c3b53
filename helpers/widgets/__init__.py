"""Widgets: the fillable by-hand sheet and the explorers used in the lessons.

ipywidgets 8, pure Python, no custom front-end: they work in JupyterLab,
Notebook 7, VS Code and Colab alike. `import helpers` does not import this module.

Every widget is a VBox with a short, fixed text form (what a static viewer or
nbval sees), and its logic can be driven from Python without a browser: set a
control's value and read the widget's `output_html` (or its numbers). That is
how tests/test_widgets.py checks them, and how benchmarks/widgets.py times them.
Widgets take their data as arguments and report their state through a callback.

    fillable_product(left, right, ...)     the blank sheet: type the result, cell by cell
    attention_explorer(X, A, ...)          toggle cells of A, watch Z = X·A change   (lesson 01)
    softmax_explorer(scores, ...)          a temperature / √d_k slider over one row   (lessons 03-04)
    causal_mask_explorer(scores, labels)   the causal mask on and off                  (lessons 04, 08)
    head_explorer(weights, labels)         pick a head, see its attention weights      (lesson 05)
    position_explorer(n, d_model)          a position and a dimension of the encoding  (lesson 06)

Modules: base (Widget), fillable (the sheet), tables (HTML pictures), explorers, positions.
"""

from .base import Widget
from .explorers import (
    AttentionExplorer,
    CausalMaskExplorer,
    HeadExplorer,
    SoftmaxExplorer,
    attention_explorer,
    causal_mask_explorer,
    head_explorer,
    softmax_explorer,
)
from .fillable import EMPTY_FILL, REVEALED_FILL, RIGHT_FILL, WRONG_FILL, FillableProduct, fillable_product
from .positions import PositionExplorer, position_explorer
from .tables import bars_html, weights_html

__all__ = [
    "RIGHT_FILL", "WRONG_FILL", "EMPTY_FILL", "REVEALED_FILL", "Widget",
    "FillableProduct", "fillable_product", "weights_html", "bars_html",
    "AttentionExplorer", "attention_explorer", "SoftmaxExplorer", "softmax_explorer",
    "CausalMaskExplorer", "causal_mask_explorer", "HeadExplorer", "head_explorer",
    "PositionExplorer", "position_explorer",
]
