"""Lesson 11 (backpropagation by hand): the numbers the lesson shows, and the checks of exercises/11.

Expected values are worked out by hand in the comments (the sheet's gradients, the softmax
Jacobian of (1/2, 1/4, 1/4)), or are properties (every gradient whole, the step lowers the loss),
or come from torch.autograd in float64 with the same numbers, and from the backward kernels.
"""

import numpy as np
import pytest
from check_harness import (  # tests/check_harness.py
    CORRECT,
    INCORRECT,
    NOT_DONE,
    assert_correct,
    assert_diagnosed,
    assert_revealed,
    hand_and_code_tests,
)

from helpers import gradient_check, lesson01, linear_backward, relu_backward, scaled_dot_product_attention_backward
from helpers import lesson11 as L
from helpers import softmax_backward as kernel_softmax_backward
from helpers.checks import lesson11 as check
from helpers.checks import states

GRAD_NAMES = ("dY", "dW2", "db2", "dR", "dH", "dW1", "db1", "dZ", "dX", "dA")


@pytest.fixture(scope="module")
def torch():
    """torch, imported when a test here first needs it (the import takes ~2 s)."""
    return pytest.importorskip("torch")


# ------------------------------------------------------------------ 1. the target and the loss


def test_the_target_makes_dY_a_few_ones():
    # dY = Y − T: three cells ±1 (Y[2,1] and Y[3,2] one too big, Y[2,5] one too small), the rest 0
    assert L.DY.tolist() == [[0, 0, 0, 0, 0], [1, 0, 0, 0, -1], [0, 1, 0, 0, 0]]
    assert np.array_equal(L.Y - L.T, L.DY) and L.T.dtype.kind == "i"
    assert L.loss(L.Y, L.T) == 0.5 * (1 + 1 + 1) == 1.5
    assert L.loss(L.Y, L.Y) == 0.0


def test_dY_is_the_gradient_of_the_loss():
    """½ (y + ε − t)² − ½ (y − t)² = (y − t) ε + ½ ε²: the slope of L in one cell of Y is y − t."""
    eps = 1e-3
    for i, j in np.ndindex(L.Y.shape):
        bumped = L.Y.astype(float)
        bumped[i, j] += eps
        assert L.loss(bumped, L.T) - 1.5 == pytest.approx(L.DY[i, j] * eps + 0.5 * eps**2, abs=1e-12)


# ------------------------------------------------------------------ 2-5. the sheet's gradients by hand


def test_layer_2_by_hand():
    # dW2 = dY · Rᵀ: row P1 of dY is 0; row P2 = R[:,Z1] − R[:,Z5] = (11,2,0,0) − (5,4,1,0);
    # row P3 = R[:,Z2] = (5,4,0,1)
    assert L.dW2.tolist() == [[0, 0, 0, 0], [6, -2, -1, 0], [5, 4, 0, 1]]
    assert L.db2.tolist() == [0, 1 - 1, 1]
    # dR = W2ᵀ · dY: column Z1 = row P2 of W2 = (0,1,1,0); Z2 = row P3 = (0,-1,1,1); Z5 = −row P2
    assert L.dR.T.tolist() == [[0, 1, 1, 0], [0, -1, 1, 1], [0, 0, 0, 0], [0, 0, 0, 0], [0, -1, -1, 0]]


def test_the_relu_gate_by_hand():
    # H = [[11,5,8,8,5], [2,4,3,3,4], [-1,-1,2,2,1], [0,1,-4,-4,-2]]: H > 0 passes, H = 0 does not
    assert L.PASSES.astype(int).tolist() == [[1, 1, 1, 1, 1], [1, 1, 1, 1, 1], [0, 0, 1, 1, 1], [0, 1, 0, 0, 0]]
    # dR[H3, Z1] = dR[H3, Z2] = 1 are stopped (H = -1); dR[H4, Z2] = 1 passes (H = 1)
    assert L.dH.T.tolist() == [[0, 1, 0, 0], [0, -1, 0, 1], [0, 0, 0, 0], [0, 0, 0, 0], [0, -1, -1, 0]]
    stopped = np.argwhere((L.dR != 0) & ~L.PASSES).tolist()
    assert stopped == [[2, 0], [2, 1]]
    assert L.dR[3, 0] == 0  # the corner H[4,1] = 0 gets no gradient either way


