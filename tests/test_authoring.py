"""helpers.authoring: solutions/ -> exercises/ with nbgrader's markers.

- the generator turns both marker styles into exactly the expected exercise cells;
- exercises/ in the repository is what the generator makes (the drift test);
- every check cell is an autograded test cell, with the points stated in the introduction;
- nbgrader's own ClearSolutions never leaks an answer. (`nbgrader generate_assignment` releasing
  exercises/'s code cells, and grading itself, are tested end to end in tests/test_grading.py.)
"""

import contextlib
import importlib
import io
import re
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from helpers import authoring

ROOT = Path(__file__).resolve().parents[1]


def _meta(grade_id, solution=True, locked=False, points=None):
    meta = {"nbgrader": {"grade": points is not None, "grade_id": grade_id, "locked": locked, "schema_version": 3,
                         "solution": solution, "task": False}}
    if points is not None:
        meta["nbgrader"]["points"] = points
    return meta


def _synthetic():
    cells = [
        new_markdown_cell("# Title\n\nSome prose.", id="md"),
        new_code_cell("import numpy as np", id="imports"),
        new_code_cell("Z_1_1 = 11  # SOLUTION\nZ_2_4 = 3   #SOLUTION\nx = 1", id="hand",
                      metadata=_meta("hand")),
        new_code_cell('def f(x):\n    """Doc."""\n    ### BEGIN SOLUTION\n    y = x + 1\n    return y\n'
                      '    ### END SOLUTION\n\n\nf.ok = True', id="code", metadata=_meta("code")),
        new_code_cell("answer = 42", id="whole", metadata=_meta("whole")),
        new_markdown_cell("Why?\n\n=== BEGIN SOLUTION\nBecause.\n=== END SOLUTION", id="text",
                          metadata=_meta("text")),
        new_code_cell("check(Z_1_1)", id="check", metadata=_meta("check", solution=False, locked=True, points=1),
                      execution_count=7,
                      outputs=[nbformat.v4.new_output("stream", name="stdout", text="✅ ok\n")]),
    ]
    cells[2].metadata["execution"] = {"iopub.status.idle": "2026-01-01T00:00:00Z"}
    return new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                              "language": "python"}})


def test_generator_on_a_synthetic_notebook():
    ex = authoring.make_exercise(_synthetic())
    sources = [c.source for c in ex.cells]
    assert sources == [
        "# Title\n\nSome prose.",
        "import numpy as np",
        "Z_1_1 = ...  # YOUR CODE HERE\nZ_2_4 = ...  # YOUR CODE HERE\nx = 1",
        'def f(x):\n    """Doc."""\n    # YOUR CODE HERE\n    raise NotImplementedError()\n\n\nf.ok = True',
        "# YOUR CODE HERE\nraise NotImplementedError()",  # a solution cell without markers: nbgrader's stub
        "Why?\n\nYOUR ANSWER HERE",
        "check(Z_1_1)",
    ]
    check = ex.cells[-1]
    assert check.outputs == [] and check.execution_count is None
    assert "execution" not in ex.cells[2].metadata
    assert ex.cells[2].metadata["nbgrader"]["grade_id"] == "hand"  # nbgrader metadata kept
    assert check.metadata["nbgrader"] == _synthetic().cells[-1].metadata["nbgrader"]  # graded, with points
    assert [c.id for c in ex.cells] == [c.id for c in _synthetic().cells]
    nbformat.validate(ex)


def test_markers_outside_solution_cells_are_an_error():
    nb = new_notebook(cells=[new_code_cell("x = 1  # SOLUTION", id="a")])
    with pytest.raises(authoring.AuthoringError, match="solution: true"):
        authoring.make_exercise(nb)
    nb = new_notebook(cells=[new_code_cell("# SOLUTION", id="a", metadata=_meta("a"))])
    with pytest.raises(authoring.AuthoringError, match="assignment"):
        authoring.make_exercise(nb)
    nb = new_notebook(cells=[new_code_cell("### BEGIN SOLUTION\nx = 1", id="a", metadata=_meta("a"))])
    with pytest.raises(authoring.AuthoringError, match="END SOLUTION"):
        authoring.make_exercise(nb)


