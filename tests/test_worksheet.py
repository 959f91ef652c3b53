"""The printable worksheets: keys, difficulty, determinism, the PDFs, what a student's sheet
does not show, the command's errors, and never overwriting a file.

Answers are recomputed here with helpers.kernels in tokens-as-rows layout (the sheet's
features x positions arrays transposed), never with the worksheet's own arithmetic.
"""

import errno
import json
import re
import subprocess
import sys

import numpy as np
import pypdfium2 as pdfium
import pytest

from helpers import ffn, linear, relu
from helpers import worksheet as ws
from helpers.cli import main
from helpers.worksheet import files as ws_files
from helpers.worksheet import layout as ws_layout
from helpers.worksheet import text as ws_text


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
    """The numbers the key PDF writes in the blank boxes (what render._page draws), by name."""
    steps = [step for page in ws_layout.plan(problem) for step in page]
    assert all(step.result.blank == bool(step.no) for step in steps), "a step's result is blank"
    assert not any(op.blank for step in steps for op in step.lefts), "left operands are given"
    return {step.result.name: step.result.M for step in steps if step.result.blank}


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

SEED = 2**40 + 4321  # as large as a class set's seed should be: its digits turn up nowhere else


def page_count(pdf):
    return len(re.findall(rb"/Type\s*/Page\b", pdf.read_bytes()))


def rendered_pages(pdf, dpi=30):
    """Every page of a PDF rendered by pdfium, as grey uint8 arrays (rows, columns)."""
    with pdfium.PdfDocument(pdf) as doc:
        pages = []
        for page in doc:
            pixels = page.render(scale=dpi / 72, grayscale=True).to_numpy()
            pages.append(pixels.reshape(pixels.shape[:2]).copy())  # pypdfium2 4 adds a channel axis
        return pages


def page_texts(pdf):
    """The text of every page of a PDF, as pdfium extracts it."""
    with pdfium.PdfDocument(pdf) as doc:
        return [page.get_textpage().get_text_range() for page in doc]


def dark_share(page):
    return float((page < 128).mean())


@pytest.fixture(scope="module")
def class_set_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ws")
    assert main(["worksheet", "--count", "3", "--seed", str(SEED), "--out", str(folder / "w.pdf"),
                 "--json"]) == 0
    return folder


def test_a_class_set_writes_sheets_key_and_json(class_set_files):
    folder = class_set_files
    assert sorted(p.name for p in folder.iterdir()) == ["w-key.pdf", "w.json", "w.pdf"]
    assert page_count(folder / "w.pdf") == page_count(folder / "w-key.pdf") == 6  # 2 a block sheet
    assert b"/MediaBox [ 0 0 595.44 841.68 ]" in (folder / "w.pdf").read_bytes()  # A4 in points
    data = json.loads((folder / "w.json").read_text())
    assert (data["kind"], data["seed"], data["count"]) == ("block", SEED, 3)
    assert data["command"] == f"byhand worksheet --kind block --seed {SEED} --count 3"
    assert re.fullmatch(r"[A-Z2-7]{5}", data["set_code"])
    assert [s["sheet"] for s in data["sheets"]] == [1, 2, 3]
    for sheet in data["sheets"]:
        given = {k: np.array(v) for k, v in sheet["given"].items()}
        for name, want in kernel_answers("block", given).items():
            assert sheet["answers"][name] == np.rint(want).astype(int).tolist()


