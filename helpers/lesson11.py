"""The numbers of lesson 11 (backpropagation by hand), in one place.

The lesson-01 sheet (helpers.lesson01: features × positions, each token a column) gets a loss,
L = ½ Σ (Y − T)², and its backward pass is worked on the sheet in integers:

- T, DY: the target and dL/dY = Y − T (three cells ±1, the rest 0), so every gradient is an integer.
- backward(DY, ...): every gradient of the sheet by formula; GRADS holds the lesson's, and
  dW2, db2, dR, dH, dW1, db1, dZ, dX, dA are its entries (read-only). PASSES = H > 0: where the
  ReLU lets the gradient through.
- loss(Y, T), loss_and_grad(name): the loss, and f(x) -> (loss, gradient) for gradient_check.
- LR, sgd_step(lr), loss_after_step(lr): one gradient step on W1, b1, W2, b2.
- Y_SOFT, DY_SOFT, softmax_jacobian(y): the softmax Jacobian diag(y) − y yᵀ on three numbers.
- Q3, K3, V3, DOUT3, attention_backward_steps(q, k, v, dout): attention's backward pass, 3 tokens.
- forward_drawing(step), backward_drawing(name, highlight), beside(step, name, highlight): the
  by-hand look, the backward product beside its forward one (docs/img/backprop-layer2.png is
  beside("layer 2", "dW2", highlight=(1, 0))); relu_drawing(): H, dR and dH.
- EX_DY: the exercises' own dL/dY (the same sheet, another target).

Notation: for a matrix M of the sheet, dM is dL/dM, a matrix of M's shape.
The checks of exercises/11 are in helpers.checks.lesson11.
"""

import numpy as np

from .display import grid, hstack, product
from .kernels import frozen, softmax
from .lesson01 import FEATURES, HIDDEN, OUT_POSITIONS, POSITIONS, W1, W2, A, H, R, X, Y, Z, b1, b2, steps

# dL/dY = Y − T: the target T differs from Y in three cells, by one each.
DY = frozen([
    [0, 0, 0, 0, 0],   # P1
    [1, 0, 0, 0, -1],  # P2: Y[2,1] is 1 too big, Y[2,5] 1 too small
    [0, 1, 0, 0, 0],   # P3: Y[3,2] is 1 too big
])
T = frozen(Y - DY)  # the target: what we want Y to be

# The exercises' dL/dY: the same sheet, another target.
EX_DY = frozen([
    [0, 1, 0, 0, 0],    # P1
    [0, 0, 0, 0, 0],    # P2
    [-1, 0, 0, 1, 0],   # P3
])
EX_T = frozen(Y - EX_DY)

PARAMS = ("W1", "b1", "W2", "b2")  # what a gradient step changes (X and A are the block's input)
LR = 0.01  # the learning rate of the step by hand


def loss(Y_, T_):
    """L = ½ Σ (Y − T)²: half the sum of the squared differences, over every cell."""
    d = np.asarray(Y_, dtype=float) - np.asarray(T_, dtype=float)
    return 0.5 * float((d * d).sum())


def backward(dY, X_=X, A_=A, W1_=W1, b1_=b1, W2_=W2, b2_=b2):
    """Every gradient of the sheet, from dY = dL/dY back to the input, in the order it is computed.

    Returns {'dY', 'dW2', 'db2', 'dR', 'dH', 'dW1', 'db1', 'dZ', 'dX', 'dA'}; integers in, integers out."""
    s = steps(X_, A_, W1_, b1_, W2_, b2_)
    dY = np.asarray(dY)
    g = {"dY": dY}
    g["dW2"] = dY @ s["R"].T  # (3, 5) @ (5, 4) -> (3, 4), the shape of W2
    g["db2"] = dY.sum(axis=1)  # (3,): b2 is added to every column, so its gradient sums the row
    g["dR"] = np.asarray(W2_).T @ dY  # (4, 3) @ (3, 5) -> (4, 5)
    g["dH"] = g["dR"] * (s["H"] > 0)  # (4, 5): the ReLU passes the gradient where H > 0
    g["dW1"] = g["dH"] @ s["Z"].T  # (4, 5) @ (5, 3) -> (4, 3)
    g["db1"] = g["dH"].sum(axis=1)  # (4,)
    g["dZ"] = np.asarray(W1_).T @ g["dH"]  # (3, 4) @ (4, 5) -> (3, 5)
    g["dX"] = g["dZ"] @ np.asarray(A_).T  # (3, 5) @ (5, 5) -> (3, 5)
    g["dA"] = np.asarray(X_).T @ g["dZ"]  # (5, 3) @ (3, 5) -> (5, 5)
    return g


