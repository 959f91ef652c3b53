"""The `byhand` command (also `python -m helpers`).

    byhand worksheet [--kind KIND] [--count N] [--seed S] [--difficulty LEVEL]
                     [--max-value N] [--negatives N] [--max-digits N]
                     [--paper a4|letter] [--out PATH] [--json] [--force]
    byhand course DIR [--lessons 01,04] [--solutions PATH] [--force]
    byhand train [--seed S] [--steps N] [--out PATH] [--force]
    byhand translate "the red car" [--weights PATH]

Errors (unknown kind, --count 0, a difficulty no problem can meet, an output file that
exists without --force; a non-empty course folder, an unknown lesson; --steps 0, an unknown
word, a weights file that cannot be read) print "byhand COMMAND: error: ..." and exit with
status 2, before any file is written.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import os
import secrets
import sys
import time
from pathlib import Path

SMALL_SEED = 2**32  # below this, a seed can be found by trying them all: a note says so


def _parser():
    from . import worksheet as ws

    parser = argparse.ArgumentParser(
        prog="byhand", description="Transformers by Hand: tools for the classroom.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    p = sub.add_parser(
        "worksheet", help="print-ready PDF worksheets, one problem per learner, and their key",
        description="Write a PDF of by-hand worksheets (a different problem on every sheet) "
                    "and the answer key beside it (NAME-key.pdf).",
        epilog="Example: byhand worksheet --kind block --count 30 --out class3.pdf")
    p.add_argument("--kind", choices=ws.KINDS, default="block",
                   help="block: X, A -> Z -> FFN -> ReLU -> FFN (lesson 01); attention: Z = X·A; "
                        "ffn: one FFN layer and its ReLU; scores: S = Q·Kᵀ (default: block)")
    p.add_argument("--count", type=int, default=1, help="sheets, one problem each (default: 1)")
    p.add_argument("--seed", type=int, default=None,
                   help="makes the problems; printed on the key only, each student sheet shows a "
                        "set code instead (default: a random 64-bit seed)")
    p.add_argument("--difficulty", choices=tuple(ws.LEVELS), default="easy",
                   help="easy: numbers -2..2, answers of 2 digits at most; medium: -3..3; "
                        "hard: -5..5, attention weights up to 2 (default: easy)")
    p.add_argument("--max-value", type=int, metavar="N",
                   help="given numbers lie in -N..N (overrides --difficulty)")
    p.add_argument("--negatives", type=int, metavar="N",
                   help="exactly N given numbers are negative (overrides --difficulty)")
    p.add_argument("--max-digits", type=int, metavar="N",
                   help="no answer needs more than N digits, 1..3 (overrides --difficulty)")
    p.add_argument("--paper", type=str.lower, choices=tuple(ws.PAPER), default="a4",
                   help="any case (default: a4)")
    p.add_argument("--out", default="worksheet.pdf", metavar="PATH",
                   help="the sheets; the key goes to PATH-key.pdf (default: worksheet.pdf)")
    p.add_argument("--json", action="store_true",
                   help="also write the problems and answers to PATH with a .json suffix")
    p.add_argument("--force", action="store_true",
                   help="overwrite the sheets, key or JSON if they exist (default: refuse)")
    c = sub.add_parser(
        "course", help="a ready nbgrader course: every exercise notebook as an autograded assignment",
        description="Write an nbgrader course folder: nbgrader_config.py, source/NN-name/NN-name.ipynb "
                    "from the solution notebooks (each check cell an autograded test worth 1 point), "
                    "and README.md, the teacher's guide with the nbgrader commands.",
        epilog="Example: byhand course grading --lessons 01,04   (then read grading/README.md)")
    c.add_argument("dir", metavar="DIR", help="the course folder to write (must be empty or new)")
    c.add_argument("--lessons", metavar="NN,NN",
                   help="only these lessons' exercise notebooks, e.g. 01,04 (default: all)")
    c.add_argument("--solutions", metavar="PATH",
                   help="the folder of solution notebooks (default: solutions/ of the checkout)")
    c.add_argument("--force", action="store_true",
                   help="write into DIR even if it is not empty (its nbgrader_config.py, README.md and "
                        "source notebooks are overwritten; nothing else is touched)")
    t, r = _model_parsers(sub)
    return parser, {"worksheet": p, "course": c, "train": t, "translate": r}


def _model_parsers(sub):
    """The subcommands of lesson 12's translator: train and translate."""
    t = sub.add_parser(
        "train", help="train lesson 12's translator (numpy only) and save its weights",
        description="Train lesson 12's English->Spanish transformer from its seed on the toy corpus, with a "
                    "progress bar on stderr; print the loss and the held-out exact match, then write the weights.",
        epilog="Example: byhand train --out my-translator.npz   (then: byhand translate 'the red car' "
               "--weights my-translator.npz)")
    t.add_argument("--seed", type=int, default=0, help="the weights' and the batches' seed (default: 0, the "
                                                        "shipped weights' seed)")
    t.add_argument("--steps", type=int, default=None, metavar="N",
                   help="training steps (default: the full configuration's)")
    t.add_argument("--out", default="translator.npz", metavar="PATH",
                   help="the .npz to write (default: translator.npz)")
    t.add_argument("--force", action="store_true", help="overwrite PATH if it exists (default: refuse)")
    r = sub.add_parser(
        "translate", help="translate English into Spanish with lesson 12's trained model",
        description="Translate an English sentence of the toy grammar into Spanish by greedy decoding, with "
                    "the weights shipped in the package or those of a file written by byhand train.",
        epilog="Example: byhand translate \"the red car\"")
    r.add_argument("sentence", help="English words of the corpus, e.g. \"the ball is blue\"")
    r.add_argument("--weights", metavar="PATH", help="an .npz written by byhand train (default: the shipped weights)")
    return t, r