def test_layer_1_by_hand():
    # dW1 = dH · Zᵀ. Row H2 of dH = (1,-1,0,0,-1): with Z's rows (11,6,7,7,5), (1,2,3,3,3), (1,2,0,0,1)
    # gives 11-6-5 = 0, 1-2-3 = -4, 1-2-1 = -2. Row H3 = (0,0,0,0,-1): -Z[:,Z5] = (-5,-3,-1).
    # Row H4 = (0,1,0,0,0): Z[:,Z2] = (6,2,2).
    assert L.dW1.tolist() == [[0, 0, 0], [0, -4, -2], [-5, -3, -1], [6, 2, 2]]
    assert L.db1.tolist() == [0, -1, -1, 1]
    # dZ = W1ᵀ · dH: Z1 = row H2 of W1 = (0,1,1); Z2 = -(0,1,1) + (0,-1,2) = (0,-2,1);
    # Z5 = -(0,1,1) - (0,1,-1) = (0,-2,0)
    assert L.dZ.T.tolist() == [[0, 1, 1], [0, -2, 1], [0, 0, 0], [0, 0, 0], [0, -2, 0]]


def test_the_attention_weighting_by_hand():
    # dX = dZ · Aᵀ: X_i went into Z_i and Z_(i-1), so dX_i = dZ_i + dZ_(i-1)
    assert L.dX.T.tolist() == [[0, -1, 1], [0, -1, 2], [0, -2, 1], [0, 0, 0], [0, -2, 0]]
    for i in range(5):
        assert np.array_equal(L.dX[:, i], L.dZ[:, i] + L.dZ[:, i - 1])
    # dA = Xᵀ · dZ: dA[3,5] = X3 · dZ5 = (0,2,1) · (0,-2,0) = -4
    assert L.dA[2, 4] == -4
    assert L.dA.shape == L.A.shape


@pytest.mark.parametrize("dY", [L.DY, L.EX_DY], ids=["lesson", "exercises"])
def test_every_gradient_is_a_whole_number(dY):
    grads = L.backward(dY)
    assert list(grads) == list(GRAD_NAMES)
    for name, g in grads.items():
        assert g.dtype.kind == "i", name
        assert np.abs(g).max() <= 11, name  # small enough for paper
    shapes = {"dY": L.Y, "dW2": L.W2, "db2": L.b2, "dR": L.R, "dH": L.H, "dW1": L.W1, "db1": L.b1, "dZ": L.Z,
              "dX": L.X, "dA": L.A}
    assert all(grads[k].shape == np.shape(v) for k, v in shapes.items())  # a gradient has its matrix's shape


@pytest.mark.parametrize("target", [L.T, L.EX_T], ids=["lesson", "exercises"])
def test_the_sheets_gradients_equal_torch_autograd(torch, target):
    t = {k: torch.tensor(np.asarray(v), dtype=torch.float64, requires_grad=True) for k, v in L.SHEET.items()}
    Z = t["X"] @ t["A"]
    H = t["W1"] @ Z + t["b1"][:, None]
    R = torch.relu(H)
    Y = t["W2"] @ R + t["b2"][:, None]
    for v in (Z, H, R, Y):
        v.retain_grad()
    loss = 0.5 * ((Y - torch.tensor(np.asarray(target), dtype=torch.float64)) ** 2).sum()
    loss.backward()
    ours = L.backward(L.Y - target)
    theirs = {"dY": Y.grad, "dR": R.grad, "dH": H.grad, "dZ": Z.grad,
              **{"d" + k: t[k].grad for k in ("W2", "b2", "W1", "b1", "X", "A")}}
    for name in GRAD_NAMES:
        np.testing.assert_allclose(ours[name], theirs[name].numpy(), rtol=0, atol=1e-10, err_msg=name)
    assert loss.item() == L.loss(L.Y, target)


def test_the_sheets_gradients_equal_the_kernels():
    """The bridge of section 8: tokens as rows, the kernels give the sheet's gradients transposed."""
    dR_t, dW2, db2 = linear_backward(L.R.T, L.W2, L.DY.T)
    dH_t = relu_backward(L.H.T, dR_t)
    dZ_t, dW1, db1 = linear_backward(L.Z.T, L.W1, dH_t)
    for kernel, hand in ((dR_t.T, L.dR), (dW2, L.dW2), (db2, L.db2), (dH_t.T, L.dH), (dZ_t.T, L.dZ),
                         (dW1, L.dW1), (db1, L.db1), (L.A @ dZ_t, L.dX.T), (dZ_t @ L.X, L.dA.T)):
        np.testing.assert_array_equal(kernel, hand)


