"""Properties of the backward kernels: each agrees with gradient_check on random small inputs
(hypothesis draws the seeds, shapes and options), fully masked rows give zero gradients and no
NaN, and gradient_check itself accepts right gradients (with exact zeros) and rejects the usual
mistakes by orders of magnitude. Then float32, cross_entropy by hand, and the errors.
"""

import dataclasses

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import (
    FFNParams,
    causal_mask,
    cross_entropy,
    decoder_layer,
    decoder_layer_backward,
    encoder_layer,
    encoder_layer_backward,
    ffn,
    ffn_backward,
    gradient_check,
    init_attention,
    init_decoder_layer,
    init_encoder_layer,
    init_ffn,
    layer_norm,
    layer_norm_backward,
    linear,
    linear_backward,
    multi_head_attention,
    multi_head_attention_backward,
    relu,
    relu_backward,
    scaled_dot_product_attention,
    scaled_dot_product_attention_backward,
    softmax,
    softmax_backward,
)

FEW = settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
RIGHT = 1e-6  # what lessons 11-12 tell learners: below this, the gradient is right
seeds = st.integers(0, 2**32 - 1)


def random_mask(rng, shape):
    """A random boolean mask whose first query sees no key at all (a fully masked row)."""
    mask = rng.random(shape) < 0.6
    mask[..., 0, :] = False
    mask[..., -1, 0] = True
    return mask


def replace(p, **fields):
    return dataclasses.replace(p, **fields)


def pick(value_and_grads, i):
    """(value, (g0, g1, ...)) -> (value, g_i): what gradient_check wants from f."""
    value, grads = value_and_grads
    return value, grads[i]


# ---------------------------------------------------------------- each backward against gradient_check


@FEW
@given(seeds, st.sampled_from([-1, 0]))
def test_softmax_backward_agrees_with_finite_differences(seed, axis):
    rng = np.random.default_rng(seed)
    x, R = rng.normal(scale=2, size=(3, 4)), rng.normal(size=(3, 4))
    assert gradient_check(lambda z: ((softmax(z, axis) * R).sum(), softmax_backward(softmax(z, axis), R, axis)),
                          x) < RIGHT


@FEW
@given(seeds)
def test_relu_and_linear_backward_agree_with_finite_differences(seed):
    rng = np.random.default_rng(seed)
    x, W, b = rng.normal(size=(2, 3, 4)), rng.normal(size=(5, 4)), rng.normal(size=5)
    R = rng.normal(size=(2, 3, 5))

    def loss(x, W, b):  # sum(relu(linear(x)) * R) and its three gradients
        pre = linear(x, W, b)
        return (relu(pre) * R).sum(), linear_backward(x, W, relu_backward(pre, R))

    assert gradient_check(lambda z: pick(loss(z, W, b), 0), x) < RIGHT
    assert gradient_check(lambda z: pick(loss(x, z, b), 1), W) < RIGHT
    assert gradient_check(lambda z: pick(loss(x, W, z), 2), b) < RIGHT


@FEW
@given(seeds)
def test_layer_norm_backward_agrees_with_finite_differences(seed):
    rng = np.random.default_rng(seed)
    x, gamma, beta = rng.normal(scale=2, size=(2, 3, 5)), rng.normal(size=5), rng.normal(size=5)
    R = rng.normal(size=x.shape)
    assert gradient_check(lambda z: ((layer_norm(z, gamma, beta) * R).sum(), layer_norm_backward(z, gamma, R)[0]),
                          x) < RIGHT
    assert gradient_check(lambda g: ((layer_norm(x, g, beta) * R).sum(), layer_norm_backward(x, g, R)[1]),
                          gamma) < RIGHT
    assert gradient_check(lambda c: ((layer_norm(x, gamma, c) * R).sum(), layer_norm_backward(x, gamma, R)[2]),
                          beta) < RIGHT


@FEW
@given(seeds, st.sampled_from([None, 0, 2]), st.sampled_from([0.0, 0.1, 0.5]))
def test_cross_entropy_agrees_with_finite_differences(seed, ignore_index, label_smoothing):
    rng = np.random.default_rng(seed)
    logits, targets = rng.normal(scale=2, size=(3, 4, 6)), rng.integers(0, 6, size=(3, 4))
    targets[0, 0] = 1  # counted whatever ignore_index is
    assert gradient_check(lambda z: cross_entropy(z, targets, ignore_index, label_smoothing), logits) < RIGHT


