"""Set-up of a real JupyterHub for the suite, the way an administrator would make it: a hub
environment, its proxy, and the learners' environment holding the suite's wheel (used by
tools/hub_harness.py, tests/test_hub.py and benchmarks/hub.py).

    python tools/hub_setup.py     # what `make test` and `make bench-hub` run first

Everything lives under .venv/hub/, each part keyed by what it is made from, so that a second
set-up reinstalls nothing:

    hub-KEY/       the hub's own venv: jupyterhub (KEY: the pin below)
    proxy-V-nodeN/ configurable-http-proxy V from npm, for this machine's Node N (5.x for Node >= 20,
                   else 4.6.x, which runs on Node 10 and later, Debian's 18 among them)
    user-KEY/      the learners' environment, as in a user image: the wheel and its requirements,
                   jupyterhub (for jupyterhub-singleuser) and nbgitpuller (KEY: those requirements);
                   the wheel itself is reinstalled, without its dependencies, when its sha256 changes
"""

import hashlib
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from suite_wheel import build_wheel, wheel_requirements  # tools/suite_wheel.py

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".venv" / "hub"
# The hub and the single-user servers run the same JupyterHub, as a hub image and a user image would.
JUPYTERHUB = "jupyterhub==6.1.1"
NBGITPULLER = "nbgitpuller==1.3.0"  # teachers' way of handing out notebooks: a link that clones a repo
CHP_FOR_NODE = [(20, "5.3.0"), (10, "4.6.3")]  # (oldest Node major, configurable-http-proxy version)
# jsonschema's optional rfc3987-syntax (and its lark) cost ~2 s of import in every Jupyter server
# start; no Jupyter schema needs them. The Makefile's `after_install` drops them too.
SLOW_IMPORTS = ["rfc3987-syntax", "lark"]


def run(*cmd, **kwargs):
    done = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kwargs)
    if done.returncode:
        raise RuntimeError(f"{' '.join(map(str, cmd))} failed:\n{(done.stdout + done.stderr)[-3000:]}")
    return done


def _digest(*parts):
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def _fresh(prefix, name):
    """CACHE/prefix-name, removing any other prefix-* (an older key) first."""
    for old in CACHE.glob(f"{prefix}-*"):
        if old.name != f"{prefix}-{name}":
            shutil.rmtree(old, ignore_errors=True)
    return CACHE / f"{prefix}-{name}"


def node_major():
    try:
        out = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout
        return int(out.strip().lstrip("v").split(".")[0])
    except (OSError, ValueError):
        return None


def ensure_proxy():
    """configurable-http-proxy from npm, into .venv/hub/proxy-*/: returns its command."""
    major = node_major()
    version = next((v for oldest, v in CHP_FOR_NODE if major and major >= oldest), None)
    if version is None:
        raise RuntimeError(f"configurable-http-proxy needs Node >= 10, found {major or 'none'}: "
                           "apt-get install nodejs npm (make test does, as root)")
    dest = _fresh("proxy", f"{version}-node{major}")
    command = dest / "node_modules" / ".bin" / "configurable-http-proxy"
    if not (dest / "ready").exists():
        dest.mkdir(parents=True, exist_ok=True)
        run("npm", "install", "--prefix", dest, "--no-audit", "--no-fund", "--loglevel=error",
            f"configurable-http-proxy@{version}")
        (dest / "ready").write_text(version + "\n")
    return command


def _venv(prefix, packages):
    """A venv holding `packages` (pip's requirement strings), made once per set of them."""
    dest = _fresh(prefix, _digest(*sorted(packages)))
    if not (dest / "ready").exists():
        shutil.rmtree(dest, ignore_errors=True)
        run(sys.executable, "-m", "venv", dest)
        run(dest / "bin" / "python", "-m", "pip", "install", "--quiet", *packages)
        run(dest / "bin" / "python", "-m", "pip", "uninstall", "--quiet", "--yes", *SLOW_IMPORTS)
        (dest / "ready").write_text("\n".join(sorted(packages)) + "\n")
    return dest


def ensure_hub_env():
    return _venv("hub", [JUPYTERHUB])


def ensure_user_env(wheel):
    """The learners' environment: the wheel's requirements, jupyterhub and nbgitpuller (once),
    then the wheel itself whenever its sha256 changes."""
    env = _venv("user", [*wheel_requirements(wheel), JUPYTERHUB, NBGITPULLER])
    py = env / "bin" / "python"
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    stamp = env / "wheel-sha256"
    if not stamp.exists() or stamp.read_text() != digest:
        run(py, "-m", "pip", "install", "--quiet", "--no-deps", "--force-reinstall", wheel)
        run(py, "-m", "pip", "check")
        stamp.write_text(digest)
    return env


@dataclass
class Setup:
    hub_env: Path
    user_env: Path
    proxy: Path
    wheel: Path
    seconds: float


def ensure_all():
    """Everything a hub needs; seconds spent (0.x when nothing had to be installed)."""
    start = time.perf_counter()
    proxy = ensure_proxy()
    hub_env = ensure_hub_env()
    wheel = build_wheel()
    user_env = ensure_user_env(wheel)
    return Setup(hub_env, user_env, proxy, wheel, time.perf_counter() - start)


def lessons_repo(dest, folders=("notebooks", "exercises")):
    """A git repository of the lessons and exercises (as a teacher pushes them to GitHub), made
    from this checkout's files; returns the URL nbgitpuller clones from."""
    dest = Path(dest)
    for folder in folders:
        shutil.copytree(ROOT / folder, dest / folder, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    who = {"GIT_AUTHOR_NAME": "Teacher", "GIT_AUTHOR_EMAIL": "teacher@example.org",
           "GIT_COMMITTER_NAME": "Teacher", "GIT_COMMITTER_EMAIL": "teacher@example.org"}
    env = dict(os.environ, **who)
    run("git", "init", "--quiet", "--initial-branch=main", dest, env=env)
    run("git", "-C", dest, "add", "--all", env=env)
    run("git", "-C", dest, "-c", "commit.gpgsign=false", "commit", "--quiet", "-m", "the lessons", env=env)
    return f"file://{dest}"


if __name__ == "__main__":
    done = ensure_all()
    print(f"hub set-up: {done.seconds:.1f} s ({done.hub_env.name}, {done.user_env.name}, "
          f"{done.proxy.parents[2].name}, {done.wheel.name})")
