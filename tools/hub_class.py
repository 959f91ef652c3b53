"""A class on a JupyterHub: every learner of tools/hub_learner.py at once, each running lesson
01 and then exercise 01 with one right and one wrong answer typed in, and what to check
afterwards: outputs equal to the committed ones (sanitised like tests/sanitize.cfg; the cells
whose results depend on the typed answers must say ✅ / ❌ instead) and the work saved in the
learner's home. Used by tests/test_hub.py and benchmarks/hub.py.
"""

import ast
import asyncio
import configparser
import copy
import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from hub_learner import Learner, Run

ROOT = Path(__file__).resolve().parents[1]
TEXT_MIMES = ("text/plain", "text/html", "text/markdown", "text/latex")
TARGET = "transformers-by-hand"  # the folder nbgitpuller clones into, in the learner's home
LESSON = "notebooks/01-transformer-by-hand.ipynb"
EXERCISE = "exercises/01-transformer-by-hand.ipynb"
SOLUTION = ROOT / "solutions" / "01-transformer-by-hand.ipynb"


def typed_answers(solution=SOLUTION):
    """What the learner types into exercise 01: the first exercise answered right (the solution's
    answer cell), the second wrong (the solution's matrix with one cell off by one). Returns
    ({grade_id: source}, {grade_id: the mark its answer must get})."""
    cells = {c["metadata"].get("nbgrader", {}).get("grade_id"): "".join(c["source"])
             for c in json.loads(Path(solution).read_text())["cells"]}
    right = cells["ex1-answer"].replace("  # SOLUTION", "")
    name, value = cells["ex2-answer"].split("  # SOLUTION")[0].split(" = ", 1)
    wrong = ast.literal_eval(value)
    wrong[0][1] += 1
    return {"ex1-answer": right, "ex2-answer": f"{name} = {wrong!r}"}, {"ex1-answer": "✅", "ex2-answer": "❌"}


@dataclass
class Result:
    name: str
    error: str | None = None
    first_output: float | None = None  # seconds from the login request to the lesson's first output
    server_start: float | None = None  # seconds from the spawn request to the server being ready
    lesson_run: float | None = None  # seconds from the lesson's first execute_request to its last reply
    lesson: Run | None = None
    exercise: Run | None = None
    committed: dict = field(default_factory=dict)  # path -> the notebook as opened, before running
    usage: dict | None = None  # what `probe` measured once the lesson had run
    token: str | None = None  # the learner's API token, to stop or restart the server later


async def session(hub_url, name, repo, answers, timeout, probe=None):
    """One learner's class, from the login to the saved exercise. Never raises: a failure is
    recorded in Result.error (the benchmark counts them)."""
    learner, result = Learner(hub_url, name, timeout), Result(name)
    start = time.monotonic()
    try:
        await learner.login()
        result.token = learner.token
        spawn = time.monotonic()
        await learner.start_server()
        result.server_start = time.monotonic() - spawn
        await learner.git_pull(repo, TARGET)
        for path in (LESSON, EXERCISE):
            notebook = await learner.open(f"{TARGET}/{path}")
            result.committed[path] = copy.deepcopy(notebook)
            run = await learner.run_notebook(f"{TARGET}/{path}", notebook, answers if path == EXERCISE else None)
            if path == LESSON:
                result.lesson = run
                result.first_output = run.first_output - start
                result.lesson_run = run.finished - run.started
                result.usage = probe(name) if probe else None
            else:
                result.exercise = run
        await learner.save(f"{TARGET}/{EXERCISE}", result.exercise.notebook)
    except Exception as err:  # noqa: BLE001 -- a learner's failure is a figure, not a crash
        result.error = f"{type(err).__name__}: {err}"
    finally:
        learner.close()
    return result


