"""Shared pytest set-up.

Under CI (CI=true) a skipped test is a failure: the PyTorch reference tests
and the browser test must really run there.

At the end of a run, one line says where the time went (`make test` passes the time it
started, so the set-up is counted too).
"""

import os
import time

import pytest
import warm_kernels  # tools/ is on pytest's pythonpath

# tests/check_harness.py holds the exercise-check assertions shared by test_lesson*.py: rewrite its
# asserts too, so a failure there shows the values like one in a test file.
pytest.register_assert_rewrite("check_harness")

_skipped = []
_warm = {}
_reference = {"passed": 0, "failed": 0, "kernel_file_ran": False, "backward": 0, "model gradients": 0}
# the reference files that compare gradients with torch.autograd, counted apart in the summary line
_GRADIENT_FILES = {"tests/test_backward_reference.py": "backward", "tests/test_model_gradients_reference.py":
                   "model gradients"}
_started = time.time()
# seconds of test time (setup + call + teardown) and tests, by group; summed over workers
_groups = {name: [0.0, set()] for name in ("notebooks", "browser", "other")}


def _group(nodeid):
    if nodeid.startswith(("notebooks/", "solutions/", "exercises/")):
        return "notebooks"
    return "browser" if nodeid.startswith("tests/test_browser.py") else "other"


def _scope(nodeid):
    """What pytest-xdist's --dist loadscope keeps on one worker: a test module or a notebook."""
    return nodeid.split("::")[0]


_scope_seconds = {}  # seconds per scope in this run, remembered for the next one
SCOPE_CACHE = "byhand/scope_seconds"


def pytest_collection_modifyitems(session, config, items):
    """Longest scope first (as the last run measured them; `slow` ones first on a first run),
    so that no worker is left with a long module while the other waits. `make test` passes
    --no-loadscope-reorder, so xdist hands out the scopes in this order. Every worker reads the
    same cache, so all collect the same order."""
    cache = getattr(config, "cache", None)
    last = cache.get(SCOPE_CACHE, {}) if cache else {}

    def expected(item):
        scope = _scope(item.nodeid)
        return last.get(scope, 30.0 if item.get_closest_marker("slow") else 1.0)

    items.sort(key=lambda item: -expected(item))  # stable: a notebook's cells keep their order


def pytest_configure(config):
    config.addinivalue_line("markers", "reference: compares a kernel with PyTorch (needs torch)")
    config.addinivalue_line("markers", "browser: drives JupyterLab in headless Chromium")
    config.addinivalue_line("markers", "slow: takes more than a few seconds")
    # Notebook kernels forked from a process that has imported ipykernel, numpy, matplotlib and
    # helpers once (tools/warm_kernels.py): ~1 s of CPU less per notebook. Not in xdist's controller,
    # which runs no test; BYHAND_WARM_KERNELS=0 (make test WARM_KERNELS=0) starts them cold.
    controller = config.getoption("numprocesses", None) and not hasattr(config, "workerinput")
    if (config.getoption("nbval", False) and not controller and warm_kernels.supported()
            and os.environ.get("BYHAND_WARM_KERNELS", "1") != "0"):
        _warm["uninstall"] = warm_kernels.install()


def pytest_unconfigure(config):
    if "uninstall" in _warm:
        _warm.pop("uninstall")()


def _record(report):
    if report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[-1] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        _skipped.append(f"{report.nodeid}: {reason}")


def pytest_runtest_logreport(report):
    _record(report)
    group = _group(report.nodeid)
    _groups[group][0] += report.duration
    _scope_seconds[_scope(report.nodeid)] = _scope_seconds.get(_scope(report.nodeid), 0.0) + report.duration
    _groups[group][1].add(report.nodeid.split("::")[0] if group == "notebooks" else report.nodeid)
    if report.when == "call" and "reference" in report.keywords:
        _reference["passed" if report.passed else "failed"] += 1
        kind = _GRADIENT_FILES.get(_scope(report.nodeid))
        if kind and report.passed:
            _reference[kind] += 1
        _reference["kernel_file_ran"] |= report.nodeid.startswith("tests/test_kernels_reference.py")


def pytest_collectreport(report):
    _record(report)


def pytest_sessionfinish(session, exitstatus):
    if os.environ.get("CI") and _skipped:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    cache = getattr(session.config, "cache", None)
    if cache and _scope_seconds and not hasattr(session.config, "workerinput"):  # the controller
        cache.set(SCOPE_CACHE, {**cache.get(SCOPE_CACHE, {}),
                                **{k: round(v, 2) for k, v in _scope_seconds.items()}})


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if _reference["passed"] or _reference["failed"]:
        ref_skipped = sum("reference" in line or "torch" in line for line in _skipped)
        grads = _reference["backward"] + _reference["model gradients"]
        of_which = (f" (of them {grads} gradients equal to torch.autograd: {_reference['backward']} backward kernels, "
                    f"{_reference['model gradients']} whole model)" if grads else "")
        line = (f"PyTorch reference tests: {_reference['passed']} passed{of_which}, {_reference['failed']} failed, "
                f"{ref_skipped} skipped")
        # the figure is stored by test_kernels_reference.py: quote it only when that file ran now
        ran = _reference["kernel_file_ran"] and getattr(config, "cache", None)
        diff = config.cache.get("kernels/max_torch_diff", None) if ran else None
        if diff:
            line += f"; largest difference from PyTorch {diff['max_abs_diff']:.1e} ({diff['comparisons']} comparisons)"
        terminalreporter.write_line(line)
    if os.environ.get("CI") and _skipped:
        terminalreporter.section("skipped tests fail under CI", red=True)
        for line in _skipped:
            terminalreporter.line(line)
        terminalreporter.line(
            "Every test must run in CI (`make test` installs torch and chromium)."
        )
    terminalreporter.write_line(_timing_line(config))


def _timing_line(config):
    """e.g. `timing: 52.3 s in all (set-up 1.1 s, pytest 51.2 s on 2 workers); test time ...`"""
    now = time.time()
    pytest_s = now - _started
    workers = getattr(config.option, "numprocesses", None) or 1
    head = f"pytest {pytest_s:.1f} s on {workers} worker{'s' if workers != 1 else ''}"
    start = os.environ.get("BYHAND_TEST_START")
    if start:
        total = now - float(start)
        head = f"{total:.1f} s in all (set-up {total - pytest_s:.1f} s, {head})"
    (nb_s, nbs), (br_s, brs), (ot_s, ots) = (_groups[g] for g in ("notebooks", "browser", "other"))
    return (f"timing: {head}; test time summed over workers: {len(nbs)} notebooks {nb_s:.1f} s, "
            f"{len(brs)} browser tests {br_s:.1f} s, {len(ots)} other tests {ot_s:.1f} s")
