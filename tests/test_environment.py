"""The set-up itself: pyproject.toml and environment.yml agree, `import helpers`
stays light, the two README commands are what CI runs, and set-up is idempotent."""

import re
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


def test_readme_states_the_two_commands_and_ci_runs_the_test_one():
    readme = (ROOT / "README.md").read_text()
    assert "make lab" in readme and "make test" in readme
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make test$", ci, re.M), ".ci/run must call the README's test command"


@pytest.mark.skipif(not (ROOT / ".venv" / ".installed").exists(), reason="needs the make-built .venv")
def test_setup_is_idempotent():
    """After one set-up, `make -q setup` reports nothing left to do (no reinstall)."""
    result = subprocess.run(["make", "-q", "setup"], cwd=ROOT, capture_output=True)
    assert result.returncode == 0, "make setup would reinstall although nothing changed"
