"""The checks of exercises/11-backprop-by-hand.ipynb, one per exercise, in order.

    from helpers.checks import lesson11 as check
    check.start()                      # every exercise "not done"
    check.dw2_sheet(dW2_typed)
    ...
    check.progress()

Expected values come from helpers.lesson11 (the sheet of lesson 01 with the exercises' own
dL/dY, EX_DY, and its gradients EX_GRADS) and from the backward kernels, never typed in twice.
linear_backward returns three arrays: its check looks at dx, then dW, then db, and reports the
first that is wrong (with that part's slips), so each diagnosis is about one array.
"""

import contextlib
import io

import numpy as np

from ..kernels import linear_backward as kernel_linear_backward
from ..kernels import softmax
from ..kernels import softmax_backward as kernel_softmax_backward
from ..lesson11 import (
    DOUT3,
    DY,
    DY_SOFT,
    EX_DY,
    EX_GRADS,
    FEATURES,
    HIDDEN,
    K3,
    OUT_POSITIONS,
    PASSES,
    POSITIONS,
    Q3,
    V3,
    W1,
    Y_SOFT,
    A,
    H,
    R,
    X,
    Z,
    attention_backward_steps,
    backward,
)
from . import check_function, check_value, exercise, exercises, fillable_sheet, random_cases, start_lesson
from . import progress as progress  # check.progress() ends the notebook
from .results import incorrect, offer_answer

SEED = 1111  # the random cases are the same in every run

_EX = EX_GRADS  # the exercises' gradients: dY = EX_DY, then dW2, dR, dH, ..., dX


def _ints(M):
    return "[" + ", ".join("[" + ", ".join(str(int(v)) for v in row) + "]" for row in np.asarray(M)) + "]"


@exercise("dL/dW2 on the fillable sheet")
def dw2_sheet(answers=...):
    """The fillable sheet for dW2 = dY · Rᵀ (the exercises' dY): type each cell, or pass the matrix as `answers`."""
    return fillable_sheet(
        dw2_sheet.title, EX_DY, R.T, answers, answer_name="dW2_typed", symbol="dW2",
        roles=("output", "hidden", "weights"), names=("dY", "Rᵀ"),
        left_labels=(FEATURES, OUT_POSITIONS), right_labels=(OUT_POSITIONS, HIDDEN),
        title="dW2 = dY · Rᵀ: type each cell",
        hint="each box dW2[i,k] is row i of dY times column k of Rᵀ (that is, row k of R): only the cells where "
             "dY is not 0 count. Pick a cell on the sheet and press hint to see its row and column.")


@exercise("dL/dR")
def d_r(dR_answer):
    """dR = W2ᵀ · dY, the whole 4 × 5 matrix, for the exercises' dY."""
    return check_value(
        d_r.title, dR_answer, _EX["dR"], labels=(HIDDEN, OUT_POSITIONS), symbol="dR",
        slips={"applied the ReLU's gate already (that is the next exercise): dR is the gradient before the ReLU":
                   _EX["dH"],
               "used the lesson's dY, not the exercises' own (the target is different here)": backward(DY)["dR"],
               "computed dY · Rᵀ, which is dW2: dR = W2ᵀ · dY": _EX["dW2"]},
        hint="dR[k,j] is column k of W2 (row k of W2ᵀ) times column j of dY: R[k,j] reaches Y[i,j] through "
             "W2[i,k] for every i. Check the signs of W2, and that each column of dR uses its own column of dY.",
        answer=f"dR_answer = {_ints(_EX['dR'])}   (dR = W2ᵀ · dY)",
        note="Each hidden number gets back the gradients of the outputs it fed, weighted by W2.")


@exercise("which ReLU cells pass")
def relu_gate(passes):
    """1 (or True) where the ReLU passes the gradient from dR to dH, 0 (or False) where it stops it (4 × 5)."""
    return check_value(
        relu_gate.title, passes, PASSES, labels=(HIDDEN, OUT_POSITIONS), symbol="passes",
        slips={"let the gradient through where H = 0 as well: at exactly 0 the ReLU's slope is taken as 0 "
               "(as PyTorch does), so only H > 0 passes": H >= 0,
               "marked the cells that stop the gradient (H ≤ 0), not those that pass it": H <= 0,
               "marked where dR is not 0: whether a cell passes depends on H alone, not on the gradient":
                   _EX["dR"] != 0},
        hint="the ReLU's slope is 1 where its input was positive and 0 elsewhere: look at H, the forward "
             "number going into the ReLU, not at the gradient.",
        answer=f"passes = {_ints(PASSES.astype(int))}   (1 where H > 0)",
        note="Where the ReLU output 0, a small change of H changes nothing: the gradient stops there.")


