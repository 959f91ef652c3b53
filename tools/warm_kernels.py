"""Warm notebook kernels for the test run: each kernel is a fork of a process that has already
imported what every notebook imports.

A fresh Jupyter kernel spends most of its first second importing ipykernel, IPython, numpy,
matplotlib and helpers: about 1 s of CPU on a 2-core machine, for each of the 40-odd notebooks
that nbval runs. Here one process per pytest worker, the *zygote*, imports them once. Each
notebook's kernel is then a fork of the zygote: a new process that has run none of the notebook
(its execution count starts at 1, its namespace is empty), in the notebook's folder, with the
environment Jupyter gives it, in a session of its own — the same kernel, without the import time.

jupyter_client still manages every kernel. Only the function its LocalProvisioner calls to start
the process is replaced (`install`), for kernels of this very Python (`python -m ipykernel_launcher`),
and what it returns behaves as the subprocess.Popen it expects: poll, wait, send_signal, kill and
terminate, through a pidfd, since the kernel is the zygote's child and not ours.

    tests/conftest.py calls install() when nbval runs (Linux only: fork and pidfd);
    `make test WARM_KERNELS=0` starts every kernel cold, as Jupyter does.
"""

from __future__ import annotations

import importlib.util
import json
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# What a notebook's first cell and the kernel itself import. The backend is the inline one that
# ipykernel would choose, set before matplotlib reads it.
PRELOAD = ("ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.debugger", "IPython", "numpy", "matplotlib.pyplot",
           "matplotlib_inline.backend_inline", "ipywidgets", "helpers", "helpers.display", "helpers.widgets",
           "helpers.checks")
INLINE = "module://matplotlib_inline.backend_inline"
LAUNCHER = ["-m", "ipykernel_launcher"]


IMPORTS_SET = {}  # environment variables that PRELOAD's imports set, in the zygote


def supported():
    return sys.platform.startswith("linux") and hasattr(os, "fork") and hasattr(os, "pidfd_open")


# ---------------------------------------------------------------- the zygote (its own process)


def serve(sock_path, parent_pid):
    """Import PRELOAD, then fork a kernel for each request on the socket, until the parent is gone."""
    os.environ.setdefault("MPLBACKEND", INLINE)
    before = dict(os.environ)
    for name in PRELOAD:
        importlib.import_module(name)
    # what the imports put in the environment (debugpy: PYDEVD_USE_FRAME_EVAL=NO when unset); a cold
    # kernel's imports put it in the notebook's environment, so each fork does the same
    global IMPORTS_SET
    IMPORTS_SET = {k: v for k, v in os.environ.items() if k not in before}
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernels are reaped by the system
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(sock_path)
    server.listen(8)
    server.settimeout(1.0)
    children = set()
    print("ready", flush=True)
    try:
        while os.getppid() == parent_pid:
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(None)
                request = json.loads(conn.makefile("r").readline())
                pid = _fork_kernel(server, conn, request)
                children.add(pid)
                conn.sendall((json.dumps({"pid": pid}) + "\n").encode())
    finally:
        for pid in children:  # a kernel that outlived the test run
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass


def _fork_kernel(server, conn, request):
    """Fork; the child becomes the kernel. Returns the child's pid once it leads a session of its own."""
    ready_r, ready_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            server.close()
            conn.close()
            os.close(ready_r)
            os.setsid()  # as Popen(start_new_session=True): jupyter_client signals the kernel's group
            os.write(ready_w, b"x")
            os.close(ready_w)
            _become_kernel(request)
        finally:
            os._exit(1)
    os.close(ready_w)
    os.read(ready_r, 1)  # the child has its own session: its group is no longer ours
    os.close(ready_r)
    return pid


def _become_kernel(request):
    """In the forked child: the notebook's folder, environment and arguments, then the kernel."""
    import random

    import numpy as np

    signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the kernel's own subprocesses need their exit codes
    null = os.open(os.devnull, os.O_RDWR)
    log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(null, 0)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    for key, value in IMPORTS_SET.items():
        os.environ.setdefault(key, value)
    del sys.path[0]  # the zygote's folder; ipykernel_launcher removes the kernel's own in the same way
    sys.argv = [request["launcher"], *request["argv"][3:]]  # as `python -m ipykernel_launcher` sets it
    random.seed()
    np.random.seed()
    from ipykernel import kernelapp

    kernelapp.launch_new_instance()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