GRADS = {k: frozen(v) for k, v in backward(DY).items()}
dW2, db2, dR, dH, dW1, db1, dZ, dX, dA = (GRADS[k] for k in ("dW2", "db2", "dR", "dH", "dW1", "db1", "dZ", "dX", "dA"))
PASSES = frozen(H > 0)  # (4, 5): True where the ReLU lets the gradient through
EX_GRADS = {k: frozen(v) for k, v in backward(EX_DY).items()}

SHEET = {"X": X, "A": A, "W1": W1, "b1": b1, "W2": W2, "b2": b2}
_ORDER = ("X", "A", "W1", "b1", "W2", "b2")  # the arguments of lesson01.steps, in order
# The sheet moved off the ReLU's corner: b1[4] = -1.5 makes H[4,1] = -0.5 instead of exactly 0.
OFF_CORNER = {**SHEET, "b1": frozen([1, 0, -1, -1.5])}


def loss_and_grad(name, target=T, sheet=SHEET):
    """f(x) -> (L, dL/dx) with x in place of the sheet's matrix `name` (X, A, W1, b1, W2 or b2),
    everything else taken from `sheet`: what gradient_check takes."""
    if name not in SHEET:
        raise ValueError(f"name must be one of {', '.join(SHEET)}; got {name!r}")

    def f(x):
        values = [np.asarray(x, dtype=float) if k == name else sheet[k] for k in _ORDER]
        Y_ = steps(*values)["Y"]
        return loss(Y_, target), backward(Y_ - np.asarray(target), *values)["d" + name]

    return f


def sgd_step(lr=LR, grads=GRADS):
    """One gradient step: each of W1, b1, W2, b2 minus lr times its gradient. Returns {name: new value}."""
    return {k: SHEET[k] - lr * grads["d" + k] for k in PARAMS}


def loss_after_step(lr=LR, target=T):
    """L on the sheet after one gradient step of learning rate lr (X and A unchanged)."""
    new = {**SHEET, **sgd_step(lr, backward(Y - np.asarray(target)))}
    return loss(steps(*(new[k] for k in _ORDER))["Y"], target)


# ---------------------------------------------------------------- the softmax and attention

X_SOFT = frozen(np.log([4.0, 2.0, 2.0]))  # scores whose exponentials are 4, 2, 2 (sum 8)
Y_SOFT = frozen(softmax(X_SOFT))  # (1/2, 1/4, 1/4)
DY_SOFT = frozen([1, 0, -1])  # dL/dy for the worked example


def softmax_jacobian(y):
    """J[i, j] = dy_i/dx_j = y_i (δ_ij − y_j), that is diag(y) − y yᵀ, for one row y of a softmax."""
    y = np.asarray(y, dtype=float)
    return np.diag(y) - np.outer(y, y)  # (n, n)


# Three tokens, d_k = 4 (scale 1/√d_k = 1/2, so Q Kᵀ / 2 is whole), d_v = 2.
TOKENS = ("t1", "t2", "t3")
Q3 = frozen([[2, 0, 2, 0],
             [0, 2, 0, 0],
             [2, 2, 0, 0]])  # (n, d_k)
