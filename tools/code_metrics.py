"""Size and shape of the helpers package: the figures the restructuring is judged by.

    python tools/code_metrics.py [helpers]

Prints the largest module and function (lines), how many functions are over 40 and over 60
lines, and the import cycles between helpers' modules (see tools/import_graph.py).
"""

import ast
import sys
from pathlib import Path

from import_graph import cycles, graph, modules


def functions(tree):
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node.name, node.end_lineno - node.lineno + 1


def main(root="helpers"):
    mods = modules(Path(root))
    sizes = [(len(path.read_text().splitlines()), name) for name, (path, _) in mods.items()]
    funcs = [(lines, f"{name}.{f}") for name, (_, tree) in mods.items() for f, lines in functions(tree)]
    print(f"modules: {len(mods)}, lines: {sum(s for s, _ in sizes)}")
    print("largest module: %d lines (%s)" % max(sizes))
    print("largest function: %d lines (%s)" % max(funcs))
    print(f"functions over 40 lines: {sum(n > 40 for n, _ in funcs)}; over 60: {sum(n > 60 for n, _ in funcs)}")
    found = cycles(graph(Path(root)))
    print(f"import cycles: {len(found)}" + "".join(f"\n  {' <-> '.join(c)}" for c in found))


if __name__ == "__main__":
    main(*sys.argv[1:])
