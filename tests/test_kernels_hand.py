"""Kernels on small examples worked out by hand.

Every expected value is written here as arithmetic a reader can redo on paper;
none is copied from the code under test.
"""

import dataclasses
import math

import numpy as np
import pytest

from helpers import (
    causal_mask,
    cosine_similarity,
    decoder_layer,
    embed,
    encoder_layer,
    ffn,
    init_attention,
    init_decoder_layer,
    init_encoder_layer,
    layer_norm,
    linear,
    multi_head_attention,
    one_hot,
    positional_encoding,
    relu,
    scaled_dot_product_attention,
    softmax,
)

E = math.e


def as_float32(p):
    """A copy of a params dataclass (nested) with every array cast to float32."""
    fields = {}
    for f in dataclasses.fields(p):
        value = getattr(p, f.name)
        if dataclasses.is_dataclass(value):
            fields[f.name] = as_float32(value)
        else:
            fields[f.name] = np.asarray(value, dtype=np.float32)
    return type(p)(**fields)


# ---------------------------------------------------------------- softmax


def test_softmax_of_logs_is_the_normalised_counts():
    # exp(0) = 1, exp(ln 2) = 2, exp(ln 3) = 3; the sum is 6
    got = softmax([0.0, math.log(2), math.log(3)])
    np.testing.assert_allclose(got, [1 / 6, 2 / 6, 3 / 6], rtol=1e-12)


def test_softmax_of_equal_logits_is_uniform():
    # every exp is the same number, so each gets 1/4
    np.testing.assert_allclose(softmax([7, 7, 7, 7]), [0.25] * 4, rtol=1e-12)


def test_softmax_of_0_and_1():
    # exp(0) = 1 and exp(1) = e: [1, e] / (1 + e)
    np.testing.assert_allclose(softmax([0, 1]), [1 / (1 + E), E / (1 + E)], rtol=1e-12)


def test_softmax_axis_0_normalises_columns():
    x = [[0, 5], [math.log(3), 5]]
    # column 0: [1, 3] / 4; column 1: [e^5, e^5] / (2 e^5) = [1/2, 1/2]
    np.testing.assert_allclose(softmax(x, axis=0), [[1 / 4, 1 / 2], [3 / 4, 1 / 2]], rtol=1e-12)


def test_softmax_is_stable_for_logits_of_1e4():
    # exp(1e4) overflows; after subtracting the row maximum the row is [0, -2e4, -1e4]
    # and exp of those is [1, 0, 0] in float64
    got = softmax([1e4, -1e4, 0.0])
    assert np.all(np.isfinite(got))
    np.testing.assert_allclose(got, [1.0, 0.0, 0.0], atol=1e-300)
    # two equal huge logits share the weight: [1/2, 1/2]
    np.testing.assert_allclose(softmax([1e4, 1e4]), [0.5, 0.5], rtol=1e-12)
    np.testing.assert_allclose(softmax([-1e4, -1e4]), [0.5, 0.5], rtol=1e-12)
    # -1e4 and -1e4 + ln 3 differ by ln 3: weights [1, 3] / 4
    got = softmax([-1e4, -1e4 + math.log(3)])
    np.testing.assert_allclose(got, [1 / 4, 3 / 4], rtol=1e-9)


def test_softmax_is_stable_for_float32_logits_of_1e4():
    got = softmax(np.array([[1e4, 1e4 - math.log(3)], [-1e4, -1e4]], dtype=np.float32))
    assert got.dtype == np.float32
    assert np.all(np.isfinite(got))
    # row 0: [3, 1] / 4 (float32 has ~4e-4 absolute spacing at 1e4, hence the tolerance)
    np.testing.assert_allclose(got, [[3 / 4, 1 / 4], [1 / 2, 1 / 2]], atol=1e-3)


def test_softmax_of_an_all_minus_inf_row_is_zero():
    got = softmax([[-np.inf, -np.inf], [0.0, -np.inf]])
    # row 0 has nothing to attend to: zeros, not 0/0 = nan; row 1: [1, 0]
    np.testing.assert_array_equal(got, [[0.0, 0.0], [1.0, 0.0]])


# ---------------------------------------------------------------- relu, linear, ffn


def test_relu_keeps_integers_integer():
    got = relu([-2, 0, 3])
    np.testing.assert_array_equal(got, [0, 0, 3])
    assert got.dtype.kind == "i"


