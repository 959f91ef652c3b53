"""`pip install .` without the checkout: the way a JupyterHub administrator puts the suite into
a user image. Build the wheel, install it into a venv of its own, and run lesson 01 and
exercise 01 there with nbval, from a folder that holds nothing but the two notebooks.

The venv is kept under .venv/wheel-test/ between runs: its dependencies are keyed by the
wheel's requirements (installing jupyterlab and the rest takes a minute, once), and the wheel
itself by its sha256 (reinstalled, without touching the dependencies, whenever it changes).
"""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from suite_wheel import build_wheel, wheel_requirements  # tools/suite_wheel.py (pytest's pythonpath)

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".venv" / "wheel-test"
NOTEBOOKS = ["notebooks/01-transformer-by-hand.ipynb", "exercises/01-transformer-by-hand.ipynb"]

pytestmark = pytest.mark.slow


def run(*cmd, **kwargs):
    done = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kwargs)
    assert done.returncode == 0, f"{' '.join(map(str, cmd))} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def wheel():
    """The wheel (tools/suite_wheel.py: from a copy of the sources, fixed timestamps, cached by their sha256)."""
    return build_wheel()


@pytest.fixture(scope="module")
def wheel_venv(wheel):
    """A venv holding the wheel and exactly what it requires (cached, see the module's doc)."""
    reqs = wheel_requirements(wheel)
    venv = CACHE / hashlib.sha256("\n".join(reqs).encode()).hexdigest()[:16]
    py = venv / "bin" / "python"
    if not (venv / "deps-ready").exists():
        shutil.rmtree(CACHE, ignore_errors=True)  # an older set of requirements, or a broken build
        run(sys.executable, "-m", "venv", venv)
        run(py, "-m", "pip", "install", "--quiet", wheel)  # the administrator's command, dependencies and all
        (venv / "deps-ready").write_text("\n".join(reqs) + "\n")
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    if (venv / "wheel-sha256").exists() and (venv / "wheel-sha256").read_text() == digest:
        return venv
    run(py, "-m", "pip", "install", "--quiet", "--no-deps", "--force-reinstall", wheel)
    run(py, "-m", "pip", "check")  # every requirement of the new wheel is met
    (venv / "wheel-sha256").write_text(digest)
    return venv


def test_the_wheel_carries_every_module_and_data_file_of_helpers(wheel):
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
    wanted = {p.relative_to(ROOT).as_posix() for p in (ROOT / "helpers").rglob("*")
              if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"}
    assert wanted, "helpers/ is empty?"
    missing = wanted - names
    assert not missing, f"the wheel lacks {sorted(missing)}: see [tool.setuptools] in pyproject.toml"
    assert not any(n.startswith(("tests/", "notebooks/", "solutions/")) for n in names)


def test_the_wheel_requires_the_learners_five_packages_only(wheel):
    names = {spec.split(">")[0].split("=")[0].split("<")[0].strip().lower() for spec in wheel_requirements(wheel)}
    assert names == {"numpy", "matplotlib", "ipywidgets", "jupyterlab", "nbval"}


def test_a_lesson_and_an_exercise_run_with_the_installed_wheel(wheel_venv, tmp_path):
    py = wheel_venv / "bin" / "python"
    # helpers comes from the venv's site-packages, not from a checkout
    where = run(py, "-c", "import helpers, json; print(json.dumps(helpers.__file__))", cwd=tmp_path).stdout
    assert "/site-packages/helpers/" in json.loads(where)
    for nb in NOTEBOOKS:
        (tmp_path / nb).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / nb, tmp_path / nb)
    shutil.copy(ROOT / "tests" / "sanitize.cfg", tmp_path / "sanitize.cfg")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "BYHAND_"))}
    done = subprocess.run(
        [py, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", tmp_path,
         "--nbval", "--nbval-current-env", "--nbval-sanitize-with", "sanitize.cfg", *NOTEBOOKS],
        cwd=tmp_path, capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stdout[-4000:]
    assert " passed" in done.stdout and " failed" not in done.stdout


def test_the_console_script_comes_with_the_wheel(wheel_venv, tmp_path):
    done = run(wheel_venv / "bin" / "byhand", "worksheet", "--help", cwd=tmp_path)
    assert "--kind" in done.stdout