def _worksheet(args, p):
    from . import worksheet as ws

    if not 1 <= args.count <= 1000:
        p.error(f"--count must be between 1 and 1000, got {args.count}")
    chosen = args.seed is not None
    if not chosen:
        args.seed = secrets.randbits(64)
    if args.seed < 0:
        p.error(f"--seed must be 0 or more, got {args.seed}")
    out = Path(args.out)
    if out.is_dir():
        out = out / "worksheet.pdf"
    if out.suffix.lower() != ".pdf":
        p.error(f"--out must name a .pdf file, got {args.out!r}")
    existing = [str(path) for path in ws.outputs(out)[:3 if args.json else 2] if os.path.lexists(path)]
    if existing and not args.force:
        one = len(existing) == 1
        p.error(f"{', '.join(existing)} already exist{'s' if one else ''}; nothing was written "
                f"(--force overwrites {'it' if one else 'them'})")
    try:
        diff = ws.difficulty(args.difficulty, args.kind, args.max_value, args.negatives,
                             args.max_digits)
        start = time.perf_counter()
        problems = ws.class_set(args.kind, args.seed, args.count, diff)
    except ValueError as err:
        p.error(str(err))
    if chosen and args.seed < SMALL_SEED:
        print(f"byhand worksheet: note: a seed as small as {args.seed} can be found by trying "
              "seeds, and with it the key; for a class, leave --seed out", file=sys.stderr)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        paths = ws.write_worksheets(problems, out, args.paper, with_json=args.json, force=args.force)
    except FileExistsError as err:
        p.error(f"{err.filename} appeared while the worksheets were written; nothing was "
                "written (--force overwrites it)")
    except OSError as err:
        p.error(f"cannot write {out}: {err.strerror or err}")
    seconds = time.perf_counter() - start
    names = ", ".join(str(path) for path in paths)
    print(f"wrote {names}: {args.count} sheet(s), kind {args.kind}, set {ws.set_code(problems[0])}, "
          f"seed {args.seed}, {args.paper}, in {seconds:.1f} s")
    print(f"to print them again: {ws.command(problems[0], args.count, args.paper)}")
    return 0


