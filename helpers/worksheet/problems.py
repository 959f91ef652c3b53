"""Problems: the difficulty levels, one problem per sheet from (kind, seed, index), a class
set, and what names it (the command that prints it again, its set code, its JSON)."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field

import numpy as np

from .kinds import FORMULAS, KINDS, RELU, SIGNED, TITLES, WEIGHTS, solve

# level -> (max_value, max_weight, share of negative given numbers, max_digits)
LEVELS = {
    "easy": (2, 1, 0.10, 2),
    "medium": (3, 1, 0.20, 3),
    "hard": (5, 2, 0.30, 3),
}
MAX_TRIES = 400  # sub-seeds tried per sheet before giving up


@dataclass(frozen=True)
class Difficulty:
    """What a problem may contain; `violations` checks a problem against it.

    max_value: given numbers lie in -max_value..max_value;
    max_weight: attention weights (A) lie in 0..max_weight, 1 to 3 non-zero per column;
    negatives: exactly this many given numbers are negative;
    max_digits: no answer needs more than this many digits (a sign aside);
    ReLU kinds: ReLU zeroes at least one cell of H and at most half of them.
    """

    level: str
    max_value: int
    max_weight: int
    negatives: int
    max_digits: int


def n_signed(kind):
    """How many given numbers of a kind may be negative."""
    return sum(int(np.prod(shape)) for shape in SIGNED[kind].values())


def difficulty(level="easy", kind="block", max_value=None, negatives=None, max_digits=None):
    """The Difficulty of a level, with overrides; ValueError if it cannot be met."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}: choose one of {', '.join(KINDS)}")
    if level not in LEVELS:
        raise ValueError(f"unknown difficulty {level!r}: choose one of {', '.join(LEVELS)}")
    mv, mw, share, md = LEVELS[level]
    max_value = mv if max_value is None else int(max_value)
    max_digits = md if max_digits is None else int(max_digits)
    total = n_signed(kind)
    negatives = round(share * total) if negatives is None else int(negatives)
    if max_value < 1:
        raise ValueError(f"--max-value must be at least 1, got {max_value}: "
                         "with every given number 0 there is nothing to compute")
    if not 1 <= max_digits <= 3:
        raise ValueError(f"--max-digits must be 1, 2 or 3, got {max_digits}: "
                         "an answer box holds at most three digits and a sign")
    if not 0 <= negatives <= total:
        raise ValueError(f"--negatives {negatives} is impossible for kind {kind}: "
                         f"it must be between 0 and {total} (the given numbers that may be negative)")
    if kind in RELU and negatives == 0:
        raise ValueError(f"--negatives 0 is impossible for kind {kind}: with no negative number "
                         "ReLU has nothing to zero; use --negatives 1 or more")
    return Difficulty(level, max_value, min(mw, max_value), negatives, max_digits)


def violations(kind, given, answers, diff):
    """The constraints of `diff` that a problem breaks, as sentences (empty: all hold)."""
    out = []
    signed = np.concatenate([np.ravel(given[k]) for k in SIGNED[kind]])
    if np.abs(signed).max() > diff.max_value:
        out.append(f"a given number is outside -{diff.max_value}..{diff.max_value}")
    if int((signed < 0).sum()) != diff.negatives:
        out.append(f"{int((signed < 0).sum())} given numbers are negative, not {diff.negatives}")
    for k in WEIGHTS[kind]:
        A = np.asarray(given[k])
        if A.min() < 0 or A.max() > diff.max_weight or not (1 <= (A != 0).sum(axis=0)).all():
            out.append(f"{k} is not 0..{diff.max_weight} with a non-zero in every column")
    limit = 10 ** diff.max_digits - 1
    for k, M in answers.items():
        if np.abs(M).max() > limit:
            out.append(f"answers need more than {diff.max_digits} digit(s) ({k} holds {np.abs(M).max()})")
        if not np.any(M):
            out.append(f"every cell of {k} is 0")
    if kind in RELU:
        zeroed = int((np.asarray(answers["H"]) < 0).sum())
        if not 1 <= zeroed <= answers["H"].size // 2:
            out.append(f"ReLU zeroes {zeroed} cells of H, not 1..{answers['H'].size // 2}")
    return out


# ---------------------------------------------------------------- problems


@dataclass
class Problem:
    """One sheet: what is given, what the learner writes, and where it came from."""

    kind: str
    seed: int
    index: int  # 0-based sheet number within the class set
    diff: Difficulty
    given: dict = field(repr=False)
    answers: dict = field(repr=False)