@FEW
@given(seeds, st.booleans(), st.sampled_from([None, 0.5]))
def test_sdpa_backward_agrees_with_finite_differences(seed, masked, scale):
    rng = np.random.default_rng(seed)
    q, k, v = rng.normal(size=(2, 4, 3)), rng.normal(size=(2, 5, 3)), rng.normal(size=(5, 2))  # v broadcast
    mask = random_mask(rng, (2, 4, 5)) if masked else None
    R = rng.normal(size=(2, 4, 2))

    def f(which):
        def value_and_grad(z):
            args = [q, k, v]
            args[which] = z
            out, _ = scaled_dot_product_attention(*args, mask, scale)
            return (out * R).sum(), scaled_dot_product_attention_backward(*args, R, mask, scale)[which]
        return value_and_grad

    for which, x in enumerate((q, k, v)):
        assert gradient_check(f(which), x) < RIGHT


@FEW
@given(seeds, st.sampled_from(["self", "cross"]), st.booleans())
def test_mha_backward_agrees_with_finite_differences(seed, kind, bias):
    rng = np.random.default_rng(seed)
    p = init_attention(4, rng)
    if not bias:
        p = replace(p, b_k=None, b_o=None)
    x_q = rng.normal(size=(2, 3, 4))
    x_kv = x_q if kind == "self" else rng.normal(size=(2, 5, 4))
    mask = random_mask(rng, (3, x_kv.shape[-2]))
    R = rng.normal(size=x_q.shape)

    def mha(x_q, x_kv, p):
        return (multi_head_attention(x_q, x_kv, p, 2, mask)[0] * R).sum()

    def grads(x_q, x_kv, p):
        return multi_head_attention_backward(x_q, x_kv, p, 2, R, mask)

    if kind == "self":
        assert gradient_check(lambda z: (mha(z, z, p), sum(grads(z, z, p)[:2])), x_q) < RIGHT
    else:
        assert gradient_check(lambda z: (mha(z, x_kv, p), grads(z, x_kv, p)[0]), x_q) < RIGHT
        assert gradient_check(lambda z: (mha(x_q, z, p), grads(x_q, z, p)[1]), x_kv) < RIGHT
    for name in ("W_q", "W_k", "W_v", "W_o", "b_q", "b_v"):
        def f(z, name=name):
            q = replace(p, **{name: z})
            return mha(x_q, x_kv, q), getattr(grads(x_q, x_kv, q)[2], name)
        assert gradient_check(f, getattr(p, name)) < RIGHT, name
    assert bias or grads(x_q, x_kv, p)[2].b_k is None and grads(x_q, x_kv, p)[2].b_o is None


@FEW
@given(seeds)
def test_ffn_backward_agrees_with_finite_differences(seed):
    rng = np.random.default_rng(seed)
    p = init_ffn(4, 6, rng)
    x, R = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 3, 4))

    def f(name):
        def value_and_grad(z):
            q = replace(p, **{name: z}) if name != "x" else p
            xx = z if name == "x" else x
            dx, g = ffn_backward(xx, q.W1, q.b1, q.W2, q.b2, R)
            return (ffn(xx, q.W1, q.b1, q.W2, q.b2) * R).sum(), dx if name == "x" else getattr(g, name)
        return value_and_grad

    for name in ("x", "W1", "b1", "W2", "b2"):
        assert gradient_check(f(name), x if name == "x" else getattr(p, name)) < RIGHT, name


@FEW
@given(seeds)
def test_encoder_layer_backward_agrees_with_finite_differences(seed):
    rng = np.random.default_rng(seed)
    p = init_encoder_layer(4, 6, rng)
    p = replace(p, norm2=replace(p.norm2, gamma=rng.normal(size=4), beta=rng.normal(size=4)))
    x, R, mask = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 3, 4)), random_mask(rng, (2, 3, 3))

    def f(z):
        return (encoder_layer(z, p, 2, mask) * R).sum(), encoder_layer_backward(z, p, 2, R, mask)[0]

    def f_gamma(g):
        q = replace(p, norm2=replace(p.norm2, gamma=g))
        return (encoder_layer(x, q, 2, mask) * R).sum(), encoder_layer_backward(x, q, 2, R, mask)[1].norm2.gamma

    def f_wv(w):
        q = replace(p, self_attn=replace(p.self_attn, W_v=w))
        return (encoder_layer(x, q, 2, mask) * R).sum(), encoder_layer_backward(x, q, 2, R, mask)[1].self_attn.W_v

    assert gradient_check(f, x) < RIGHT
    assert gradient_check(f_gamma, p.norm2.gamma) < RIGHT
    assert gradient_check(f_wv, p.self_attn.W_v) < RIGHT