def test_linear_2x3_example():
    x = [[1, 2, 3],
         [4, 5, 6]]  # (n, d_in) = (2, 3)
    W = [[1, 0, -1],
         [2, 1, 0]]  # (d_out, d_in) = (2, 3)
    b = [10, 20]
    expected = [
        [1*1 + 2*0 + 3*(-1) + 10, 1*2 + 2*1 + 3*0 + 20],  # [8, 24]
        [4*1 + 5*0 + 6*(-1) + 10, 4*2 + 5*1 + 6*0 + 20],  # [8, 33]
    ]  # fmt: skip
    assert expected == [[8, 24], [8, 33]]
    got = linear(x, W, b)
    np.testing.assert_array_equal(got, expected)
    assert got.dtype.kind == "f"
    # without a bias: subtract b from each row
    np.testing.assert_array_equal(linear(x, W), [[-2, 4], [-2, 13]])


def test_linear_one_token_as_1d_vector():
    # x = [1, 2, 3]: W @ x = [1 - 3, 2 + 2] = [-2, 4]
    np.testing.assert_array_equal(linear([1, 2, 3], [[1, 0, -1], [2, 1, 0]]), [-2, 4])


def test_ffn_tiny_example_where_relu_zeroes_a_unit():
    x = [[1, 2]]  # (n, d_model) = (1, 2)
    W1 = [[1, 1],
          [1, -1],
          [0, 2]]  # (d_ff, d_model) = (3, 2)
    b1 = [0, 0, -1]
    # hidden before relu: [1+2+0, 1-2+0, 0+4-1] = [3, -1, 3]; relu -> [3, 0, 3]
    W2 = [[1, 1, 1],
          [1, -1, 2]]  # (d_model, d_ff) = (2, 3)
    b2 = [1, 0]
    # out: [3 + 0 + 3 + 1, 3 - 0 + 2*3 + 0] = [7, 9]
    # (without the relu it would be [3 - 1 + 3 + 1, 3 + 1 + 6] = [6, 10])
    np.testing.assert_array_equal(ffn(x, W1, b1, W2, b2), [[7, 9]])


# ---------------------------------------------------------------- attention


Q1 = [[1, 1, 1, 1]]  # one query, d_k = 4, so the scale is 1/sqrt(4) = 1/2
K3 = [[1, 0, 0, 1],
      [0, 1, 1, 0],
      [1, 1, 0, 0]]  # three keys, each with q·k = 2, so every score is 2 * 1/2 = 1
V3 = [[3, 0],
      [0, 3],
      [3, 3]]  # (n_k, d_v) = (3, 2)


def test_sdpa_equal_scores_give_uniform_weights():
    out, weights = scaled_dot_product_attention(Q1, K3, V3)
    # equal scores -> weights 1/3 each; out = ([3,0] + [0,3] + [3,3]) / 3 = [2, 2]
    np.testing.assert_allclose(weights, [[1 / 3, 1 / 3, 1 / 3]], rtol=1e-12)
    np.testing.assert_allclose(out, [[2, 2]], rtol=1e-12)


def test_sdpa_masking_a_key_spreads_weight_over_the_rest():
    mask = [[True, True, False]]
    out, weights = scaled_dot_product_attention(Q1, K3, V3, mask)
    # key 2 is out: weights [1/2, 1/2, 0]; out = ([3,0] + [0,3]) / 2 = [1.5, 1.5]
    np.testing.assert_allclose(weights, [[0.5, 0.5, 0.0]], rtol=1e-12, atol=0)
    np.testing.assert_allclose(out, [[1.5, 1.5]], rtol=1e-12)


def test_sdpa_scale_is_one_over_sqrt_d_k():
    q = [[1, 1, 1, 1]]
    k = [[0, 0, 0, 0],   # q·k = 0 -> score 0
         [1, 1, 0, 0]]   # q·k = 2 -> score 2/2 = 1
    v = [[0], [1]]
    out, weights = scaled_dot_product_attention(q, k, v)
    # softmax([0, 1]) = [1, e] / (1 + e); out = 0 * 1/(1+e) + 1 * e/(1+e)
    np.testing.assert_allclose(weights, [[1 / (1 + E), E / (1 + E)]], rtol=1e-12)
    np.testing.assert_allclose(out, [[E / (1 + E)]], rtol=1e-12)
    # a custom scale of 1/2 * ln 3 turns the scores into [0, ln 3]: weights [1/4, 3/4]
    out, weights = scaled_dot_product_attention(q, k, v, scale=math.log(3) / 2)
    np.testing.assert_allclose(weights, [[1 / 4, 3 / 4]], rtol=1e-12)


