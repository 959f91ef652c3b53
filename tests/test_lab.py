"""`make lab` really serves JupyterLab: /lab answers 200 with the token.

Runs the README's command itself (with --no-browser and a free port), so the
root check, the settings and the first-lesson path are all exercised."""

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

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
        # The first lesson is the file JupyterLab was asked to open.
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