def _course(args, p):
    from . import course

    try:
        lessons = course.parse_lessons(args.lessons) if args.lessons is not None else None
        assignments = course.write_course(args.dir, args.solutions, lessons, force=args.force)
    except course.CourseError as err:
        p.error(str(err))
    except OSError as err:
        p.error(f"cannot write {args.dir}: {err.strerror or err}")
    total = sum(points for _, cells in assignments for _, points in cells)
    names = ", ".join(name for name, _ in assignments)
    print(f"wrote the nbgrader course {args.dir}: {len(assignments)} assignment(s) ({names}), {total} points")
    print(f"next: cd {args.dir} && nbgrader generate_assignment {assignments[0][0]}   (see {args.dir}/README.md)")
    if importlib.util.find_spec("nbgrader") is None:
        print("byhand course: note: nbgrader is not installed here: pip install 'transformers-by-hand[teacher]'",
              file=sys.stderr)
    return 0


def _progress(step, steps, loss, accuracy, width=30):
    """One line of the plain-text progress bar, redrawn in place on stderr."""
    done = width * step // steps
    held = "" if accuracy is None else f"  held-out {accuracy:.1%}"
    return f"\r[{'#' * done}{'.' * (width - done)}] step {step}/{steps}  loss {loss:.3f}{held}"


def _train(args, p):
    from . import lesson12 as L

    if args.seed < 0:
        p.error(f"--seed must be 0 or more, got {args.seed}")
    config = dataclasses.replace(L.CONFIG, seed=args.seed)
    steps = config.steps if args.steps is None else args.steps
    if not 1 <= steps <= 100_000:
        p.error(f"--steps must be between 1 and 100000, got {steps}")
    out = Path(args.out)
    if out.suffix.lower() != ".npz":
        p.error(f"--out must name a .npz file, got {args.out!r}")
    if os.path.lexists(out) and not args.force:
        p.error(f"{out} already exists; nothing was written (--force overwrites it)")
    if not out.parent.is_dir():
        p.error(f"cannot write {out}: the folder {out.parent} does not exist")
    last = [None]

    def report(step, loss, lr, accuracy):
        last[0] = accuracy if accuracy is not None else last[0]
        if step % 10 == 0 or step == steps:
            print(_progress(step, steps, loss, last[0]), end="", file=sys.stderr, flush=True)

    start = time.perf_counter()
    model, history = L.train(config, steps, callback=report, evaluate=lambda m: L.exact_match(L.HELD_OUT, m, config.h))
    print(file=sys.stderr)
    seconds = time.perf_counter() - start
    right = round(history.accuracy[-1] * len(L.HELD_OUT))
    print(f"trained {steps} steps (seed {config.seed}) in {seconds:.1f} s: loss {history.loss[-1]:.3f}, held-out "
          f"exact match {history.accuracy[-1]:.1%} ({right} of {len(L.HELD_OUT)} sentences)")
    try:
        L.save_weights(out, model, config)
    except OSError as err:
        p.error(f"cannot write {out}: {err.strerror or err}")
    print(f"wrote {out}; try: byhand translate \"the red car\" --weights {out}")
    return 0


def _translate(args, p):
    from . import lesson12 as L

    try:
        model, config = L.load_weights(args.weights) if args.weights else L.shipped_weights()
    except (OSError, ValueError, KeyError) as err:
        p.error(f"cannot read the weights {args.weights}: {err}")
    try:
        print(L.translate(args.sentence, model, config.h))
    except ValueError as err:
        p.error(str(err))
    return 0


def main(argv=None):
    """Entry point of the `byhand` console script; returns the exit status."""
    parser, subparsers = _parser()
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if args.command == "worksheet":
        return _worksheet(args, subparsers["worksheet"])
    if args.command == "course":
        return _course(args, subparsers["course"])
    if args.command in ("train", "translate"):
        return {"train": _train, "translate": _translate}[args.command](args, subparsers[args.command])
    parser.error(f"unknown command {args.command!r}")  # unreachable: argparse checks it
    return 2