def test_sdpa_two_queries_with_a_causal_mask():
    q = [[0, 0, 0, 0],
         [0, 0, 0, 0]]  # zero queries: every score is 0
    k = [[1, 2, 3, 4],
         [5, 6, 7, 8]]
    v = [[10, 0],
         [0, 20]]
    out, weights = scaled_dot_product_attention(q, k, v, causal_mask(2))
    # query 0 sees key 0 only: [1, 0]; query 1 sees both with equal scores: [1/2, 1/2]
    np.testing.assert_allclose(weights, [[1, 0], [0.5, 0.5]], rtol=1e-12)
    # out: [10, 0] and ([10, 0] + [0, 20]) / 2 = [5, 10]
    np.testing.assert_allclose(out, [[10, 0], [5, 10]], rtol=1e-12)


def test_sdpa_fully_masked_row_gives_zero_weights_and_zero_output():
    q = [[1, 1, 1, 1],
         [1, 1, 1, 1]]
    mask = [[True, True, False],
            [False, False, False]]  # query 1 may attend to nothing
    out, weights = scaled_dot_product_attention(q, K3, V3, mask)
    assert not np.any(np.isnan(out)) and not np.any(np.isnan(weights))
    np.testing.assert_array_equal(weights[1], [0, 0, 0])
    np.testing.assert_array_equal(out[1], [0, 0])
    # row 0 as in the masked example above: [1/2, 1/2, 0] and [1.5, 1.5]
    np.testing.assert_allclose(weights[0], [0.5, 0.5, 0], rtol=1e-12)
    np.testing.assert_allclose(out[0], [1.5, 1.5], rtol=1e-12)


def test_mha_fully_masked_row_gives_zero_weights_and_no_nan():
    rng = np.random.default_rng(0)
    p = init_attention(4, rng)
    x = rng.normal(size=(3, 4))  # (n, d_model)
    mask = np.array([[True, False, False],
                     [False, False, False],  # token 1 attends to nothing
                     [True, True, True]])
    out, weights = multi_head_attention(x, x, p, 2, mask)
    assert weights.shape == (2, 3, 3)  # (h, n_q, n_k)
    assert not np.any(np.isnan(out)) and not np.any(np.isnan(weights))
    np.testing.assert_array_equal(weights[:, 1, :], np.zeros((2, 3)))
    # every head outputs zero for token 1, so the output projection leaves only its bias:
    # 0 @ W_o.T + b_o = b_o
    np.testing.assert_allclose(out[1], p.b_o, rtol=0, atol=0)
    # with b_o = 0 the whole output row is zero
    p0 = dataclasses.replace(p, b_o=np.zeros(4))
    out0, _ = multi_head_attention(x, x, p0, 2, mask)
    np.testing.assert_array_equal(out0[1], np.zeros(4))
    # token 0 sees only itself: weight 1 on key 0 in every head
    np.testing.assert_allclose(weights[:, 0, :], [[1, 0, 0], [1, 0, 0]], rtol=1e-12)


def test_mha_with_identity_projections_is_plain_attention():
    # h = 1, W = identity, b = 0: q = k = v = x, so mha = softmax(x xᵀ / 2) x (d_model = 4)
    I, z = np.eye(4), np.zeros(4)
    p = init_attention(4, np.random.default_rng(0))
    p = dataclasses.replace(p, W_q=I, b_q=z, W_k=I, b_k=z, W_v=I, b_v=z, W_o=I, b_o=z)
    x = [[1, 1, 1, 1],
         [1, 1, 0, 0]]
    # scores / 2: [[4, 2], [2, 2]] / 2 = [[2, 1], [1, 1]]
    # row 0: softmax([2, 1]) = [e, 1] / (e + 1); row 1: [1/2, 1/2]
    w0 = np.array([E, 1]) / (E + 1)
    out, weights = multi_head_attention(x, x, p, 1)
    np.testing.assert_allclose(weights, [[w0, [0.5, 0.5]]], rtol=1e-12)
    # out row 0 = w0[0] * [1,1,1,1] + w0[1] * [1,1,0,0] = [1, 1, w0[0], w0[0]]
    # out row 1 = ([1,1,1,1] + [1,1,0,0]) / 2 = [1, 1, 1/2, 1/2]
    np.testing.assert_allclose(out, [[1, 1, w0[0], w0[0]], [1, 1, 0.5, 0.5]], rtol=1e-12)


def test_causal_mask_3():
    expected = np.array([[True, False, False],
                         [True, True, False],
                         [True, True, True]])
    got = causal_mask(3)
    assert got.dtype == bool
    np.testing.assert_array_equal(got, expected)


