"""Properties every correct kernel has, checked on random inputs with hypothesis."""

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from helpers import (
    causal_mask,
    decoder_layer,
    embed,
    init_attention,
    init_decoder_layer,
    layer_norm,
    linear,
    multi_head_attention,
    one_hot,
    scaled_dot_product_attention,
    softmax,
)

FAST = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])

finite = st.floats(-10, 10, allow_nan=False, allow_infinity=False)


def matrices(min_rows=1, max_rows=5, min_cols=1, max_cols=6, elements=finite):
    shape = st.tuples(st.integers(min_rows, max_rows), st.integers(min_cols, max_cols))
    return arrays(np.float64, shape, elements=elements)


@st.composite
def sequence_and_permutation(draw, d_values=(2, 4, 6)):
    n = draw(st.integers(1, 5))
    d = draw(st.sampled_from(d_values))
    x = draw(arrays(np.float64, (n, d), elements=finite))
    perm = np.array(draw(st.permutations(range(n))), dtype=int)
    return x, perm


def params_for(d_model, seed):
    return init_attention(d_model, np.random.default_rng(seed))


seeds = st.integers(0, 2**32 - 1)


# ---------------------------------------------------------------- softmax


@FAST
@given(matrices(elements=st.floats(-1e4, 1e4, allow_nan=False)))
def test_softmax_rows_sum_to_one_and_lie_in_0_1(x):
    s = softmax(x)
    assert s.shape == x.shape
    assert np.all(s >= 0) and np.all(s <= 1)
    np.testing.assert_allclose(s.sum(axis=-1), 1.0, rtol=1e-12)


@FAST
@given(matrices(), st.floats(-100, 100, allow_nan=False))
def test_softmax_unchanged_by_adding_a_constant_to_a_row(x, c):
    np.testing.assert_allclose(softmax(x + c), softmax(x), rtol=1e-9, atol=1e-12)


@FAST
@given(matrices(), st.lists(st.floats(-100, 100, allow_nan=False), min_size=5, max_size=5))
def test_softmax_each_row_may_get_its_own_constant(x, shifts):
    c = np.array(shifts[: x.shape[0]])[:, None]  # (n, 1): a different constant per row
    np.testing.assert_allclose(softmax(x + c), softmax(x), rtol=1e-9, atol=1e-12)


@FAST
@given(matrices(min_rows=2))
def test_softmax_axis_0_is_softmax_of_the_transpose(x):
    np.testing.assert_allclose(softmax(x, axis=0), softmax(x.T).T, rtol=1e-12, atol=1e-15)


# ---------------------------------------------------------------- permutation equivariance


