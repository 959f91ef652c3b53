"""Size and shape of the helpers package: the figures the restructuring is judged by.

    python tools/code_metrics.py [helpers]

Prints the largest module and function (lines), how many functions are over 40 and over 60
lines, and the import cycles between helpers' modules (ast-based; function-level imports count).
"""

import ast
import sys
from pathlib import Path


def modules(root):
    root = Path(root)
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        yield name, path, ast.parse(path.read_text(), str(path))


def functions(tree):
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node.name, node.end_lineno - node.lineno + 1


def imports(name, path, tree, package, known):
    """The helpers modules that module `name` imports (anywhere in it)."""
    out = set()
    base = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.split(".")[0] == package}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                mod = ".".join(base[: len(base) - node.level + 1] + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            if mod.split(".")[0] != package:
                continue
            # `from . import results` names a module; `from .kernels import softmax` a function
            out |= {f"{mod}.{a.name}" if f"{mod}.{a.name}" in known else mod for a in node.names}
    return out


def cycles(graph):
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    return out


def main(root="helpers"):
    package = Path(root).name
    mods = list(modules(root))
    names = {n for n, _, _ in mods}
    sizes = [(len(p.read_text().splitlines()), n) for n, p, _ in mods]
    funcs = [(lines, f"{n}.{f}") for n, _, t in mods for f, lines in functions(t)]
    graph = {n: {m for m in imports(n, p, t, package, names) if m in names and m != n and m != package}
             for n, p, t in mods}
    print(f"modules: {len(mods)}, lines: {sum(s for s, _ in sizes)}")
    print("largest module: %d lines (%s)" % max(sizes))
    print("largest function: %d lines (%s)" % max(funcs))
    print(f"functions over 40 lines: {sum(n > 40 for n, _ in funcs)}; over 60: {sum(n > 60 for n, _ in funcs)}")
    found = cycles(graph)
    print(f"import cycles: {len(found)}" + "".join(f"\n  {' <-> '.join(c)}" for c in found))


if __name__ == "__main__":
    main(*sys.argv[1:])
