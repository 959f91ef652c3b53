"""helpers.display: the by-hand drawings (HTML and matplotlib) and the arithmetic line.

Expected strings and layouts are worked out by hand in each test."""

import re
import subprocess
import sys
from html.parser import HTMLParser

import numpy as np
import pytest

from helpers import display
from helpers.display.style import FILLS

# The sheet's step [2], first cell: row P1 of X times column 1 of the pair-sum A.
X = np.array([[5, 6, 0, 7, 0], [1, 0, 2, 1, 2], [0, 1, 1, -1, 1]])
A = np.array([[1, 0, 0, 0, 1], [1, 1, 0, 0, 0], [0, 1, 1, 0, 0], [0, 0, 1, 1, 0], [0, 0, 0, 1, 1]])


class _Cells(HTMLParser):
    """Collects the text of every <td>, row by row, from the innermost tables."""

    def __init__(self):
        super().__init__()
        self.rows, self._row, self._td, self.styles = [], None, None, []

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self._row = []
        elif tag == "td":
            self._td = ""
            self.styles.append(dict(attrs).get("style", ""))

    def handle_endtag(self, tag):
        if tag == "td" and self._row is not None and self._td is not None:
            self._row.append(self._td)
            self._td = None
        elif tag == "tr" and self._row is not None:
            self.rows.append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._td is not None:
            self._td += data


def cells_of(html):
    p = _Cells()
    p.feed(html)
    return p


def rectangles(fig):
    from matplotlib.patches import Rectangle

    return [a for a in fig.artists if isinstance(a, Rectangle)]


def texts(fig):
    """Every text on the figure: drawings put theirs on the figure, heatmaps on the axes."""
    from matplotlib.text import Text

    return ([a.get_text() for a in fig.artists if isinstance(a, Text)]
            + [t.get_text() for ax in fig.axes for t in ax.texts])


# ---------------------------------------------------------------- arithmetic


def test_arithmetic_of_the_sheets_first_cell():
    assert display.arithmetic(X, A, 0, 0) == "5·1 + 6·1 + 0·0 + 7·0 + 0·0 = 11"


def test_arithmetic_with_bias_and_negative_factor_in_parentheses():
    W1_row = [[1, 0, -1]]
    Z1 = [[11], [1], [1]]
    # 1·11 + 0·1 + (-1)·1 + bias 1·1 = 11 - 1 + 1 = 11
    assert display.arithmetic(W1_row, Z1, 0, 0, bias=[1]) == "1·11 + 0·1 + (-1)·1 + 1·1 = 11"
    assert display.arithmetic([[2, 3]], [[-1], [-2]], 0, 0) == "2·(-1) + 3·(-2) = -8"
    assert display.arithmetic([[2]], [[3]], 0, 0, bias=[-4]) == "2·3 + (-4)·1 = 2"


def test_arithmetic_of_fractions_uses_two_decimals():
    # 0.5·2 + 0.25·4 = 1 + 1 = 2
    assert display.arithmetic([[0.5, 0.25]], [[2], [4]], 0, 0) == "0.50·2 + 0.25·4 = 2.00"
    # floats that are whole numbers are written as integers
    assert display.arithmetic([[1.0, 2.0]], [[3.0], [4.0]], 0, 0) == "1·3 + 2·4 = 11"


def test_arithmetic_picks_row_of_left_and_column_of_right():
    L = [[1, 2], [3, 4]]
    R = [[5, 6, 7], [8, 9, 10]]
    assert display.arithmetic(L, R, 1, 2) == "3·7 + 4·10 = 61"


def test_arithmetic_bad_index():
    with pytest.raises(ValueError, match="j must be an integer in 0..4"):
        display.arithmetic(X, A, 0, 5)


# ---------------------------------------------------------------- numbers


def test_format_number():
    f = display.format_number
    assert f(11) == "11"
    assert f(-3) == "-3"
    assert f(-0.0) == "0"
    assert f(-0.001, whole=False) == "0.00"
    assert f(0.256, whole=False) == "0.26"
    assert f(7.0) == "7"
    assert f(float("nan")) == "nan"


# ---------------------------------------------------------------- grid


def test_grid_labels_and_numbers_in_html():
    d = display.grid(X, row_labels=["P1", "P2", "P3"], col_labels=["X1", "X2", "X3", "X4", "X5"],
                     title="X")
    rows = cells_of(d.html()).rows
    assert rows[0] == ["", "X1", "X2", "X3", "X4", "X5"]
    assert rows[1] == ["P1", "5", "6", "0", "7", "0"]
    assert rows[3] == ["P3", "0", "1", "1", "-1", "1"]
    assert ">X<" in d.html()  # the title


