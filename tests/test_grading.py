"""Grading with stock nbgrader, end to end (issue 13), and the `byhand course` command.

The slow test builds a course with `byhand course` for lessons 01 and 04, runs
`nbgrader generate_assignment`, puts the submissions in submitted/ (all correct; a typical slip
in every other exercise; text where numbers or a function belong; blank, for lesson 01), runs `autograde`,
`export`, `validate` and `generate_feedback`, and asserts every exercise's score in nbgrader's
gradebook. nbgrader's command-line app runs in this process, as nbgrader's own tests run it
(tests/__init__.py: run_nbgrader), in the course folder, with HOME and Jupyter's folders inside
tmp_path, so nothing touches the machine's ~/.jupyter. Each notebook it grades runs in a kernel
of its own, as in a real course.
"""

import contextlib
import csv
import html
import io
import logging
import os
import re
import sys
import time
from pathlib import Path

import nbformat
import numpy as np
import pytest

from helpers import course
from helpers.cli import main

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENTS = {"01": "01-transformer-by-hand", "04": "04-queries-keys-values"}
# A blank notebook is graded the same way in every lesson, so lesson 04 goes without one (a notebook
# less to grade); text where a function belongs (04) is another case than text where numbers belong (01).
STUDENTS = {"01-transformer-by-hand": ("correct", "blank", "slipped", "text"),
            "04-queries-keys-values": ("correct", "slipped", "text")}


# ---------------------------------------------------------------- the submissions


def _slips():
    """{assignment: {answer grade_id: the answer cell with a typical slip}}: every other exercise
    (the odd ones of lesson 01, the even ones of lesson 04); the others stay right."""
    from helpers import lesson01 as L1
    from helpers import lesson04 as L4
    from helpers import linear

    ZT = L1.X @ L1.A.T  # a row of A instead of a column
    _, X4 = L4.sentence(L4.CAT)
    S = linear(X4, L4.W_Q) @ linear(X4, L4.W_K).T
    ints = lambda a: [int(v) for v in np.ravel(a)]  # noqa: E731
    return {
        "01-transformer-by-hand": {
            "ex1-answer": f"Z_1_1 = {int(ZT[0, 0])}\nZ_2_4 = {int(ZT[1, 3])}\nZ_3_5 = {int(ZT[2, 4])}",
            "ex3-answer": f"H_col_1 = {ints((L1.W1 @ L1.Z)[:, 0])}",  # forgot the bias b1
            "ex5-answer": f"Y_3_3 = {int((L1.W2 @ L1.R)[2, 2])}",  # forgot the bias b2
            "ex7-answer": "def ffn_layer(Z, W, b):\n    return W @ Z + b",  # b as a row: numpy raises
        },
        "04-queries-keys-values": {
            "ex2-answer": f"S_drank = {ints(S[:, 3])}",  # the column of drank, not its row
            "ex4-answer": "mask4 = [[1, 1, 1, 1], [0, 1, 1, 1], [0, 0, 1, 1], [0, 0, 0, 1]]",  # transposed
            "ex6-answer": "def attention_scores(X, W_q, W_k):\n    Q = X @ W_q.T\n    K = X @ W_k.T\n"
                          "    return K @ Q.T / np.sqrt(Q.shape[-1])",  # transposed
            "ex8-answer": f"S_typed = {[ints(row) for row in S.T]}",  # the sheet, transposed
        },
    }


def _as_typed(source):
    """A solution cell as a learner would hand it in: the markers gone."""
    lines = [re.sub(r"\s*#\s*SOLUTION\s*$", "", line) for line in source.split("\n")
             if "BEGIN SOLUTION" not in line and "END SOLUTION" not in line]
    return "\n".join(lines)


def _as_text(source):
    """The right answer as text where numbers belong: values as strings, functions returning strings."""
    source = _as_typed(source)
    name = re.match(r"def (\w+)\(", source)
    if name:
        fn = name[1]
        return (f"{source}\n\n\n_right = {fn}\n\n\ndef {fn}(*args, **kwargs):\n"
                f"    return np.asarray(_right(*args, **kwargs)).astype(str).tolist()")
    return re.sub(r"^(\s*[\w\.]+) = (.+)$", r"\1 = np.asarray(\2).astype(str).tolist()", source, flags=re.M)


def _answers(source_nb):
    return {c.metadata["nbgrader"]["grade_id"]: c.source for c in source_nb.cells
            if c.metadata.get("nbgrader", {}).get("solution")}


def _graded(source_nb):
    """{check grade_id: (points, the answer grade_id before it)} of a notebook's autograded cells."""
    out, answer = {}, None
    for c in source_nb.cells:
        meta = c.metadata.get("nbgrader", {})
        if meta.get("solution"):
            answer = meta["grade_id"]
        if meta.get("grade"):
            out[meta["grade_id"]] = (meta["points"], answer)
    return out