@settings(FEW, max_examples=3)
@given(seeds, st.booleans())
def test_decoder_layer_backward_agrees_with_finite_differences(seed, memory_masked):
    rng = np.random.default_rng(seed)
    p = init_decoder_layer(4, 6, rng)
    y, memory, R = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 4, 4)), rng.normal(size=(2, 3, 4))
    memory_mask = random_mask(rng, (3, 4)) if memory_masked else None

    def run(y, memory, p):
        value = (decoder_layer(y, memory, p, 2, memory_mask=memory_mask) * R).sum()
        return value, decoder_layer_backward(y, memory, p, 2, R, memory_mask=memory_mask)

    def f_cross(w):
        value, grads = run(y, memory, replace(p, cross_attn=replace(p.cross_attn, W_k=w)))
        return value, grads[2].cross_attn.W_k

    assert gradient_check(lambda z: pick(run(z, memory, p), 0), y) < RIGHT
    assert gradient_check(lambda z: pick(run(y, z, p), 1), memory) < RIGHT
    assert gradient_check(f_cross, p.cross_attn.W_k) < RIGHT


# ---------------------------------------------------------------- masked rows, softmax rows


def test_fully_masked_rows_give_zero_gradients_and_no_nan():
    rng = np.random.default_rng(0)
    q, k, v = rng.normal(size=(2, 4, 3)), rng.normal(size=(2, 5, 3)), rng.normal(size=(2, 5, 2))
    mask = random_mask(rng, (2, 4, 5))  # query 0 sees nothing
    dout = rng.normal(size=(2, 4, 2))
    dq, dk, dv = scaled_dot_product_attention_backward(q, k, v, dout, mask)
    assert all(np.all(np.isfinite(g)) for g in (dq, dk, dv))
    assert np.all(dq[:, 0] == 0)
    # dk and dv are those of the same attention without the blind query (it takes no part)
    dq1, dk1, dv1 = scaled_dot_product_attention_backward(q[:, 1:], k, v, dout[:, 1:], mask[:, 1:])
    np.testing.assert_allclose(dk, dk1, atol=1e-14)
    np.testing.assert_allclose(dv, dv1, atol=1e-14)
    # every key masked for every query: all gradients zero
    none = np.zeros((4, 5), bool)
    assert all(np.all(g == 0) for g in scaled_dot_product_attention_backward(q, k, v, dout, none))
    # the layers: finite, and a blind query's attention adds nothing to x beyond the residual path
    p = init_encoder_layer(4, 6, rng)
    x = rng.normal(size=(2, 4, 4))
    dx, grads = encoder_layer_backward(x, p, 2, rng.normal(size=x.shape), mask=np.zeros((4, 4), bool))
    assert np.all(np.isfinite(dx))
    assert np.all(grads.self_attn.W_q == 0) and np.all(grads.self_attn.W_k == 0)  # no query took part


@FEW
@given(seeds, st.sampled_from([-1, 0, 1]))
def test_softmax_backward_rows_sum_to_zero(seed, axis):
    rng = np.random.default_rng(seed)
    y = softmax(rng.normal(scale=3, size=(3, 4, 5)), axis=axis)
    dx = softmax_backward(y, rng.normal(size=y.shape), axis=axis)
    np.testing.assert_allclose(dx.sum(axis=axis), 0.0, atol=1e-14)  # dx · 1 = 0: shifting a row changes nothing


# ---------------------------------------------------------------- gradient_check itself