def test_graded_cells_need_points_and_unique_ids():
    check = _meta("check", solution=False, locked=True, points=1)
    del check["nbgrader"]["points"]
    nb = new_notebook(cells=[new_code_cell("check(x)", id="a", metadata=check)])
    with pytest.raises(authoring.AuthoringError, match=r"cell 0 \(a\): a graded cell .* needs points"):
        authoring.make_exercise(nb)
    nb = new_notebook(cells=[new_code_cell("x = 1  # SOLUTION", id="a", metadata=_meta("same")),
                             new_code_cell("check(x)", id="b", metadata=_meta("same", False, True, points=1))])
    with pytest.raises(authoring.AuthoringError, match=r"cell 1 \(b\): grade_id 'same' is missing or not unique"):
        authoring.make_exercise(nb)


def test_exercises_match_solutions():
    """The drift test: exercises/ is exactly what `python -m helpers.authoring` generates."""
    assert authoring.pairs(ROOT), "no solutions/NN-*.ipynb found"
    problems = authoring.differences(ROOT)
    assert not problems, "\n".join(problems) + "\nrun `make exercises` (python -m helpers.authoring)"


def test_check_flag_exits_1_on_drift(tmp_path, capsys):
    (tmp_path / "solutions").mkdir()
    (tmp_path / "exercises").mkdir()
    nbformat.write(_synthetic(), tmp_path / "solutions" / "99-demo.ipynb")
    assert authoring.main(["--check", "--root", str(tmp_path)]) == 1
    assert "exercises/99-demo.ipynb: missing" in capsys.readouterr().out
    assert authoring.main(["--no-execute", "--root", str(tmp_path)]) == 0
    assert authoring.main(["--check", "--root", str(tmp_path)]) == 0
    ex = nbformat.read(tmp_path / "exercises" / "99-demo.ipynb", as_version=4)
    ex.cells[0].source += " edited by hand"
    nbformat.write(ex, tmp_path / "exercises" / "99-demo.ipynb")
    assert authoring.main(["--check", "--root", str(tmp_path)]) == 1
    assert "differs" in capsys.readouterr().out
    assert authoring.main(["--check", "--root", str(tmp_path), "98"]) == 0  # only lesson 98: nothing to check


def test_outputs_do_not_count_as_drift():
    sol = nbformat.read(authoring.pairs(ROOT)[0][0], as_version=4)
    executed = authoring.make_exercise(sol)
    executed.cells[1].outputs = [nbformat.v4.new_output("stream", name="stdout", text="hi\n")]
    executed.cells[1].execution_count = 1
    assert authoring.same_cells(authoring.make_exercise(sol), executed)


def _check_lines(path):
    """The lines the checks printed (one per check; the progress table's rows are indented)."""
    nb = nbformat.read(path, as_version=4)
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                   for o in c.get("outputs", []) if o.get("output_type") == "stream")
    return [line for line in text.splitlines() if line[:1] in ("✅", "⬜", "❌")], text


@pytest.mark.parametrize("pair", authoring.pairs(ROOT), ids=lambda p: p[0].name)
def test_executed_notebooks_show_the_right_states(pair):
    """Executed exercises show every check "not done"; executed solutions every check "correct"."""
    sol, ex = pair
    if not ex.exists():
        pytest.fail(f"{ex.name} is missing: run `make exercises`")
    for path, mark in ((sol, "✅"), (ex, "⬜")):
        lines, text = _check_lines(path)
        assert lines, f"{path} prints no check results"
        wrong = [line for line in lines if not line.startswith(mark)]
        assert not wrong, f"{path.parent.name}/{path.name}: {wrong}"
        m = re.search(r"Exercises \d+: (\d+) of (\d+) correct, (\d+) incorrect, (\d+) not done", text)
        assert m, f"{path} does not end with the progress report"
        done, total, bad, todo = map(int, m.groups())
        assert total == len(lines) and bad == 0
        assert (done, todo) == ((total, 0) if path == sol else (0, total))


def _registered(path):
    """The names of the check functions registered for a notebook's lesson (helpers.checks.lessonNN)."""
    from helpers.checks import registry

    module = f"helpers.checks.lesson{path.name[:2]}"
    importlib.import_module(module)
    return [c.__name__ for c in registry.checks(module)]


