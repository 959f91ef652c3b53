"""Generate exercises/NN-slug.ipynb from solutions/NN-slug.ipynb (the single source).

    python -m helpers.authoring            regenerate every exercise notebook whose cells
                                           changed, then execute it (nbclient) so it is
                                           committed with its "not done" outputs
    python -m helpers.authoring --check    exit 1 and list the exercise notebooks that
                                           differ from what would be generated
    python -m helpers.authoring 01 05      only these lessons (NN prefixes), with or without --check
    options: --no-execute (write without running), --force (rewrite and re-run even when
             unchanged), --root DIR (the project folder; default: the one holding helpers/)

What is compared (--check, and the drift test): each cell's type, source and metadata,
and the notebook's kernelspec. Outputs and execution counts are not compared, so an
executed exercise notebook is not "drift". An exercise whose cells are unchanged is
left as it is (outputs kept); pass --force to re-execute anyway.

The markers are nbgrader's, so a solution notebook drops into an nbgrader course:

- A code cell with nbgrader metadata `solution: true` may contain
      ### BEGIN SOLUTION
      ...
      ### END SOLUTION
  The region becomes `# YOUR CODE HERE` + `raise NotImplementedError()` at the indentation
  of the BEGIN line (nbgrader's ClearSolutions, exactly). A solution cell with no region
  at all becomes that stub entirely; a markdown solution cell becomes "YOUR ANSWER HERE"
  (or just its regions do).
- A line `NAME = value  # SOLUTION` becomes `NAME = ...  # YOUR CODE HERE`. This is our
  addition (nbgrader has no one-line marker): a by-hand answer cell stays runnable, so
  "Run All" on an untouched exercise notebook reaches the end. The nbgrader_config.py that
  `byhand course` writes (helpers/course.py) calls configure_nbgrader(c), which swaps
  nbgrader's ClearSolutions for a subclass that also clears those lines. Without it,
  nbgrader turns such a cell into the stub (the answer never leaks).

Cell metadata for nbgrader (schema_version 3), carried into exercises/ as is: answer cells
{"grade": false, "grade_id": "...", "locked": false, "solution": true, "task": false,
"schema_version": 3}; check cells are autograded tests, the same with "grade": true, "points": 1,
"locked": true, "solution": false (the introduction states the points). A marker outside a
`solution: true` cell, a graded cell without points and a repeated grade_id are authoring errors.
"""

from __future__ import annotations

import argparse
import copy
import re
import sys
from pathlib import Path

BEGIN = "BEGIN SOLUTION"
END = "END SOLUTION"
CODE_STUB = "# YOUR CODE HERE\nraise NotImplementedError()"  # nbgrader's default for python
TEXT_STUB = "YOUR ANSWER HERE"  # nbgrader's default for markdown
LINE_STUB = "...  # YOUR CODE HERE"

_LINE = re.compile(r"^(?P<indent>\s*)(?P<code>.*?)\s*#\s*SOLUTION\s*$")
_TARGET = re.compile(r"^(?P<target>[A-Za-z_][\w\.\[\], ]*?)\s*=(?!=)")

ROOT = Path(__file__).resolve().parent.parent


class AuthoringError(ValueError):
    """A solution notebook whose markers cannot be turned into an exercise."""


def clear_solution_lines(source):
    """Replace every `NAME = value  # SOLUTION` line. Returns (new_source, replaced_any)."""
    out, replaced = [], False
    for n, line in enumerate(source.split("\n"), 1):
        m = _LINE.match(line)
        if m and BEGIN not in line and END not in line:
            t = _TARGET.match(m["code"])
            if not t:
                raise AuthoringError(
                    f"line {n}: `# SOLUTION` must end an assignment `NAME = value  # SOLUTION`, got {line.strip()!r}")
            line = f"{m['indent']}{t['target'].rstrip()} = {LINE_STUB}"
            replaced = True
        out.append(line)
    return "\n".join(out), replaced


def clear_solution_regions(source, cell_type="code"):
    """nbgrader's region rule: BEGIN..END becomes the stub. Returns (new_source, replaced_any)."""
    stub = (CODE_STUB if cell_type == "code" else TEXT_STUB).split("\n")
    out, inside, replaced = [], False, False
    for line in source.split("\n"):
        if BEGIN in line:
            if inside:
                raise AuthoringError("a BEGIN SOLUTION inside another BEGIN SOLUTION region")
            inside = replaced = True
            indent = re.match(r"\s*", line).group(0)
            out.extend(indent + s for s in stub)
        elif END in line:
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise AuthoringError("a BEGIN SOLUTION without its END SOLUTION")
    return "\n".join(out), replaced