def test_gradient_check_accepts_right_gradients_with_exact_zeros():
    """A right gradient whose entries are exactly 0 on both sides (dead ReLUs) still passes."""
    rng = np.random.default_rng(1)
    p = init_ffn(4, 8, rng)
    b1 = np.array([5.0, -5.0] * 4)  # hidden units 1, 3, 5, 7 are off for every token, the others on
    x, R = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))

    def f(W1):
        return (ffn(x, W1, b1, p.W2, p.b2) * R).sum(), ffn_backward(x, W1, b1, p.W2, p.b2, R)[1].W1

    grad = f(p.W1)[1]
    dead = np.all(grad == 0, axis=1)  # hidden units that never fired: a zero row of dW1
    assert 0 < dead.sum() < len(dead)
    assert gradient_check(f, p.W1) < 1e-8


def test_gradient_check_rejects_the_usual_mistakes_by_orders_of_magnitude():
    rng = np.random.default_rng(2)
    x, W, b = rng.normal(size=(6, 4)), rng.normal(size=(4, 4)), rng.normal(size=4)  # square W: .T fits
    R = rng.normal(size=(6, 4))

    def square_loss(grad_factor):
        def f(z):
            y = linear(x, z, b)
            return (y**2).sum(), linear_backward(x, z, grad_factor * y)[1]  # d/dy of y² is 2y
        return f

    def transposed(z):
        return (linear(x, z, b) * R).sum(), linear_backward(x, z, R)[1].T

    def no_bias_grad(z):
        return (linear(x, W, z) * R).sum(), np.zeros_like(z)

    right = gradient_check(square_loss(2), W)
    assert right < 1e-8
    assert gradient_check(square_loss(1), W) == pytest.approx(0.5, abs=1e-6)  # a missing factor of 2
    assert gradient_check(transposed, W) > 0.1  # a transposed weight gradient
    assert gradient_check(no_bias_grad, b) == pytest.approx(1.0)  # a forgotten bias gradient
    assert gradient_check(lambda z: ((linear(x, z, b) * R).sum(), linear_backward(x, z, R)[1]), W) < 1e-8

    def one_wrong(z):  # one entry out of 16 wrong by 1% also shows, by its size relative to the largest
        g = linear_backward(x, z, R)[1].copy()
        g[1, 2] *= 1.01
        return (linear(x, z, b) * R).sum(), g
    assert gradient_check(one_wrong, W) > 1e-4


def test_gradient_check_does_not_modify_x_and_checks_what_f_returns():
    x = np.array([[1, 2], [3, 4]])  # integers: checked on a float64 copy
    before = x.copy()
    assert gradient_check(lambda z: ((z**2).sum(), 2 * z), x) < 1e-8
    assert np.array_equal(x, before) and x.dtype == before.dtype
    xf = np.array([0.5, -1.0])
    gradient_check(lambda z: ((z**3).sum(), 3 * z**2), xf)
    assert np.array_equal(xf, [0.5, -1.0])
    with pytest.raises(ValueError, match=r"grad has shape \(2,\) but must have x's shape \(2, 2\)"):
        gradient_check(lambda z: ((z**2).sum(), np.zeros(2)), x)
    with pytest.raises(ValueError, match=r"f\(x\) must return \(value, grad\)"):
        gradient_check(lambda z: (z**2).sum(), x)
    with pytest.raises(ValueError, match="value must be a single number"):
        gradient_check(lambda z: (z, z), x)
    with pytest.raises(ValueError, match="eps must be a small positive number"):
        gradient_check(lambda z: ((z**2).sum(), 2 * z), x, eps=0)


# ---------------------------------------------------------------- float32, cross_entropy by hand


def test_float32_in_float32_out():
    rng = np.random.default_rng(3)
    f32 = lambda *shape: rng.normal(size=shape).astype(np.float32)  # noqa: E731
    x, W, dy = f32(2, 3, 4), f32(5, 4), f32(2, 3, 5)
    assert all(g.dtype == np.float32 for g in linear_backward(x, W, dy))
    assert softmax_backward(softmax(x), x).dtype == np.float32
    assert relu_backward(x, x).dtype == np.float32
    assert all(g.dtype == np.float32 for g in layer_norm_backward(x, f32(4), x))
    assert all(g.dtype == np.float32 for g in scaled_dot_product_attention_backward(x, x, x, x, causal_mask(3)))
    assert cross_entropy(x, np.zeros((2, 3), int))[1].dtype == np.float32
    p = init_encoder_layer(4, 6, rng)
    p32 = _as_float32(p)
    dx, grads = encoder_layer_backward(x, p32, 2, x)
    assert dx.dtype == np.float32 and grads.self_attn.W_q.dtype == np.float32 and grads.norm1.gamma.dtype == np.float32
    pd = _as_float32(init_decoder_layer(4, 6, rng))
    assert all(g.dtype == np.float32 for g in decoder_layer_backward(x, x, pd, 2, x)[:2])