def test_nudging_one_weight_moves_the_loss_as_the_gradient_says():
    # W2[3,1] + ε moves row P3 of Y by ε·R[H1,:] = ε·(11,5,8,8,5); row P3 of dY is (0,1,0,0,0), so
    # ΔL = ε·5 + ½ ε²·(121 + 25 + 64 + 64 + 25) = 0.005 + 0.0001495 for ε = 0.001
    W2 = L.W2.astype(float)
    W2[2, 0] += 0.001
    Y = lesson01.steps(L.X, L.A, L.W1, L.b1, W2, L.b2)["Y"]
    assert L.loss(Y, L.T) - 1.5 == pytest.approx(0.0051495, abs=1e-12)
    assert L.dW2[2, 0] == 5


def test_gradient_check_confirms_the_formulas_off_the_corner():
    """On the sheet H[4,1] = 0 sits on the ReLU's corner; the copy with b1[4] = -1.5 has no H at 0."""
    assert not np.any(lesson01.steps(*(L.OFF_CORNER[k] for k in ("X", "A", "W1", "b1", "W2", "b2")))["H"] == 0)
    for name in L.SHEET:
        assert gradient_check(L.loss_and_grad(name, sheet=L.OFF_CORNER), L.OFF_CORNER[name]) < 1e-8, name
    for name in ("W2", "b2"):  # their nudges do not touch H
        assert gradient_check(L.loss_and_grad(name), L.SHEET[name]) < 1e-8, name
    # on the sheet the corner shows, as the lesson says: above 1e-8, at most about 1e-5
    corner = [gradient_check(L.loss_and_grad(name), L.SHEET[name]) for name in ("W1", "b1", "X", "A")]
    assert all(1e-8 < c < 5e-5 for c in corner), corner


def test_loss_and_grad_returns_the_loss_and_the_gradient():
    value, grad = L.loss_and_grad("W2")(L.W2)
    assert value == 1.5 and np.array_equal(grad, L.dW2)
    with pytest.raises(ValueError, match="name must be one of X, A, W1, b1, W2, b2; got 'W3'"):
        L.loss_and_grad("W3")


# ------------------------------------------------------------------ 6. the softmax and attention


def test_the_softmax_jacobian_by_hand():
    # y = softmax(ln 4, ln 2, ln 2) = (4, 2, 2)/8 = (1/2, 1/4, 1/4)
    np.testing.assert_allclose(L.Y_SOFT, [0.5, 0.25, 0.25], rtol=1e-15)
    # J = diag(y) − y yᵀ: 16·J[1,1] = 16·½·½ = 4, 16·J[1,2] = −16·½·¼ = −2, 16·J[2,2] = 16·¼·¾ = 3,
    # 16·J[2,3] = −16·¼·¼ = −1
    np.testing.assert_allclose(16 * L.softmax_jacobian(L.Y_SOFT), [[4, -2, -2], [-2, 3, -1], [-2, -1, 3]], atol=1e-14)
    # dy = (1, 0, −1): s = ½ − ¼ = ¼; dx = y ⊙ (dy − ¼) = (3/8, −1/16, −5/16)
    dx = (6 / 16, -1 / 16, -5 / 16)
    np.testing.assert_allclose(L.softmax_jacobian(L.Y_SOFT) @ L.DY_SOFT, dx, atol=1e-15)
    np.testing.assert_allclose(kernel_softmax_backward(L.Y_SOFT, L.DY_SOFT), dx, atol=1e-15)
    assert L.explain_softmax_backward(L.Y_SOFT, L.DY_SOFT, "y").endswith("= (0.375, -0.0625, -0.3125)")


def test_the_softmax_jacobian_equals_torch(torch):
    x = torch.tensor([0.3, -1.2, 2.0, 0.5], dtype=torch.float64)
    jac = torch.autograd.functional.jacobian(lambda v: torch.softmax(v, -1), x).numpy()
    np.testing.assert_allclose(L.softmax_jacobian(torch.softmax(x, -1).numpy()), jac, rtol=0, atol=1e-12)