K3 = frozen([[1, 0, 1, 0],
             [0, 1, 0, 1],
             [1, 1, 0, 0]])  # (n, d_k)
V3 = frozen([[1, 0],
             [0, 2],
             [1, 1]])  # (n, d_v)
DOUT3 = frozen([[1, 0],
                [0, -1],
                [0, 0]])  # (n, d_v): dL/dout, only the first two outputs matter to the loss


def attention_backward_steps(q, k, v, dout, scale=None):
    """Attention forward, then backward, every intermediate by formula (tokens as rows).

    Forward: S = Q Kᵀ · scale, P = softmax(S) row by row, O = P V.
    Backward: dV = Pᵀ dO, dP = dO Vᵀ, dS = P ⊙ (dP − rowsum(dP ⊙ P)) (softmax backward of each row),
    dQ = dS K · scale, dK = dSᵀ Q · scale. Returns a dict of all of them."""
    q, k, v, dout = (np.asarray(a, dtype=float) for a in (q, k, v, dout))
    scale = 1 / np.sqrt(q.shape[-1]) if scale is None else scale
    S = q @ k.T * scale  # (n_q, d_k) @ (d_k, n_k) -> (n_q, n_k)
    P = softmax(S)  # (n_q, n_k)
    O = P @ v  # (n_q, n_k) @ (n_k, d_v) -> (n_q, d_v)
    dV = P.T @ dout  # (n_k, n_q) @ (n_q, d_v) -> (n_k, d_v)
    dP = dout @ v.T  # (n_q, d_v) @ (d_v, n_k) -> (n_q, n_k)
    dS = P * (dP - (dP * P).sum(axis=-1, keepdims=True))  # (n_q, n_k)
    dQ = dS @ k * scale  # (n_q, n_k) @ (n_k, d_k) -> (n_q, d_k)
    dK = dS.T @ q * scale  # (n_k, n_q) @ (n_q, d_k) -> (n_k, d_k)
    return {"S": S, "P": P, "O": O, "dV": dV, "dP": dP, "dS": dS, "dQ": dQ, "dK": dK}


def explain_softmax_backward(y, dy, row_name="row"):
    """The softmax backward of one row, in two lines of arithmetic: s = Σ y·dy, then dx = y ⊙ (dy − s)."""
    y, dy = np.asarray(y, dtype=float), np.asarray(dy, dtype=float)
    s = float((y * dy).sum())
    dots = " + ".join(f"{_n(a)}·{_p(b)}" for a, b in zip(y, dy))
    terms = ", ".join(f"{_n(a)}·({_n(b)} − {_p(s)})" for a, b in zip(y, dy))
    dx = y * (dy - s)
    return (f"{row_name}: s = Σ y·dy = {dots} = {_n(s)}\n"
            f"{' ' * len(row_name)}  dx = y ⊙ (dy − s) = ({terms}) = ({', '.join(_n(v) for v in dx)})")


def _n(v):
    """A number as written by hand, to 4 decimals at most: 3, -0.25, 0.0625, 0.6652."""
    v = float(v)
    if abs(v) < 5e-13:
        return "0"
    return str(int(round(v))) if abs(v - round(v)) < 1e-12 else f"{v:.4f}".rstrip("0")


def _p(v):
    """A factor, in parentheses when negative."""
    text = _n(v)
    return f"({text})" if text.startswith("-") else text


# ---------------------------------------------------------------- drawings

_ROLES = {"X": "input", "A": "attention", "Z": "output", "W1": "weights", "H": "hidden", "R": "hidden",
          "W2": "weights", "Y": "output"}