def _as_float32(p):
    return dataclasses.replace(p, **{f.name: _as_float32(v) if dataclasses.is_dataclass(v) else v.astype(np.float32)
                                     for f in dataclasses.fields(p) for v in [getattr(p, f.name)]})


def test_cross_entropy_by_hand():
    # logits [0, 0], target 0: p = [1/2, 1/2], loss = -log(1/2) = log 2; dlogits = p - one_hot = [-1/2, 1/2]
    loss, d = cross_entropy([[0.0, 0.0]], [0])
    assert loss == pytest.approx(np.log(2), abs=1e-15)
    np.testing.assert_allclose(d, [[-0.5, 0.5]], atol=1e-15)
    # label smoothing 0.5 over 2 classes: t = [0.75, 0.25]; loss = log 2 again (both log p are log 1/2);
    # dlogits = p - t = [-0.25, 0.25]. A second row ignored (-1): the mean is over the one counted row.
    loss, d = cross_entropy([[0.0, 0.0], [5.0, 1.0]], [0, -1], ignore_index=-1, label_smoothing=0.5)
    assert loss == pytest.approx(np.log(2), abs=1e-15)
    np.testing.assert_allclose(d, [[-0.25, 0.25], [0.0, 0.0]], atol=1e-15)
    # logits of ±1e4: the target's logit is 2e4 below the largest, so the loss is 2e4, finite
    loss, d = cross_entropy([[1e4, -1e4]], [1])
    assert loss == pytest.approx(2e4) and np.all(np.isfinite(d))
    np.testing.assert_allclose(d, [[1.0, -1.0]], atol=1e-12)


def test_cross_entropy_with_no_counted_token_is_zero_not_nan():
    loss, d = cross_entropy(np.ones((2, 3, 4)), np.full((2, 3), 7), ignore_index=7, label_smoothing=0.1)
    assert loss == 0.0 and isinstance(loss, float)
    assert d.shape == (2, 3, 4) and np.all(d == 0)


# ---------------------------------------------------------------- errors name the argument and the shapes


def test_wrong_dout_shape_is_named():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(2, 3, 4))
    bad = np.zeros((2, 3, 5))
    pf, pa = init_ffn(4, 6, rng), init_attention(4, rng)
    with pytest.raises(ValueError, match=r"dout has shape \(2, 3, 5\) .* \(\.\.\., n_q, d_v\) = \(2, 3, 4\)"):
        scaled_dot_product_attention_backward(x, x, x, bad)
    with pytest.raises(ValueError, match=r"dout has shape \(2, 3, 5\) .* \(\.\.\., d_model\) = \(2, 3, 4\)"):
        ffn_backward(x, pf.W1, pf.b1, pf.W2, pf.b2, bad)
    with pytest.raises(ValueError, match=r"dout has shape \(2, 3, 5\) .* \(\.\.\., n_q, d_model\) = \(2, 3, 4\)"):
        multi_head_attention_backward(x, x, pa, 2, bad)
    with pytest.raises(ValueError, match=r"dout has shape \(2, 3, 5\) .* \(\.\.\., n, d_model\) = \(2, 3, 4\)"):
        encoder_layer_backward(x, init_encoder_layer(4, 6, rng), 2, bad)
    with pytest.raises(ValueError, match=r"dout has shape \(2, 3, 5\) .* \(\.\.\., n_q, d_model\) = \(2, 3, 4\)"):
        decoder_layer_backward(x, x, init_decoder_layer(4, 6, rng), 2, bad)