def test_the_pages_render_and_the_key_has_the_answers(class_set_files):
    sheets = rendered_pages(class_set_files / "w.pdf")
    keys = rendered_pages(class_set_files / "w-key.pdf")
    assert len(sheets) == len(keys) == 6
    edge = 15  # pixels, half an inch: the margins stay blank (but for the key's footer)
    for sheet, key in zip(sheets, keys):
        assert sheet.shape == key.shape
        assert abs(sheet.shape[0] - 11.69 * 30) <= 1 and abs(sheet.shape[1] - 8.27 * 30) <= 1  # A4
        for page in (sheet, key):
            assert page.mean() < 250, "the page is blank"
            assert 0.02 < dark_share(page) < 0.5
            assert min(page[:edge].min(), page[:, :edge].min(), page[:, -edge:].min()) > 200
        assert sheet[-edge:].min() > 200 and key[-8:].min() > 200
        # page n of the key is page n of the sheets, plus the answers (and the "ANSWER KEY" tag)
        changed = float((np.abs(key.astype(int) - sheet) > 40).mean())
        assert 0.005 < changed < 0.1, changed
        assert dark_share(key) > dark_share(sheet)


def test_the_boxes_measure_14_mm_on_the_printed_page(class_set_files):
    dpi = 150
    page = rendered_pages(class_set_files / "w.pdf", dpi)[0]
    problem = ws.generate("block", SEED, 0, ws.difficulty("easy", "block"))
    layout = ws_layout.page_layout(problem, ws_layout.plan(problem)[0], "a4")
    x, y = next((x, y) for grid, x, y, _ in layout.grids if grid.name == "Z")
    row = page[round((11.69 - y + layout.cell / 2) * dpi)]  # through Z's first row of boxes
    ink = row[round(x * dpi) - 5:round((x + 5 * layout.cell) * dpi) + 5] < 200
    step = np.diff(np.r_[0, ink.astype(int), 0])
    edges = list(zip(np.flatnonzero(step == 1), np.flatnonzero(step == -1)))  # [start, end) of ink
    boxes = [(left[0], right[1]) for left, right in zip(edges, edges[1:])
             if right[0] - left[1] > dpi / 4]  # two edges with white between: a box's sides
    assert len(boxes) == 5, edges
    for start, end in boxes:
        assert (end - start) / dpi * 25.4 >= 14, "a box, edge to edge, in mm"


@pytest.mark.parametrize("paper", ws.PAPER)
@pytest.mark.parametrize("kind", ws.KINDS)
def test_every_page_has_14_mm_boxes_and_room_to_work_inside_its_margins(kind, paper):
    W, H = ws.PAPER[paper]
    inside = (ws_layout.MARGIN, ws_layout.MARGIN, W - ws_layout.MARGIN, H - ws_layout.MARGIN)

    def within(a, b, tol=1e-9):  # rectangles (x0, y0, x1, y1), inches
        return b[0] - tol <= a[0] < a[2] <= b[2] + tol and b[1] - tol <= a[1] < a[3] <= b[3] + tol

    def apart(a, b, tol=1e-9):
        return a[2] <= b[0] + tol or b[2] <= a[0] + tol or a[3] <= b[1] + tol or b[3] <= a[1] + tol

    for level in ws.LEVELS:
        problem = ws.generate(kind, SEED, 0, ws.difficulty(level, kind))
        pages = ws_layout.plan(problem)
        assert len(pages) == (2 if kind == "block" else 1)
        for steps in pages:
            lay = ws_layout.page_layout(problem, steps, paper)
            assert lay.cell * (1 - 2 * ws_layout.PAD) * 25.4 >= 14, (kind, paper, level)
            x, y, width = lay.notes
            notes = (x, y - ws_text.notes_height(ws_text.notes(problem, steps), width), x + width, y)
            grids = [(x, y - g.M.shape[0] * lay.cell, x + g.M.shape[1] * lay.cell, y)
                     for g, x, y, _ in lay.grids]
            labelled = [(x0 - ws_layout.NAME, y0, x1 + ws_layout.LAB, y1 + 2 * ws_layout.LINE)  # names, labels, titles
                        for x0, y0, x1, y1 in grids]
            assert all(within(box, inside) for box in [notes, lay.room, *labelled])
            assert lay.room[3] - lay.room[1] >= 1.0 and lay.room[2] - lay.room[0] >= 2.5
            parts = [notes, lay.room, *grids]
            assert all(apart(a, b) for i, a in enumerate(parts) for b in parts[i + 1:])