def forward_drawing(step, highlight=None):
    """A forward step as lesson 01 draws it: "attention" (Z = X·A), "layer 1" (H = W1·Z + b1) or "layer 2"."""
    if step == "attention":
        return product(X, A, left_labels=(FEATURES, POSITIONS), right_labels=(POSITIONS, OUT_POSITIONS),
                       roles=("input", "attention", "output"), names=("X", "A", "Z"), highlight=highlight,
                       title="forward: Z = X · A")
    if step == "layer 1":
        return product(W1, Z, bias=b1, left_labels=(HIDDEN, FEATURES), right_labels=(FEATURES, OUT_POSITIONS),
                       roles=("weights", "output", "hidden"), names=("W1", "Z", "H"), highlight=highlight,
                       title="forward: H = W1 · Z + b1")
    if step == "layer 2":
        return product(W2, R, bias=b2, left_labels=(FEATURES, HIDDEN), right_labels=(HIDDEN, OUT_POSITIONS),
                       roles=("weights", "hidden", "output"), names=("W2", "R", "Y"), highlight=highlight,
                       title="forward: Y = W2 · R + b2")
    raise ValueError(f"step must be 'attention', 'layer 1' or 'layer 2'; got {step!r}")


# name -> (left, right, (left name, right name), left_labels, right_labels, roles, formula)
def _backward_products(g):
    return {
        "dW2": (g["dY"], R.T, ("dY", "Rᵀ"), (FEATURES, OUT_POSITIONS), (OUT_POSITIONS, HIDDEN),
                ("output", "hidden", "weights"), "dW2 = dY · Rᵀ"),
        "dR": (W2.T, g["dY"], ("W2ᵀ", "dY"), (HIDDEN, FEATURES), (FEATURES, OUT_POSITIONS),
               ("weights", "output", "hidden"), "dR = W2ᵀ · dY"),
        "dW1": (g["dH"], Z.T, ("dH", "Zᵀ"), (HIDDEN, OUT_POSITIONS), (OUT_POSITIONS, FEATURES),
                ("hidden", "output", "weights"), "dW1 = dH · Zᵀ"),
        "dZ": (W1.T, g["dH"], ("W1ᵀ", "dH"), (FEATURES, HIDDEN), (HIDDEN, OUT_POSITIONS),
               ("weights", "hidden", "output"), "dZ = W1ᵀ · dH"),
        "dX": (g["dZ"], A.T, ("dZ", "Aᵀ"), (FEATURES, OUT_POSITIONS), (OUT_POSITIONS, POSITIONS),
               ("output", "attention", "input"), "dX = dZ · Aᵀ"),
        "dA": (X.T, g["dZ"], ("Xᵀ", "dZ"), (POSITIONS, FEATURES), (FEATURES, OUT_POSITIONS),
               ("input", "output", "attention"), "dA = Xᵀ · dZ"),
    }


def backward_drawing(name, highlight=None, grads=GRADS):
    """The backward product giving `name` (dW2, dR, dW1, dZ, dX or dA), drawn as on the sheets,
    with the cell `highlight` and its arithmetic spelled out."""
    table = _backward_products(grads)
    if name not in table:
        raise ValueError(f"name must be one of {', '.join(table)}; got {name!r}")
    left, right, (ln, rn), ll, rl, roles, formula = table[name]
    return product(left, right, left_labels=ll, right_labels=rl, roles=roles, names=(ln, rn, name),
                   highlight=highlight, title=f"backward: {formula}")


def beside(step, name, highlight=None, grads=GRADS):
    """A backward product beside the forward step it comes from."""
    return hstack(forward_drawing(step), backward_drawing(name, highlight, grads), gap=1.5)


def relu_drawing(grads=GRADS):
    """H, dR and dH side by side; the cells where H ≤ 0 stopped a gradient that was not 0 are lit up."""
    stopped = [(int(i), int(j)) for i, j in np.argwhere((np.asarray(grads["dR"]) != 0) & ~PASSES)]
    labels = {"row_labels": HIDDEN, "col_labels": OUT_POSITIONS, "role": "hidden"}
    return hstack(grid(H, title="H (forward)", highlight=stopped or None, **labels),
                  grid(grads["dR"], title="dR", highlight=stopped or None, **labels),
                  grid(grads["dH"], title="dH = dR where H > 0", highlight=stopped or None, **labels))
