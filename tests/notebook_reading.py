"""Reading a committed notebook the way a newcomer does, for the lesson tests (issue 14):
which cell comes first, and whether an introduction lists what the notebook holds.

A plain module, not a test file: tests import it as `from notebook_reading import ...`
(pytest puts tests/ on sys.path because tests/ has no __init__.py)."""

import re

import nbformat


def cells_of(path):
    return nbformat.read(path, as_version=4).cells


def first(cells, kind, pattern):
    """Index of the first cell of this kind whose text matches `pattern` (a regex)."""
    return next(i for i, c in enumerate(cells) if c.cell_type == kind and re.search(pattern, c.source))


def first_markdown(cells, pattern):
    """The first markdown cell whose text matches `pattern` (a regex, case-insensitive)."""
    return next(c.source for c in cells if c.cell_type == "markdown" and re.search(pattern, c.source, re.I))


def explorers_follow_their_content(cells):
    """Each explorer comes after the content of its section (a code cell since the last heading)
    and is followed by the next heading: it never cuts a section in two. Returns how many."""
    found = 0
    for i, c in enumerate(cells):
        if c.cell_type == "code" and "_explorer(" in c.source:
            found += 1
            assert cells[i + 1].cell_type == "markdown" and cells[i + 1].source.startswith("#"), c.source
            heading = max(j for j in range(i) if cells[j].cell_type == "markdown"
                          and re.search(r"^##", cells[j].source, re.M) and "Try it" not in cells[j].source)
            assert any(cells[j].cell_type == "code" for j in range(heading + 1, i - 1)), c.source
    return found


def exercise_list_matches(cells, n_exercises, kind_at_end=True):
    """The introduction lists every exercise as "N. <heading's title> … (<kind>)", in order;
    kind_at_end: the "(<kind>)" closes the line. Returns the introduction."""
    intro = cells[0].source
    heads = [m.groups() for c in cells if c.cell_type == "markdown"
             for m in re.finditer(r"^## Exercise (\d+) \(([^)]+)\): (.+)$", c.source, re.M)]
    assert len(heads) == n_exercises
    for n, kind, title in heads:
        line = next(line for line in intro.splitlines() if line.startswith(f"{n}. "))
        assert line.startswith(f"{n}. {title}"), line
        assert line.rstrip(";.").endswith(f"({kind})") if kind_at_end else f"({kind})" in line, line
    return intro
