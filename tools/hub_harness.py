"""A real JupyterHub on this machine, on 127.0.0.1 only, for tests/test_hub.py and
benchmarks/hub.py: DummyAuthenticator (any name and password) and SimpleLocalProcessSpawner
(each learner's home a folder of a temporary directory), with the environments of
tools/hub_setup.py; the simulated learners are in tools/hub_learner.py and tools/hub_class.py.

Every process the hub starts (the proxy, the servers, their kernels) is recorded by id, by
scanning /proc for the hub's descendants while it runs, and stopped by id at the end. The same
scan measures each learner's memory (PSS and RSS from /proc/PID/smaps_rollup) and CPU time.
"""

import os
import signal
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path


def _stat(pid):
    """(ppid, start time in clock ticks, utime + stime in ticks) of a live process, or None."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()  # after "pid (comm) "
    return int(fields[1]), int(fields[19]), int(fields[11]) + int(fields[12])


def descendants(pid):
    """{pid: start time} of every live descendant of pid."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (st := _stat(int(entry))):
            children.setdefault(st[0], []).append((int(entry), st[1]))
    found, todo = {}, [pid]
    while todo:
        for child, started in children.get(todo.pop(), []):
            found[child] = started
            todo.append(child)
    return found


def memory_kb(pid, kind="Pss"):
    """A process's proportional (Pss: shared pages divided among their users) or resident (Rss)
    set size, from /proc/PID/smaps_rollup."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith(kind + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def cpu_seconds(pid):
    st = _stat(pid)
    return st[2] / os.sysconf("SC_CLK_TCK") if st else 0.0


def server_pid(hub_pid, user):
    """The single-user server of `user` among the hub's children (JUPYTERHUB_USER in its environment)."""
    wanted = f"JUPYTERHUB_USER={user}".encode()
    for pid in descendants(hub_pid):
        try:
            if wanted in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0"):
                if b"jupyterhub-singleuser" in Path(f"/proc/{pid}/cmdline").read_bytes():
                    return pid
        except OSError:
            continue
    return None


def usage(hub_pid, user):
    """PSS and RSS (MB) and CPU seconds of a learner's server and of its kernels, or None if no server."""
    pid = server_pid(hub_pid, user)
    if pid is None:
        return None
    kernels = list(descendants(pid))
    return {"server_mb": memory_kb(pid) / 1024, "kernel_mb": [memory_kb(k) / 1024 for k in kernels],
            "server_rss_mb": memory_kb(pid, "Rss") / 1024,
            "kernel_rss_mb": [memory_kb(k, "Rss") / 1024 for k in kernels],
            "cpu_s": cpu_seconds(pid) + sum(cpu_seconds(k) for k in kernels)}


# -- the hub ------------------------------------------------------------------------------------

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


CONFIG = """\
c = get_config()  # noqa
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = {port}
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {hub_port}
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{api_port}"
c.ConfigurableHTTPProxy.command = [{proxy!r}]
c.ConfigurableHTTPProxy.pid_file = {workdir!r} + "/proxy.pid"
c.JupyterHub.db_url = "sqlite:///" + {workdir!r} + "/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = {workdir!r} + "/cookie_secret"
c.JupyterHub.pid_file = {workdir!r} + "/jupyterhub.pid"
c.JupyterHub.authenticator_class = "dummy"  # any name, any password: for tests only
c.Authenticator.allow_all = True
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = {homes!r} + "/{{username}}"
c.Spawner.cmd = [{singleuser!r}]
c.Spawner.args = {args!r}
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = {start_timeout}
c.Spawner.http_timeout = {http_timeout}
c.JupyterHub.concurrent_spawn_limit = {spawn_limit}

# LocalProcessSpawner picks a random free port, which the server binds only seconds later; with
# many servers and kernels starting at once, a kernel's ZMQ socket can take it first (seen here
# with 20 learners). Servers get ports below the kernels' ephemeral range instead.
import itertools, socket  # noqa: E401,E402
_ports = itertools.cycle(range({low_port}, {high_port}))


def _pick_port(spawner):
    for port in itertools.islice(_ports, {high_port} - {low_port}):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        spawner.port = port
        return
    raise RuntimeError("no free port for a single-user server")


c.Spawner.pre_spawn_hook = _pick_port
"""

