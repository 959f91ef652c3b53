"""Lesson 10: the assembled model (helpers.lesson10) and the numbers the lesson claims.

The comparison with torch.nn.Transformer is in tests/test_model_reference.py.
"""

import math

import numpy as np
import pytest

from helpers import (
    causal_mask,
    decoder_layer,
    embed,
    encoder_layer,
    layer_norm,
    linear,
    positional_encoding,
    softmax,
)
from helpers import lesson10 as L
from helpers.checks import lesson10 as check


@pytest.fixture
def tiny():
    rng = np.random.default_rng(0)
    return L.init_transformer(7, 10, 8, 16, 2, rng)


SRC = np.array([0, 1, 3, 4, 6])  # the ball is blue </s>
TGT = np.array([0, 3, 4, 6])     # <s> la bola es


def test_shapes_of_every_stage(tiny):
    logits, steps = L.transformer_forward(SRC, TGT, tiny, 2, return_intermediates=True)
    expected = {
        "source ids": (5,), "source embedding": (5, 8), "source + position": (5, 8),
        "encoder layer 1": (5, 8), "encoder layer 2": (5, 8), "memory (encoder norm)": (5, 8),
        "target ids": (4,), "target embedding": (4, 8), "target + position": (4, 8),
        "decoder layer 1": (4, 8), "decoder layer 2": (4, 8), "decoder norm": (4, 8),
        "logits": (4, 10), "probabilities": (4, 10),
    }
    assert {k: v.shape for k, v in steps.items()} == expected
    assert list(steps) == list(expected)  # in the order the data flows
    assert logits is steps["logits"]


def test_forward_is_the_kernels_in_order(tiny):
    p, h = tiny, 2
    x = embed(SRC, p.src_embed) * math.sqrt(8) + positional_encoding(5, 8)
    for layer in p.encoder_layers:
        x = encoder_layer(x, layer, h)
    memory = layer_norm(x, p.encoder_norm.gamma, p.encoder_norm.beta)
    y = embed(TGT, p.tgt_embed) * math.sqrt(8) + positional_encoding(4, 8)
    for layer in p.decoder_layers:
        y = decoder_layer(y, memory, layer, h, self_mask=causal_mask(4))
    y = layer_norm(y, p.decoder_norm.gamma, p.decoder_norm.beta)
    expected = linear(y, p.W_out, p.b_out)
    np.testing.assert_allclose(L.transformer_forward(SRC, TGT, p, h), expected, rtol=0, atol=1e-12)


def test_parameter_count_by_hand(tiny):
    # attention 4*8*8 + 4*8 = 288; FFN 16*8 + 16 + 8*16 + 8 = 280; layer norm 2*8 = 16
    # encoder layer 288 + 280 + 2*16 = 600; decoder layer 2*288 + 280 + 3*16 = 904
    counts = L.parameter_counts(tiny)
    assert counts == {
        "embeddings": 7 * 8 + 10 * 8,      # 136
        "encoder layers": 2 * 600,
        "decoder layers": 2 * 904,
        "final norms": 2 * 16,
        "output layer": 10 * 8 + 10,       # 90
        "total": 3266,
    }


def test_paper_sizes_by_hand():
    # d_model 512, d_ff 2048: attention 4*512^2 + 4*512 = 1,050,624; FFN 2*512*2048 + 2048 + 512 = 2,099,712
    rng = np.random.default_rng(1)
    p = L.init_transformer(3, 3, 16, 64, 1, rng)   # small stand-in to check the formula's structure
    d, d_ff = 16, 64
    enc = 4 * d * d + 4 * d + 2 * d * d_ff + d_ff + d + 4 * d
    dec = 2 * (4 * d * d + 4 * d) + 2 * d * d_ff + d_ff + d + 6 * d
    counts = L.parameter_counts(p)
    assert counts["encoder layers"] == enc
    assert counts["decoder layers"] == dec
    assert 1_050_624 + 2_099_712 + 4 * 512 == 3_152_384
    assert 2 * 1_050_624 + 2_099_712 + 6 * 512 == 4_204_032
    assert 6 * 3_152_384 + 6 * 4_204_032 + 4 * 512 == 44_140_544


def test_rows_are_probability_distributions(tiny):
    _, steps = L.transformer_forward(SRC, TGT, tiny, 2, return_intermediates=True)
    P = steps["probabilities"]
    assert np.all(P > 0)
    np.testing.assert_allclose(P.sum(axis=-1), 1.0)
    np.testing.assert_allclose(P, softmax(steps["logits"]))


def test_no_target_position_sees_a_later_one(tiny):
    base = L.transformer_forward(SRC, TGT, tiny, 2)
    for t in range(len(TGT)):
        changed = TGT.copy()
        changed[t] = (changed[t] + 1) % 10
        new = L.transformer_forward(SRC, changed, tiny, 2)
        np.testing.assert_allclose(new[:t], base[:t], rtol=0, atol=1e-12)
        assert not np.allclose(new[t], base[t])


def test_every_target_row_reads_the_whole_source(tiny):
    base = L.transformer_forward(SRC, TGT, tiny, 2)
    changed = SRC.copy()
    changed[3] = 5  # "red" instead of "blue"
    new = L.transformer_forward(changed, TGT, tiny, 2)
    for t in range(len(TGT)):
        assert not np.allclose(new[t], base[t])


def test_final_norm_normalises_the_memory(tiny):
    _, steps = L.transformer_forward(SRC, TGT, tiny, 2, return_intermediates=True)
    g, b = tiny.encoder_norm.gamma, tiny.encoder_norm.beta
    raw = steps["encoder layer 2"]
    normed = (raw - raw.mean(-1, keepdims=True)) / np.sqrt(raw.var(-1, keepdims=True) + 1e-5)
    np.testing.assert_allclose(steps["memory (encoder norm)"], normed * g + b, atol=1e-12)