# ---------------------------------------------------------------- in the test process


class ForkedKernel:
    """A kernel forked by the zygote, as jupyter_client's LocalProvisioner sees a Popen."""

    stdin = stdout = stderr = None

    def __init__(self, pid, args):
        self.pid, self.args, self.returncode = pid, args, None
        try:
            self._fd = os.pidfd_open(pid)
        except ProcessLookupError:  # it has already exited
            self._fd, self.returncode = None, 0

    def poll(self):
        if self.returncode is None and select.select([self._fd], [], [], 0)[0]:
            self._exited()
        return self.returncode

    def wait(self, timeout=None):
        if self.returncode is None:
            if not select.select([self._fd], [], [], timeout)[0]:
                raise subprocess.TimeoutExpired(self.args, timeout)
            self._exited()
        return self.returncode

    def _exited(self):
        # the exit status went to the zygote, which let the system reap the kernel
        os.close(self._fd)
        self._fd, self.returncode = None, 0

    def send_signal(self, signum):
        if self.returncode is None:
            signal.pidfd_send_signal(self._fd, signum)

    def terminate(self):
        self.send_signal(signal.SIGTERM)

    def kill(self):
        self.send_signal(signal.SIGKILL)


class Zygote:
    """The zygote process of this test process: started at once, waited for at the first kernel."""

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="byhand-kernels-"))
        self.socket = str(self.dir / "zygote.sock")
        self.log = str(self.dir / "kernels.log")
        self.proc = subprocess.Popen(
            [sys.executable, __file__, self.socket, str(os.getpid())], stdout=subprocess.PIPE,
            stderr=open(self.log, "ab"), stdin=subprocess.DEVNULL, start_new_session=True, text=True)
        self.ready = False
        self.launcher = importlib.util.find_spec("ipykernel_launcher").origin

    def fork(self, argv, env, cwd):
        if not self.ready:
            line = self.proc.stdout.readline()
            if line.strip() != "ready":
                raise RuntimeError(f"the warm-kernel zygote did not start: see {self.log}")
            self.ready = True
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.connect(self.socket)
            request = {"argv": argv, "env": env, "cwd": cwd, "log": self.log, "launcher": self.launcher}
            s.sendall((json.dumps(request) + "\n").encode())
            return json.loads(s.makefile("r").readline())["pid"]

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        for p in self.dir.iterdir():
            p.unlink()
        self.dir.rmdir()


def install():
    """Start this process's zygote and route jupyter_client's kernels of this Python through it.
    Returns a function that undoes both."""
    from jupyter_client.provisioning import local_provisioner

    cold = local_provisioner.launch_kernel
    zygote = Zygote()

    def launch_kernel(cmd, stdin=None, stdout=None, stderr=None, env=None, independent=False, cwd=None, **kw):
        if list(cmd[:3]) != [sys.executable, *LAUNCHER]:
            return cold(cmd, stdin=stdin, stdout=stdout, stderr=stderr, env=env, independent=independent,
                        cwd=cwd, **kw)
        env = dict(os.environ if env is None else env)
        if not independent:
            env["JPY_PARENT_PID"] = str(os.getpid())
        start = time.perf_counter()
        pid = zygote.fork([os.path.expanduser(c) for c in cmd], env, os.fspath(cwd or os.getcwd()))
        launch_kernel.seconds += time.perf_counter() - start
        return ForkedKernel(pid, cmd)

    launch_kernel.seconds = 0.0
    launch_kernel.cold = cold
    local_provisioner.launch_kernel = launch_kernel

    def uninstall():
        local_provisioner.launch_kernel = cold
        zygote.stop()

    return uninstall


if __name__ == "__main__":
    serve(sys.argv[1], int(sys.argv[2]))