def _draw(rng, kind, diff):
    """One candidate problem: exactly diff.negatives negative cells, placed at random."""
    total = n_signed(kind)
    neg = np.zeros(total, dtype=bool)
    neg[rng.choice(total, size=diff.negatives, replace=False)] = True
    values = np.where(neg, -rng.integers(1, diff.max_value + 1, size=total),
                      rng.integers(0, diff.max_value + 1, size=total))
    given, start = {}, 0
    for name, shape in SIGNED[kind].items():
        size = int(np.prod(shape))
        given[name] = values[start:start + size].reshape(shape)
        start += size
    for name, (n_in, n_out) in WEIGHTS[kind].items():
        A = np.zeros((n_in, n_out), dtype=np.int64)
        for j in range(n_out):  # each output position mixes 1 to 3 input positions
            rows = rng.choice(n_in, size=int(rng.integers(1, 4)), replace=False)
            A[rows, j] = rng.integers(1, diff.max_weight + 1, size=len(rows))
        given[name] = A
    return given


def generate(kind, seed, index=0, diff=None):
    """The problem of sheet `index` for `seed`: a function of (kind, seed, index, diff) only."""
    diff = difficulty(kind=kind) if diff is None else diff
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}: choose one of {', '.join(KINDS)}")
    if int(seed) < 0:
        raise ValueError(f"--seed must be 0 or more, got {seed}")
    reasons = {}
    for attempt in range(MAX_TRIES):
        rng = np.random.default_rng([int(seed), int(index), attempt])
        given = _draw(rng, kind, diff)
        answers = solve(kind, given)
        broken = violations(kind, given, answers, diff)
        if not broken:
            return Problem(kind, int(seed), int(index), diff, given, answers)
        for why in broken:
            key = why.split(" (")[0]
            reasons[key] = reasons.get(key, 0) + 1
    common = max(reasons, key=reasons.get)
    raise ValueError(
        f"no {kind} problem met the difficulty in {MAX_TRIES} tries (sheet {index + 1}, seed {seed}); "
        f"most often: {common}. Loosen it: a smaller --max-value, more --max-digits, "
        f"or a different --negatives")


def class_set(kind, seed, count, diff=None):
    """`count` problems, sheet i made from (seed, i): the same seed gives the same set."""
    if int(count) < 1:
        raise ValueError(f"--count must be at least 1, got {count}")
    return [generate(kind, seed, i, diff) for i in range(int(count))]


def command(problem, count=None, paper="a4"):
    """The command that prints this sheet's class set (and its key) again."""
    d, default = problem.diff, difficulty(problem.diff.level, problem.kind)
    parts = [f"byhand worksheet --kind {problem.kind} --seed {problem.seed}"]
    parts.append(f"--count {count if count else problem.index + 1}")
    if d.level != "easy":
        parts.append(f"--difficulty {d.level}")
    for flag, mine, theirs in (("--max-value", d.max_value, default.max_value),
                               ("--negatives", d.negatives, default.negatives),
                               ("--max-digits", d.max_digits, default.max_digits)):
        if mine != theirs:
            parts.append(f"{flag} {mine}")
    if paper != "a4":
        parts.append(f"--paper {paper}")
    return " ".join(parts)


def set_code(problem):
    """Five letters and digits that name a class set's problems on every student sheet.

    A SHA-256 hash of what makes the problems (kind, seed, difficulty), so the teacher can
    match a sheet to its key (reprinted on other paper or with a larger --count too) while
    the sheet does not give the seed away, short of trying seeds one by one.
    """
    d = problem.diff
    made_of = (f"{problem.kind} {problem.seed} {d.level} {d.max_value} {d.max_weight} "
               f"{d.negatives} {d.max_digits}")
    return base64.b32encode(hashlib.sha256(made_of.encode()).digest()).decode()[:5]


def to_json(problems, paper="a4"):
    """The class set as a JSON-ready dict (all numbers plain ints)."""
    p0 = problems[0]
    return {
        "kind": p0.kind,
        "title": TITLES[p0.kind],
        "seed": p0.seed,
        "set_code": set_code(p0),
        "count": len(problems),
        "paper": paper,
        "difficulty": vars(p0.diff).copy(),
        "layout": "features x positions for X, A, Z, W, H, R, Y (each token is a column); "
                  "tokens are rows for Q, K, S; weights are (d_out, d_in)",
        "formulas": FORMULAS[p0.kind],
        "command": command(p0, len(problems), paper),
        "sheets": [
            {"sheet": p.index + 1,
             "given": {k: np.asarray(v).tolist() for k, v in p.given.items()},
             "answers": {k: np.asarray(v).tolist() for k, v in p.answers.items()}}
            for p in problems
        ],
    }
