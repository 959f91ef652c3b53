"""Shared pieces of the exercise-check tests (tests/test_lesson02.py … test_lesson10.py).

A plain module, not a test file: the lesson tests import it as ``from check_harness import ...``
(pytest puts tests/ on sys.path because tests/ has no __init__.py).

Every check in helpers returns a Result whose state is CORRECT, INCORRECT, NOT_DONE or REVEALED
(show=True) and, in learning mode, must never let an exception escape, whatever the learner typed.
The helpers below assert exactly that; the expected answers stay in each lesson's test file.
"""

import numpy as np
import pytest

from helpers.checks import CORRECT, INCORRECT, NOT_DONE, REVEALED

__all__ = ["CORRECT", "INCORRECT", "NOT_DONE", "REVEALED", "GARBAGE", "BAD_RETURNS", "BAD_FUNCTIONS", "raises",
           "not_done_stub", "garbage_calls", "function_calls", "assert_correct", "assert_diagnosed",
           "assert_not_done", "assert_revealed", "assert_survives", "check_table_tests", "hand_and_code_tests"]

NAN = float("nan")


def raises(*args, **kwargs):
    """A learner's function that crashes."""
    raise RuntimeError("boom")


def not_done_stub(*args, **kwargs):
    """The exercise's starting point: the function body is still ``raise NotImplementedError()``."""
    raise NotImplementedError()


# What a learner may type into a by-hand answer (the union of what the lesson tests used to list).
GARBAGE = [None, "abc", "", [[1, 2], [3]], NAN, [NAN] * 3, [NAN] * 4, [[NAN] * 3] * 3,
           np.full((3,), np.nan), np.full((4, 4), np.nan), [1, None, 3], {"a": 1}, object(), 10 ** 400,
           [..., 1], b"x", np.array([])]

# Functions that run but return nonsense (or crash): a code check must call them "incorrect".
BAD_RETURNS = [raises, lambda *a, **k: None, lambda *a, **k: "abc", lambda *a, **k: "text",
               lambda *a, **k: "x", lambda *a, **k: [[1, 2], [3]],
               lambda *a: [[]], lambda *a, **k: np.full(10, np.nan), lambda *a, **k: np.full((3, 3), np.nan),
               lambda *a, **k: np.full((3, 4), np.nan), lambda *a, **k: np.full((5, 4), np.nan),
               lambda *a, **k: np.full((6, 6), np.nan)]

# What a learner may pass to a code check: not a function at all, a function still returning the
# exercise's placeholder ... (that one is "not done"), or a bad one.
BAD_FUNCTIONS = [None, "abc", 3, 7, ..., lambda *a, **k: ...] + BAD_RETURNS


def garbage_calls(n_args=1, values=GARBAGE):
    """Argument tuples giving every garbage value to all n_args answers at once."""
    return [(g,) * n_args for g in values]


def function_calls(functions=BAD_FUNCTIONS):
    """Argument tuples giving each function (or non-function) to a one-argument code check."""
    return [(f,) for f in functions]


def _words(words):
    return (words,) if isinstance(words, str) else tuple(words)


def assert_correct(result, capsys=None):
    """The check accepted the answer; with capsys, it also printed the green tick."""
    assert result.state == CORRECT, result.message
    if capsys is not None:
        out = capsys.readouterr().out
        assert "✅" in out, out
    return result


def assert_diagnosed(result, words=(), capsys=None):
    """The check said "incorrect" and its message (and, with capsys, its printed output) names the
    mistake: every one of ``words`` (a string or several) appears in it."""
    assert result.state == INCORRECT, result.message
    out = capsys.readouterr().out if capsys is not None else None
    for w in _words(words):
        assert w in result.message, (w, result.message)
        if out is not None:
            assert w in out, (w, out)
    return result


def assert_not_done(result):
    assert result.state == NOT_DONE, result.message
    return result


def assert_revealed(result, capsys=None):
    """The learner asked for the answer (show=True): the check printed it and counts it as revealed."""
    assert result.state == REVEALED, result.message
    assert "\n   Answer: " in result.message, result.message
    if capsys is not None:
        assert "   Answer: " in capsys.readouterr().out
    return result