@pytest.mark.parametrize("pair", authoring.pairs(ROOT), ids=lambda p: p[0].name)
def test_every_check_cell_is_an_autograded_test(pair):
    """A check cell (one calling check.<exercise>() for a registered exercise) is graded, 1 point,
    locked, not a solution; no other cell is graded; the introduction states the points."""
    for path in pair:
        nb = nbformat.read(path, as_version=4)
        names, graded = _registered(path), []
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            m = re.match(r"check\.(\w+)\(", cell.source) if cell.cell_type == "code" else None
            if m and m[1] in names:
                assert {k: meta.get(k) for k in ("grade", "points", "solution", "locked")} == {
                    "grade": True, "points": 1, "solution": False, "locked": True}, f"{path.name}: {cell.source}"
                graded.append(m[1])
            else:
                assert not meta.get("grade"), f"{path.name}: a cell that is not a check is graded: {cell.source}"
        assert graded == names, f"{path.name}: the graded check cells are {graded}, the exercises {names}"
        intro = nb.cells[0].source
        assert f"Each exercise is worth 1 point: {len(names)} points in all." in intro, path.name
        assert "a check cell scores its point only when the check says ✅" in intro, path.name


@pytest.mark.parametrize("returned", [None, "la bola", 7, [0, "x"], [0, 99]])
def test_exercise_08_demo_never_stops_run_all(returned):
    """The greedy-decoding demo cell prints one line, whatever the learner's function returns."""
    import numpy as np

    from helpers import lesson08

    nb = nbformat.read(ROOT / "exercises" / "08-decoder-and-output.ipynb", as_version=4)
    demo = next(c for c in nb.cells if c.get("id") == "ex7-demo")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(demo.source, {"np": np, "L": lesson08, "greedy_decode": lambda *args: returned})
    assert out.getvalue().count("\n") == 1 and "greedy_decode" in out.getvalue(), out.getvalue()


def test_exercise_01_has_eight_checks_easy_to_hard():
    from helpers.checks import lesson01

    lines, _ = _check_lines(ROOT / "exercises" / "01-transformer-by-hand.ipynb")
    assert [line.split(":")[0][2:] for line in lines] == list(lesson01.EXERCISES)
    assert len(lesson01.EXERCISES) >= 6


# ------------------------------------------------------------------ nbgrader


def test_stock_nbgrader_clears_regions_like_ours_and_never_leaks():
    """nbgrader's own ClearSolutions, without our extension: region cells match ours exactly;
    a one-line `# SOLUTION` cell becomes nbgrader's stub (no answer leaks)."""
    pytest.importorskip("nbgrader")  # the lead adds nbgrader to the test extra; CI fails on skips
    from nbgrader.preprocessors import ClearSolutions

    for sol, ex in authoring.pairs(ROOT):
        nb = nbformat.read(sol, as_version=4)
        theirs, _ = ClearSolutions().preprocess(nb, {})
        ours = authoring.make_exercise(nbformat.read(sol, as_version=4))
        for t, o, s in zip(theirs.cells, ours.cells, nbformat.read(sol, as_version=4).cells):
            if "# SOLUTION" in s.source and "BEGIN SOLUTION" not in s.source:
                assert t.source == authoring.CODE_STUB
            else:
                assert t.source == o.source


@pytest.mark.parametrize("solution", sorted((ROOT / "solutions").glob("*.ipynb")), ids=lambda p: p.name[:2])
def test_every_introduction_lists_each_exercise_with_its_kind(solution):
    """The first cell lists the notebook's exercises, one numbered line each, in order, naming the
    kind its heading gives ("by hand", "code", "on screen"); as many as the lesson's checks."""
    import importlib
    import re

    nb = nbformat.read(solution, as_version=4)
    heads = [m.groups() for c in nb.cells if c.cell_type == "markdown"
             for m in [re.search(r"^## Exercise (\d+) \(([^)]+)\)", c.source, re.M)] if m]
    items, current = {}, None
    for line in nb.cells[0].source.splitlines():
        m = re.match(r"^(\d+)\. ", line)
        if m:
            current = m.group(1)
            items[current] = line
        elif current and line.startswith(" "):  # an item continued on the next line
            items[current] += " " + line.strip()
        else:
            current = None
    check = importlib.import_module(f"helpers.checks.lesson{solution.name[:2]}")
    assert [n for n, _ in heads] == [str(i) for i in range(1, len(check.EXERCISES) + 1)]
    assert sorted(items, key=int) == [n for n, _ in heads], "the introduction's list and the exercises differ"
    for n, kind in heads:
        assert f"({kind})" in items[n], f"item {n} of the introduction does not say ({kind}): {items[n]}"
