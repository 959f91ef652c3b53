"""The printable worksheets: keys, difficulty, determinism, the PDFs, the command's errors.

Answers are recomputed here with helpers.kernels in tokens-as-rows layout (the sheet's
features x positions arrays transposed), never with the worksheet's own arithmetic.
"""

import json
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

from helpers import ffn, linear, relu
from helpers import worksheet as ws
from helpers.cli import main


def kernel_answers(kind, g):
    """The answers of a problem from the kernels (tokens are rows, weights (d_out, d_in))."""
    if kind == "scores":
        return {"S": linear(g["Q"], g["K"])}  # (n, d_k) @ (d_k, n) -> (n, n): q_i · k_j
    if kind == "ffn":
        H = linear(g["Z"].T, g["W"], g["b"]).T  # (5, 3) -> (5, 4), back to the sheet's (4, 5)
        return {"H": H, "R": relu(H)}
    # Z = X·A on the sheet: token j's output is sum_i A[i, j] * (token i), i.e. weights A.T
    Z = linear(g["A"].T, g["X"])  # (5, 5) @ (5, 3) -> (5, 3), tokens as rows
    if kind == "attention":
        return {"Z": Z.T}
    H = linear(Z, g["W1"], g["b1"]).T  # (4, 5)
    Y = ffn(Z, g["W1"], g["b1"], g["W2"], g["b2"]).T  # (3, 5)
    return {"Z": Z.T, "H": H, "R": relu(H), "Y": Y}


def key_grids(problem):
    """The numbers the key PDF writes in the blank boxes (what _page draws), by name."""
    top, steps = ws._plan(problem)
    assert not top[-1], "the top grid is given, never blank"
    return {result[0]: result[1] for _, _, _, result in steps if result[-1]}


# ---------------------------------------------------------------- keys


def test_solve_reproduces_the_lesson_sheet_worked_by_hand():
    from helpers import sheet

    given = {k: getattr(sheet, k) for k in ("X", "A", "W1", "b1", "W2", "b2")}
    got = ws.solve("block", given)
    # the article's first row of Z, and Z[2,4] = 3, Z[3,5] = 1 (1-based)
    assert got["Z"][0].tolist() == [11, 6, 7, 7, 5]
    assert got["Z"][1, 3] == 3 and got["Z"][2, 4] == 1
    # H[1,1] = W1[1,:]·Z[:,1] + b1[1] = 1·11 + 0·1 + (-1)·1 + 1 = 11
    assert got["H"][0, 0] == 11
    assert got["H"][3].tolist() == [0, 1, -4, -4, -2]  # -1·1 + 2·1 - 1 = 0, ...
    assert got["R"][3].tolist() == [0, 1, 0, 0, 0]
    assert got["Y"][2].tolist() == [-3, -4, -2, -2, -4]


@pytest.mark.parametrize("kind", ws.KINDS)
def test_keys_equal_the_kernels_results(kind):
    for seed in range(40):
        level = tuple(ws.LEVELS)[seed % 3]
        problem = ws.generate(kind, seed, seed % 7, ws.difficulty(level, kind))
        expected = kernel_answers(kind, problem.given)
        drawn = key_grids(problem)
        assert drawn.keys() == expected.keys()
        for name, want in expected.items():
            np.testing.assert_array_equal(drawn[name], np.rint(want).astype(int),
                                          err_msg=f"{kind} seed {seed}: {name}")
            np.testing.assert_array_equal(problem.answers[name], np.rint(want).astype(int))


# ---------------------------------------------------------------- difficulty


def digits(v):
    return len(str(abs(int(v))))


@pytest.mark.parametrize("kind", ws.KINDS)
def test_difficulty_constraints_hold_over_1000_seeds(kind):
    levels = tuple(ws.LEVELS)
    diffs = [ws.difficulty(level, kind) for level in levels]
    for seed in range(1000):
        d = diffs[seed % 3]
        p = ws.generate(kind, seed, 0, d)
        signed = np.concatenate([np.ravel(p.given[k]) for k in ws.SIGNED[kind]])
        assert np.abs(signed).max() <= d.max_value, (kind, seed)
        assert (signed < 0).sum() == d.negatives, (kind, seed)
        if "A" in p.given:
            A = p.given["A"]
            assert A.min() >= 0 and A.max() <= d.max_weight
            assert ((A != 0).sum(axis=0) >= 1).all(), "every output position mixes something"
        for name, M in kernel_answers(kind, p.given).items():
            assert max(digits(v) for v in np.ravel(M)) <= d.max_digits <= 3, (kind, seed, name)
            assert np.any(M), (kind, seed, name)
        if kind in ("block", "ffn"):
            H = p.answers["H"]
            assert 1 <= (H < 0).sum() <= H.size // 2, f"ReLU must zero something: {kind} {seed}"
            assert (p.answers["R"] == 0).sum() > (H == 0).sum()