def test_wrong_inputs_are_named_as_the_forward_names_them():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(3, 4))
    with pytest.raises(ValueError, match=r"dy has shape \(3, 5\) but must have the shape of y"):
        softmax_backward(softmax(x), np.zeros((3, 5)))
    with pytest.raises(ValueError, match=r"axis=2 is out of range for y with shape \(3, 4\)"):
        softmax_backward(softmax(x), x, axis=2)
    with pytest.raises(ValueError, match=r"dy has shape \(4,\) but must have the shape of x"):
        relu_backward(x, np.zeros(4))
    with pytest.raises(ValueError, match=r"W has \(5, 3\): the last axis of x \(d_in = 4\)"):
        linear_backward(x, np.zeros((5, 3)), np.zeros((3, 5)))
    with pytest.raises(ValueError, match=r"dy has shape \(3, 4\) .* \(\.\.\., d_out\) = \(3, 5\)"):
        linear_backward(x, np.zeros((5, 4)), x)
    with pytest.raises(ValueError, match=r"gamma must have shape \(d_model,\) = \(4,\), got \(3,\)"):
        layer_norm_backward(x, np.ones(3), x)
    with pytest.raises(ValueError, match=r"q has shape \(3, 4\) but k has \(3, 5\)"):
        scaled_dot_product_attention_backward(x, np.zeros((3, 5)), x, x)
    with pytest.raises(ValueError, match=r"mask has shape \(2, 2\), which does not broadcast"):
        scaled_dot_product_attention_backward(x, x, x, x, np.ones((2, 2), bool))
    pa = init_attention(4, rng)
    with pytest.raises(ValueError, match=r"d_model = 4 is not divisible by h = 3"):
        multi_head_attention_backward(x, x, pa, 3, x)
    with pytest.raises(ValueError, match=r"p.W_k must have shape \(d_model, d_model\) = \(4, 4\), got \(4, 3\)"):
        multi_head_attention_backward(x, x, replace(pa, W_k=np.zeros((4, 3))), 2, x)
    with pytest.raises(ValueError, match=r"W2 must have shape \(d_model, d_ff\) = \(4, 6\), got \(6, 4\)"):
        ffn_backward(x, np.zeros((6, 4)), None, np.zeros((6, 4)), None, x)
    with pytest.raises(ValueError, match=r"b1 must have shape \(6,\) to match W1 \(6, 4\), got \(4,\)"):
        ffn_backward(x, np.zeros((6, 4)), np.zeros(4), np.zeros((4, 6)), None, x)
    with pytest.raises(ValueError, match=r"p.ffn must be an FFNParams, got dict"):
        encoder_layer_backward(x, replace(init_encoder_layer(4, 6, rng), ffn={}), 2, x)
    with pytest.raises(ValueError, match=r"memory_mask has shape \(2, 2\), which does not broadcast"):
        decoder_layer_backward(x, x, init_decoder_layer(4, 6, rng), 2, x, memory_mask=np.ones((2, 2), bool))
    with pytest.raises(ValueError, match=r"y has shape \(3, 4\) but memory has \(3, 6\)"):
        decoder_layer_backward(x, np.zeros((3, 6)), init_decoder_layer(4, 6, rng), 2, x)


def test_cross_entropy_errors_name_targets_and_options():
    logits = np.zeros((2, 3, 5))
    with pytest.raises(ValueError, match=r"targets has shape \(2,\) but logits has \(2, 3, 5\): targets must be "
                                         r"\(\.\.\.\) = \(2, 3\)"):
        cross_entropy(logits, [0, 1])
    with pytest.raises(ValueError, match=r"targets must be integer token ids, got dtype float64"):
        cross_entropy(logits, np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"targets must lie in 0..vocab-1 = 0..4 \(or equal ignore_index = None\), "
                                         r"got 5"):
        cross_entropy(logits, np.full((2, 3), 5))
    with pytest.raises(ValueError, match=r"label_smoothing must be a number from 0.0 to 1.0, got 1.5"):
        cross_entropy(logits, np.zeros((2, 3), int), label_smoothing=1.5)
    with pytest.raises(ValueError, match=r"ignore_index must be an integer id or None, got 'pad'"):
        cross_entropy(logits, np.zeros((2, 3), int), ignore_index="pad")


def test_bias_none_gives_none():
    rng = np.random.default_rng(6)
    p = init_ffn(4, 6, rng)
    x = rng.normal(size=(3, 4))
    dx, g = ffn_backward(x, p.W1, None, p.W2, None, x)
    assert isinstance(g, FFNParams) and g.b1 is None and g.b2 is None and g.W1.shape == (6, 4)