# ---------------------------------------------------------------- layer norm, positions, embeddings


def test_layer_norm_of_1_2_3():
    # mean = 2, biased variance = ((1-2)^2 + 0^2 + (3-2)^2) / 3 = 2/3
    s = math.sqrt(2 / 3 + 1e-5)
    got = layer_norm([[1, 2, 3]], [1, 1, 1], [0, 0, 0])
    np.testing.assert_allclose(got, [[-1 / s, 0, 1 / s]], rtol=1e-12)
    # roughly [-1.2247, 0, 1.2247]
    np.testing.assert_allclose(got, [[-1.2247, 0, 1.2247]], atol=1e-4)


def test_layer_norm_scales_by_gamma_and_shifts_by_beta():
    s = math.sqrt(2 / 3 + 1e-5)
    got = layer_norm([1, 2, 3], [2, 1, 1], [0, 0, 5])
    # [2 * (-1/s) + 0, 1 * 0 + 0, 1 * (1/s) + 5]
    np.testing.assert_allclose(got, [-2 / s, 0, 1 / s + 5], rtol=1e-12)


def test_layer_norm_eps_argument():
    # with eps = 0 the row [1, 2, 3] becomes exactly (x - 2) / sqrt(2/3)
    got = layer_norm([1, 2, 3], [1, 1, 1], [0, 0, 0], eps=0.0)
    np.testing.assert_allclose(got, [-math.sqrt(3 / 2), 0, math.sqrt(3 / 2)], rtol=1e-12)
    # a constant row has variance 0: (x - mean) = 0 everywhere, so the output is beta
    np.testing.assert_array_equal(layer_norm([4, 4, 4], [1, 1, 1], [7, 8, 9]), [7, 8, 9])


def test_positional_encoding_pos_0_and_1_with_d_model_4():
    pe = positional_encoding(2, 4)
    assert pe.shape == (2, 4)
    # pos 0: every angle is 0 -> [sin 0, cos 0, sin 0, cos 0] = [0, 1, 0, 1]
    np.testing.assert_allclose(pe[0], [0, 1, 0, 1], atol=0)
    # pos 1: angles 1 / 10000^(0/4) = 1 and 1 / 10000^(2/4) = 1/100
    np.testing.assert_allclose(
        pe[1], [math.sin(1), math.cos(1), math.sin(1 / 100), math.cos(1 / 100)], rtol=1e-12
    )


def test_positional_encoding_odd_d_model():
    # d_model = 3: features 0, 1 use angle pos/1, feature 2 uses pos / 10000^(2/3)
    pe = positional_encoding(2, 3)
    a = 1 / 10000 ** (2 / 3)
    np.testing.assert_allclose(pe, [[0, 1, 0], [math.sin(1), math.cos(1), math.sin(a)]], rtol=1e-12)


def test_one_hot_and_embed_row_lookup():
    got = one_hot([2, 0], 3)
    np.testing.assert_array_equal(got, [[0, 0, 1], [1, 0, 0]])
    E_ = [[1, 2],    # token 0
          [3, 4],    # token 1
          [5, 6]]    # token 2
    # ids [2, 0] pick rows 2 and 0
    np.testing.assert_array_equal(embed([2, 0], E_), [[5, 6], [1, 2]])
    # the same through the one-hot matrix: [0,0,1] @ E = row 2, [1,0,0] @ E = row 0
    np.testing.assert_array_equal(np.asarray(got) @ np.asarray(E_), [[5, 6], [1, 2]])


def test_one_hot_keeps_the_shape_of_ids():
    got = one_hot([[0, 1], [1, 1]], 2)
    assert got.shape == (2, 2, 2)
    np.testing.assert_array_equal(got, [[[1, 0], [0, 1]], [[0, 1], [0, 1]]])


def test_cosine_similarity_of_parallel_orthogonal_and_opposite_vectors():
    assert cosine_similarity([1, 2], [2, 4]) == pytest.approx(1.0, abs=1e-15)     # same direction
    assert cosine_similarity([1, 0], [0, 5]) == pytest.approx(0.0, abs=1e-15)     # 1*0 + 0*5 = 0
    assert cosine_similarity([1, 2], [-3, -6]) == pytest.approx(-1.0, abs=1e-15)  # opposite
    # [3, 4]·[4, 3] = 24; |[3, 4]| = |[4, 3]| = 5: 24 / 25
    assert cosine_similarity([3, 4], [4, 3]) == pytest.approx(24 / 25, rel=1e-15)
    # over the last axis, one value per row
    np.testing.assert_allclose(cosine_similarity([[1, 0], [1, 1]], [[1, 0], [-1, -1]]), [1, -1])