def test_grid_token_words_are_escaped():
    d = display.grid([[1, 2]], row_labels=["<s>"], col_labels=["robot", "truck & co"])
    h = d.html()
    assert "&lt;s&gt;" in h and "<s>" not in h
    assert "robot" in h and "truck &amp; co" in h


def test_html_is_self_contained_and_deterministic():
    d = display.product(X, A, highlight=(0, 0), title="Z = X · A")
    h = d.html()
    assert h == display.product(X, A, highlight=(0, 0), title="Z = X · A").html()
    assert d._repr_html_() == h
    lowered = h.lower()
    for forbidden in ("<script", "<style", " id=", " class=", "uuid", "http"):
        assert forbidden not in lowered, forbidden
    # every box carries its own background colour (readable in dark themes)
    boxes = [s for s in cells_of(h).styles if "solid" in s]
    assert len(boxes) == 3 * 5 + 5 * 5 + 3 * 5
    assert all("background:#" in s for s in boxes)


def test_product_html_is_compact():
    W = np.arange(25).reshape(5, 5) - 12
    h = display.product(W, X.T, bias=np.arange(5), highlight=(2, 1),
                        left_labels=(list("abcde"), list("vwxyz")),
                        right_labels=(list("vwxyz"), list("PQR")), title="big").html()
    assert len(h) < 15_000


def test_zeros_grey_negatives_bold():
    d = display.grid([[0, -2, 3]])
    styles = [s for s in cells_of(d.html()).styles if "solid" in s]
    zero, neg, pos = styles
    assert "color:#9ca3af" in zero and "bold" not in zero
    assert "font-weight:bold" in neg and "color:#b91c1c" in neg
    assert "color:" not in pos.replace("background", "") and "bold" not in pos


def test_roles_colour_the_boxes():
    for role, colour in display.ROLE_COLORS.items():
        h = display.grid([[1]], role=role).html()
        assert f"solid {colour}" in h
    with pytest.raises(ValueError, match="role must be one of"):
        display.grid([[1]], role="purple")


def test_one_d_is_one_row():
    rows = cells_of(display.grid([1, 2, 3]).html()).rows
    assert rows == [["1", "2", "3"]]


def test_grid_highlight_row_col_and_cell():
    d = display.grid(np.ones((3, 4), int), highlight=(1, 2))
    styles = [s for s in cells_of(d.html()).styles if "solid" in s]
    assert sum("inset 0 0 0 2px #111827" in s for s in styles) == 1
    assert "inset 0 0 0 2px #111827" in styles[1 * 4 + 2]
    d = display.grid(np.ones((3, 4), int), highlight=("col", 3))
    strong = FILLS["input"][1]
    styles = [s for s in cells_of(d.html()).styles if "solid" in s]
    assert [k for k, s in enumerate(styles) if strong in s] == [3, 7, 11]
    for two_rows in ([("row", 0), ("row", 2)], (("row", 0), ("row", 2))):
        d = display.grid(np.ones((3, 4), int), highlight=two_rows)
        styles = [s for s in cells_of(d.html()).styles if "solid" in s]
        assert sum(strong in s for s in styles) == 8
    # cells from np.argwhere, as a list of arrays
    d = display.grid([[-1, 2], [3, -4]], highlight=list(np.argwhere(np.array([[-1, 2], [3, -4]]) < 0)))
    styles = [s for s in cells_of(d.html()).styles if "solid" in s]
    assert ["inset 0 0 0 2px #111827" in s for s in styles] == [True, False, False, True]


def test_marks_draw_wrong_cells_red():
    marks = np.array([[True, False], [False, True]])
    d = display.grid([[1, 2], [3, 4]], marks=marks)
    styles = [s for s in cells_of(d.html()).styles if "solid" in s]
    assert ["#dc2626" in s for s in styles] == [True, False, False, True]
    with pytest.raises(ValueError, match="marks has shape"):
        display.grid([[1, 2], [3, 4]], marks=[True, False])


def test_custom_fmt():
    d = display.grid([[0.123, 2]], fmt=lambda v: f"{v:.1f}")
    assert cells_of(d.html()).rows == [["0.1", "2.0"]]


def test_grid_bad_input():
    with pytest.raises(ValueError, match="row_labels has 2 entries but there are 3 rows"):
        display.grid(X, row_labels=["a", "b"])
    with pytest.raises(ValueError, match="col_labels has 4 entries but there are 5 columns"):
        display.grid(X, col_labels=["a", "b", "c", "d"])
    with pytest.raises(ValueError, match="must contain numbers"):
        display.grid([["a", "b"]])
    with pytest.raises(ValueError, match="1-D or 2-D"):
        display.grid(np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match="empty"):
        display.grid(np.zeros((0, 3)))
    with pytest.raises(ValueError, match="highlight must be"):
        display.grid(X, highlight=(3, 0))
    with pytest.raises(ValueError, match="highlight must be"):
        display.grid(X, highlight=("col", 5))