def is_solution_cell(cell):
    return bool(cell.get("metadata", {}).get("nbgrader", {}).get("solution", False))


def exercise_cell(cell, index=0):
    """The exercise version of one solution-notebook cell (a new cell; outputs cleared)."""
    new = copy.deepcopy(cell)
    new.get("metadata", {}).pop("execution", None)
    source = new["source"] if isinstance(new["source"], str) else "".join(new["source"])
    try:
        if new["cell_type"] in ("code", "markdown"):
            replaced = False
            if new["cell_type"] == "code":
                source, replaced = clear_solution_lines(source)
            source, replaced_region = clear_solution_regions(source, new["cell_type"])
            replaced = replaced or replaced_region
            if replaced and not is_solution_cell(new):
                raise AuthoringError("solution markers in a cell without nbgrader metadata `solution: true`")
            if is_solution_cell(new) and not replaced:
                source = CODE_STUB if new["cell_type"] == "code" else TEXT_STUB
    except AuthoringError as err:
        raise AuthoringError(f"cell {index} ({cell.get('id', '?')}): {err}") from None
    new["source"] = source
    if new["cell_type"] == "code":
        new["outputs"] = []
        new["execution_count"] = None
    return new


def check_grading_metadata(nb):
    """Raise AuthoringError when a graded cell has no points or two cells share a grade_id."""
    seen = set()
    for i, cell in enumerate(nb["cells"]):
        meta, where = cell.get("metadata", {}).get("nbgrader"), f"cell {i} ({cell.get('id', '?')})"
        if not meta:
            continue
        if not meta.get("grade_id") or meta["grade_id"] in seen:
            raise AuthoringError(f"{where}: grade_id {meta.get('grade_id')!r} is missing or not unique")
        seen.add(meta["grade_id"])
        if meta.get("grade") and not (isinstance(meta.get("points"), (int, float)) and meta["points"] > 0):
            raise AuthoringError(f"{where}: a graded cell (grade: true) needs points > 0, got {meta.get('points')!r}")


def make_exercise(nb):
    """The exercise notebook generated from a solution notebook (nbformat node or dict)."""
    import nbformat

    check_grading_metadata(nb)
    new = copy.deepcopy(nb)
    new["cells"] = [exercise_cell(c, i) for i, c in enumerate(nb["cells"])]
    return nbformat.from_dict(new)


def _comparable(nb):
    cells = []
    for c in nb["cells"]:
        meta = {k: v for k, v in c.get("metadata", {}).items() if k not in ("execution", "collapsed", "scrolled")}
        src = c["source"] if isinstance(c["source"], str) else "".join(c["source"])
        cells.append((c["cell_type"], src, meta))
    return cells, nb.get("metadata", {}).get("kernelspec")


def same_cells(a, b):
    """True when two notebooks have the same cells (type, source, metadata) and kernelspec."""
    return _comparable(a) == _comparable(b)


def pairs(root=ROOT, lessons=None):
    """[(solution path, exercise path)] for every solutions/NN-*.ipynb (or only the NN in lessons)."""
    root = Path(root)
    found = sorted((root / "solutions").glob("[0-9][0-9]-*.ipynb"))
    if lessons:
        found = [p for p in found if any(p.name.startswith(str(nn)) for nn in lessons)]
    return [(p, root / "exercises" / p.name) for p in found]


