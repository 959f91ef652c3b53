"""helpers.authoring: solutions/ -> exercises/ with nbgrader's markers.

- the generator turns both marker styles into exactly the expected exercise cells;
- exercises/ in the repository is what the generator makes (the drift test);
- `nbgrader generate_assignment` on a solution notebook gives the same code cells as ours.
"""

import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from helpers import authoring

ROOT = Path(__file__).resolve().parents[1]


def _meta(grade_id, solution=True, locked=False):
    return {"nbgrader": {"grade": False, "grade_id": grade_id, "locked": locked, "schema_version": 3,
                         "solution": solution, "task": False}}


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
        new_code_cell("check(Z_1_1)", id="check", metadata=_meta("check", solution=False, locked=True),
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


def test_exercise_01_has_eight_checks_easy_to_hard():
    from helpers.checks import lesson01

    lines, _ = _check_lines(ROOT / "exercises" / "01-transformer-by-hand.ipynb")
    assert [line.split(":")[0][2:] for line in lines] == list(lesson01.EXERCISES)
    assert len(lesson01.EXERCISES) >= 6


# ------------------------------------------------------------------ nbgrader


def _code_sources(path):
    nb = nbformat.read(path, as_version=4)
    return [c.source for c in nb.cells if c.cell_type == "code"]


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


@pytest.mark.slow
def test_nbgrader_generate_assignment_matches(tmp_path):
    """`nbgrader generate_assignment` (configured with configure_nbgrader, as a teacher would)
    releases the same code cells as exercises/ (and accepts the cell metadata)."""
    pytest.importorskip("nbgrader")
    sol, ex = authoring.pairs(ROOT)[0]
    (tmp_path / "source" / "ps1").mkdir(parents=True)
    shutil.copy(sol, tmp_path / "source" / "ps1" / "01.ipynb")
    (tmp_path / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        f"c.CourseDirectory.root = {str(tmp_path)!r}\n"
        "from helpers.authoring import configure_nbgrader\n"
        "configure_nbgrader(c)\n"
    )
    start = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", "ps1", "--no-db", "--force"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=300)
    elapsed = time.perf_counter() - start
    assert run.returncode == 0, run.stdout + run.stderr
    released = tmp_path / "release" / "ps1" / "01.ipynb"
    assert released.exists(), run.stdout + run.stderr
    assert _code_sources(released) == _code_sources(ex)
    print(f"nbgrader generate_assignment took {elapsed:.1f} s")
