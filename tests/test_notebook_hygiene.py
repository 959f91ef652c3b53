"""Every committed notebook is executed top to bottom, deterministic, small,
and free of machine paths and timestamps (DESIGN.md, Notebooks)."""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p for d in ("notebooks", "solutions", "exercises") for p in (ROOT / d).glob("*.ipynb"))
MAX_KB = 600  # figures included; a lesson is mostly HTML grids and text

MACHINE_PATH = re.compile(r"(/work/|/root/|/home/\w|/tmp/|\.venv/|site-packages|C:\\\\Users)")
TIMESTAMP = re.compile(r"\b20\d\d-\d\d-\d\dT\d\d:\d\d")


def _id(path):
    return str(path.relative_to(ROOT))


@pytest.fixture(params=NOTEBOOKS, ids=_id)
def notebook(request):
    path = request.param
    return path, json.loads(path.read_text())


def test_there_are_notebooks():
    assert (ROOT / "notebooks" / "00-start-here.ipynb") in NOTEBOOKS


def test_executed_top_to_bottom(notebook):
    path, nb = notebook
    counts = [c.get("execution_count") for c in nb["cells"] if c["cell_type"] == "code"]
    assert counts, f"{_id(path)} has no code cells"
    assert counts == list(range(1, len(counts) + 1)), (
        f"{_id(path)} was not executed top to bottom in a fresh kernel "
        f"(execution counts {counts}); run `make notebooks`"
    )


def test_no_errors_in_outputs(notebook):
    path, nb = notebook
    for i, cell in enumerate(nb["cells"]):
        for out in cell.get("outputs", []):
            assert out.get("output_type") != "error", f"{_id(path)} cell {i} has an error output"
            assert out.get("name") != "stderr" or "Warning" not in "".join(out.get("text", "")), (
                f"{_id(path)} cell {i} prints a warning"
            )


def test_no_machine_paths_or_timestamps(notebook):
    path, nb = notebook
    for i, cell in enumerate(nb["cells"]):
        assert "execution" not in cell.get("metadata", {}), (
            f"{_id(path)} cell {i} carries execution timestamps; run `make notebooks`"
        )
        text = json.dumps(cell.get("outputs", []))
        text = re.sub(r'"image/png": "[^"]*"', "", text)
        m = MACHINE_PATH.search(text)
        assert not m, f"{_id(path)} cell {i} shows a machine path: ...{text[max(0, m.start() - 40):m.end() + 40]}..."
        m = TIMESTAMP.search(text)
        assert not m, f"{_id(path)} cell {i} shows a timestamp"


def test_no_widget_state(notebook):
    """Widget state carries random model ids; the text form of each widget is what is kept."""
    path, nb = notebook
    assert "widgets" not in nb["metadata"], f"{_id(path)} stores widget state; run `make notebooks`"


def test_outputs_are_tidy(notebook):
    """No random widget model ids, no stream split by timing (see helpers.authoring.tidy_outputs)."""
    path, nb = notebook
    for i, cell in enumerate(nb["cells"]):
        outs = cell.get("outputs", [])
        assert not any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outs), (
            f"{_id(path)} cell {i} keeps a widget model id; run `make notebooks`")
        for a, b in zip(outs, outs[1:]):
            assert not (a.get("output_type") == b.get("output_type") == "stream" and a.get("name") == b.get("name")), (
                f"{_id(path)} cell {i} has a split stream; run `make notebooks`")


def test_small(notebook):
    path, _ = notebook
    assert path.stat().st_size < MAX_KB * 1024, f"{_id(path)} is {path.stat().st_size // 1024} KB"


def test_kernel_is_python3(notebook):
    path, nb = notebook
    assert nb["metadata"]["kernelspec"]["name"] == "python3", _id(path)
