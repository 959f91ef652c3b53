"""Shared pytest set-up.

Under CI (CI=true) a skipped test is a failure: the PyTorch reference tests,
the worksheet rendering and the browser test must really run there.
"""

import os

import pytest

_skipped = []


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


def pytest_collectreport(report):
    _record(report)


def pytest_sessionfinish(session, exitstatus):
    if os.environ.get("CI") and _skipped:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if os.environ.get("CI") and _skipped:
        terminalreporter.section("skipped tests fail under CI", red=True)
        for line in _skipped:
            terminalreporter.line(line)
        terminalreporter.line(
            "Every test must run in CI (torch, poppler-utils and chromium are installed by .ci/run)."
        )