def _submit(course_dir, assignment, student, slips):
    """submitted/<student>/<assignment>/<assignment>.ipynb made from the released student version."""
    source = nbformat.read(course_dir / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    right = _answers(source)
    nb = nbformat.read(course_dir / "release" / assignment / f"{assignment}.ipynb", as_version=4)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if student == "blank" or not cell.metadata.get("nbgrader", {}).get("solution"):
            continue
        if student == "text":
            cell.source = _as_text(right[grade_id])
        elif student == "slipped" and grade_id in slips:
            cell.source = slips[grade_id]
        else:
            cell.source = _as_typed(right[grade_id])
    folder = course_dir / "submitted" / student / assignment
    folder.mkdir(parents=True)
    nbformat.write(nb, folder / f"{assignment}.ipynb")


def _expected(source_nb, student, slips):
    """{check grade_id: points it should score}."""
    out = {}
    for check, (points, answer) in _graded(source_nb).items():
        ok = student == "correct" or (student == "slipped" and answer not in slips)
        out[check] = points if ok else 0
    return out


# ---------------------------------------------------------------- running nbgrader


@contextlib.contextmanager
def _course_env(course_dir, tmp):
    """The course folder as the working folder, with HOME and Jupyter's folders inside tmp, so
    nothing touches the machine's ~/.jupyter; the process's environment comes back afterwards."""
    home = tmp / "home"
    home.mkdir()
    saved, cwd = dict(os.environ), os.getcwd()
    for key in [k for k in os.environ if k.startswith(("NBGRADER", "JUPYTER"))]:
        del os.environ[key]
    os.environ.update(HOME=str(home), JUPYTER_CONFIG_DIR=str(home / ".jupyter"),
                      JUPYTER_DATA_DIR=str(home / ".local" / "share" / "jupyter"),
                      JUPYTER_RUNTIME_DIR=str(home / "runtime"), IPYTHONDIR=str(home / ".ipython"),
                      # nbgrader creates its gradebook with the `alembic` command, beside python
                      PATH=f"{Path(sys.executable).parent}{os.pathsep}{saved.get('PATH', '')}")
    os.chdir(course_dir)
    try:
        yield
    finally:
        os.chdir(cwd)
        os.environ.clear()
        os.environ.update(saved)


def _nbgrader(*args, timings):
    """`nbgrader ARGS`, run as nbgrader's own tests run it: its command-line app, in this process
    (one import of nbgrader instead of one per command). Returns what it printed; it must succeed."""
    from jupyter_core.application import NoStart
    from nbgrader.apps import NbGraderApp
    from nbgrader.validator import Validator

    start, out, log = time.perf_counter(), io.StringIO(), io.StringIO()
    app = NbGraderApp.instance()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(log):
        Validator.stream = out
        try:
            app.initialize(list(args))
            app.init_logging(logging.StreamHandler, [log], color=False, subapps=True)
            app.start()
            code = 0
        except NoStart:  # how a subcommand's app says it has finished
            code = 0
        except SystemExit as exit_:
            code = exit_.code or 0
        finally:
            app.reset()
            Validator.stream = sys.stdout
    timings[args[0]] = time.perf_counter() - start
    assert code == 0, f"nbgrader {' '.join(args)} exited {code}:\n{out.getvalue()[-2000:]}\n{log.getvalue()[-3000:]}"
    return out.getvalue()


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """A course for lessons 01 and 04, the students of STUDENTS, autograded and exported; feedback for one;
    three of lesson 01's notebooks validated (correct, slipped, blank)."""
    pytest.importorskip("nbgrader")  # the test extra brings it; CI fails on skips
    start = time.perf_counter()
    tmp = tmp_path_factory.mktemp("grading")
    course_dir, timings = tmp / "course", {}
    assert main(["course", str(course_dir), "--lessons", "01,04"]) == 0
    slips = _slips()
    lesson = ASSIGNMENTS["01"]
    with _course_env(course_dir, tmp):
        _nbgrader("generate_assignment", "*", timings=timings)  # "*": every assignment
        for assignment in ASSIGNMENTS.values():
            for student in STUDENTS[assignment]:
                _submit(course_dir, assignment, student, slips[assignment])
        _nbgrader("autograde", "*", timings=timings)
        _nbgrader("export", timings=timings)
        _nbgrader("generate_feedback", "*", "--student", "slipped", timings=timings)
        validated = _nbgrader("validate", *(f"submitted/{s}/{lesson}/{lesson}.ipynb"
                                            for s in ("correct", "slipped", "blank")), timings=timings)
    per_student = timings["autograde"] / sum(map(len, STUDENTS.values()))
    print(f"grading end to end {time.perf_counter() - start:.1f} s: "
          + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items())
          + f"; autograde {per_student:.1f} s per student and notebook")
    return {"dir": course_dir, "slips": slips, "validated": validated}


