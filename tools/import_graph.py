"""The import graph of a Python package, read from its source with ast (no import is run).

Used by tests/test_layers.py (imports run one way, no cycles) and tools/code_metrics.py.
Imports inside functions count too: a late import is still a dependency.
"""

import ast
from pathlib import Path


def modules(root):
    """{dotted name: (path, ast)} of every module below root (a package folder named like the package)."""
    root = Path(root)
    out = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = (path, ast.parse(path.read_text(), str(path)))
    return out


def imports(name, path, tree, known):
    """The modules of the package that module `name` imports, anywhere in its source."""
    package = name.split(".")[0]
    here = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = here[: len(here) - node.level + 1] if node.level else []
            mod = ".".join(base + ([node.module] if node.module else []))
            # `from . import display` names a module; `from .kernels import softmax` a function
            targets = [f"{mod}.{a.name}" if f"{mod}.{a.name}" in known else mod for a in node.names]
        else:
            continue
        found |= {t for t in targets if t in known and t.split(".")[0] == package}
    found.discard(name)
    found.discard(package)  # the package's __init__ re-exports the kernels only
    return found


def graph(root):
    mods = modules(root)
    return {name: imports(name, path, tree, mods) for name, (path, tree) in mods.items()}


def cycles(edges):
    """Groups of modules that import each other round a loop (Tarjan's strongly connected components)."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while (w := stack.pop()) != v:
                on.discard(w)
                group.append(w)
            on.discard(v)
            if group:
                out.append(sorted(group + [v]))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out
