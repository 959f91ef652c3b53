"""The suite's wheel, built the way an administrator would get it, for the tests that install it
(tests/test_wheel.py, the JupyterHub set-up in tools/hub_setup.py).

Built from a copy of what a source distribution holds (no build/ or egg-info left in the checkout),
with fixed timestamps so that the same sources give the same bytes, and cached under
.venv/wheels/<sha256 of the sources>/ so a warm run does not build it again.
"""

import hashlib
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".venv" / "wheels"
SOURCES = ["pyproject.toml", "README.md", "LICENSE"]  # plus helpers/: what the wheel is built from


def source_digest():
    """sha256 (16 hex digits) of every file the wheel is built from, names included."""
    files = [ROOT / name for name in SOURCES]
    files += sorted(p for p in (ROOT / "helpers").rglob("*")
                    if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc")
    h = hashlib.sha256()
    for path in files:
        h.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def build_wheel():
    """The path of the suite's wheel for the current sources, built once per sha256 of them."""
    key = source_digest()
    for old in CACHE.glob("*"):
        if old.name != key:
            shutil.rmtree(old, ignore_errors=True)
    out = CACHE / key
    found = sorted(out.glob("transformers_by_hand-*.whl"))
    if found:
        return found[0]
    shutil.rmtree(out, ignore_errors=True)
    src, tmp = out / "src", out / "tmp"
    src.mkdir(parents=True)
    for name in SOURCES:
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(ROOT / "helpers", src / "helpers", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    env = dict(os.environ, SOURCE_DATE_EPOCH="1767225600")  # 2026-01-01
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                           "--wheel-dir", str(tmp), str(src)], capture_output=True, text=True, env=env)
    if done.returncode:
        raise RuntimeError(f"building the wheel failed:\n{(done.stdout + done.stderr)[-3000:]}")
    (built,) = tmp.glob("transformers_by_hand-*.whl")
    wheel = out / built.name
    built.rename(wheel)
    shutil.rmtree(src)
    shutil.rmtree(tmp)
    return wheel


def wheel_requirements(wheel):
    """The wheel's own requirements (not its extras), e.g. ['jupyterlab>=4.1', ...], sorted."""
    with zipfile.ZipFile(wheel) as z:
        meta = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
        lines = z.read(meta).decode().splitlines()
    return sorted(line.split(":", 1)[1].strip() for line in lines
                  if line.startswith("Requires-Dist:") and "extra ==" not in line)