def _scores(course_dir):
    """{(assignment, student): {check grade_id: score}} from nbgrader's gradebook."""
    from nbgrader.api import Gradebook

    out = {}
    with Gradebook(f"sqlite:///{course_dir / 'gradebook.db'}") as gb:
        for assignment in ASSIGNMENTS.values():
            for student in STUDENTS[assignment]:
                nb = gb.find_submission_notebook(assignment, assignment, student)
                out[assignment, student] = {g.name: g.score for g in nb.grades}
    return out


# ---------------------------------------------------------------- the Done-when of issue 13


@pytest.mark.slow
def test_autograde_scores_every_exercise(graded):
    """correct = its points, blank = 0, a slipped exercise 0 while the others keep theirs, text = 0."""
    scores, table = _scores(graded["dir"]), []
    for assignment in ASSIGNMENTS.values():
        source = nbformat.read(graded["dir"] / "source" / assignment / f"{assignment}.ipynb", as_version=4)
        for student in STUDENTS[assignment]:
            expected = _expected(source, student, graded["slips"][assignment])
            got = scores[assignment, student]
            table.append(f"{assignment:24} {student:8} " + " ".join(f"{got.get(k, '-'):>3}" for k in expected))
            assert got == expected, f"{assignment}, {student}: scored {got}, expected {expected}"
    print("\n".join(table))


@pytest.mark.slow
def test_export_gives_each_students_total(graded):
    with open(graded["dir"] / "grades.csv", newline="") as f:
        rows = {(r["assignment"], r["student_id"]): r for r in csv.DictReader(f)}
    scores = _scores(graded["dir"])
    for key, by_exercise in scores.items():
        assert float(rows[key]["score"]) == sum(by_exercise.values()), key
        assert float(rows[key]["max_score"]) == 8, key
    assert {float(rows[a, "correct"]["score"]) for a in ASSIGNMENTS.values()} == {8}
    assert {float(rows[a, s]["score"]) for a, students in STUDENTS.items() for s in students
            if s in ("blank", "text")} == {0}


@pytest.mark.slow
def test_validate_fails_wrong_and_blank_work(graded):
    """nbgrader validate exits 0 either way (0.9); what it prints is the verdict."""
    blocks = re.split(r"(?=Success! |VALIDATION FAILED ON )", graded["validated"])
    blocks = [b for b in blocks if b.strip()]
    assert len(blocks) == 3, graded["validated"]
    correct, slipped, blank = blocks
    assert correct.startswith("Success! Your notebook passes all the tests."), correct
    assert re.match(r"VALIDATION FAILED ON 4 CELL\(S\)!", slipped), slipped
    assert re.match(r"VALIDATION FAILED ON 8 CELL\(S\)!", blank), blank
    assert "AssertionError" in slipped and "AssertionError" in blank


def _diagnosis(check_module, name, *args):
    """The AssertionError a check raises in grading mode, as nbgrader's kernel sees it."""
    import importlib

    check = importlib.import_module(f"helpers.checks.{check_module}")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("NBGRADER_EXECUTION", "autograde")
        check.start()
        with pytest.raises(AssertionError) as raised:
            getattr(check, name)(*args)
    return str(raised.value)


def _page_text(path):
    return html.unescape(re.sub(r"<[^>]+>", "", path.read_text(encoding="utf-8")))


@pytest.mark.slow
def test_feedback_shows_the_diagnosis(graded):
    from helpers import lesson01 as L1

    def transposed_scores(X, W_q, W_k):
        Q, K = X @ W_q.T, X @ W_k.T
        return K @ Q.T / np.sqrt(Q.shape[-1])

    ZT = L1.X @ L1.A.T
    cases = {"01-transformer-by-hand": _diagnosis("lesson01", "z_cells", ZT[0, 0], ZT[1, 3], ZT[2, 4]),
             "04-queries-keys-values": _diagnosis("lesson04", "attention_scores", transposed_scores)}
    for assignment, diagnosis in cases.items():
        page = _page_text(graded["dir"] / "feedback" / "slipped" / assignment / f"{assignment}.html")
        lines = [line.strip() for line in diagnosis.splitlines() if line.strip()]
        assert lines, f"{assignment}: the check raised an empty AssertionError"
        missing = [line for line in lines if line not in page]
        assert not missing, f"{assignment}: the feedback lacks {missing}"
        # the traceback shows the learner's cell, not the check engine's frames (and their paths)
        assert "helpers/checks" not in page and "run_check" not in page, f"{assignment}: engine frames shown"
        print(f"{assignment} feedback: {diagnosis}")