def test_batch_axis(tiny):
    src = np.stack([SRC, SRC[::-1]])
    tgt = np.stack([TGT, TGT[::-1]])
    both = L.transformer_forward(src, tgt, tiny, 2)
    assert both.shape == (2, 4, 10)
    np.testing.assert_allclose(both[1], L.transformer_forward(SRC[::-1], TGT[::-1], tiny, 2), atol=1e-12)


def test_bad_input_is_a_clear_error(tiny):
    with pytest.raises(ValueError, match="TransformerParams"):
        L.transformer_forward(SRC, TGT, "weights", 2)
    with pytest.raises(ValueError, match="ids must lie in"):
        L.transformer_forward(SRC, np.array([0, 99]), tiny, 2)
    with pytest.raises(ValueError, match="Generator"):
        L.init_transformer(3, 3, 8, 16, 1, rng=0)


def test_diagram_draws(tiny):
    _, steps = L.transformer_forward(SRC, TGT, tiny, 2, return_intermediates=True)
    fig = L.draw(steps)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "(5, 8)" in texts and "(4, 10)" in texts
    assert any(t.startswith("decoder layer 2") for t in texts)


# ---------------------------------------------------------------- exercise checks (exercises/10)

from check_harness import (  # noqa: E402
    assert_correct,
    assert_diagnosed,
    assert_not_done,
    assert_survives,
    function_calls,
    garbage_calls,
    not_done_stub,
)


def test_shapes_check():
    check.start()
    # n_src = 6, n_tgt = 3, d_model = 8, vocab_tgt = 10
    assert_correct(check.shapes((6, 8), (3, 10)))
    assert_diagnosed(check.shapes((3, 8), (6, 10)), "swapped the source and the target")
    assert_diagnosed(check.shapes((6, 8), (3, 8)), "d_model columns")
    assert_not_done(check.shapes(..., ...))
    assert_survives(check.shapes, garbage_calls(2))


def test_cross_weights_shape_check():
    check.start()
    assert_correct(check.cross_weights_shape((2, 3, 6)))
    assert_diagnosed(check.cross_weights_shape((2, 6, 3)), "swapped queries and keys")
    r = check.cross_weights_shape((3, 6))
    assert r.state == "incorrect" and "shape" in r.message.lower()
    assert_survives(check.cross_weights_shape, garbage_calls())


def test_encoder_count_check():
    check.start()
    # d = 4, d_ff = 8: attention 4·16 + 4·4 = 80; FFN 8·4 + 8 + 4·8 + 4 = 76; norms 2·(2·4) = 16
    assert_correct(check.encoder_count(80 + 76 + 16))
    assert_diagnosed(check.encoder_count(80 + 76), "layer norms")
    assert_diagnosed(check.encoder_count(64 + 64 + 16), "biases")
    assert_survives(check.encoder_count, garbage_calls())


def test_decoder_count_check():
    check.start()
    # 2 attentions (160) + FFN (76) + 3 norms (24) = 260
    assert_correct(check.decoder_count(260))
    assert_diagnosed(check.decoder_count(80 + 76 + 24), "cross-attention")
    assert_diagnosed(check.decoder_count(160 + 76 + 16), "three")
    assert_survives(check.decoder_count, garbage_calls())


def _embed_and_position(ids, E):
    d = E.shape[1]
    return embed(ids, E) * math.sqrt(d) + positional_encoding(len(ids), d)


def test_embed_and_position_check():
    check.start()
    assert_correct(check.embed_and_position(_embed_and_position))
    assert_diagnosed(check.embed_and_position(lambda ids, E: embed(ids, E) + positional_encoding(len(ids), E.shape[1])),
                     "√d_model")
    assert_diagnosed(check.embed_and_position(lambda ids, E: embed(ids, E) * math.sqrt(E.shape[1])),
                     "positional encoding")
    assert_not_done(check.embed_and_position(not_done_stub))
    assert_survives(check.embed_and_position, function_calls())


def _encoder_stack(x, layers, norm, h):
    for layer in layers:
        x = encoder_layer(x, layer, h)
    return layer_norm(x, norm.gamma, norm.beta)


def test_encoder_stack_check():
    check.start()
    assert_correct(check.encoder_stack(_encoder_stack))

    def no_norm(x, layers, norm, h):
        for layer in layers:
            x = encoder_layer(x, layer, h)
        return x

    assert_diagnosed(check.encoder_stack(no_norm), "final layer norm")
    assert_diagnosed(check.encoder_stack(lambda x, layers, norm, h: layer_norm(encoder_layer(x, layers[0], h),
                                                                               norm.gamma, norm.beta)), "first layer")
    assert_not_done(check.encoder_stack(not_done_stub))
    assert_survives(check.encoder_stack, function_calls())


def test_next_token_probs_check():
    check.start()
    assert_correct(check.next_token_probs(lambda s, t, p, h: softmax(L.transformer_forward(s, t, p, h))[-1]))
    assert_diagnosed(check.next_token_probs(lambda s, t, p, h: L.transformer_forward(s, t, p, h)[-1]), "logits")
    assert_diagnosed(check.next_token_probs(lambda s, t, p, h: softmax(L.transformer_forward(s, t, p, h))[0]),
                     "first row")
    assert_not_done(check.next_token_probs(not_done_stub))
    assert_survives(check.next_token_probs, function_calls())
