"""Shared pytest set-up.

Under CI (CI=true) a skipped test is a failure: the PyTorch reference tests,
the worksheet rendering and the browser test must really run there.
"""

import os

import pytest

# tests/check_harness.py holds the exercise-check assertions shared by test_lesson*.py: rewrite its
# asserts too, so a failure there shows the values like one in a test file.
pytest.register_assert_rewrite("check_harness")

_skipped = []
_reference = {"passed": 0, "failed": 0, "kernel_file_ran": False}


def pytest_configure(config):
    config.addinivalue_line("markers", "reference: compares a kernel with PyTorch (needs torch)")
    config.addinivalue_line("markers", "browser: drives JupyterLab in headless Chromium")
    config.addinivalue_line("markers", "slow: takes more than a few seconds")


def _record(report):
    if report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[-1] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        _skipped.append(f"{report.nodeid}: {reason}")


def pytest_runtest_logreport(report):
    _record(report)
    if report.when == "call" and "reference" in report.keywords:
        _reference["passed" if report.passed else "failed"] += 1
        _reference["kernel_file_ran"] |= report.nodeid.startswith("tests/test_kernels_reference.py")


def pytest_collectreport(report):
    _record(report)


def pytest_sessionfinish(session, exitstatus):
    if os.environ.get("CI") and _skipped:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if _reference["passed"] or _reference["failed"]:
        ref_skipped = sum("reference" in line or "torch" in line for line in _skipped)
        line = (f"PyTorch reference tests: {_reference['passed']} passed, {_reference['failed']} failed, "
                f"{ref_skipped} skipped")
        # the figure is stored by test_kernels_reference.py: quote it only when that file ran now
        ran = _reference["kernel_file_ran"] and config.cache
        diff = config.cache.get("kernels/max_torch_diff", None) if ran else None
        if diff:
            line += f"; largest difference from PyTorch {diff['max_abs_diff']:.1e} ({diff['comparisons']} comparisons)"
        terminalreporter.write_line(line)
    if os.environ.get("CI") and _skipped:
        terminalreporter.section("skipped tests fail under CI", red=True)
        for line in _skipped:
            terminalreporter.line(line)
        terminalreporter.line(
            "Every test must run in CI (torch, poppler-utils and chromium are installed by .ci/run)."
        )