@exercise("dL/dX")
def d_x(dX_answer):
    """dX = dZ · Aᵀ, the whole 3 × 5 matrix, from the exercises' dZ."""
    return check_value(
        d_x.title, dX_answer, _EX["dX"], labels=(FEATURES, POSITIONS), symbol="dX",
        slips={"used A, not Aᵀ (dZ · A): X_i went into Z_j through A[i,j], so take row i of A": _EX["dZ"] @ A,
               "forgot to multiply by Aᵀ: dZ is the gradient of Z, not of X": _EX["dZ"],
               "computed Xᵀ · dZ, which is dA (5 × 5)": X.T @ _EX["dZ"]},
        hint="dX[p,i] is row p of dZ times column i of Aᵀ, which is row i of A: X_i was used by the outputs Z_j "
             "where A[i,j] = 1, so its gradient adds up their gradients.",
        answer=f"dX_answer = {_ints(_EX['dX'])}   (dX_i = dZ_i + dZ_(i−1); dX_1 = dZ_1 + dZ_5)",
        note="The gradient flows back along the same 1s of A that carried X forward.")


# ---------------------------------------------------------------- code: softmax_backward


def _softmax_case(r):
    rows, n = int(r.integers(1, 4)), int(r.integers(2, 5))
    if r.integers(0, 2):
        rows = n  # square: a sum down the wrong axis gives numbers, not an error
    y = softmax(r.integers(-2, 3, size=(rows, n)).astype(float))  # (rows, n): each row adds up to 1
    return y, r.integers(-3, 4, size=(rows, n))


def _sb(y, dy, *, axis=-1, keepdims=True, times_y=True, inner="y*dy"):
    """softmax backward with the chosen parts changed (the slips)."""
    y, dy = np.asarray(y, dtype=float), np.asarray(dy, dtype=float)
    terms = y * dy if inner == "y*dy" else dy
    s = terms.sum() if axis is None else terms.sum(axis=axis, keepdims=keepdims)
    return y * (dy - s) if times_y else dy - s


@exercise("softmax_backward")
def softmax_backward(fn):
    """The learner's softmax_backward(y, dy): dx for y = softmax(x) along the last axis, given y and dy."""
    P, dP = (attention_backward_steps(Q3, K3, V3, DOUT3)[k] for k in ("P", "dP"))
    cases = {"the lesson's row y = (1/2, 1/4, 1/4), dy = (1, 0, −1)": (Y_SOFT, DY_SOFT),
             "the 3 tokens' P and dP": (P, dP),
             **random_cases(np.random.default_rng(SEED), 6, _softmax_case)}
    return check_function(
        softmax_backward.title, fn, lambda y, dy: kernel_softmax_backward(y, dy), cases, symbol="dx",
        slips={"forgot the − sum term: y ⊙ dy is only the diagonal of the Jacobian; every y_j also depends on "
               "x_i through the sum in the denominator": lambda y, dy: np.asarray(y) * np.asarray(dy),
               "subtracted the sum of dy, not the sum of y ⊙ dy": lambda y, dy: _sb(y, dy, inner="dy"),
               "forgot to multiply by y at the end": lambda y, dy: _sb(y, dy, times_y=False),
               "took the sum down the columns (axis=0), not along each row (axis=-1)":
                   lambda y, dy: _sb(y, dy, axis=0),
               "summed each row without keepdims=True, so numpy lined the sums up with the columns":
                   lambda y, dy: _sb(y, dy, keepdims=False),
               "summed over the whole matrix, not row by row": lambda y, dy: _sb(y, dy, axis=None)},
        hint="work row by row, as the Jacobian diag(y) − y yᵀ does: besides y ⊙ dy, each x_i also pays y_i times "
             "one number per row, the sum of y ⊙ dy along that row (keep it as a column so it lines up with the "
             "rows). Every row of dx adds up to 0.",
        answer="s = np.sum(y * dy, axis=-1, keepdims=True)   # (..., 1): one number per row\n"
               "return y * (dy - s)",
        note="That is the Jacobian diag(y) − y yᵀ times dy, without ever forming the Jacobian.")


# ---------------------------------------------------------------- code: linear_backward

_PARTS = ("dx", "dW", "db")


def _linear_case(r):
    n, d_in = int(r.integers(2, 6)), int(r.integers(2, 5))
    d_out = d_in if r.integers(0, 2) else int(r.integers(2, 5))  # W square half the time
    return r.integers(-3, 4, size=(n, d_in)), r.integers(-2, 3, size=(d_out, d_in)), r.integers(-2, 3, size=(n, d_out))


def _sheet_case():
    """The sheet's layer 1 with tokens as rows, and the exercises' dH: (Z.T, W1, dH.T), (5, 3), (4, 3), (5, 4)."""
    return np.asarray(Z.T), np.asarray(W1), np.asarray(_EX["dH"]).T


def _f(a):
    return np.asarray(a, dtype=float)