def problems(result, marks, subs=None):
    """What went wrong for this learner: outputs that differ from the committed ones (the cells
    whose results depend on the typed answers excepted: those must say `marks` instead)."""
    if result.error:
        return [result.error]
    subs = subs if subs is not None else sanitizers()
    found = []
    for run in (result.lesson, result.exercise):
        cells = committed_code_cells(result.committed[run.path.removeprefix(f"{TARGET}/")])
        if len(cells) != len(run.outputs):
            found.append(f"{run.path}: {len(run.outputs)} of {len(cells)} code cells ran")
        typed = typed_cells(cells, marks) if run is result.exercise else {}
        for i, (cell, outputs) in enumerate(zip(cells, run.outputs)):
            text = "".join(o.get("text", "") for o in outputs if o["output_type"] == "stream")
            if i in typed:
                if typed[i] and not typed[i].search(text):
                    found.append(f"{run.path} code cell {i}: expected /{typed[i].pattern}/, got {text[:200]!r}")
                continue
            want, got = text_outputs(cell.get("outputs", []), subs), text_outputs(outputs, subs)
            if want != got:
                found.append(f"{run.path} code cell {i} ({''.join(cell['source'])[:60]!r}): "
                             f"committed {str(want)[:300]}, got {str(got)[:300]}")
    return found


def typed_cells(cells, marks):
    """{index of a code cell: what its printed output must match, or None}: each answered cell
    (no output), the check cell after it (starts with its mark) and the progress cell (counts
    the marks)."""
    typed = {}
    for i, cell in enumerate(cells):
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id in marks:
            typed[i], typed[i + 1] = None, re.compile("^" + re.escape(marks[grade_id]))
        elif grade_id == "progress":
            right, wrong = (sum(m == mark for m in marks.values()) for mark in ("✅", "❌"))
            typed[i] = re.compile(rf"\b{right} of \d+ correct, {wrong} incorrect")
    return typed


def saved_answers(path, answers):
    """Whether the notebook file at `path` holds the typed answers (read from disk)."""
    cells = {c["metadata"].get("nbgrader", {}).get("grade_id"): "".join(c["source"])
             for c in json.loads(Path(path).read_text())["cells"]}
    return all(cells.get(grade_id) == source for grade_id, source in answers.items())


async def run_class(hub_url, names, repo, answers, timeout, probe=None, tick=None):
    """Every learner's session at once; `tick()` is called every second meanwhile (the harness
    notes the processes the hub started). Returns the Results, in the order of `names`."""
    async def ticking():
        while True:
            tick()
            await asyncio.sleep(1)
    ticker = asyncio.ensure_future(ticking()) if tick else None
    try:
        return await asyncio.gather(*(session(hub_url, n, repo, answers, timeout, probe) for n in names))
    finally:
        if ticker:
            ticker.cancel()


async def each(hub_url, results, timeout, action):
    """`action` for every learner at once, with the learner's token: a Learner method's name
    ("stop_server", "start_server") or an async function of a Learner. Returns
    {name: (what it returned, None) or (None, the error)}."""
    async def one(result):
        learner = Learner(hub_url, result.name, timeout)
        learner.token = result.token
        try:
            call = getattr(learner, action) if isinstance(action, str) else (lambda: action(learner))
            return await call(), None
        except Exception as err:  # noqa: BLE001
            return None, f"{getattr(action, '__name__', action)}: {type(err).__name__}: {err}"
        finally:
            learner.close()
    with_token = [r for r in results if r.token]
    done = await asyncio.gather(*(one(r) for r in with_token))
    return {r.name: d for r, d in zip(with_token, done)}


# -- comparing outputs --------------------------------------------------------------------------

def sanitizers(cfg=ROOT / "tests" / "sanitize.cfg"):
    """The (regex, replacement) pairs of nbval's sanitize file that `make test` uses."""
    parser = configparser.ConfigParser()
    parser.read(cfg)
    return [(re.compile(parser[s]["regex"]), parser[s]["replace"]) for s in parser.sections()]


def text_outputs(outputs, subs):
    """The text of a cell's outputs, as nbval compares them (images and widget views left out),
    sanitised like tests/sanitize.cfg."""
    def clean(text):
        text = "".join(text) if isinstance(text, list) else text
        for regex, repl in subs:
            text = regex.sub(repl, text)
        return text
    found = []
    for out in outputs:
        kind = out["output_type"]
        if kind == "stream":
            found.append((kind, out["name"], clean(out["text"])))
        elif kind == "error":
            found.append((kind, out["ename"], clean(out["evalue"])))
        else:
            found.append((kind, tuple((m, clean(out["data"][m])) for m in TEXT_MIMES if m in out["data"])))
    return found


def committed_code_cells(notebook):
    return [c for c in notebook["cells"] if c["cell_type"] == "code"]