def differences(root=ROOT, lessons=None):
    """Exercise notebooks that differ from what the generator makes (messages, [] if none)."""
    import nbformat

    problems = []
    root = Path(root)
    for sol, ex in pairs(root, lessons):
        rel = ex.relative_to(root)
        if not ex.exists():
            problems.append(f"{rel}: missing (generate it from {sol.relative_to(root)})")
            continue
        if not same_cells(make_exercise(nbformat.read(sol, as_version=4)), nbformat.read(ex, as_version=4)):
            problems.append(f"{rel}: differs from what {sol.relative_to(root)} generates")
    solved = {s.name for s, _ in pairs(root)}
    for ex in sorted((root / "exercises").glob("[0-9][0-9]-*.ipynb")):
        if lessons and not any(ex.name.startswith(str(nn)) for nn in lessons):
            continue
        if ex.name not in solved:
            problems.append(f"{ex.relative_to(root)}: has no solutions/{ex.name} "
                            "(exercises are generated, never written by hand)")
    return problems


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def tidy_outputs(nb):
    """Make executed outputs the same at every run.

    - A widget's view output names a random model id, and without saved widget state it
      cannot be shown anyway: keep only its text form.
    - A cell's consecutive prints may arrive as one stream output or several, depending on
      timing: merge consecutive stream outputs of the same name.
    """
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        if cell.get("cell_type") != "code":
            continue
        cell.metadata.pop("execution", None)
        tidy = []
        for out in cell.get("outputs", []):
            data = out.get("data")
            if data and WIDGET_VIEW in data:
                data.pop(WIDGET_VIEW)
            if (out.get("output_type") == "stream" and tidy and tidy[-1].get("output_type") == "stream"
                    and tidy[-1].get("name") == out.get("name")):
                tidy[-1]["text"] = "".join(tidy[-1]["text"]) + "".join(out["text"])
                continue
            tidy.append(out)
        cell.outputs = tidy
    return nb


def execute(nb, cwd, timeout=120):
    """Run a notebook top to bottom in a fresh python3 kernel; outputs tidied (see tidy_outputs)."""
    from nbclient import NotebookClient

    NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False, store_widget_state=False,
                   resources={"metadata": {"path": str(cwd)}}).execute()
    return tidy_outputs(nb)


def generate(root=ROOT, lessons=None, *, run=True, force=False, log=print):
    """Write every exercise notebook whose cells changed (all with force). Returns the paths written."""
    import nbformat

    written = []
    for sol, ex in pairs(root, lessons):
        new = make_exercise(nbformat.read(sol, as_version=4))
        if not force and ex.exists() and same_cells(new, nbformat.read(ex, as_version=4)):
            log(f"unchanged  {ex.relative_to(root)}")
            continue
        if run:
            execute(new, ex.parent)
        ex.parent.mkdir(exist_ok=True)
        nbformat.write(new, ex)
        written.append(ex)
        log(f"{'written ' if not run else 'executed'}   {ex.relative_to(root)}")
    return written


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m helpers.authoring", description=__doc__.split("\n")[0])
    parser.add_argument("lessons", nargs="*", help="lesson numbers NN to work on (default: all)")
    parser.add_argument("--check", action="store_true", help="exit 1 listing exercise notebooks that differ")
    parser.add_argument("--no-execute", action="store_true", help="write exercise notebooks without running them")
    parser.add_argument("--force", action="store_true", help="rewrite (and re-run) every exercise notebook")
    parser.add_argument("--root", default=str(ROOT), help="the project folder (holding solutions/ and exercises/)")
    args = parser.parse_args(argv)
    root = Path(args.root).resolve()
    if not (root / "solutions").is_dir():
        print(f"no solutions/ folder in {root}", file=sys.stderr)
        return 2
    try:
        if args.check:
            problems = differences(root, args.lessons)
            for p in problems:
                print(p)
            if problems:
                print("run `python -m helpers.authoring` (make exercises) to regenerate", file=sys.stderr)
                return 1
            print(f"exercises/ matches solutions/ ({len(pairs(root, args.lessons))} notebooks)")
            return 0
        generate(root, args.lessons, run=not args.no_execute, force=args.force)
    except AuthoringError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


# ---------------------------------------------------------------- nbgrader


def nbgrader_clear_solutions():
    """nbgrader's ClearSolutions plus the one-line `# SOLUTION` rule (imports nbgrader)."""
    from nbgrader.preprocessors import ClearSolutions

    class ClearSolutionsAndLines(ClearSolutions):
        def _replace_solution_region(self, cell, language):
            lines = False
            if cell.cell_type == "code":
                cell.source, lines = clear_solution_lines(cell.source)
            return super()._replace_solution_region(cell, language) or lines

    return ClearSolutionsAndLines


def configure_nbgrader(c):
    """In nbgrader_config.py: `configure_nbgrader(c)` makes generate_assignment clear
    `NAME = value  # SOLUTION` lines as `python -m helpers.authoring` does."""
    from nbgrader.converters import GenerateAssignment
    from nbgrader.preprocessors import ClearSolutions

    ours = nbgrader_clear_solutions()
    default = GenerateAssignment.class_traits()["preprocessors"].default()
    c.GenerateAssignment.preprocessors = [ours if p is ClearSolutions else p for p in default]
    return c


if __name__ == "__main__":
    sys.exit(main())