# ---------------------------------------------------------------- product


def test_product_layout_right_above_left_left_result_where_they_cross():
    L = [[1, 2], [3, 4]]  # 2 x 2
    R = [[5, 6, 7], [8, 9, 10]]  # 2 x 3
    # by hand: [[1·5+2·8, 1·6+2·9, 1·7+2·10], [3·5+4·8, ...]] = [[21, 24, 27], [47, 54, 61]]
    rows = cells_of(display.product(L, R).html()).rows
    res_rows = [k for k, r in enumerate(rows) if r[-3:] == ["21", "24", "27"]]
    assert len(res_rows) == 1
    r0 = res_rows[0]
    assert rows[r0 + 1][-3:] == ["47", "54", "61"]
    # left's rows share the result's rows, to the left of it
    assert rows[r0][1:3] == ["1", "2"] and rows[r0 + 1][1:3] == ["3", "4"]
    # right's rows are above, in the result's columns
    above = [r[-3:] for r in rows[:r0]]
    assert ["5", "6", "7"] in above and ["8", "9", "10"] in above
    assert above.index(["5", "6", "7"]) < above.index(["8", "9", "10"])
    # the top-left quadrant is empty: nothing above left
    assert all(c == "" for r in rows[:r0 - 1] for c in r[:3])


def test_product_highlight_spells_out_the_cell():
    d = display.product(X, A, highlight=(0, 0),
                        left_labels=(["P1", "P2", "P3"], None),
                        result_labels=(None, ["Z1", "Z2", "Z3", "Z4", "Z5"]))
    assert d.notes == ["(P1, Z1): 5·1 + 6·1 + 0·0 + 7·0 + 0·0 = 11"]
    h = d.html()
    assert "5·1 + 6·1 + 0·0 + 7·0 + 0·0 = 11" in h
    styles = [s for s in cells_of(h).styles if "solid" in s]
    assert sum("inset 0 0 0 2px #111827" in s for s in styles) == 1  # one focused result cell
    # highlighted: row P1 of X (5 cells), column 1 of A (5 cells), and the result cell
    strong = {FILLS[r][1] for r in ("weights", "input", "output")}  # default roles
    assert sum(any(c in s for c in strong) for s in styles) == 5 + 5 + 1


def test_product_labels_present():
    d = display.product(X, A, left_labels=(["P1", "P2", "P3"], ["X1", "X2", "X3", "X4", "X5"]),
                        right_labels=(["X1", "X2", "X3", "X4", "X5"], ["the", "robot", "truck", "is", "here"]),
                        result_labels=(["r1", "r2", "r3"], None), names=("X", "A", "Z"))
    text = [c for r in cells_of(d.html()).rows for c in r]
    for label in ("P1", "P3", "X5", "the", "robot", "here", "r1", "r3", "X", "A", "Z"):
        assert label in text, label


def test_product_bias_folded_in_as_extra_column_and_row_of_ones():
    W = [[1, 0, -1], [0, 1, 1]]
    b = [1, -1]
    Z = [[11, 6], [1, 2], [1, 2]]
    # by hand: [[11-1+1, 6-2+1], [1+1-1, 2+2-1]] = [[11, 5], [1, 3]]
    d = display.product(W, Z, bias=b, highlight=(0, 0))
    rows = cells_of(d.html()).rows
    flat = [r for r in rows if r[-2:] == ["11", "5"]]
    assert len(flat) == 1 and flat[0][1:5] == ["1", "0", "-1", "1"]  # W row 1 then its bias
    assert ["1", "1"] in [r[-2:] for r in rows]  # the row of 1s under Z
    assert d.notes == ["result[0, 0]: 1·11 + 0·1 + (-1)·1 + 1·1 = 11"]
    boxes = [s for s in cells_of(d.html()).styles if "solid" in s]
    assert len(boxes) == 2 * 3 + 3 * 2 + 2 * 2 + 2 + 2  # W, Z, result, bias column, row of 1s


def test_product_given_result_is_drawn():
    d = display.product([[1, 2]], [[3], [4]], result=[[99]])
    assert "99" in [c for r in cells_of(d.html()).rows for c in r]


def test_product_one_d_operands():
    # row (1, 2) times column (3, 4) = 11
    rows = cells_of(display.product([1, 2], [3, 4]).html()).rows
    assert rows[-1][-1] == "11"