# For the smoke test only: the hub checks a new server over HTTP at growing intervals (0.2, 0.4,
# 0.8, 1.6, 3.2 s), so a server ready after 2.3 s is seen at 6.2 s. This spawner returns once the
# server's port accepts a connection, and the hub's first check finds it ready. The benchmark
# keeps the stock spawner, so its figures are a stock hub's.
QUICK_READY = """
import asyncio  # noqa: E402
from jupyterhub.spawner import SimpleLocalProcessSpawner  # noqa: E402


class QuickReadySpawner(SimpleLocalProcessSpawner):
    async def start(self):
        ip, port = await super().start()
        for _ in range(int(self.start_timeout / 0.05)):
            if self.proc.poll() is not None:
                break  # it died: the hub's own check reports it
            try:
                _, writer = await asyncio.open_connection(ip or "127.0.0.1", port)
            except OSError:
                await asyncio.sleep(0.05)
                continue
            writer.close()
            break
        return ip, port


c.JupyterHub.spawner_class = QuickReadySpawner
"""


@dataclass
class Hub:
    proc: subprocess.Popen
    url: str
    workdir: Path
    homes: Path
    timeouts: dict
    seen: dict = field(default_factory=dict)  # pid -> start time, of every process the hub started

    def record(self):
        """Note the hub's descendants now (servers, kernels, the proxy), to stop them by id later."""
        self.seen.update(descendants(self.proc.pid))

    def home(self, user):
        return self.homes / user

    def cpu_seconds(self):
        """CPU seconds used so far by the hub and its proxy (not the servers)."""
        proxy = self.workdir / "proxy.pid"
        pids = [self.proc.pid] + ([int(proxy.read_text())] if proxy.exists() else [])
        return sum(cpu_seconds(pid) for pid in pids)


def timeouts_for(learners):
    """Spawn and HTTP time-outs for `learners` starting at once on this machine. Starts queue for
    the cores: 20 at once on 2 cores took 24 to 32 s each (up to ~3 s per learner per core), about
    JupyterHub's default HTTP time-out (30 s). Allow about four times that, and never less than
    the defaults (start 60 s, HTTP 30 s): 120 s each for 20 learners on 2 cores."""
    wait = 12 * learners / (os.cpu_count() or 1)
    return {"start_timeout": max(60, round(wait)), "http_timeout": max(30, round(wait))}


def server_ports():
    """A range of ports for single-user servers, below the kernels' ephemeral ports."""
    try:
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    return max(1024, low - 10000), low


def start_hub(workdir, setup, learners=2, timeouts=None, quick_ready=False):
    """Start JupyterHub (and, through it, the proxy) in `workdir`; returns when the hub answers.
    quick_ready: the hub learns a server is up as soon as it listens (QUICK_READY), not seconds later."""
    workdir = Path(workdir)
    homes = workdir / "home"
    homes.mkdir(parents=True, exist_ok=True)
    timeouts = timeouts or timeouts_for(learners)
    port = free_port()
    low_port, high_port = server_ports()
    config = CONFIG.format(low_port=low_port, high_port=high_port,
        port=port, hub_port=free_port(), api_port=free_port(), proxy=str(setup.proxy), workdir=str(workdir),
        homes=str(homes), singleuser=str(setup.user_env / "bin" / "jupyterhub-singleuser"),
        args=["--allow-root"] if os.geteuid() == 0 else [], spawn_limit=max(100, learners), **timeouts)
    config += QUICK_READY if quick_ready else ""
    (workdir / "jupyterhub_config.py").write_text(config)
    log = open(workdir / "jupyterhub.log", "w")
    env = dict(os.environ, PATH=f"{setup.hub_env / 'bin'}:{os.environ.get('PATH', '')}")
    proc = subprocess.Popen([setup.hub_env / "bin" / "jupyterhub", "-f", workdir / "jupyterhub_config.py"],
                            cwd=workdir, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    log.close()
    hub = Hub(proc, f"http://127.0.0.1:{port}", workdir, homes, timeouts)
    deadline = time.monotonic() + 60
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"JupyterHub exited:\n{(workdir / 'jupyterhub.log').read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{hub.url}/hub/api/", timeout=3):
                break
        except OSError:
            if time.monotonic() > deadline:
                stop_hub(hub)
                raise RuntimeError("JupyterHub did not answer within 60 s")
            time.sleep(0.2)
    hub.record()
    return hub


def alive(pid, started):
    st = _stat(pid)
    return st is not None and st[1] == started  # the same process, not a later one with its id


def stop_hub(hub, grace=30, linger=20):
    """Stop the hub (which stops every server, its kernels and the proxy), then anything it
    started that is still running `linger` seconds later, by id. Returns what had to be killed,
    as "pid: command line" strings."""
    hub.record()
    if hub.proc.poll() is None:
        hub.proc.send_signal(signal.SIGTERM)
        try:
            hub.proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            hub.proc.kill()
            hub.proc.wait()
    deadline = time.monotonic() + linger
    while any(alive(p, s) for p, s in hub.seen.items()) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = []
    for pid in [p for p, s in hub.seen.items() if alive(p, s)]:
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, FileNotFoundError):
            continue
        left.append(f"{pid}: {command.strip()}")
    return left
