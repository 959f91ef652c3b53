"""The wheel, the way a JupyterHub administrator puts the suite into a user image: built from a copy
of the sources with fixed timestamps (tools/suite_wheel.py, cached by the sources' sha256), it holds
every file of helpers/ and requires the learner's six packages, nothing else.

That the installed wheel really runs the lessons is tested where an administrator would use it: in
tests/test_hub.py, whose learners' environment holds this wheel (pip install, then pip check) and runs
lesson 01 and exercise 01 through a real hub, comparing every output with the committed one, and its
`byhand` command.
"""

import zipfile
from pathlib import Path

import pytest
from suite_wheel import build_wheel, wheel_requirements  # tools/suite_wheel.py (pytest's pythonpath)

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel():
    return build_wheel()


def test_the_wheel_carries_every_module_and_data_file_of_helpers(wheel):
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
    wanted = {p.relative_to(ROOT).as_posix() for p in (ROOT / "helpers").rglob("*")
              if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"}
    assert wanted, "helpers/ is empty?"
    missing = wanted - names
    assert not missing, f"the wheel lacks {sorted(missing)}: see [tool.setuptools] in pyproject.toml"
    assert not any(n.startswith(("tests/", "notebooks/", "solutions/")) for n in names)


def test_the_wheel_requires_the_learners_six_packages_only(wheel):
    names = {spec.split(">")[0].split("=")[0].split("<")[0].strip().lower() for spec in wheel_requirements(wheel)}
    assert names == {"numpy", "matplotlib", "ipywidgets", "jupyterlab", "nbval", "threadpoolctl"}