def test_product_bad_input():
    with pytest.raises(ValueError) as err:
        display.product(np.ones((4, 3)), np.ones((5, 5)))
    assert str(err.value) == ("left has shape (4, 3) but right has (5, 5): left's columns (3) "
                              "must equal right's rows (5)")
    with pytest.raises(ValueError, match="bias has 2 entries but left has 3 rows"):
        display.product(X, A, bias=[1, 2])
    with pytest.raises(ValueError, match=r"left_labels\[0\] \(left's row labels\) has 2 entries"):
        display.product(X, A, left_labels=(["a", "b"], None))
    with pytest.raises(ValueError, match=r"right_labels\[1\]"):
        display.product(X, A, right_labels=(None, ["a"]))
    with pytest.raises(ValueError, match="pair"):
        display.product(X, A, left_labels=["P1", "P2", "P3"])
    with pytest.raises(ValueError, match="result has shape"):
        display.product(X, A, result=np.zeros((5, 3)))
    with pytest.raises(ValueError, match="highlight must be"):
        display.product(X, A, highlight=(0, 7))
    with pytest.raises(ValueError, match="roles"):
        display.product(X, A, roles=("input", "nope", "output"))


# ---------------------------------------------------------------- hstack


def test_hstack_html_and_figure():
    a = display.grid([[1, 2]], title="first")
    b = display.product([[1]], [[2]], title="second")
    d = display.hstack(a, b)
    h = d.html()
    assert "first" in h and "second" in h and h.index("first") < h.index("second")
    assert len(rectangles(d.figure())) == 2 + 3
    with pytest.raises(ValueError, match="argument 1 is a int"):
        display.hstack(a, 3)


# ---------------------------------------------------------------- figures


@pytest.mark.parametrize("m", range(1, 9))
def test_grid_figure_every_size(m):
    for n in range(1, 9):
        M = np.arange(m * n).reshape(m, n) - 3
        fig = display.grid(M, row_labels=[f"r{i}" for i in range(m)],
                           col_labels=[f"c{j}" for j in range(n)], highlight=(m - 1, n - 1)).figure()
        assert len(rectangles(fig)) == m * n
        assert "c0" in texts(fig) and f"r{m - 1}" in texts(fig)


@pytest.mark.parametrize("m", range(1, 9))
def test_product_figure_every_size(m):
    for n in range(1, 9):
        k = (m + n) % 8 + 1
        L = np.arange(m * k).reshape(m, k) % 5 - 1
        R = np.arange(k * n).reshape(k, n) % 4
        d = display.product(L, R, highlight=(m - 1, n - 1), bias=np.ones(m, int))
        fig = d.figure()
        assert len(rectangles(fig)) == m * k + k * n + m * n + m + n
        assert d.notes[0] in texts(fig)


def test_savefig_png_and_pdf(tmp_path):
    d = display.product(X, A, highlight=(0, 0))
    png, pdf = tmp_path / "d.png", tmp_path / "d.pdf"
    d.savefig(png, dpi=80)
    d.savefig(pdf)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert pdf.read_bytes()[:5] == b"%PDF-"


def test_figure_is_not_left_open_in_pyplot():
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    display.grid([[1]]).figure()
    display.heatmap([[0.5, 0.5]])
    assert plt.get_fignums() == before


def test_heatmap_annotates_two_decimals():
    W = np.array([[0.5, 0.5], [0.25, 0.75]])
    fig = display.heatmap(W, row_labels=["a", "b"], col_labels=["x", "y"], title="weights")
    t = texts(fig)
    assert {"0.50", "0.25", "0.75"} <= set(t)
    assert fig.axes[0].get_title() == "weights"
    fig2 = display.heatmap(W, annotate=False)
    assert "0.50" not in texts(fig2)


def test_repr_is_deterministic_text():
    r = repr(display.product(X, A))
    assert r == "Drawing(product 3×5 · 5×5)"
    assert not re.search(r"0x[0-9a-f]+", r)


def test_importing_helpers_does_not_import_matplotlib():
    code = ("import sys, helpers, helpers.display; "
            "assert 'matplotlib' not in sys.modules, 'matplotlib imported'; "
            "helpers.display.grid([[1]]).html(); "
            "assert 'matplotlib' not in sys.modules, 'html imported matplotlib'")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_heatmap_into_a_given_ax():
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2)
    plt.close(fig)
    out = display.heatmap([[0.5, 0.5]], ax=axes[1], title="right")
    assert out is fig and axes[1].get_title() == "right"
    assert len(fig.axes) == 2  # no colour bar added to the caller's figure
