"""Bad input gets a ValueError that names the argument and shows what arrived.

Each test asserts on pieces of the message: the argument's name, the shapes (or numbers)
involved and the dimension name that disagrees, so a learner can act on it.
"""

import dataclasses

import numpy as np
import pytest

from helpers import (
    decoder_layer,
    embed,
    encoder_layer,
    ffn,
    init_attention,
    init_decoder_layer,
    init_encoder_layer,
    init_ffn,
    layer_norm,
    linear,
    multi_head_attention,
    one_hot,
    scaled_dot_product_attention,
    softmax,
)


def message(fn, *args, **kwargs):
    with pytest.raises(ValueError) as info:
        fn(*args, **kwargs)
    return str(info.value)


def assert_mentions(msg, *pieces):
    missing = [p for p in pieces if p not in msg]
    assert not missing, f"message {msg!r} lacks {missing}"


# ---------------------------------------------------------------- attention shapes


def test_q_and_k_with_different_d_k():
    msg = message(scaled_dot_product_attention, np.ones((5, 3)), np.ones((5, 4)), np.ones((5, 2)))
    assert_mentions(msg, "q", "k", "(5, 3)", "(5, 4)", "d_k")


def test_k_and_v_with_different_n_k():
    msg = message(scaled_dot_product_attention, np.ones((2, 4)), np.ones((5, 4)), np.ones((6, 3)))
    assert_mentions(msg, "k", "v", "(5, 4)", "(6, 3)", "n_k")


def test_batch_axes_that_do_not_broadcast():
    msg = message(scaled_dot_product_attention, np.ones((2, 3, 4)), np.ones((3, 3, 4)), np.ones((3, 3, 4)))
    assert_mentions(msg, "(2, 3, 4)", "(3, 3, 4)")


def test_d_model_not_divisible_by_h():
    rng = np.random.default_rng(0)
    x = np.ones((3, 6))  # (n, d_model) with d_model = 6
    msg = message(multi_head_attention, x, x, init_attention(6, rng), 4)
    assert_mentions(msg, "d_model = 6", "h = 4", "divisible")


@pytest.mark.parametrize("h", [0, -1, 1.5, "2"])
def test_h_that_is_not_a_positive_integer(h):
    x = np.ones((3, 4))
    msg = message(multi_head_attention, x, x, init_attention(4, np.random.default_rng(0)), h)
    assert_mentions(msg, "h must be a positive integer", repr(h))


def test_x_q_and_x_kv_with_different_d_model():
    p = init_attention(4, np.random.default_rng(0))
    msg = message(multi_head_attention, np.ones((3, 4)), np.ones((2, 6)), p, 2)
    assert_mentions(msg, "x_q", "x_kv", "(3, 4)", "(2, 6)", "d_model")


def test_mask_that_does_not_broadcast_sdpa():
    q, k, v = np.ones((3, 4)), np.ones((5, 4)), np.ones((5, 2))
    msg = message(scaled_dot_product_attention, q, k, v, np.ones((3, 4), dtype=bool))
    assert_mentions(msg, "mask", "(3, 4)", "(3, 5)", "n_q, n_k")


def test_mask_that_does_not_broadcast_mha():
    p = init_attention(4, np.random.default_rng(0))
    msg = message(multi_head_attention, np.ones((3, 4)), np.ones((5, 4)), p, 2, np.ones((5, 3), dtype=bool))
    assert_mentions(msg, "mask", "(5, 3)", "(3, 5)")


def test_mask_that_does_not_broadcast_encoder_layer():
    p = init_encoder_layer(4, 8, np.random.default_rng(0))
    msg = message(encoder_layer, np.ones((3, 4)), p, 2, np.ones((2, 2), dtype=bool))
    assert_mentions(msg, "mask", "(2, 2)", "(3, 3)")


@pytest.mark.parametrize("mask", [np.ones((2, 3), dtype=int), np.ones((2, 3)), [[1, 0, 1], [1, 1, 1]]])
def test_non_boolean_mask(mask):
    msg = message(scaled_dot_product_attention, np.ones((2, 4)), np.ones((3, 4)), np.ones((3, 4)), mask)
    assert_mentions(msg, "mask", "boolean", "dtype")


def test_non_boolean_mask_mha():
    p = init_attention(4, np.random.default_rng(0))
    x = np.ones((2, 4))
    msg = message(multi_head_attention, x, x, p, 2, np.tril(np.ones((2, 2))))
    assert_mentions(msg, "mask", "boolean", "float64")


# ---------------------------------------------------------------- weights of the wrong shape


def test_linear_W_of_the_wrong_shape():
    msg = message(linear, np.ones((2, 3)), np.ones((4, 2)))
    assert_mentions(msg, "W", "(2, 3)", "(4, 2)", "d_in")


def test_linear_W_that_is_not_2d():
    msg = message(linear, np.ones((2, 3)), np.ones(3))
    assert_mentions(msg, "W", "(d_out, d_in)", "(3,)")


def test_linear_b_of_the_wrong_shape():
    msg = message(linear, np.ones((2, 3)), np.ones((4, 3)), np.ones(3))
    assert_mentions(msg, "b", "(4,)", "(3,)", "d_out")


def test_ffn_W2_of_the_wrong_shape():
    p = init_ffn(3, 5, np.random.default_rng(0))  # W1 (5, 3), W2 (3, 5)
    msg = message(ffn, np.ones((2, 3)), p.W1, p.b1, p.W2.T, p.b2)
    assert_mentions(msg, "W2", "(3, 5)", "(5, 3)", "(d_model, d_ff)")