def test_a_student_sheet_does_not_carry_its_seed_or_the_command(class_set_files):
    folder = class_set_files
    data = json.loads((folder / "w.json").read_text())
    sheets, keys = page_texts(folder / "w.pdf"), page_texts(folder / "w-key.pdf")
    for text in sheets:
        assert str(SEED) not in text and "seed" not in text.lower() and "--" not in text
    assert str(SEED).encode() not in (folder / "w.pdf").read_bytes()
    for key in keys:
        assert f"seed {SEED}" in key and data["command"] in key
    assert data["seed"] == SEED and f"--seed {SEED} " in data["command"]
    code = data["set_code"]
    tags = [f"set {code} · sheet {n} of 3 · page {p} of 2" for n in (1, 2, 3) for p in (1, 2)]
    for text, key, tag in zip(sheets, keys, tags):
        assert tag in text and tag in key, "page n of the key is page n of the sheets"


def test_the_set_code_names_the_problems():
    easy, hard = ws.difficulty("easy", "block"), ws.difficulty("hard", "block")
    code = ws.set_code(ws.generate("block", SEED, 0, easy))
    assert code == ws.set_code(ws.generate("block", SEED, 4, easy)), "one code for the whole set"
    assert len({ws.set_code(ws.generate("block", SEED + k, 0, easy)) for k in range(20)}) == 20
    assert code != ws.set_code(ws.generate("block", SEED, 0, hard))
    assert code != ws.set_code(ws.generate("attention", SEED, 0, ws.difficulty("easy", "attention")))


def test_without_seed_a_64_bit_seed_is_drawn(tmp_path, capsys):
    seeds = []
    for n in range(3):
        out = tmp_path / f"{n}.pdf"
        assert main(["worksheet", "--kind", "scores", "--json", "--out", str(out)]) == 0
        seeds.append(json.loads((tmp_path / f"{n}.json").read_text())["seed"])
    assert len(set(seeds)) == 3 and max(seeds) >= 2**32  # fails with probability 2**-96
    assert "note" not in capsys.readouterr().err


