"""Text on the page: numbers and labels as glyph outlines, long lines in the PDF core
fonts (Helvetica, not embedded), and the instructions wrapped to the room they have.

Text is queued on a list `ink` by `write` and drawn by the page's flush, one path per colour.
matplotlib is imported only inside the functions that need it.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from .kinds import EXAMPLE, STEPS

ANSWER_INK = "#b91c1c"  # the key's answers, like a marking pen
GREY, BLACK = "#4b5563", "#111827"
_INDENT = 0.25  # of a numbered paragraph's text
_CORE_NAMES = {"·": "periodcentered", "–": "endash", "−": "endash"}  # (− is set as –)


@functools.lru_cache(maxsize=4096)
def glyphs(s, size, bold):
    """Outline of string s at `size` points, in inches, baseline at y=0: (verts, codes, x0, x1)."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextPath

    path = TextPath((0, 0), s, size=size / 72, prop=FontProperties(
        family="DejaVu Sans", weight="bold" if bold else "normal"))
    xs = path.vertices[path.codes != path.CLOSEPOLY, 0]  # control points bound the ink: cheap
    return path.vertices.copy(), path.codes.copy(), float(xs.min()), float(xs.max())


def write(ink, x, y, s, size, color=BLACK, bold=False, ha="left", va="baseline", text=False):
    """Queue s at (x, y) (inches, page coordinates) for the page's flush (see render).

    Short strings (numbers, labels) become glyph outlines; text=True keeps a real text
    object (cheaper for a long line, and searchable in the PDF).
    """
    if not s:
        return
    if text and _core(s):
        s = s.replace("−", "–")  # the core fonts have no minus sign: an en dash
        ink.append(("text", (x, y, s), {"fontsize": size, "color": color, "ha": ha, "va": va,
                                        "fontweight": "bold" if bold else "normal"}))
        return
    verts, codes, x0, x1 = glyphs(s, float(size), bool(bold))
    dx = {"left": 0.0, "center": -(x0 + x1) / 2, "right": -x1}[ha]
    em = size / 72
    dy = {"baseline": 0.0, "center": -0.365 * em, "bottom": 0.24 * em, "top": -0.76 * em}[va]
    ink.append((color, verts + (x + dx, y + dy), codes))


def _core(s):
    """True when s can be set in the PDF core fonts (cp1252, − as –), with pdf.use14corefonts."""
    try:
        s.replace("−", "–").encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


@functools.lru_cache(maxsize=2)
def _core_widths(bold):
    """Character widths (em) of the PDF core font Helvetica, from matplotlib's copy of its AFM."""
    import matplotlib

    name = "Helvetica-Bold.afm" if bold else "Helvetica.afm"
    afm = Path(matplotlib.get_data_path(), "fonts", "pdfcorefonts", name).read_text("latin-1")
    metrics = re.findall(r"^C (-?\d+) ; WX (\d+) ; N (\w+)", afm, re.M)
    widths = {chr(int(c)): int(w) / 1000 for c, w, _ in metrics if 32 <= int(c) < 127}
    by_name = {n: int(w) / 1000 for _, w, n in metrics}
    return widths | {ch: by_name[n] for ch, n in _CORE_NAMES.items()}


def text_width(s, size, bold, core):
    """How wide (inches) s is at `size` points: in Helvetica (core) or as DejaVu outlines."""
    if core:
        widths = _core_widths(bold)
        return sum(widths.get(ch, 1.0) for ch in s) * size / 72  # 1 em for what is not listed
    _, _, x0, x1 = glyphs(s, float(size), bool(bold))
    return x1 - x0


@functools.lru_cache(maxsize=256)
def _wrap(text, size, bold, width):
    """text broken into lines at most `width` inches wide at `size` points."""
    core = _core(text)
    lines, line = [], ""
    for word in text.split():
        trial = f"{line} {word}" if line else word
        if line and text_width(trial, size, bold, core) > width:
            lines.append(line)
            trial = word
        line = trial
    return tuple(lines + [line])


def _lead(size):
    return size * 1.3 / 72


# ----- the instructions


def notes(problem, steps):
    """What a page asks for, as paragraphs (label, text, size, bold, color)."""
    out = [("", "Write one whole number in each empty box.", 10, True, BLACK)]
    out += [(f"{s.no}.", STEPS[problem.kind][s.no - 1], 9.5, False, BLACK) for s in steps if s.no]
    return out + [("", EXAMPLE, 9, False, GREY)]


def notes_height(paragraphs, width):
    """The height (inches) of the instructions set `width` inches wide."""
    return sum(len(_wrap(text, size, bold, width - (_INDENT if label else 0))) * _lead(size) + 0.06
               for label, text, size, bold, _ in paragraphs)


def draw_notes(ink, paragraphs, x, y, width):
    """Write the instructions from (x, y) down (inches from the page's lower-left corner)."""
    for label, text, size, bold, color in paragraphs:
        indent, core = (_INDENT if label else 0.0), _core(text)  # one font for a paragraph
        write(ink, x, y - size / 72, label, size, color, bold=bold, text=True)
        for line in _wrap(text, size, bold, width - indent):
            write(ink, x + indent, y - size / 72, line, size, color, bold=bold, text=core)
            y -= _lead(size)
        y -= 0.06
