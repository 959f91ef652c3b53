"""Execute notebooks in place, top to bottom, each in a fresh kernel.

    python tools/run_notebooks.py notebooks/*.ipynb

Run from the project folder (each notebook's kernel starts in its own folder, as
in JupyterLab). Leaves no timing metadata and no widget state behind (both change at every
run), so committed notebooks are deterministic. Used by `make notebooks`.
"""

import sys
import time
from pathlib import Path

import nbformat

from helpers.authoring import execute


def run(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    execute(nb, Path(path).parent)  # no timing metadata, no widget state, streams merged
    nbformat.write(nb, path)


def main(paths):
    failed = 0
    for path in paths:
        start = time.perf_counter()
        try:
            run(path)
        except Exception as err:  # report every notebook, then fail
            failed += 1
            print(f"FAILED {path}: {type(err).__name__}: {str(err).splitlines()[-1] if str(err) else ''}")
            continue
        print(f"ok {path} ({time.perf_counter() - start:.1f} s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
