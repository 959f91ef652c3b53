"""A classroom on a real JupyterHub: two learners at once, through the hub and its proxy only.

JupyterHub (its own venv) and configurable-http-proxy (npm) run on 127.0.0.1 with
DummyAuthenticator and SimpleLocalProcessSpawner; the learners' environment holds the suite's
wheel, as a user image would, and each learner gets the lessons with nbgitpuller from a git
repository made of this checkout's notebooks. Each learner logs in, starts a server, runs lesson
01 and exercise 01 over the kernel's websocket (typing one right and one wrong answer) and saves
the exercise; then the servers stop, the work is checked on disk, one server starts again and
its work is checked through the contents API; then the hub stops, and with it every process it
started (each recorded by id). See tools/hub_setup.py, hub_harness.py, hub_learner.py and
hub_class.py; `make bench-hub LEARNERS=20` runs the same class, larger.

`make test` sets up the environments first (.venv/hub/, cached); run alone, the first run sets
them up itself (two minutes), and later runs reinstall only the wheel, when helpers/ changed.
"""

import asyncio
import subprocess
import time
from types import SimpleNamespace

import hub_class  # tools/ is on pytest's pythonpath
import hub_harness as harness
import hub_setup
import pytest

pytestmark = pytest.mark.slow

LEARNERS = ["ada", "blaise"]
TIMEOUT = 120  # seconds, for any one request of a learner


async def _answers_in_server(learner):
    """Exercise 01 as the restarted server serves it: its answer cells, by grade_id."""
    notebook = await learner.open(f"{hub_class.TARGET}/{hub_class.EXERCISE}")
    return {c["metadata"].get("nbgrader", {}).get("grade_id"): "".join(c["source"]) for c in notebook["cells"]}


@pytest.fixture(scope="module")
def classroom(tmp_path_factory):
    """Run the whole class once; the tests below look at what happened."""
    times, start = {}, time.monotonic()
    setup = hub_setup.ensure_all()
    times["set-up"] = time.monotonic() - start
    tmp = tmp_path_factory.mktemp("hub")
    repo = hub_setup.lessons_repo(tmp / "lessons")
    answers, marks = hub_class.typed_answers()
    hub = harness.start_hub(tmp / "hub", setup, learners=len(LEARNERS), quick_ready=True)
    times["hub start"] = time.monotonic() - start - sum(times.values())
    out = SimpleNamespace(setup=setup, hub=hub, answers=answers, marks=marks, times=times)
    try:
        out.results = asyncio.run(hub_class.run_class(
            hub.url, LEARNERS, repo, answers, TIMEOUT, probe=lambda name: harness.usage(hub.proc.pid, name),
            tick=hub.record))
        times["class"] = time.monotonic() - start - sum(times.values())
        hub.record()
        out.stopped = asyncio.run(hub_class.each(hub.url, out.results, TIMEOUT, "stop_server"))
        out.on_disk = {r.name: hub_class.saved_answers(hub.home(r.name) / hub_class.TARGET / hub_class.EXERCISE,
                                                      answers) for r in out.results if not r.error}
        times["servers stop"] = time.monotonic() - start - sum(times.values())
        again = out.results[:1]  # one learner comes back (each start costs ~2 s of CPU)
        out.restarted = asyncio.run(hub_class.each(hub.url, again, TIMEOUT, "start_server"))
        out.served = asyncio.run(hub_class.each(hub.url, again, TIMEOUT, _answers_in_server))
        times["restart"] = time.monotonic() - start - sum(times.values())
    finally:
        out.left = harness.stop_hub(hub)
        times["hub stop"] = time.monotonic() - start - sum(times.values())
    out.alive = [pid for pid, started in hub.seen.items() if harness.alive(pid, started)]
    print("hub smoke test: " + ", ".join(f"{k} {v:.1f} s" for k, v in times.items())
          + f"; {time.monotonic() - start:.1f} s in all")
    yield out


def _log_tail(hub, lines=60):
    """The end of the hub's log, without the proxy's routine route checks, for a failure message."""
    log = (hub.workdir / "jupyterhub.log").read_text(errors="replace").splitlines()
    kept = [line for line in log if "GET /api/routes" not in line]
    return f"the end of {hub.workdir / 'jupyterhub.log'}:\n" + "\n".join(kept[-lines:])


def test_each_learner_ran_lesson_01_and_exercise_01_as_committed(classroom):
    for result in classroom.results:
        found = hub_class.problems(result, classroom.marks)
        assert not found, f"{result.name}:\n" + "\n".join(found[:5]) + \
            f"\n(hub log: {classroom.hub.workdir / 'jupyterhub.log'})"
        assert result.first_output is not None and result.lesson_run is not None


def test_the_checks_say_right_and_wrong_to_what_was_typed(classroom):
    for result in classroom.results:
        assert not result.error, result.error
        cells = hub_class.committed_code_cells(result.exercise.notebook)
        said = {}
        for i, cell in enumerate(cells):
            grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
            if grade_id in classroom.answers:
                assert "".join(cell["source"]) == classroom.answers[grade_id]
                said[grade_id] = "".join(o.get("text", "") for o in cells[i + 1]["outputs"])
        assert said["ex1-answer"].startswith("✅"), said["ex1-answer"]
        assert said["ex2-answer"].startswith("❌") and "Z[1,2]" in said["ex2-answer"], said  # the wrong cell named


def test_the_lessons_came_by_nbgitpuller_and_the_suite_as_a_wheel(classroom):
    for result in classroom.results:
        home = classroom.hub.home(result.name)
        assert (home / hub_class.TARGET / ".git").is_dir(), "nbgitpuller did not clone the lessons"
        assert (home / hub_class.TARGET / hub_class.LESSON).is_file()
    py = classroom.setup.user_env / "bin" / "python"
    where = subprocess.run([py, "-c", "import helpers; print(helpers.__file__)"], capture_output=True, text=True,
                           cwd=classroom.hub.workdir, check=True).stdout
    assert "/site-packages/helpers/" in where, where  # installed from the wheel, not an editable checkout
    # the wheel's console script, with lesson 12's trained weights, which come as package data
    done = subprocess.run([classroom.setup.user_env / "bin" / "byhand", "translate", "the red car"],
                          capture_output=True, text=True, cwd=classroom.hub.workdir)
    assert done.returncode == 0 and done.stdout.strip() == "el coche rojo", done.stderr


def test_the_work_is_in_each_home_after_the_servers_stop(classroom):
    assert all(error is None for _, error in classroom.stopped.values()), classroom.stopped
    assert classroom.on_disk == {name: True for name in LEARNERS}


def test_the_work_is_served_again_after_a_restart(classroom):
    assert classroom.restarted and all(error is None for _, error in classroom.restarted.values()), \
        classroom.restarted
    for name, (served, error) in classroom.served.items():
        assert error is None, error
        for grade_id, source in classroom.answers.items():
            assert served[grade_id] == source, f"{name}'s {grade_id} after the restart: {served[grade_id]!r}"


def test_every_process_the_hub_started_has_stopped(classroom):
    # the proxy, then per learner a server and the kernels of lesson 01 and exercise 01
    assert len(classroom.hub.seen) >= 1 + 3 * len(LEARNERS), "the hub's processes were not recorded"
    assert classroom.left == [], (f"still running after the hub stopped (killed by id): {classroom.left}\n"
                                  + _log_tail(classroom.hub))
    assert classroom.alive == []


def test_memory_per_learner_was_measured(classroom):
    for result in classroom.results:
        assert result.usage and result.usage["server_mb"] > 20 and len(result.usage["kernel_mb"]) == 1, result.usage
