"""`byhand course DIR`: a ready nbgrader course made from the solution notebooks.

    byhand course DIR [--lessons 01,04] [--solutions PATH] [--force]

writes
    DIR/nbgrader_config.py             the course's configuration: generate_assignment also clears
                                       the one-line answers `NAME = value  # SOLUTION`
                                       (helpers.authoring.configure_nbgrader)
    DIR/source/NN-slug/NN-slug.ipynb   one assignment per exercise notebook, copied from solutions/
    DIR/README.md                      the teacher's guide: the nbgrader commands, how points work

Every check cell of a solution notebook is an autograded test cell (nbgrader metadata
`grade: true`, `points`). When nbgrader runs a notebook it sets NBGRADER_EXECUTION, and a check
that is not correct then raises, so its cell scores 0 and the diagnosis is in the feedback.

The solution notebooks come from the checkout this package runs from (its solutions/ folder), or
from ./solutions, or from --solutions PATH; a wheel does not carry them.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from .authoring import ROOT

NOT_FOUND = "byhand course needs the course's solutions/ folder: run it from a checkout or pass --solutions PATH"
NOTEBOOK = re.compile(r"(\d\d)-[\w-]+\.ipynb")


class CourseError(ValueError):
    """What `byhand course` reports as its error (nothing has been written)."""


def find_solutions(path=None):
    """The folder of solution notebooks: PATH, else the checkout's solutions/, else ./solutions."""
    if path is not None:
        folder = Path(path)
        if not available(folder):
            raise CourseError(f"--solutions {path}: no solution notebooks (NN-name.ipynb) there")
        return folder
    for folder in (ROOT / "solutions", Path.cwd() / "solutions"):
        if available(folder):
            return folder
    raise CourseError(NOT_FOUND)


def available(folder):
    """{"NN": path} of the solution notebooks in folder, in lesson order ({} if none)."""
    folder = Path(folder)
    if not folder.is_dir():
        return {}
    return {m[1]: p for p in sorted(folder.iterdir()) if (m := NOTEBOOK.fullmatch(p.name))}


def parse_lessons(text):
    """'01,04' (or '1, 4') -> ['01', '04']."""
    out = []
    for item in (text or "").replace(" ", "").split(","):
        if not item:
            continue
        if not item.isdigit() or len(item) > 2:
            raise CourseError(f"--lessons takes lesson numbers separated by commas (e.g. 01,04), got {item!r}")
        out.append(f"{int(item):02d}")
    if not out:
        raise CourseError("--lessons names no lesson (e.g. --lessons 01,04)")
    return list(dict.fromkeys(out))


def choose(found, lessons=None):
    """The solution notebooks of the chosen lessons (all when lessons is None)."""
    if lessons is None:
        return list(found.values())
    unknown = [nn for nn in lessons if nn not in found]
    if unknown:
        names = ", ".join(unknown)
        raise CourseError(f"no exercise notebook for lesson {names}; the lessons with exercises are "
                          f"{', '.join(found)}")
    return [found[nn] for nn in lessons]


def points(notebook):
    """[(grade_id, points)] of a notebook's autograded cells, in order."""
    nb = json.loads(Path(notebook).read_text(encoding="utf-8"))
    out = []
    for cell in nb["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade"):
            out.append((meta["grade_id"], meta.get("points", 0)))
    return out


def _is_solution(notebook):
    text = Path(notebook).read_text(encoding="utf-8")
    return "BEGIN SOLUTION" in text or "# SOLUTION" in text


CONFIG = '''\
"""nbgrader's configuration for this course (written by `byhand course`, transformers-by-hand)."""

c = get_config()  # noqa: F821 (nbgrader provides get_config)

# The course's name in nbgrader's exchange (release_assignment, fetch, submit, collect).
c.CourseDirectory.course_id = {course_id!r}

# generate_assignment clears `### BEGIN SOLUTION` ... `### END SOLUTION` regions (nbgrader's own
# rule) and also the one-line answers `NAME = value  # SOLUTION`, which become
# `NAME = ...  # YOUR CODE HERE`, so the student version is the course's exercise notebook.
from helpers.authoring import configure_nbgrader  # noqa: E402

configure_nbgrader(c)
'''


def course_id(dest):
    """nbgrader's course_id from the folder's name: letters, digits, '-' and '_'."""
    return re.sub(r"[^\w-]+", "-", Path(dest).resolve().name).strip("-") or "transformers-by-hand"


