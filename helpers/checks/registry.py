"""Exercises registered by name: a lesson's checks module marks each check with @exercise.

    @exercise("head sizes")
    def head_sizes(d_k, d_v):
        '''d_k and d_v of one head.'''
        return check_value(head_sizes.title, [d_k, d_v], [2, 2], ...)

The title is what the learner and progress() see. The module's exercise list is the order in
which its checks are defined (`exercises(__name__)`), so no list kept by hand can drift from it.

The decorator returns the check wrapped (functools.wraps: the same name, docstring and module,
still a plain top-level function) with a keyword show=False added: `check.head_sizes(..., show=True)`
runs the check, prints its answer and records the exercise as revealed. The wrapper is also where
a check run ends: it never raises in learning mode (an error in the lesson's check is reported as
"the check could not read your answer"), and in grading mode (nbgrader) it raises AssertionError
with the diagnosis when the verdict is not correct (results.run_check).
"""

from __future__ import annotations

from . import results

_BY_MODULE: dict = {}  # module name -> {function name: check}, in definition order


def exercise(title):
    """Register the decorated check function of a lesson as the exercise called `title`."""

    def register(check):
        checks = _BY_MODULE.setdefault(check.__module__, {})
        clash = [c.__name__ for c in checks.values() if c.title == title and c.__name__ != check.__name__]
        if clash:
            raise ValueError(f"{check.__module__}: {check.__name__} and {clash[0]} are both titled {title!r}")
        run = results.guarded(check, name_of=lambda args, kwargs: title)
        run.title = title
        checks[check.__name__] = run  # a module reloaded replaces its checks in place
        return run

    return register


def exercises(module):
    """The titles of a checks module's exercises, in order (module: its __name__)."""
    return tuple(check.title for check in _BY_MODULE.get(module, {}).values())


def checks(module):
    """The check functions of a checks module, in order."""
    return tuple(_BY_MODULE.get(module, {}).values())


def start_lesson(module):
    """Declare the exercises of the lesson whose checks module is `module` (e.g. "...lesson05")."""
    results.start(module.rsplit("lesson", 1)[-1], exercises(module))