def test_the_levels_differ_as_documented():
    easy, hard = ws.difficulty("easy", "block"), ws.difficulty("hard", "block")
    assert (easy.max_value, easy.max_digits) == (2, 2)
    assert hard.max_value == 5 and hard.negatives > easy.negatives
    d = ws.difficulty("easy", "block", max_value=4, negatives=7, max_digits=3)
    assert (d.max_value, d.negatives, d.max_digits) == (4, 7, 3)


@pytest.mark.parametrize("kwargs, message", [
    ({"max_value": 0}, "--max-value must be at least 1"),
    ({"negatives": 99}, "--negatives 99 is impossible for kind block"),
    ({"negatives": 0}, "ReLU has nothing to zero"),
    ({"max_digits": 4}, "--max-digits must be 1, 2 or 3"),
])
def test_an_impossible_difficulty_is_refused(kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        ws.difficulty("easy", "block", **kwargs)


def test_a_difficulty_no_problem_meets_is_reported_not_looped():
    d = ws.difficulty("hard", "block", max_digits=1)  # Y needs 2+ digits with numbers up to 5
    with pytest.raises(ValueError, match=r"no block problem met the difficulty in \d+ tries"):
        ws.generate("block", 1, 0, d)


# ---------------------------------------------------------------- determinism


def test_the_same_seed_gives_the_same_problems():
    d = ws.difficulty("medium", "block")
    a, b = ws.class_set("block", 11, 5, d), ws.class_set("block", 11, 5, d)
    for p, q in zip(a, b):
        for k in p.given:
            np.testing.assert_array_equal(p.given[k], q.given[k])
    # sheet i depends on (seed, i) only, not on the size of the class set
    np.testing.assert_array_equal(ws.generate("block", 11, 3, d).given["X"], a[3].given["X"])
    # and the learners of one class set get different problems, as do different seeds
    fingerprints = {tuple(np.concatenate([np.ravel(v) for v in p.given.values()])) for p in a}
    assert len(fingerprints) == 5
    other = ws.class_set("block", 12, 5, d)
    assert any(not np.array_equal(p.given["X"], q.given["X"]) for p, q in zip(a, other))


# ---------------------------------------------------------------- the PDFs


def page_count(pdf):
    return len(re.findall(rb"/Type\s*/Page\b", pdf.read_bytes()))


def rendered_pages(pdf, tmp_path):
    """Render every page with pdftoppm (grey PGM, 30 dpi) and return them as arrays."""
    if shutil.which("pdftoppm") is None:
        if os.environ.get("CI"):
            pytest.fail("pdftoppm is missing in CI: install poppler-utils (.ci/run does)")
        pytest.skip("pdftoppm (poppler-utils) is not installed: page rendering not checked")
    folder = tmp_path / pdf.stem
    folder.mkdir()
    subprocess.run(["pdftoppm", "-r", "30", "-gray", str(pdf), str(folder / "page")], check=True)
    pages = []
    for path in sorted(folder.glob("page-*.pgm")):
        data = path.read_bytes()
        magic, w, h, maxval, pixels = re.match(rb"(P5)\s+(\d+)\s+(\d+)\s+(\d+)\s(.*)", data, re.S).groups()
        pages.append(np.frombuffer(pixels, np.uint8).reshape(int(h), int(w)))
    return pages


def dark_share(page):
    return float((page < 128).mean())


@pytest.fixture(scope="module")
def class_set_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ws")
    assert main(["worksheet", "--count", "3", "--seed", "5", "--out", str(folder / "w.pdf"),
                 "--json"]) == 0
    return folder


def test_a_class_set_writes_sheets_key_and_json(class_set_files):
    folder = class_set_files
    assert sorted(p.name for p in folder.iterdir()) == ["w-key.pdf", "w.json", "w.pdf"]
    assert page_count(folder / "w.pdf") == 3
    assert page_count(folder / "w-key.pdf") == 3
    assert b"/MediaBox [ 0 0 595.44 841.68 ]" in (folder / "w.pdf").read_bytes()  # A4 in points
    data = json.loads((folder / "w.json").read_text())
    assert (data["kind"], data["seed"], data["count"]) == ("block", 5, 3)
    assert [s["sheet"] for s in data["sheets"]] == [1, 2, 3]
    for sheet in data["sheets"]:
        given = {k: np.array(v) for k, v in sheet["given"].items()}
        for name, want in kernel_answers("block", given).items():
            assert sheet["answers"][name] == np.rint(want).astype(int).tolist()


def test_the_pages_render_and_the_key_has_the_answers(class_set_files, tmp_path):
    sheets = rendered_pages(class_set_files / "w.pdf", tmp_path)
    keys = rendered_pages(class_set_files / "w-key.pdf", tmp_path)
    assert len(sheets) == len(keys) == 3
    for sheet, key in zip(sheets, keys):
        assert sheet.shape == key.shape
        assert abs(sheet.shape[0] - 11.69 * 30) <= 1 and abs(sheet.shape[1] - 8.27 * 30) <= 1  # A4
        for page in (sheet, key):
            assert page.mean() < 250, "the page is blank"
            assert 0.02 < dark_share(page) < 0.5
        # the same layout, plus the answers (and the "ANSWER KEY" tag)
        changed = float((np.abs(key.astype(int) - sheet) > 40).mean())
        assert 0.005 < changed < 0.1, changed
        assert dark_share(key) > dark_share(sheet)


@pytest.mark.parametrize("kind", ["attention", "ffn", "scores"])
def test_every_kind_renders_on_letter(kind, tmp_path):
    out = tmp_path / f"{kind}.pdf"
    assert main(["worksheet", "--kind", kind, "--count", "2", "--seed", "3",
                 "--paper", "letter", "--out", str(out)]) == 0
    assert b"/MediaBox [ 0 0 612 792 ]" in out.read_bytes()  # Letter in points
    assert page_count(out) == page_count(tmp_path / f"{kind}-key.pdf") == 2
    assert len(rendered_pages(tmp_path / f"{kind}-key.pdf", tmp_path)) == 2
    for page in rendered_pages(out, tmp_path):
        assert abs(page.shape[0] - 11 * 30) <= 1 and abs(page.shape[1] - 8.5 * 30) <= 1
        assert page.mean() < 250 and 0.02 < dark_share(page) < 0.5


def test_the_same_seed_gives_the_same_pdf_bytes(tmp_path):
    for name in ("a", "b"):
        assert main(["worksheet", "--kind", "scores", "--seed", "8", "--out",
                     str(tmp_path / f"{name}.pdf")]) == 0
    assert (tmp_path / "a.pdf").read_bytes() == (tmp_path / "b.pdf").read_bytes()
    assert (tmp_path / "a-key.pdf").read_bytes() == (tmp_path / "b-key.pdf").read_bytes()


# ---------------------------------------------------------------- bad options


@pytest.mark.parametrize("argv, message", [
    (["--kind", "softmax"], "invalid choice: 'softmax'"),
    (["--count", "0"], "--count must be between 1 and 1000, got 0"),
    (["--negatives", "99"], "--negatives 99 is impossible for kind block"),
    (["--max-value", "0"], "--max-value must be at least 1"),
    (["--difficulty", "hard", "--max-digits", "1"], "no block problem met the difficulty"),
    (["--seed", "-1"], "--seed must be 0 or more"),
    (["--out", "sheet.txt"], "--out must name a .pdf file"),
])
def test_bad_options_exit_2_with_a_message_and_write_nothing(argv, message, tmp_path, capsys,
                                                            monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exc:
        main(["worksheet", *argv])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "byhand worksheet: error:" in err and message in err
    assert list(tmp_path.iterdir()) == []


def test_a_failure_while_writing_leaves_nothing_half_written(tmp_path, monkeypatch):
    real = ws.render_pdf

    def render_then_fail(problems, path, paper="a4", key=False):
        real(problems, path, paper, key)
        if key:
            raise RuntimeError("disk full")

    monkeypatch.setattr(ws, "render_pdf", render_then_fail)
    with pytest.raises(RuntimeError):
        main(["worksheet", "--seed", "1", "--json", "--out", str(tmp_path / "w.pdf")])
    assert list(tmp_path.iterdir()) == []


def test_python_dash_m_helpers_is_the_same_command(tmp_path):
    done = subprocess.run([sys.executable, "-m", "helpers", "worksheet", "--count", "0"],
                          capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 2
    assert "byhand worksheet: error: --count must be between 1 and 1000" in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_importing_the_command_does_not_import_matplotlib():
    code = ("import sys, helpers.worksheet, helpers.cli; "
            "print('matplotlib' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