README = """\
# Transformers by Hand: an nbgrader course

Written by `byhand course`: one assignment per lesson, made from the course's solution notebooks.

| assignment | exercises | points |
|---|---|---|
ROWS

## How points work

Each exercise ends with a check cell, and each check cell is an autograded test cell worth 1 point
(the notebook's introduction says so). When nbgrader runs a notebook (autograde, validate) it sets
`NBGRADER_EXECUTION`; a check that is not correct then prints its usual feedback and raises an
`AssertionError` carrying its diagnosis. So a check cell scores its point only when the check says ✅:
a wrong answer, an exercise not done and text where a number belongs all score 0, and the
diagnosis is in the student's feedback.

nbgrader runs each submission again in a fresh kernel, so only what is in the cells counts. The
fillable sheet is graded on its answer variable (such as `Z_typed = [[...], ...]`): under its boxes
the sheet shows the line to paste into that cell. (The sheet's reveal button fills a box in;
grading cannot tell a revealed box from a typed one.)

In the student version the check cells are read-only, and autograde puts back the check cells of
source/ before it runs a submission: a student cannot change a check. To give an exercise more
points, edit `points` in its check cell's nbgrader metadata in source/ before `generate_assignment`.

## The commands

Run them in this folder (it holds `nbgrader_config.py`). nbgrader runs the students' notebooks,
which import the course's `helpers`, so install both where nbgrader runs:
`pip install 'transformers-by-hand[teacher]'`, and run the commands with that environment
activated (nbgrader creates `gradebook.db` with its `alembic` command, found on the PATH).

```sh
nbgrader generate_assignment FIRST  # release/FIRST/: the student version, answers cleared
nbgrader release_assignment FIRST   # into the exchange (JupyterHub): students fetch_assignment it
nbgrader collect FIRST              # the submissions, into submitted/STUDENT/FIRST/
nbgrader autograde FIRST            # runs every submission and scores each check cell
nbgrader generate_feedback FIRST    # feedback/STUDENT/FIRST/*.html: every check's output
nbgrader export                     # grades.csv: each student's score in each assignment
```

Without JupyterHub's exchange, hand out `release/FIRST/FIRST.ipynb` yourself and put each returned
notebook at `submitted/STUDENT/FIRST/FIRST.ipynb` before `autograde`. (The exchange is
`/srv/nbgrader/exchange` unless `c.Exchange.root` in `nbgrader_config.py` says otherwise.)

A student can try a notebook as autograde will before handing it in: `nbgrader validate FIRST.ipynb`
(or the Validate button) lists the checks that would score 0.
"""


def readme(assignments):
    """The teacher's guide, for [(assignment name, [(grade_id, points)])]."""
    rows = "\n".join(f"| {name} | {len(cells)} | {sum(p for _, p in cells)} |" for name, cells in assignments)
    return README.replace("ROWS", rows).replace("FIRST", assignments[0][0])


def write_course(dest, solutions=None, lessons=None, force=False):
    """Write the course into dest. Returns [(assignment name, [(grade_id, points)])].

    Raises CourseError, before writing anything, when dest is not empty (unless force), when a
    lesson is unknown, or when the solution notebooks cannot be found."""
    dest = Path(dest)
    if dest.exists() and not dest.is_dir():
        raise CourseError(f"{dest} is a file, not a folder; nothing was written")
    if dest.is_dir() and any(dest.iterdir()) and not force:
        raise CourseError(f"{dest} is not empty; nothing was written (--force writes the course into it)")
    chosen = choose(available(find_solutions(solutions)), lessons)
    not_solutions = [p.name for p in chosen if not _is_solution(p)]
    if not_solutions:
        raise CourseError(f"{', '.join(not_solutions)} in {chosen[0].parent} hold(s) no answers "
                          "(no `# SOLUTION` marker): pass the solutions/ folder, not exercises/")
    assignments = [(p.stem, points(p)) for p in chosen]
    for p in chosen:
        (dest / "source" / p.stem).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(p, dest / "source" / p.stem / p.name)
    (dest / "nbgrader_config.py").write_text(CONFIG.format(course_id=course_id(dest)), encoding="utf-8")
    (dest / "README.md").write_text(readme(assignments), encoding="utf-8")
    return assignments