def test_ffn_W1_that_does_not_fit_x():
    p = init_ffn(3, 5, np.random.default_rng(0))
    msg = message(ffn, np.ones((2, 4)), p.W1, p.b1, p.W2, p.b2)
    assert_mentions(msg, "W1", "(2, 4)", "(5, 3)", "d_model")


def test_ffn_b1_of_the_wrong_shape():
    p = init_ffn(3, 5, np.random.default_rng(0))
    msg = message(ffn, np.ones((2, 3)), p.W1, np.ones(3), p.W2, p.b2)
    assert_mentions(msg, "b1", "(5,)", "(3,)")


@pytest.mark.parametrize("name", ["W_q", "W_k", "W_v", "W_o"])
def test_mha_weight_of_the_wrong_shape(name):
    p = init_attention(4, np.random.default_rng(0))
    p = dataclasses.replace(p, **{name: np.ones((4, 3))})
    x = np.ones((2, 4))
    msg = message(multi_head_attention, x, x, p, 2)
    assert_mentions(msg, f"p.{name}", "(4, 4)", "(4, 3)", "(d_model, d_model)")


def test_mha_bias_of_the_wrong_shape():
    p = init_attention(4, np.random.default_rng(0))
    p = dataclasses.replace(p, b_k=np.ones(5))
    x = np.ones((2, 4))
    msg = message(multi_head_attention, x, x, p, 2)
    assert_mentions(msg, "p.b_k", "(4,)", "(5,)")


def test_mha_params_of_the_wrong_type():
    x = np.ones((2, 4))
    msg = message(multi_head_attention, x, x, {"W_q": np.eye(4)}, 2)
    assert_mentions(msg, "p must be an AttentionParams", "dict")


def test_layer_norm_gamma_of_the_wrong_shape():
    msg = message(layer_norm, np.ones((2, 3)), np.ones(4), np.zeros(3))
    assert_mentions(msg, "gamma", "(3,)", "(4,)", "(d_model,)")


def test_layer_norm_beta_of_the_wrong_shape():
    msg = message(layer_norm, np.ones((2, 3)), np.ones(3), np.zeros((1, 3)))
    assert_mentions(msg, "beta", "(3,)", "(1, 3)")


def test_encoder_layer_with_the_wrong_params():
    p = init_decoder_layer(4, 8, np.random.default_rng(0))
    msg = message(encoder_layer, np.ones((3, 4)), p, 2)
    assert_mentions(msg, "EncoderLayerParams", "DecoderLayerParams")


def test_decoder_layer_memory_with_the_wrong_d_model():
    p = init_decoder_layer(4, 8, np.random.default_rng(0))
    msg = message(decoder_layer, np.ones((3, 4)), np.ones((2, 6)), p, 2)
    assert_mentions(msg, "(3, 4)", "(2, 6)", "d_model")


def test_decoder_layer_memory_error_names_memory():
    p = init_decoder_layer(4, 8, np.random.default_rng(0))
    msg = message(decoder_layer, np.ones((3, 4)), np.ones((2, 6)), p, 2)
    assert_mentions(msg, "memory", "y", "(3, 4)", "(2, 6)", "d_model")


# ---------------------------------------------------------------- non-numeric input


BAD = {
    "string": "hello",
    "strings": [["a", "b"], ["c", "d"]],
    "None": None,
    "None inside": [[1.0, None], [2.0, 3.0]],
    "ragged": [[1, 2, 3], [4, 5]],
}


@pytest.mark.parametrize("bad", BAD.values(), ids=BAD.keys())
def test_softmax_non_numeric(bad):
    msg = message(softmax, bad)
    assert msg.startswith("x must")
    assert "number" in msg


@pytest.mark.parametrize("bad", BAD.values(), ids=BAD.keys())
def test_linear_non_numeric_x_and_W(bad):
    msg = message(linear, bad, np.ones((2, 2)))
    assert msg.startswith("x must") and "number" in msg
    msg = message(linear, np.ones((2, 2)), bad)
    assert msg.startswith("W must") and "number" in msg


@pytest.mark.parametrize("bad", BAD.values(), ids=BAD.keys())
@pytest.mark.parametrize("which", ["q", "k", "v"])
def test_sdpa_non_numeric(bad, which):
    args = {"q": np.ones((2, 2)), "k": np.ones((2, 2)), "v": np.ones((2, 2))}
    args[which] = bad
    msg = message(scaled_dot_product_attention, **args)
    assert msg.startswith(f"{which} must") and "number" in msg


def test_string_dtype_is_named():
    msg = message(softmax, ["1", "2"])
    assert_mentions(msg, "x must contain numbers", "<U1", "(2,)")


# ---------------------------------------------------------------- ids


def test_one_hot_out_of_range():
    msg = message(one_hot, [0, 3], 3)
    assert_mentions(msg, "ids", "0..2", "3")
    msg = message(one_hot, [-1, 1], 3)
    assert_mentions(msg, "ids", "0..2", "-1")


def test_one_hot_non_integer_ids():
    msg = message(one_hot, [0.5, 1.0], 3)
    assert_mentions(msg, "ids must be integers", "float64")


def test_embed_id_out_of_range():
    msg = message(embed, [0, 5], np.ones((4, 2)))
    assert_mentions(msg, "ids", "0..3", "5")


def test_embed_E_not_2d():
    msg = message(embed, [0], np.ones(4))
    assert_mentions(msg, "E", "(vocab, d_model)", "(4,)")