@FAST
@given(sequence_and_permutation())
def test_self_attention_is_permutation_equivariant(data):
    x, perm = data
    out, weights = scaled_dot_product_attention(x, x, x)
    out_p, weights_p = scaled_dot_product_attention(x[perm], x[perm], x[perm])
    # permuting the tokens permutes the output rows, and the weights' rows and columns
    np.testing.assert_allclose(out_p, out[perm], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(weights_p, weights[perm][:, perm], rtol=1e-9, atol=1e-12)


@FAST
@given(sequence_and_permutation(d_values=(2, 4, 6)), st.sampled_from([1, 2]), seeds)
def test_multi_head_self_attention_is_permutation_equivariant(data, h, seed):
    x, perm = data
    p = params_for(x.shape[1], seed)
    out, weights = multi_head_attention(x, x, p, h)
    out_p, weights_p = multi_head_attention(x[perm], x[perm], p, h)
    np.testing.assert_allclose(out_p, out[perm], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(weights_p, weights[:, perm][:, :, perm], rtol=1e-9, atol=1e-12)


# ---------------------------------------------------------------- causal masks never leak


@st.composite
def sequence_and_change(draw, d_values=(2, 4)):
    """x (n, d), a later token j >= 1 and a new value for it."""
    n = draw(st.integers(2, 6))
    d = draw(st.sampled_from(d_values))
    x = draw(arrays(np.float64, (n, d), elements=finite))
    j = draw(st.integers(1, n - 1))
    new_row = draw(arrays(np.float64, (d,), elements=finite))
    assume(not np.array_equal(new_row, x[j]))
    x2 = x.copy()
    x2[j] = new_row
    return x, x2, j


@FAST
@given(sequence_and_change())
def test_causal_sdpa_never_leaks_later_tokens(data):
    x, x2, j = data
    mask = causal_mask(len(x))
    out, w = scaled_dot_product_attention(x, x, x, mask)
    out2, w2 = scaled_dot_product_attention(x2, x2, x2, mask)
    np.testing.assert_allclose(out2[:j], out[:j], rtol=0, atol=1e-12)
    np.testing.assert_allclose(w2[:j], w[:j], rtol=0, atol=1e-12)
    # and nothing above the diagonal ever gets weight
    assert np.all(w[~mask] == 0)


@FAST
@given(sequence_and_change(), st.sampled_from([1, 2]), seeds)
def test_causal_multi_head_attention_never_leaks_later_tokens(data, h, seed):
    x, x2, j = data
    p = params_for(x.shape[1], seed)
    mask = causal_mask(len(x))
    out, w = multi_head_attention(x, x, p, h, mask)
    out2, w2 = multi_head_attention(x2, x2, p, h, mask)
    np.testing.assert_allclose(out2[:j], out[:j], rtol=0, atol=1e-12)
    np.testing.assert_allclose(w2[:, :j], w[:, :j], rtol=0, atol=1e-12)
    assert np.all(w[:, ~mask] == 0)


@FAST
@given(sequence_and_change(d_values=(4,)), st.sampled_from([1, 2]), seeds, st.integers(1, 4))
def test_decoder_layer_self_attention_never_leaks_later_tokens(data, h, seed, n_k):
    y, y2, j = data
    rng = np.random.default_rng(seed)
    p = init_decoder_layer(4, 8, rng)
    memory = rng.normal(size=(n_k, 4))  # (n_k, d_model)
    out = decoder_layer(y, memory, p, h)  # default self_mask: causal
    out2 = decoder_layer(y2, memory, p, h)
    np.testing.assert_allclose(out2[:j], out[:j], rtol=0, atol=1e-10)
    # the explicit causal mask is the same as the default
    np.testing.assert_allclose(decoder_layer(y, memory, p, h, self_mask=causal_mask(len(y))), out,
                               rtol=0, atol=0)


def test_decoder_layer_without_causal_mask_does_leak():
    """Sanity check of the property above: with every key allowed, earlier rows do change."""
    rng = np.random.default_rng(0)
    p = init_decoder_layer(4, 8, rng)
    y, memory = rng.normal(size=(3, 4)), rng.normal(size=(2, 4))
    y2 = y.copy()
    y2[2] += 1.0
    allow_all = np.ones((3, 3), dtype=bool)
    out = decoder_layer(y, memory, p, 2, self_mask=allow_all)
    out2 = decoder_layer(y2, memory, p, 2, self_mask=allow_all)
    assert np.abs(out2[0] - out[0]).max() > 1e-6


# ---------------------------------------------------------------- heads


@st.composite
def cross_attention_inputs(draw, d_model=4):
    n_q = draw(st.integers(1, 4))
    n_k = draw(st.integers(1, 4))
    x_q = draw(arrays(np.float64, (n_q, d_model), elements=finite))
    x_kv = draw(arrays(np.float64, (n_k, d_model), elements=finite))
    mask = draw(arrays(np.bool_, (n_q, n_k)))
    return x_q, x_kv, mask


@FAST
@given(cross_attention_inputs(), seeds)
def test_one_head_equals_single_head_attention_with_the_same_projections(data, seed):
    x_q, x_kv, mask = data
    p = params_for(4, seed)
    q = x_q @ p.W_q.T + p.b_q  # (n_q, d_model)
    k = x_kv @ p.W_k.T + p.b_k  # (n_k, d_model)
    v = x_kv @ p.W_v.T + p.b_v  # (n_k, d_model)
    heads, w = scaled_dot_product_attention(q, k, v, mask)  # (n_q, d_model), (n_q, n_k)
    expected = heads @ p.W_o.T + p.b_o
    out, weights = multi_head_attention(x_q, x_kv, p, 1, mask)
    assert weights.shape == (1,) + w.shape
    np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(weights[0], w, rtol=1e-10, atol=1e-12)


@FAST
@given(cross_attention_inputs(d_model=6), seeds, st.sampled_from([2, 3, 6]))
def test_h_heads_are_h_attentions_on_slices_of_the_projections(data, seed, h):
    x_q, x_kv, mask = data
    p = params_for(6, seed)
    d_k = 6 // h
    heads, ws = [], []
    for i in range(h):
        rows = slice(i * d_k, (i + 1) * d_k)  # head i owns rows i*d_k .. (i+1)*d_k - 1 of W_q, W_k, W_v
        q = x_q @ p.W_q[rows].T + p.b_q[rows]  # (n_q, d_k)
        k = x_kv @ p.W_k[rows].T + p.b_k[rows]  # (n_k, d_k)
        v = x_kv @ p.W_v[rows].T + p.b_v[rows]  # (n_k, d_k)
        o, w = scaled_dot_product_attention(q, k, v, mask)
        heads.append(o)
        ws.append(w)
    expected = np.concatenate(heads, axis=-1) @ p.W_o.T + p.b_o  # (n_q, d_model)
    out, weights = multi_head_attention(x_q, x_kv, p, h, mask)
    np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(weights, np.stack(ws), rtol=1e-10, atol=1e-12)


@FAST
@given(st.integers(1, 3), st.integers(1, 4), seeds)
def test_batched_attention_equals_attention_per_batch_item(batch, n, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(batch, n, 4))  # (batch, n, d_model)
    mask = rng.random((batch, n, n)) < 0.7
    p = params_for(4, seed)
    out, weights = multi_head_attention(x, x, p, 2, mask)
    assert out.shape == (batch, n, 4) and weights.shape == (batch, 2, n, n)
    for b in range(batch):
        o, w = multi_head_attention(x[b], x[b], p, 2, mask[b])
        np.testing.assert_allclose(out[b], o, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(weights[b], w, rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------- layer norm, embeddings, linear


@FAST
@given(matrices(min_cols=2))
def test_layer_norm_rows_have_mean_0_and_variance_1(x):
    d = x.shape[1]
    spread = x.var(axis=-1)
    keep = spread > 1e-2  # rows that are not (nearly) constant
    assume(keep.any())
    y = layer_norm(x, np.ones(d), np.zeros(d))
    np.testing.assert_allclose(y.mean(axis=-1), 0.0, atol=1e-9)
    # eps = 1e-5 makes the variance v / (v + eps), within 1e-3 of 1 when v > 1e-2
    np.testing.assert_allclose(y[keep].var(axis=-1), 1.0, atol=1e-3)
    # with eps = 0 it is 1 up to rounding
    y0 = layer_norm(x[keep], np.ones(d), np.zeros(d), eps=0.0)
    np.testing.assert_allclose(y0.var(axis=-1), 1.0, rtol=1e-9)
    np.testing.assert_allclose(y0.mean(axis=-1), 0.0, atol=1e-9)


@FAST
@given(matrices(min_cols=2), st.floats(-5, 5), st.floats(-5, 5))
def test_layer_norm_gamma_and_beta_are_an_affine_map_of_the_normalised_rows(x, g, b):
    d = x.shape[1]
    base = layer_norm(x, np.ones(d), np.zeros(d))
    np.testing.assert_allclose(layer_norm(x, np.full(d, g), np.full(d, b)), g * base + b,
                               rtol=1e-12, atol=1e-12)


@FAST
@given(st.integers(1, 8), st.integers(1, 5), st.data())
def test_embed_equals_one_hot_times_E(vocab, d_model, data):
    ids = data.draw(st.lists(st.integers(0, vocab - 1), min_size=1, max_size=7))
    E = data.draw(arrays(np.float64, (vocab, d_model), elements=finite))
    oh = one_hot(ids, vocab)
    assert oh.shape == (len(ids), vocab)
    np.testing.assert_array_equal(oh.sum(axis=-1), 1)
    np.testing.assert_allclose(embed(ids, E), oh @ E, rtol=0, atol=0)
    np.testing.assert_array_equal(embed(ids, E), E[ids])


@FAST
@given(matrices(max_cols=4), st.integers(1, 4), st.data())
def test_linear_is_x_times_W_transposed_plus_b(x, d_out, data):
    d_in = x.shape[1]
    W = data.draw(arrays(np.float64, (d_out, d_in), elements=finite))
    b = data.draw(arrays(np.float64, (d_out,), elements=finite))
    expected = np.array([[sum(x[i, c] * W[o, c] for c in range(d_in)) + b[o] for o in range(d_out)]
                         for i in range(x.shape[0])])
    np.testing.assert_allclose(linear(x, W, b), expected, rtol=1e-10, atol=1e-10)

