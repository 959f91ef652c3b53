"""`make lab` really serves JupyterLab: /lab answers 200 with the token.

Runs the README's command itself (with --no-browser and a free port), so the
root check, the settings and the first-lesson path are all exercised. nbgrader is
installed for the tests, yet the learner's JupyterLab loads neither its server
extensions nor its lab extension."""

import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url, seconds, proc=None, log=None):
    deadline = time.monotonic() + seconds
    last = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"`make lab` exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:
                return resp.status, resp.read().decode("utf-8", "replace")
        except (urllib.error.URLError, ConnectionError, TimeoutError) as err:
            last = err
            time.sleep(0.5)
    raise AssertionError(f"{url} did not answer within {seconds} s (last error: {last})")


@pytest.mark.slow
def test_make_lab_serves_jupyterlab(tmp_path):
    port, token = free_port(), "byhand-test-token"
    args = f"--no-browser --ServerApp.ip=127.0.0.1 --ServerApp.port={port} --IdentityProvider.token={token}"
    log_path = tmp_path / "lab.log"
    log = open(log_path, "w")
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"))
    proc = subprocess.Popen(
        ["make", "-s", "lab", f"LAB_ARGS={args}"],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True,
    )
    try:
        status, body = wait_for(f"http://127.0.0.1:{port}/lab?token={token}", 90, proc, log_path)
        assert status == 200
        assert "JupyterLab" in body
        page_config = json.loads(re.search(
            r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', body, re.S).group(1))
        labextensions = {e["name"] for e in page_config["federated_extensions"]}
        if "@jupyter/nbgrader" in labextensions:  # installed (for the tests), so it must be disabled
            assert "@jupyter/nbgrader" in page_config["disabledExtensions"]
        # The lessons are the files JupyterLab serves.
        status, _ = wait_for(
            f"http://127.0.0.1:{port}/api/contents/notebooks/01-transformer-by-hand.ipynb?token={token}&content=0", 10
        )
        assert status == 200
        # Without the token, the API refuses.
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/contents", timeout=5)
            raise AssertionError("the server answered an API request without the token")
        except urllib.error.HTTPError as err:
            assert err.code == 403
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()
    text = log_path.read_text()
    assert "is not recommended. Use --allow-root" not in text, text[-2000:]
    assert "jupyterlab | extension was successfully loaded" in text, text[-2000:]  # the log is read
    loaded = [line for line in text.splitlines() if "nbgrader" in line and "extension was successfully" in line]
    assert not loaded, "nbgrader's server extensions load in the learner's JupyterLab:\n" + "\n".join(loaded)
    assert "00-start-here.ipynb" in subprocess.run(
        ["make", "-n", "lab"], cwd=ROOT, capture_output=True, text=True, check=True).stdout


def test_our_nbgrader_switch_outranks_nbgraders_own_config():
    """nbgrader's install (re)writes config files that enable it; jupyter_server reads the
    files of jupyter_server_config.d in name order, so ours, written after every install,
    must sort after every file that names nbgrader."""
    folder = ROOT / ".venv" / "etc" / "jupyter" / "jupyter_server_config.d"
    ours = folder / "zz-transformers-by-hand.json"
    assert json.loads(ours.read_text())["ServerApp"]["jpserver_extensions"] == {
        f"nbgrader.server_extensions.{name}": False
        for name in ("formgrader", "validate_assignment", "assignment_list", "course_list")}
    theirs = [p.name for p in folder.glob("*.json") if "nbgrader" in p.read_text() and p != ours]
    assert all(name < ours.name for name in theirs), theirs