def test_the_three_token_attention_by_hand_and_against_torch(torch):
    st = L.attention_backward_steps(L.Q3, L.K3, L.V3, L.DOUT3)
    # S = Q Kᵀ / 2: q1 = (2,0,2,0) against k1 = (1,0,1,0), k2 = (0,1,0,1), k3 = (1,1,0,0) gives 4/2, 0, 2/2
    assert st["S"].tolist() == [[2, 0, 1], [0, 1, 1], [1, 1, 2]]
    assert np.all(st["dS"][2] == 0) and np.all(st["dQ"][2] == 0)  # dO of t3 is 0
    q, k, v = (torch.tensor(np.asarray(a), dtype=torch.float64, requires_grad=True) for a in (L.Q3, L.K3, L.V3))
    out = torch.softmax(q @ k.T / 2, dim=-1) @ v
    out.backward(torch.tensor(np.asarray(L.DOUT3), dtype=torch.float64))
    np.testing.assert_allclose(st["O"], out.detach().numpy(), atol=1e-12)
    for mine, theirs in ((st["dQ"], q.grad), (st["dK"], k.grad), (st["dV"], v.grad)):
        np.testing.assert_allclose(mine, theirs.numpy(), rtol=0, atol=1e-12)
    for mine, kernel in zip((st["dQ"], st["dK"], st["dV"]),
                            scaled_dot_product_attention_backward(L.Q3, L.K3, L.V3, L.DOUT3)):
        np.testing.assert_allclose(mine, kernel, rtol=0, atol=1e-12)


# ------------------------------------------------------------------ 7. one step


def test_one_step_lowers_the_loss_and_too_big_a_step_overshoots():
    new = L.sgd_step(L.LR)
    assert new["W2"][1, 0] == pytest.approx(0 - 0.01 * 6)  # W2[2,1] = 0 − 0.01 · 6
    assert set(new) == {"W1", "b1", "W2", "b2"}
    before = L.loss(L.Y, L.T)
    after = {lr: L.loss_after_step(lr) for lr in (0.001, 0.003, 0.01, 0.03, 0.1)}
    assert after[0.001] < before and after[0.003] < before and after[0.01] < before
    assert after[0.01] < after[0.003] < after[0.001]  # the lesson's numbers: 1.326, 1.046, 0.806
    assert round(after[0.01], 3) == 0.806
    assert after[0.03] > before and after[0.1] > after[0.03]  # overshoot
    # the step itself: the same as applying W − lr·dW by hand to the sheet
    Y = lesson01.steps(L.X, L.A, new["W1"], new["b1"], new["W2"], new["b2"])["Y"]
    assert L.loss(Y, L.T) == pytest.approx(after[0.01])


# ------------------------------------------------------------------ the drawings


def test_the_backward_drawings_spell_out_the_lit_cell():
    assert L.beside("layer 2", "dW2", highlight=(1, 0)).notes == ["(P2, H1): 1·11 + 0·5 + 0·8 + 0·8 + (-1)·5 = 6"]
    assert L.backward_drawing("dX", highlight=(1, 0)).notes == ["(P2, X1): 1·1 + (-2)·0 + 0·0 + 0·0 + (-2)·1 = -1"]
    assert L.backward_drawing("dA", highlight=(2, 4)).notes[0].endswith("= -4")
    assert "grid 4×5; grid 4×5; grid 4×5" in repr(L.relu_drawing())
    with pytest.raises(ValueError, match="name must be one of dW2, dR, dW1, dZ, dX, dA; got 'dB'"):
        L.backward_drawing("dB")
    with pytest.raises(ValueError, match="step must be 'attention', 'layer 1' or 'layer 2'"):
        L.forward_drawing("layer 3")


# ------------------------------------------------------------------ the checks of exercises/11


def _softmax_backward(y, dy):
    # written out here: s = Σ y·dy per row, dx = y ⊙ (dy − s)
    y, dy = np.asarray(y, dtype=float), np.asarray(dy, dtype=float)
    return y * (dy - (y * dy).sum(axis=-1, keepdims=True))


def _linear_backward(x, W, dy):
    x, W, dy = (np.asarray(a, dtype=float) for a in (x, W, dy))
    return dy @ W, dy.T @ x, dy.sum(axis=0)