@pytest.mark.slow
def test_released_notebooks_are_the_exercises(graded):
    """generate_assignment (configured by `byhand course`) releases exercises/'s code cells and keeps
    the graded cells' metadata."""
    for assignment in ASSIGNMENTS.values():
        released = nbformat.read(graded["dir"] / "release" / assignment / f"{assignment}.ipynb", as_version=4)
        exercise = nbformat.read(ROOT / "exercises" / f"{assignment}.ipynb", as_version=4)
        code = lambda nb: [c.source for c in nb.cells if c.cell_type == "code"]  # noqa: E731
        assert code(released) == code(exercise)
        points = [c.metadata["nbgrader"]["points"] for c in released.cells
                  if c.metadata.get("nbgrader", {}).get("grade")]
        assert points == [1] * 8


# ---------------------------------------------------------------- byhand course


def test_course_writes_config_sources_and_readme(tmp_path, capsys):
    dest = tmp_path / "course"
    assert main(["course", str(dest), "--lessons", "1,04"]) == 0
    out = capsys.readouterr().out
    assert "2 assignment(s) (01-transformer-by-hand, 04-queries-keys-values), 16 points" in out
    assert sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file()) == [
        "README.md", "nbgrader_config.py",
        "source/01-transformer-by-hand/01-transformer-by-hand.ipynb",
        "source/04-queries-keys-values/04-queries-keys-values.ipynb"]
    for name in ASSIGNMENTS.values():
        copied = dest / "source" / name / f"{name}.ipynb"
        assert copied.read_bytes() == (ROOT / "solutions" / f"{name}.ipynb").read_bytes()
    config = (dest / "nbgrader_config.py").read_text()
    assert "from helpers.authoring import configure_nbgrader" in config and "configure_nbgrader(c)" in config
    compile(config, "nbgrader_config.py", "exec")
    guide = (dest / "README.md").read_text()
    for command in ("generate_assignment", "release_assignment", "collect", "autograde", "generate_feedback",
                    "export"):
        assert f"nbgrader {command} " in guide or f"nbgrader {command}\n" in guide, command
    assert "| 01-transformer-by-hand | 8 | 8 |" in guide
    assert "transformers-by-hand[teacher]" in guide


def test_course_takes_every_exercise_notebook_by_default(tmp_path):
    assert main(["course", str(tmp_path / "all")]) == 0
    names = sorted(p.name for p in (tmp_path / "all" / "source").iterdir())
    assert names == sorted(p.stem for p in (ROOT / "solutions").glob("[0-9][0-9]-*.ipynb"))
    assert {"01-transformer-by-hand", "10-whole-model"} <= set(names)  # first and last of the core lessons


def _fails(capsys, *argv):
    with pytest.raises(SystemExit) as exit_:
        main(["course", *argv])
    assert exit_.value.code == 2
    return capsys.readouterr().err


def test_course_refuses_a_folder_that_is_not_empty(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("mine")
    err = _fails(capsys, str(tmp_path))
    assert f"byhand course: error: {tmp_path} is not empty; nothing was written" in err
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]
    assert main(["course", str(tmp_path), "--lessons", "01", "--force"]) == 0
    assert (tmp_path / "notes.txt").read_text() == "mine" and (tmp_path / "nbgrader_config.py").exists()


def test_course_names_the_lessons_that_exist(tmp_path, capsys):
    err = _fails(capsys, str(tmp_path / "c"), "--lessons", "01,99")
    assert "byhand course: error: no exercise notebook for lesson 99; the lessons with exercises are " \
           "01, 02, 03, 04, 05, 06, 07, 08, 09, 10" in err
    assert "--lessons takes lesson numbers" in _fails(capsys, str(tmp_path / "c"), "--lessons", "one")
    assert not (tmp_path / "c").exists()


def test_course_without_a_checkout_needs_solutions(tmp_path, capsys, monkeypatch):
    """Installed from a wheel there is no solutions/ folder beside helpers/."""
    monkeypatch.setattr(course, "ROOT", tmp_path / "site-packages")
    monkeypatch.chdir(tmp_path)
    err = _fails(capsys, str(tmp_path / "c"))
    assert "byhand course: error: byhand course needs the course's solutions/ folder: run it from a checkout " \
           "or pass --solutions PATH" in err
    assert not (tmp_path / "c").exists()
    assert main(["course", str(tmp_path / "c"), "--solutions", str(ROOT / "solutions"), "--lessons", "04"]) == 0
    assert "04-queries-keys-values" in (tmp_path / "c" / "README.md").read_text()
    err = _fails(capsys, str(tmp_path / "d"), "--solutions", str(ROOT / "exercises"))
    assert "hold(s) no answers" in err and not (tmp_path / "d").exists()