def test_cosine_similarity_with_a_zero_vector_is_zero():
    assert cosine_similarity([0, 0], [1, 2]) == 0.0


def test_cosine_similarity_keeps_float32():
    a = np.array([[3, 4], [1, 0]], dtype=np.float32)
    b = np.array([[4, 3], [0, 0]], dtype=np.float32)
    got = cosine_similarity(a, b)
    np.testing.assert_allclose(got, [24 / 25, 0], rtol=1e-6)  # 24/25 as above; a zero vector gives 0
    assert got.dtype == np.float32


# ---------------------------------------------------------------- dtypes


def test_float32_in_gives_float32_out():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(3, 4)).astype(np.float32)  # (n, d_model)
    W = rng.normal(size=(5, 4)).astype(np.float32)
    b = rng.normal(size=5).astype(np.float32)
    assert softmax(x).dtype == np.float32
    assert linear(x, W, b).dtype == np.float32
    assert linear(x, W).dtype == np.float32
    W2 = rng.normal(size=(4, 5)).astype(np.float32)
    b2 = rng.normal(size=4).astype(np.float32)
    assert ffn(x, W, b, W2, b2).dtype == np.float32
    out, weights = scaled_dot_product_attention(x, x, x)
    assert out.dtype == np.float32 and weights.dtype == np.float32
    out, weights = scaled_dot_product_attention(x, x, x, causal_mask(3))
    assert out.dtype == np.float32 and weights.dtype == np.float32
    p = as_float32(init_attention(4, rng))
    out, weights = multi_head_attention(x, x, p, 2, causal_mask(3))
    assert out.dtype == np.float32 and weights.dtype == np.float32
    g, be = np.ones(4, np.float32), np.zeros(4, np.float32)
    assert layer_norm(x, g, be).dtype == np.float32
    assert encoder_layer(x, as_float32(init_encoder_layer(4, 8, rng)), 2).dtype == np.float32
    assert decoder_layer(x, x, as_float32(init_decoder_layer(4, 8, rng)), 2).dtype == np.float32


def test_integer_input_is_accepted_as_lists_and_int_arrays():
    for x in ([[1, 2], [3, 4]], np.array([[1, 2], [3, 4]], dtype=np.int64),
              np.array([[1, 2], [3, 4]], dtype=np.int32)):
        s = softmax(x)
        assert s.dtype.kind == "f"
        # row [1, 2]: [1, e] / (1 + e)
        np.testing.assert_allclose(s[0], [1 / (1 + E), E / (1 + E)], rtol=1e-12)
        # linear with W = identity returns x as floats
        y = linear(x, np.eye(2, dtype=int), np.array([0, 0]))
        assert y.dtype.kind == "f"
        np.testing.assert_array_equal(y, [[1, 2], [3, 4]])
        # ffn with identity weights: relu of a positive x is x
        np.testing.assert_array_equal(ffn(x, [[1, 0], [0, 1]], [0, 0], [[1, 0], [0, 1]], [0, 0]), x)
        # layer norm of [1, 2]: mean 1.5, variance 1/4, so [-0.5, 0.5] / sqrt(1/4 + 1e-5)
        s2 = math.sqrt(0.25 + 1e-5)
        np.testing.assert_allclose(layer_norm(x, [1, 1], [0, 0])[0], [-0.5 / s2, 0.5 / s2], rtol=1e-12)
    # integer attention: q = k = [[0, 0]] -> one key, weight 1, out = v
    out, weights = scaled_dot_product_attention([[0, 0]], [[0, 0]], [[7, 8]])
    assert out.dtype.kind == "f"
    np.testing.assert_array_equal(out, [[7, 8]])
    np.testing.assert_array_equal(weights, [[1]])
    # integer multi-head attention input and integer weights
    p = init_attention(2, np.random.default_rng(0))
    I2, z2 = np.eye(2, dtype=int), np.zeros(2, dtype=int)
    p = dataclasses.replace(p, W_q=I2, b_q=z2, W_k=I2, b_k=z2, W_v=I2, b_v=z2, W_o=I2, b_o=z2)
    out, _ = multi_head_attention([[3, 4]], [[3, 4]], p, 1)
    assert out.dtype.kind == "f"
    np.testing.assert_allclose(out, [[3, 4]], rtol=1e-12)  # one token attends only to itself
