"""The colours of the by-hand look: one per role, the same in every lesson."""

from __future__ import annotations

#: role -> its colour (box borders, titles). Fills and highlights are tints of it.
ROLE_COLORS = {
    "input": "#1d4ed8",      # blue
    "attention": "#c2410c",  # orange
    "weights": "#15803d",    # green
    "hidden": "#0e7490",     # teal
    "output": "#7e22ce",     # purple
    "bias": "#be185d",       # pink
    "neutral": "#4b5563",    # grey
}

# role -> (light fill of a box, stronger fill of a highlighted box)
FILLS = {
    "input": ("#dbeafe", "#93c5fd"),
    "attention": ("#ffedd5", "#fdba74"),
    "weights": ("#dcfce7", "#86efac"),
    "hidden": ("#cffafe", "#67e8f9"),
    "output": ("#f3e8ff", "#d8b4fe"),
    "bias": ("#fce7f3", "#f9a8d4"),
    "neutral": ("#f3f4f6", "#d1d5db"),
}

INK = "#111827"       # numbers
ZERO_INK = "#9ca3af"  # zeros: lighter
NEG_INK = "#b91c1c"   # negatives: bold dark red
LABEL_INK = "#4b5563"
PAPER = "#ffffff"     # the sheet's background, in light and dark themes alike
WRONG = "#dc2626"     # cells marked wrong by a check
WRONG_FILL = "#fecaca"


def check_role(role, name="role"):
    """role itself when it is a key of ROLE_COLORS, else a ValueError naming the choices."""
    if role not in ROLE_COLORS:
        raise ValueError(
            f"{name} must be one of {', '.join(map(repr, ROLE_COLORS))}; got {role!r}"
        )
    return role
