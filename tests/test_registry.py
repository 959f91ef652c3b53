"""The exercise registry: each lesson's checks are documented top-level functions, registered in
exercise order, and the notebooks agree with them (helpers/checks/registry.py)."""

import importlib
import inspect
import json
import re
import types
from pathlib import Path

import pytest

from helpers.checks import registry

ROOT = Path(__file__).resolve().parents[1]
LESSONS = sorted(p.stem for p in (ROOT / "helpers" / "checks").glob("lesson*.py"))


def code_of(path):
    return "\n".join("".join(c["source"]) for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code")


def notebook(folder, lesson):
    (path,) = (ROOT / folder).glob(f"{lesson[-2:]}-*.ipynb")
    return path


def test_there_is_a_checks_module_for_every_exercise_notebook():
    numbers = sorted(p.name[:2] for p in (ROOT / "exercises").glob("*.ipynb"))
    assert [lesson[-2:] for lesson in LESSONS] == numbers


@pytest.mark.parametrize("lesson", LESSONS)
def test_every_check_is_a_documented_top_level_function_in_exercise_order(lesson):
    module = importlib.import_module(f"helpers.checks.{lesson}")
    checks = registry.checks(module.__name__)
    assert checks, f"helpers.checks.{lesson} registers no exercise"
    assert module.EXERCISES == tuple(c.title for c in checks)
    for check in checks:
        # @exercise returns the check wrapped (functools.wraps), still a plain top-level function
        assert isinstance(check, types.FunctionType) and check.__qualname__ == check.__name__
        assert getattr(module, check.__name__) is check and check.__wrapped__.__name__ == check.__name__
        assert inspect.getdoc(check), f"{lesson}.{check.__name__} has no docstring"
        show = inspect.signature(check).parameters["show"]  # added by @exercise: show=True prints the answer
        assert show.kind == inspect.Parameter.KEYWORD_ONLY and show.default is False
    assert callable(module.start) and callable(module.progress)


@pytest.mark.parametrize("lesson", LESSONS)
def test_the_solution_calls_each_check_once_in_order_and_the_lesson_none(lesson):
    module = importlib.import_module(f"helpers.checks.{lesson}")
    calls = re.findall(r"\bcheck\.(\w+)\(", code_of(notebook("solutions", lesson)))
    assert calls[0] == "start" and calls[-1] == "progress"
    firsts = list(dict.fromkeys(c for c in calls[1:-1]))
    assert firsts == [c.__name__ for c in registry.checks(module.__name__)]
    lesson_code = code_of(notebook("notebooks", lesson))
    assert "helpers.checks" not in lesson_code
    assert not re.search(r"(?<![\w.])check\.", lesson_code), "a lesson notebook calls a check"


def test_the_registry_refuses_two_exercises_with_one_title():
    name = "tests.fake_lesson99"

    def one():
        """one"""

    def two():
        """two"""

    one.__module__ = two.__module__ = name
    registry.exercise("the same title")(one)
    with pytest.raises(ValueError, match="both titled 'the same title'"):
        registry.exercise("the same title")(two)
    assert registry.exercises(name) == ("the same title",)


def test_a_registered_check_keeps_its_name_docstring_and_title_and_takes_show(capsys):
    name = "tests.fake_lesson98"

    def typed_eleven(given):
        """Eleven, typed by hand."""
        from helpers.checks import check_value

        return check_value("eleven", given, 11, answer="5 + 6 = 11")

    typed_eleven.__module__ = name
    registered = registry.exercise("eleven")(typed_eleven)
    assert registered.__name__ == "typed_eleven" and registered.__doc__ == "Eleven, typed by hand."
    assert registered.title == "eleven" and registry.checks(name) == (registered,)
    assert registered(11).state == "correct"
    assert registered(11, show=True).state == "revealed"
    assert "   Answer: 5 + 6 = 11" in capsys.readouterr().out