def assert_survives(check, args_list, allowed=(INCORRECT, NOT_DONE)):
    """check(*args) answers for every args in args_list, in one of the ``allowed`` states, and no
    exception escapes (an exception fails the test by itself)."""
    args_list = list(args_list)
    assert args_list
    for args in args_list:
        result = check(*args)
        assert result.state in allowed, (args, result.state, result.message)


# ---------------------------------------------------------------- table-driven lesson tests
#
# Lessons 02-05 describe their checks as tables and run the same loops over them. The factories
# below build those test functions; a lesson file binds them to its own test names, e.g.
#     test_check_accepts_the_solution, ... = check_table_tests(CHECKS, BY_HAND)
# pytest collects them under those names.

def check_table_tests(checks, by_hand, garbage=GARBAGE, bad_returns=BAD_RETURNS):
    """Tests for a table ``name -> (check, the solution's arguments, [(wrong arguments, words)])``.

    By-hand checks (names in ``by_hand``) take answers; the others take one function. Returns
    (accepts the solution, diagnoses typical mistakes, not done, survives garbage)."""

    @pytest.mark.parametrize("name", checks)
    def accepts_the_solution(name, capsys):
        fn, args, _ = checks[name]
        assert_correct(fn(*args), capsys)

    @pytest.mark.parametrize("name", checks)
    def diagnoses_typical_mistakes(name):
        fn, _, wrongs = checks[name]
        assert len(wrongs) >= 2
        for args, words in wrongs:
            assert_diagnosed(fn(*args), words)

    @pytest.mark.parametrize("name", checks)
    def not_done(name):
        fn, args, _ = checks[name]
        assert_not_done(fn(*([...] * len(args))) if name in by_hand else fn(not_done_stub))

    @pytest.mark.parametrize("name", checks)
    @pytest.mark.parametrize("junk", range(len(garbage)))
    def survives_garbage(name, junk):
        fn, args, _ = checks[name]
        n_args = len(args) if name in by_hand else 1
        assert_survives(fn, [(garbage[junk],) * n_args])
        if name not in by_hand:
            assert_survives(fn, function_calls(bad_returns), allowed=(INCORRECT,))

    return accepts_the_solution, diagnoses_typical_mistakes, not_done, survives_garbage


def hand_and_code_tests(check, hand, code, wrong, garbage=GARBAGE, bad_functions=BAD_FUNCTIONS):
    """Tests for a lesson whose checks are listed as ``hand`` (name -> the answers), ``code``
    (name -> a solution function) and ``wrong`` (name -> [(wrong answers, words)]).

    Returns (by-hand accepts, code accepts, by-hand diagnoses, by-hand not done, code not done,
    by-hand survives garbage, code survives garbage)."""

    @pytest.mark.parametrize("name", list(hand))
    def by_hand_accepts(name):
        assert_correct(getattr(check, name)(*hand[name]))

    @pytest.mark.parametrize("name", list(code))
    def code_accepts(name):
        assert_correct(getattr(check, name)(code[name]))

    @pytest.mark.parametrize("name", list(wrong))
    def by_hand_diagnoses(name):
        for args, words in wrong[name]:
            assert_diagnosed(getattr(check, name)(*args), words)

    @pytest.mark.parametrize("name", list(hand))
    def by_hand_not_done(name):
        assert_not_done(getattr(check, name)(*(... for _ in hand[name])))

    @pytest.mark.parametrize("name", list(code))
    def code_not_done(name):
        assert_not_done(getattr(check, name)(not_done_stub))

    @pytest.mark.parametrize("name", list(hand))
    def by_hand_survives(name):
        assert_survives(getattr(check, name), garbage_calls(len(hand[name]), garbage))

    @pytest.mark.parametrize("name", list(code))
    def code_survives(name):
        assert_survives(getattr(check, name), function_calls(bad_functions))

    return (by_hand_accepts, code_accepts, by_hand_diagnoses, by_hand_not_done, code_not_done,
            by_hand_survives, code_survives)