# by-hand answers for the exercises' dY = [[0,1,0,0,0], [0,0,0,0,0], [-1,0,0,1,0]]:
# dR = W2ᵀ·dY: column Z1 = −row P3 of W2 = (0,1,-1,-1); Z2 = row P1 = (1,0,0,-1); Z4 = row P3 = (0,-1,1,1)
# passes = H > 0 (see test_the_relu_gate_by_hand)
# dX = dZ·Aᵀ with dZ = [[0,1,0,0,0], [1,1,0,0,0], [1,-3,0,-2,0]]: dX_i = dZ_i + dZ_(i-1)
DR_EX = [[0, 1, 0, 0, 0], [1, 0, 0, -1, 0], [-1, 0, 0, 1, 0], [-1, -1, 0, 1, 0]]
PASSES = [[1, 1, 1, 1, 1], [1, 1, 1, 1, 1], [0, 0, 1, 1, 1], [0, 1, 0, 0, 0]]
DX_EX = [[0, 1, 1, 0, 0], [1, 2, 1, 0, 0], [1, -2, -3, -2, -2]]
HAND = {"d_r": (DR_EX,), "relu_gate": (PASSES,), "d_x": (DX_EX,)}
CODE = {"softmax_backward": _softmax_backward, "linear_backward": _linear_backward}
WRONG = {
    "d_r": [(([[0, 1, 0, 0, 0], [1, 0, 0, -1, 0], [0, 0, 0, 1, 0], [0, -1, 0, 0, 0]],), "gate already"),
            ((L.dR,), "the lesson's dY"),
            (([[5, 4, 0, 1], [0, 0, 0, 0], [-3, 1, 2, 0]],), "which is dW2"),
            (([[0, 1, 0, 0, 0], [1, 0, 0, -1, 0], [-1, 0, 0, 1, 0], [-1, -1, 0, 2, 0]],), "1 of 20 cells is wrong")],
    "relu_gate": [(([[1] * 5, [1] * 5, [0, 0, 1, 1, 1], [1, 1, 0, 0, 0]],), "H = 0 as well"),
                  (([[0] * 5, [0] * 5, [1, 1, 0, 0, 0], [1, 0, 1, 1, 1]],), "stop the gradient"),
                  (([[False, True, False, False, False], [True, False, False, True, False],
                     [True, False, False, True, False], [True, True, False, True, False]],), "depends on H alone")],
    "d_x": [(([[0, 1, 0, 0, 0], [1, 1, 0, 0, 0], [1, -3, 0, -2, 0]],), "gradient of Z, not of X"),
            (([[1, 1, 0, 0, 0], [2, 1, 0, 0, 1], [-2, -3, -2, -2, 1]],), "used A, not Aᵀ"),
            (([[0, 1, 1, 0, 0], [1, 2, 1, 0, 0], [1, -2, -3, -2, 2]],), "1 of 15 cells is wrong: dX[3,5]")],
}


def test_exercise_names_and_order():
    assert check.EXERCISES == ("dL/dW2 on the fillable sheet", "dL/dR", "which ReLU cells pass", "dL/dX",
                               "softmax_backward", "linear_backward")


def test_the_by_hand_answers_are_the_lessons_numbers():
    """The numbers typed in HAND (worked by hand above) are what helpers.lesson11 computes."""
    assert DR_EX == L.EX_GRADS["dR"].tolist()
    assert PASSES == L.PASSES.astype(int).tolist()
    assert DX_EX == L.EX_GRADS["dX"].tolist()


def test_the_fillable_sheet_has_three_states(capsys):
    check.start()
    # dW2 = dY·Rᵀ: row P1 = R[:,Z2] = (5,4,0,1); row P3 = R[:,Z4] − R[:,Z1] = (8,3,2,0) − (11,2,0,0)
    right = [[5, 4, 0, 1], [0, 0, 0, 0], [-3, 1, 2, 0]]
    assert check.dw2_sheet(...).state == NOT_DONE
    assert check.dw2_sheet(right).state == CORRECT
    check.dw2_sheet(np.array(right).T.tolist())  # transposed: the boxes stay empty, the verdict says why
    assert states()["dL/dW2 on the fillable sheet"] == INCORRECT and "transpose" in capsys.readouterr().out
    assert check.dw2_sheet([[5, 4, 0, 1], [0, 0, 0, 0], [-3, 1, 2, 1]]).state == INCORRECT
    assert states()["dL/dW2 on the fillable sheet"] == INCORRECT
    for garbage in (None, "abc", [[1, 2], [3]], float("nan")):
        assert check.dw2_sheet(garbage).state in (NOT_DONE, INCORRECT)


