"""A class on JupyterHub at once: LEARNERS learners log in, start a server, get the lessons with
nbgitpuller, run lesson 01 and exercise 01 (typing one right and one wrong answer) and save it,
all at the same time, through a real hub and its proxy on 127.0.0.1 (tools/hub_setup.py,
tools/hub_harness.py, tools/hub_learner.py, tools/hub_class.py).

    make bench-hub LEARNERS=20          # or: python benchmarks/hub.py --learners 20

Prints the hub's time-outs, any learner's failure, then one line:

    learners: 20, failures: 0, first output: median … s, p95 … s; lesson run: median … s, p95 … s;
    memory per learner: median … MB PSS (server … + kernel …); …

- first output: from the learner's login request to the first output of lesson 01 arriving
  over the kernel's websocket (login, server start, nbgitpuller, kernel start, first cells);
- lesson run: from lesson 01's first execute request to its last cell's reply (25 code cells);
- memory: proportional set size (/proc/PID/smaps_rollup) of the learner's server and its kernel,
  once the lesson has run, shared pages divided among the processes that share them;
- CPU: user + system seconds of the server and both kernels over the whole session.

A learner fails when anything goes wrong: an error or time-out, an output that differs from the
committed one, a check that does not say ✅ / ❌ as typed, or work missing from the home folder
after the servers stop. Everything the hub started is stopped by process id at the end.
"""

import argparse
import asyncio
import math
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))

import hub_class  # noqa: E402
import hub_harness as harness  # noqa: E402
import hub_setup  # noqa: E402


def p95(values):
    """The nearest-rank 95th percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def median(values):
    return statistics.median(values) if values else float("nan")


def run(n, keep=False, timeouts=None):
    setup = hub_setup.ensure_all()
    print(f"set-up: {setup.seconds:.1f} s ({setup.user_env.name}, {setup.wheel.name}, "
          f"configurable-http-proxy {setup.proxy.parents[2].name.split('-')[1]})")
    tmp = tempfile.mkdtemp(prefix="byhand-hub-bench-")
    answers, marks = hub_class.typed_answers()
    names = [f"learner{i:02d}" for i in range(1, n + 1)]
    repo = hub_setup.lessons_repo(Path(tmp) / "lessons")
    hub = harness.start_hub(Path(tmp) / "hub", setup, learners=n, timeouts=timeouts)
    timeout = 2 * max(hub.timeouts.values())  # a learner's own patience, for any one request
    print(f"hub: {hub.url}, Spawner.start_timeout = {hub.timeouts['start_timeout']} s, "
          f"Spawner.http_timeout = {hub.timeouts['http_timeout']} s, learners' request time-out {timeout} s")
    start = time.monotonic()
    try:
        results = asyncio.run(hub_class.run_class(hub.url, names, repo, answers, timeout,
                                                 probe=lambda name: harness.usage(hub.proc.pid, name),
                                                 tick=hub.record))
        wall = time.monotonic() - start
        at_end = {r.name: harness.usage(hub.proc.pid, r.name) for r in results}
        hub_cpu = hub.cpu_seconds()
        hub.record()
        stopped = asyncio.run(hub_class.each(hub.url, results, timeout, "stop_server"))
    finally:
        left = harness.stop_hub(hub)
    failures = {}
    for r in results:
        found = hub_class.problems(r, marks)
        if r.name in stopped and stopped[r.name][1]:
            found.append(stopped[r.name][1])
        if not r.error and not hub_class.saved_answers(hub.home(r.name) / hub_class.TARGET / hub_class.EXERCISE,
                                                      answers):
            found.append("the saved exercise is not in the home folder after the server stopped")
        if found:
            failures[r.name] = found
    for name, found in failures.items():
        for problem in found[:3]:
            print(f"FAILED {name}: {problem}")
    if left:
        print(f"still running after the hub stopped, killed by id: {left}")
    print(f"processes started by the hub and stopped: {len(hub.seen)}; logs and homes in {tmp}"
          if keep else f"processes started by the hub and stopped: {len(hub.seen)}")
    if not keep:
        shutil.rmtree(tmp, ignore_errors=True)
    line = summary(results, at_end, hub_cpu, failures, left, hub.timeouts, wall)
    return line, not failures and not left


def summary(results, at_end, hub_cpu, failures, left, timeouts, wall):
    ok = [r for r in results if not r.error]
    first = [r.first_output for r in ok]
    lesson = [r.lesson_run for r in ok]
    used = [r.usage for r in ok if r.usage]
    server = median([u["server_mb"] for u in used])
    kernel = median([sum(u["kernel_mb"]) for u in used])
    both = median([u["server_mb"] + sum(u["kernel_mb"]) for u in used])
    cpu = median([u["cpu_s"] for u in at_end.values() if u])
    end_mb = median([u["server_mb"] + sum(u["kernel_mb"]) for u in at_end.values() if u])
    starts = [r.server_start for r in results if r.server_start is not None]
    if starts:
        print(f"server start (spawn request to ready): median {median(starts):.1f} s, longest {max(starts):.1f} s, "
              f"against Spawner.http_timeout {timeouts['http_timeout']} s")
    rss = median([u["server_rss_mb"] + sum(u["kernel_rss_mb"]) for u in at_end.values() if u])
    print(f"resident (RSS, shared pages counted in full), server and both kernels: median {rss:.0f} MB per learner")
    return (f"learners: {len(results)}, failures: {len(failures)}, "
            f"first output: median {median(first):.1f} s, p95 {p95(first) if first else float('nan'):.1f} s; "
            f"lesson run: median {median(lesson):.1f} s, p95 {p95(lesson) if lesson else float('nan'):.1f} s; "
            f"memory per learner: median {both:.0f} MB PSS (server {server:.0f} + kernel {kernel:.0f}), "
            f"{end_mb:.0f} MB with the exercise's kernel too; CPU per learner: median {cpu:.1f} s "
            f"(the hub and its proxy: {hub_cpu:.1f} s in all); "
            f"time-outs: start {timeouts['start_timeout']} s, HTTP {timeouts['http_timeout']} s; "
            f"left running: {len(left)}; wall {wall:.0f} s")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=20)
    parser.add_argument("--keep", action="store_true", help="keep the hub's log and the learners' homes")
    parser.add_argument("--start-timeout", type=int, help="Spawner.start_timeout (default: for LEARNERS)")
    parser.add_argument("--http-timeout", type=int, help="Spawner.http_timeout (default: for LEARNERS)")
    args = parser.parse_args(argv)
    timeouts = harness.timeouts_for(args.learners)
    timeouts["start_timeout"] = args.start_timeout or timeouts["start_timeout"]
    timeouts["http_timeout"] = args.http_timeout or timeouts["http_timeout"]
    line, ok = run(args.learners, args.keep, timeouts)
    print(line)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
