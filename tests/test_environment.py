"""The set-up itself: pyproject.toml and environment.yml agree, `import helpers`
stays light, the two README commands are what CI runs, and set-up is idempotent."""

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _requirement(spec):
    """'numpy>=1.26  # why' -> ('numpy', '>=1.26')"""
    spec = spec.split("#")[0].strip()
    m = re.fullmatch(r"([A-Za-z0-9_.\-]+)\s*(.*)", spec)
    return m.group(1).lower().replace("_", "-"), m.group(2).replace(" ", "")


def _conda_dependencies():
    deps, inside = [], False
    for line in (ROOT / "environment.yml").read_text().splitlines():
        if not line.startswith(" "):
            inside = line.startswith("dependencies:")
            continue
        m = inside and re.match(r"^  - ([^\s#:]+)\s*(#.*)?$", line)  # top-level conda entries only
        if m:
            deps.append(m.group(1))
    return deps


def test_environment_yml_lists_the_same_packages_as_pyproject():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    wanted = {_requirement(s) for s in pyproject["project"]["dependencies"]}
    conda = {_requirement(s) for s in _conda_dependencies()}
    conda -= {("python", ">=3.11"), ("pip", "")}
    assert conda == wanted, (
        f"environment.yml and pyproject.toml disagree.\n"
        f"only in environment.yml: {sorted(conda - wanted)}\n"
        f"only in pyproject.toml: {sorted(wanted - conda)}"
    )


def test_python_floor_agrees():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert pyproject["project"]["requires-python"] == ">=3.11"
    assert "python>=3.11" in _conda_dependencies()


def test_drift_detector_notices_a_change(tmp_path):
    """The comparison above is not vacuous: a changed bound is seen as a difference."""
    a = {_requirement("numpy>=1.26")}
    b = {_requirement("numpy>=1.25")}
    assert a != b
    assert _requirement("nbval>=0.11  # reason") == ("nbval", ">=0.11")


def test_import_helpers_loads_neither_matplotlib_nor_ipywidgets():
    code = "import sys, helpers; print(sorted(m for m in ('matplotlib', 'ipywidgets') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_slow_rfc3987_syntax_is_kept_out():
    """See the Makefile: this optional jsonschema extra costs ~1.3 s per process."""
    code = "import importlib.util as u; print(u.find_spec('rfc3987_syntax') is None)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"


def test_readme_states_the_two_commands_and_ci_runs_only_the_test_one():
    readme = (ROOT / "README.md").read_text()
    assert "make lab" in readme and "make test" in readme
    ci = (ROOT / ".ci" / "run").read_text()
    commands = [line.strip() for line in ci.splitlines()
                if line.strip() and not line.lstrip().startswith("#")]
    # the shebang is a comment; what remains: strict mode, the project folder, the README's command
    assert commands == ["set -euo pipefail", 'cd "$(dirname "$0")/.."', "make test"], commands


def test_a_learner_gets_the_six_packages_and_tests_get_their_extra():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = lambda specs: {_requirement(s)[0] for s in specs}  # noqa: E731
    learner = {"jupyterlab", "numpy", "matplotlib", "ipywidgets", "nbval", "threadpoolctl"}
    assert names(project["dependencies"]) == learner
    extras = project["optional-dependencies"]
    assert {"nbgrader", "playwright", "hypothesis", "torch", "pytest-xdist", "pypdfium2"} <= names(extras["test"])
    assert names(extras["teacher"]) == {"nbgrader"}


@pytest.mark.skipif(not (ROOT / ".venv" / ".installed-test").exists(), reason="needs the make-built .venv")
def test_setup_is_idempotent():
    """After one set-up, make has nothing left to do for either environment (no reinstall)."""
    for stamp in (".venv/.installed", ".venv/.installed-test"):
        result = subprocess.run(["make", "-q", stamp], cwd=ROOT, capture_output=True)
        assert result.returncode == 0, f"make would reinstall {stamp} although nothing changed"


def test_without_chromium_and_root_make_test_stops_at_once_saying_what_to_install(tmp_path):
    """Not root and no Chromium: one line naming the package, exit 1, no apt-get attempted."""
    cmd = ["make", "-s", "--no-print-directory", "test", f"CHROMIUM={tmp_path / 'no-chromium'}"]
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            pytest.fail("as root, this test runs make as `nobody` with runuser (util-linux)")
        cmd = ["runuser", "-u", "nobody", "--", *cmd]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "apt-get install chromium" in lines[0], done.stderr