def test_softmax_backward_diagnoses_each_slip():
    def s(**kw):
        def fn(y, dy):
            y, dy = np.asarray(y, dtype=float), np.asarray(dy, dtype=float)
            terms = dy if kw.get("inner") == "dy" else y * dy
            axis = kw.get("axis", -1)
            sums = terms.sum() if axis is None else terms.sum(axis=axis, keepdims=kw.get("keepdims", True))
            return y * (dy - sums) if kw.get("times_y", True) else dy - sums
        return fn

    assert_diagnosed(check.softmax_backward(lambda y, dy: np.asarray(y) * dy), "forgot the − sum term")
    assert_diagnosed(check.softmax_backward(s(inner="dy")), "sum of dy, not the sum of y ⊙ dy")
    assert_diagnosed(check.softmax_backward(s(times_y=False)), "multiply by y at the end")
    assert_diagnosed(check.softmax_backward(s(axis=0)), "down the columns (axis=0)")
    assert_diagnosed(check.softmax_backward(s(keepdims=False)), "without keepdims=True")
    assert_diagnosed(check.softmax_backward(s(axis=None)), "over the whole matrix")
    assert_diagnosed(check.softmax_backward(lambda y, dy: _softmax_backward(y, dy) * 2), "cells are wrong")


def test_linear_backward_diagnoses_each_part_and_slip():
    def parts(dx=None, dW=None, db=None):
        return lambda x, W, dy: tuple(f(x, W, dy) if f else r for f, r in
                                      zip((dx, dW, db), _linear_backward(x, W, dy)))

    assert_diagnosed(check.linear_backward(parts(dx=lambda x, W, dy: dy @ W.T)), "uses W itself")
    assert_diagnosed(check.linear_backward(parts(dx=lambda x, W, dy: x @ W)), "used x where dy belongs")
    assert_diagnosed(check.linear_backward(parts(dW=lambda x, W, dy: x.T @ dy)), "returned dW transposed")
    assert_diagnosed(check.linear_backward(parts(dW=lambda x, W, dy: dy.T @ x / len(x))), "a mean")
    assert_diagnosed(check.linear_backward(parts(db=lambda x, W, dy: dy)), "forgot to sum db over the rows")
    assert_diagnosed(check.linear_backward(parts(db=lambda x, W, dy: dy.sum(axis=1))), "axis=1")
    assert_diagnosed(check.linear_backward(parts(db=lambda x, W, dy: dy.mean(axis=0))), "averaged db")
    # a part wrong in no named way: the check says which array and which cells
    result = assert_diagnosed(check.linear_backward(parts(dW=lambda x, W, dy: dy.T @ x + 1)), "dW (the second array)")
    assert "dW[" in result.message
    assert_diagnosed(check.linear_backward(lambda x, W, dy: np.asarray(dy) @ np.asarray(W)),
                     "should return three arrays, (dx, dW, db); it returned one array of shape (5, 3)")
    assert_diagnosed(check.linear_backward(lambda x, W, dy: _linear_backward(x, W, dy)[:2]), "a tuple of 2")


def test_linear_backward_accepts_lists_and_a_db_kept_as_a_row():
    assert_correct(check.linear_backward(lambda x, W, dy: [a.tolist() for a in _linear_backward(x, W, dy)]))
    assert_correct(check.linear_backward(
        lambda x, W, dy: (*_linear_backward(x, W, dy)[:2], np.sum(dy, axis=0, keepdims=True))))


def test_show_reveals_the_answer(capsys):
    result = assert_revealed(check.d_r(DR_EX, show=True), capsys)
    assert "W2ᵀ · dY" in result.message
    assert_revealed(check.linear_backward(lambda x, W, dy: 3, show=True))  # the structure path reveals too
    assert_revealed(check.softmax_backward(_softmax_backward, show=True))


def test_grading_mode_raises_on_a_wrong_structure(monkeypatch, capsys):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    with pytest.raises(AssertionError, match="three arrays"):
        check.linear_backward(lambda x, W, dy: np.asarray(dy) @ np.asarray(W))
    check.linear_backward(_linear_backward)  # correct: no exception


def test_hints_never_give_the_answer():
    for result in (check.d_r([[9] * 5] * 4), check.relu_gate([[0] * 5] * 4), check.d_x([[9] * 5] * 3)):
        hint = result.message.split("Hint:")[1].split("\n")[0]
        for answer in (DR_EX, PASSES, DX_EX):
            assert str(answer)[1:-1] not in hint
            assert not any(str(row) in hint for row in answer)


# accepts the solutions, diagnoses the slips in WRONG, "not done" for blank answers and for the
# NotImplementedError stub, and no exception escapes for check_harness.GARBAGE / BAD_FUNCTIONS
(test_by_hand_check_accepts_the_solution, test_code_check_accepts_the_solution,
 test_by_hand_check_diagnoses_typical_slips, test_by_hand_checks_report_not_done, test_code_checks_report_not_done,
 test_by_hand_checks_survive_garbage, test_code_checks_survive_garbage) = hand_and_code_tests(check, HAND, CODE, WRONG)