@pytest.mark.parametrize("seed, noted", [(7, True), (2**32 - 1, True), (2**32, False)])
def test_a_small_seed_comes_with_a_note(seed, noted, tmp_path, capsys):
    out = tmp_path / "w.pdf"
    assert main(["worksheet", "--kind", "scores", "--seed", str(seed), "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert ("note: a seed as small as" in err and "leave --seed out" in err) == noted


@pytest.mark.parametrize("kind", ws.KINDS)
def test_every_kind_renders_on_letter(kind, tmp_path):
    out = tmp_path / f"{kind}.pdf"
    assert main(["worksheet", "--kind", kind, "--count", "2", "--seed", str(SEED),
                 "--paper", "letter", "--out", str(out)]) == 0
    assert b"/MediaBox [ 0 0 612 792 ]" in out.read_bytes()  # Letter in points
    pages = 2 * len(ws_layout.plan(ws.generate(kind, SEED)))
    assert page_count(out) == page_count(tmp_path / f"{kind}-key.pdf") == pages
    assert len(rendered_pages(tmp_path / f"{kind}-key.pdf")) == pages
    for page in rendered_pages(out):
        assert abs(page.shape[0] - 11 * 30) <= 1 and abs(page.shape[1] - 8.5 * 30) <= 1
        assert page.mean() < 250 and 0.02 < dark_share(page) < 0.5
        edge = 15  # pixels, half an inch: nothing in the margins
        margins = (page[:edge], page[-edge:], page[:, :edge], page[:, -edge:])
        assert min(m.min() for m in margins) > 200


@pytest.mark.parametrize("paper, points", [("A4", b"595.44 841.68"), ("Letter", b"612 792"),
                                           ("LETTER", b"612 792")])
def test_paper_takes_any_case(paper, points, tmp_path):
    out = tmp_path / "w.pdf"
    assert main(["worksheet", "--kind", "scores", "--seed", str(SEED), "--paper", paper,
                 "--out", str(out)]) == 0
    assert b"/MediaBox [ 0 0 " + points + b" ]" in out.read_bytes()


def test_the_same_seed_gives_the_same_pdf_bytes(tmp_path):
    for name in ("a", "b"):
        assert main(["worksheet", "--kind", "scores", "--seed", "8", "--out",
                     str(tmp_path / f"{name}.pdf")]) == 0
    assert (tmp_path / "a.pdf").read_bytes() == (tmp_path / "b.pdf").read_bytes()
    assert (tmp_path / "a-key.pdf").read_bytes() == (tmp_path / "b-key.pdf").read_bytes()


# ---------------------------------------------------------------- never overwrite


@pytest.mark.parametrize("name", ["w.pdf", "w-key.pdf", "w.json"])
def test_an_existing_file_is_never_overwritten(name, tmp_path, capsys):
    (tmp_path / name).write_bytes(b"a teacher's own file")
    with pytest.raises(SystemExit) as exc:
        main(["worksheet", "--seed", str(SEED), "--json", "--out", str(tmp_path / "w.pdf")])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert f"byhand worksheet: error: {tmp_path / name} already exists" in err
    assert "--force overwrites it" in err
    assert (tmp_path / name).read_bytes() == b"a teacher's own file"
    assert [p.name for p in tmp_path.iterdir()] == [name], "nothing written, no temporary file"


def test_force_overwrites(tmp_path):
    for name in ("w.pdf", "w-key.pdf", "w.json"):
        (tmp_path / name).write_bytes(b"last week's")
    assert main(["worksheet", "--seed", str(SEED), "--json", "--force",
                 "--out", str(tmp_path / "w.pdf")]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w-key.pdf", "w.json", "w.pdf"]
    assert page_count(tmp_path / "w.pdf") == page_count(tmp_path / "w-key.pdf") == 2
    assert json.loads((tmp_path / "w.json").read_text())["seed"] == SEED


def no_hard_links(src, dst, *args, **kwargs):
    raise OSError(errno.EPERM, "Operation not permitted", src, None, dst)


@pytest.mark.parametrize("hard_links", [True, False])
def test_a_file_that_appears_while_writing_is_not_overwritten(hard_links, tmp_path, monkeypatch,
                                                             capsys):
    real = ws.render_pdf

    def render_while_another_program_writes(problems, path, paper="a4", key=False):
        real(problems, path, paper, key)
        if key:
            (tmp_path / "w-key.pdf").write_bytes(b"another program's")

    monkeypatch.setattr(ws_files, "render_pdf", render_while_another_program_writes)
    if not hard_links:
        monkeypatch.setattr(ws_files.os, "link", no_hard_links)
    with pytest.raises(SystemExit) as exc:
        main(["worksheet", "--seed", str(SEED), "--out", str(tmp_path / "w.pdf")])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert f"{tmp_path / 'w-key.pdf'} appeared while the worksheets were written" in err
    assert (tmp_path / "w-key.pdf").read_bytes() == b"another program's"
    assert [p.name for p in tmp_path.iterdir()] == ["w-key.pdf"], "the sheets were taken back"


def test_without_hard_links_the_files_are_still_written(tmp_path, monkeypatch):
    monkeypatch.setattr(ws_files.os, "link", no_hard_links)
    paths = ws.write_worksheets(ws.class_set("scores", SEED, 2), tmp_path / "w.pdf", with_json=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w-key.pdf", "w.json", "w.pdf"]
    assert page_count(paths[0]) == page_count(paths[1]) == 2
    assert json.loads(paths[2].read_text())["seed"] == SEED


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

    monkeypatch.setattr(ws_files, "render_pdf", render_then_fail)
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
