"""Imports inside helpers run one way (DESIGN.md), read from the source with ast:

    kernels -> display -> widgets -> lessonNN -> checks (the engine) -> checks.lessonNN
            -> worksheet, authoring, cli

Each module imports only from its own layer or the layers below it; a lesson module imports only
lessons with a smaller number (the modules inside one lesson's package, helpers/lesson12/, may import
each other); and no two modules import each other, directly or round a loop.
Imports inside functions count too: a late import is still a dependency.
"""

import ast
import re
from pathlib import Path

import pytest
from import_graph import cycles, graph, modules  # tools/import_graph.py (pytest's pythonpath)

HELPERS = Path(__file__).resolve().parents[1] / "helpers"

LAYERS = ["kernels", "display", "widgets", "lessons", "checks", "lesson checks", "tools"]
ALIASES = {"helpers.sheet": "helpers.lesson01", "helpers.translate": "helpers.lesson08",
           "helpers.model": "helpers.lesson10"}
ENGINE = ("reading", "drawing", "results", "diagnosis", "values", "functions", "sheet", "registry")


def layer(module):
    """The layer of a module of helpers (by its dotted name), or None for the package itself."""
    parts = module.split(".")[1:]
    if not parts:
        return None
    top = parts[0]
    if top in ("kernels", "display", "widgets"):
        return top
    if re.fullmatch(r"lesson\d\d", top) or module in ALIASES:
        return "lessons"
    if top == "checks":
        return "lesson checks" if len(parts) > 1 and re.fullmatch(r"lesson\d\d", parts[1]) else "checks"
    return "tools"  # worksheet, authoring, cli, environment, __main__


def upward(edges):
    """Imports that go up a layer, or to a lesson with a larger number, as sentences."""
    out = []
    rank = {name: i for i, name in enumerate(LAYERS)}
    for a, targets in sorted(edges.items()):
        for b in sorted(targets):
            la, lb = layer(a), layer(b)
            if la is None or lb is None:
                continue
            if rank[lb] > rank[la]:
                out.append(f"{a} ({la}) imports {b} ({lb}), a higher layer")
            elif la == lb == "lessons":
                na, nb = (int(re.search(r"\d\d", ALIASES.get(m, m)).group()) for m in (a, b))
                same_package = a.split(".")[1] == b.split(".")[1]  # helpers.lesson12 and helpers.lesson12.corpus
                if nb > na or (nb == na and a not in ALIASES and not same_package):
                    out.append(f"{a} imports {b}: a lesson imports only lessons before it")
    return out


def test_helpers_has_no_import_cycle():
    assert cycles(graph(HELPERS)) == []


def test_helpers_imports_only_downward():
    assert upward(graph(HELPERS)) == []


def test_the_check_engine_imports_in_its_own_order():
    """reading -> drawing -> results -> diagnosis -> values, functions -> sheet -> registry."""
    edges = graph(HELPERS)
    order = {f"helpers.checks.{m}": i for i, m in enumerate(ENGINE)}
    bad = [f"{a} imports {b}" for a in order for b in edges.get(a, ()) if b in order and order[b] >= order[a]]
    assert bad == []


def test_no_module_uses_another_modules_private_names():
    """No `from .x import _name`, and no `module._name` on a module imported by name."""
    bad = []
    for name, (path, tree) in modules(HELPERS).items():
        aliases = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                aliases |= {(a.asname or a.name).split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom):
                aliases |= {a.asname or a.name for a in node.names}
                bad += [f"{name} imports {a.name} from {node.module or '.'}" for a in node.names
                        if a.name.startswith("_") and not a.name.startswith("__")]
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases
                    and node.attr.startswith("_") and not node.attr.startswith("__")):
                bad.append(f"{name}:{node.lineno} uses {node.value.id}.{node.attr}")
    assert bad == []


# ---------------------------------------------------------------- the checker rejects what it should


@pytest.fixture
def fake(tmp_path):
    """A package `helpers` in tmp_path, written from {relative path: source}."""

    def make(files):
        root = tmp_path / "helpers"
        for rel, source in files.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(source)
        return graph(root)

    return make


def test_the_checker_sees_an_upward_import_and_a_cycle(fake):
    edges = fake({
        "__init__.py": "from .kernels import softmax\n",
        "kernels.py": "def softmax(x):\n    from . import display  # upward, and late\n",
        "display.py": "from .kernels import softmax\n",
        "lesson02.py": "from . import lesson03\n",
        "lesson03.py": "from .lesson02 import X\n",
        "lesson12/__init__.py": "",
        "lesson12/train.py": "from ..lesson13 import Q\n",
        "lesson13.py": "",
        "checks/__init__.py": "",
        "checks/lesson02.py": "from ..lesson02 import X\nfrom .. import widgets\n",
        "widgets.py": "from .checks import record\n",
    })
    found = upward(edges)
    assert "helpers.kernels (kernels) imports helpers.display (display), a higher layer" in found
    assert "helpers.widgets (widgets) imports helpers.checks (checks), a higher layer" in found
    assert "helpers.lesson02 imports helpers.lesson03: a lesson imports only lessons before it" in found
    assert "helpers.lesson12.train imports helpers.lesson13: a lesson imports only lessons before it" in found
    assert ["helpers.display", "helpers.kernels"] in cycles(edges)
    assert ["helpers.lesson02", "helpers.lesson03"] in cycles(edges)
    assert not any("checks.lesson02" in line for line in found)  # lesson checks may import lessons and widgets


def test_the_checker_passes_a_clean_package(fake):
    edges = fake({
        "__init__.py": "from .kernels import softmax\n",
        "kernels.py": "import numpy as np\n",
        "display.py": "from .kernels import softmax\n",
        "lesson06.py": "from .kernels import softmax\n",
        "lesson10.py": "from .lesson06 import embed_with_position\n",
        "lesson12/__init__.py": "from .train import fit\n",
        "lesson12/train.py": "from .corpus import PAIRS\nfrom ..lesson10 import E\n",
        "lesson12/corpus.py": "from ..kernels import softmax\n",
        "checks/__init__.py": "from .results import start\n",
        "checks/results.py": "from .. import display\n",
        "checks/lesson10.py": "from ..lesson10 import E\nfrom . import start\n",
        "cli.py": "from .checks import lesson10\n",
    })
    assert upward(edges) == [] and cycles(edges) == []