_SLIPS = (
    {"multiplied dy by W.T: the forward pass used W.T, so the backward pass uses W itself (dx = dy @ W)":
         lambda x, W, dy: _f(dy) @ _f(W).T,
     "used x where dy belongs (x @ W)": lambda x, W, dy: _f(x) @ _f(W)},
    {"returned dW transposed (x.T @ dy): dW has W's shape (d_out, d_in), so dW = dy.T @ x":
         lambda x, W, dy: _f(x).T @ _f(dy),
     "divided dW by the number of tokens (a mean): a weight used by every token adds up all their gradients":
         lambda x, W, dy: _f(dy).T @ _f(x) / len(x)},
    {"forgot to sum db over the rows (the tokens): b is added to every token, so db = dy.sum(axis=0)":
         lambda x, W, dy: _f(dy),
     "summed db along each row (axis=1) instead of down the tokens (axis=0)": lambda x, W, dy: _f(dy).sum(axis=1),
     "averaged db over the tokens instead of summing": lambda x, W, dy: _f(dy).mean(axis=0)},
)
_HINTS = (
    "dx (the first array) is wrong: x reaches y through W (y = x @ W.T), so the gradient goes back through the "
    "same W; check which matrix is transposed and that dx has x's shape (n, d_in).",
    "dW (the second array) is wrong: the weight W[o,i] is used by every token t, multiplying x[t,i] into y[t,o], "
    "so its gradient adds up dy[t,o] · x[t,i] over the tokens; dW has W's shape (d_out, d_in).",
    "db (the third array) is wrong: b is added to every token's row, so its gradient adds up dy over the "
    "tokens: one number per output feature.",
)
_LINEAR_ANSWER = ("dx = dy @ W        # (n, d_out) @ (d_out, d_in) -> (n, d_in)\n"
                  "dW = dy.T @ x      # (d_out, n) @ (n, d_in) -> (d_out, d_in)\n"
                  "db = dy.sum(axis=0)  # (d_out,)\n"
                  "return dx, dW, db")


def _three(out):
    """Is out three things (dx, dW, db)?"""
    return isinstance(out, (tuple, list)) and len(out) == 3


def _what(out):
    """What a function returned, in a few words, when it is not three arrays."""
    if isinstance(out, (tuple, list)):
        return f"a {type(out).__name__} of {len(out)}"
    shape = getattr(out, "shape", None)
    return f"one array of shape {tuple(shape)}" if shape is not None else f"a {type(out).__name__}"


def _quiet_call(fn, case):
    """fn(*case) on copies, its prints swallowed; None if it raised (the check will say why)."""
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            return fn(*(np.array(a, copy=True) for a in case))
    except BaseException as err:  # noqa: BLE001 - check_function reports the exception itself
        if isinstance(err, KeyboardInterrupt):
            raise
        return None


def _part(fn, k):
    """The learner's function seen through part k of its result (dx, dW or db)."""
    def part(*case):
        out = fn(*case)
        if out is Ellipsis or out is None or not _three(out):
            return out
        return out[k]
    part.__name__ = getattr(fn, "__name__", "linear_backward")
    return part


def _part_right(fn, k, cases):
    """Does part k of fn's result equal the kernel's on every case?"""
    for case in cases:
        out = _quiet_call(fn, case)
        try:
            got, exp = np.asarray(out[k], dtype=float), kernel_linear_backward(*case)[k]
            if got.shape != exp.shape or not np.allclose(got, exp, rtol=1e-6, atol=1e-9):
                return False
        except Exception:  # noqa: BLE001 - anything odd: let check_function diagnose this part
            return False
    return True


@exercise("linear_backward")
def linear_backward(fn):
    """The learner's linear_backward(x, W, dy) -> (dx, dW, db) for y = x @ W.T + b, tokens as rows."""
    cases = {"the sheet's layer 1, tokens as rows: linear_backward(Z.T, W1, dH.T)": _sheet_case(),
             **random_cases(np.random.default_rng(SEED + 1), 6, _linear_case)}
    if callable(fn):
        first = _quiet_call(fn, next(iter(cases.values())))
        if first is not None and first is not Ellipsis and not _three(first):
            offer_answer(_LINEAR_ANSWER)
            return incorrect(linear_backward.title, f"`{getattr(fn, '__name__', 'linear_backward')}` should return "
                             f"three arrays, (dx, dW, db); it returned {_what(first)}.", _HINTS[0])
    k = next((k for k in (0, 1) if not callable(fn) or not _part_right(fn, k, cases.values())), 2)
    return check_function(
        linear_backward.title, _part(fn, k) if callable(fn) else fn,
        lambda x, W, dy: kernel_linear_backward(x, W, dy)[k], cases, symbol=_PARTS[k], slips=_SLIPS[k],
        hint=_HINTS[k], answer=_LINEAR_ANSWER,
        note="dx goes on to the layer before; dW and db are what a gradient step changes.")


EXERCISES = exercises(__name__)


def start():
    """Declare this lesson's exercises, in order: each is "not done" until its check runs."""
    start_lesson(__name__)
