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
    """The lesson's model: the paper's variant, joint vocabulary of 18, d_model 8, d_ff 16, 2 layers."""
    return L.init_transformer(len(L.VOCAB), 8, 16, 2, np.random.default_rng(0))


@pytest.fixture
def tiny_pytorch():
    return L.init_transformer(len(L.VOCAB), 8, 16, 2, np.random.default_rng(0), variant="pytorch")


SRC = L.token_ids(["the", "ball", "is", "blue", "</s>"])
TGT = L.token_ids(["<s>", "la", "bola", "es"])
V = len(L.VOCAB)


def test_joint_vocabulary():
    assert len(L.VOCAB) == len(set(L.VOCAB)) == 18
    assert L.VOCAB[0] == "<unk>"
    assert SRC.tolist() == [4, 5, 7, 8, 2] and TGT.tolist() == [1, 11, 12, 14]
    assert L.token_ids(["the", "dog"]).tolist() == [4, 0]  # a word it does not know is <unk>
    from helpers import lesson08  # the lesson borrows lesson 08's words: every one is in the joint vocabulary
    assert set(lesson08.SRC_VOCAB) | set(lesson08.TGT_VOCAB) <= set(L.VOCAB)


def test_shapes_of_every_stage(tiny):
    logits, steps = L.transformer_forward(SRC, TGT, tiny, 2, return_intermediates=True)
    expected = {
        "source ids": (5,), "source embedding": (5, 8), "source + position": (5, 8),
        "encoder layer 1": (5, 8), "encoder layer 2": (5, 8),
        "target ids": (4,), "target embedding": (4, 8), "target + position": (4, 8),
        "decoder layer 1": (4, 8), "decoder layer 2": (4, 8),
        "logits": (4, V), "probabilities": (4, V),
    }
    assert {k: v.shape for k, v in steps.items()} == expected
    assert list(steps) == list(expected)  # in the order the data flows
    assert logits is steps["logits"]


def test_pytorch_variant_adds_the_final_norms(tiny_pytorch):
    _, steps = L.transformer_forward(SRC, TGT, tiny_pytorch, 2, return_intermediates=True)
    names = list(steps)
    assert names.index("memory (encoder norm)") == names.index("encoder layer 2") + 1
    assert names.index("decoder norm") == names.index("decoder layer 2") + 1


def test_forward_is_the_kernels_in_order(tiny):
    """The paper's model: no norm after either stack, and the logits are y @ Eᵀ with the shared E."""
    p, h = tiny, 2
    E = p.src_embed
    x = embed(SRC, E) * math.sqrt(8) + positional_encoding(5, 8)
    for layer in p.encoder_layers:
        x = encoder_layer(x, layer, h)
    memory = x
    y = embed(TGT, E) * math.sqrt(8) + positional_encoding(4, 8)
    for layer in p.decoder_layers:
        y = decoder_layer(y, memory, layer, h, self_mask=causal_mask(4))
    expected = y @ E.T  # (4, 8) @ (8, 18) -> (4, 18)
    np.testing.assert_allclose(L.transformer_forward(SRC, TGT, p, h), expected, rtol=0, atol=1e-12)


def test_pytorch_variant_is_the_kernels_in_order(tiny_pytorch):
    p, h = tiny_pytorch, 2
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


def test_the_encoder_stack_is_lesson_07s_encoder(tiny):
    """Lesson 07's encoder (a stack of post-norm layers, nothing after it) and lesson 10's agree exactly."""
    from helpers.lesson06 import embed_with_position
    from helpers.lesson07 import encoder

    memory = L.encode_source(SRC, tiny, 2)
    np.testing.assert_array_equal(memory, encoder(embed_with_position(SRC, tiny.src_embed), tiny.encoder_layers, 2))


def test_the_tied_matrix_is_one_array(tiny):
    """Both embeddings and the output layer are one array: changing it changes all three."""
    p = tiny
    assert L.is_tied(p) and p.src_embed is p.tgt_embed is p.W_out and p.b_out is None
    base_logits, base = L.transformer_forward(SRC, TGT, p, 2, return_intermediates=True)
    k = L.VOCAB.index("coche")  # in neither sentence: only the output layer reads its row
    p.W_out[k] += np.arange(8)  # (not a constant: the decoder's rows have mean 0, so y·[c, …, c] = 0)
    logits, steps = L.transformer_forward(SRC, TGT, p, 2, return_intermediates=True)
    changed = ~np.isclose(logits, base_logits, rtol=0, atol=1e-12)
    assert changed[:, k].all() and not np.delete(changed, k, axis=1).any()
    la = L.VOCAB.index("la")  # a target word: change the target embedding's row ...
    p.tgt_embed[la] += np.arange(8)
    _, steps = L.transformer_forward(L.token_ids(["la"]), TGT, p, 2, return_intermediates=True)
    np.testing.assert_array_equal(steps["source embedding"][0], p.tgt_embed[la])  # ... the source sees it too
    np.testing.assert_array_equal(steps["target embedding"][1], p.src_embed[la])
    assert not L.is_tied(L.init_transformer(V, 8, 16, 1, np.random.default_rng(0), variant="pytorch"))


def test_embedding_scale_as_tensor2tensor():
    """E ~ N(0, d_model^-1/2): the scaled embedding has entries of size 1, like the positional encoding."""
    d = 64
    p = L.init_transformer(2000, d, 16, 1, np.random.default_rng(7))
    assert p.src_embed.std() == pytest.approx(d ** -0.5, rel=0.02)
    assert (p.src_embed * math.sqrt(d)).std() == pytest.approx(1.0, rel=0.02)
    assert np.sqrt(np.mean(positional_encoding(50, d) ** 2)) == pytest.approx(math.sqrt(0.5), rel=1e-9)


def test_parameter_count_by_hand(tiny, tiny_pytorch):
    # attention 4*8*8 + 4*8 = 288; FFN 16*8 + 16 + 8*16 + 8 = 280; layer norm 2*8 = 16
    # encoder layer 288 + 280 + 2*16 = 600; decoder layer 2*288 + 280 + 3*16 = 904
    assert L.parameter_counts(tiny) == {
        "embeddings": 18 * 8,  # 144: one matrix for both embeddings ...
        "encoder layers": 2 * 600,
        "decoder layers": 2 * 904,
        "final norms": 0,
        "output layer": 0,  # ... and the output layer, counted once
        "total": 3152,
    }
    assert L.parameter_counts(tiny_pytorch) == {
        "embeddings": 2 * 18 * 8,  # 288
        "encoder layers": 2 * 600,
        "decoder layers": 2 * 904,
        "final norms": 2 * 16,
        "output layer": 18 * 8 + 18,  # 162
        "total": 3490,
    }


def test_paper_sizes_by_hand():
    # d_model 512, d_ff 2048: attention 4*512^2 + 4*512 = 1,050,624; FFN 2*512*2048 + 2048 + 512 = 2,099,712
    rng = np.random.default_rng(1)
    p = L.init_transformer(3, 16, 64, 1, rng)   # small stand-in to check the formula's structure
    d, d_ff = 16, 64
    enc = 4 * d * d + 4 * d + 2 * d * d_ff + d_ff + d + 4 * d
    dec = 2 * (4 * d * d + 4 * d) + 2 * d * d_ff + d_ff + d + 6 * d
    counts = L.parameter_counts(p)
    assert counts["encoder layers"] == enc
    assert counts["decoder layers"] == dec
    assert 1_050_624 + 2_099_712 + 4 * 512 == 3_152_384
    assert 2 * 1_050_624 + 2_099_712 + 6 * 512 == 4_204_032
    assert 6 * 3_152_384 + 6 * 4_204_032 == 44_138_496
    assert 44_138_496 + 37_000 * 512 == 63_082_496


def test_rows_are_probability_distributions(tiny):
    _, steps = L.transformer_forward(SRC, TGT, tiny, 2, return_intermediates=True)
    P = steps["probabilities"]
    assert np.all(P > 0)
    np.testing.assert_allclose(P.sum(axis=-1), 1.0)
    np.testing.assert_allclose(P, softmax(steps["logits"]))


def test_untrained_rows_grow_alike_layer_by_layer(tiny):
    """The lesson's explanation of why the untrained rows often pick the same token."""
    _, steps = L.transformer_forward(SRC, TGT, tiny, 2, return_intermediates=True)
    alike = [L.mean_row_similarity(steps[k]) for k in ("target + position", "decoder layer 1", "decoder layer 2")]
    assert alike[0] < alike[1] < alike[2]
    assert steps["probabilities"].max() < 0.5  # spread out: no token is likely


def test_no_target_position_sees_a_later_one(tiny):
    base = L.transformer_forward(SRC, TGT, tiny, 2)
    for t in range(len(TGT)):
        changed = TGT.copy()
        changed[t] = (changed[t] + 1) % V
        new = L.transformer_forward(SRC, changed, tiny, 2)
        np.testing.assert_allclose(new[:t], base[:t], rtol=0, atol=1e-12)
        assert not np.allclose(new[t], base[t])


def test_every_target_row_reads_the_whole_source(tiny):
    base = L.transformer_forward(SRC, TGT, tiny, 2)
    changed = SRC.copy()
    changed[3] = L.VOCAB.index("red")  # "red" instead of "blue"
    new = L.transformer_forward(changed, TGT, tiny, 2)
    for t in range(len(TGT)):
        assert not np.allclose(new[t], base[t])


def test_the_memory_rows_are_normalised_by_the_last_layer(tiny):
    """Post-norm: the last encoder layer ends with a layer norm (γ = 1, β = 0 at the start)."""
    memory = L.encode_source(SRC, tiny, 2)
    np.testing.assert_allclose(memory.mean(axis=-1), 0, atol=1e-12)
    np.testing.assert_allclose(memory.std(axis=-1), 1, atol=1e-3)


def test_final_norm_normalises_the_memory(tiny_pytorch):
    _, steps = L.transformer_forward(SRC, TGT, tiny_pytorch, 2, return_intermediates=True)
    g, b = tiny_pytorch.encoder_norm.gamma, tiny_pytorch.encoder_norm.beta
    raw = steps["encoder layer 2"]
    normed = (raw - raw.mean(-1, keepdims=True)) / np.sqrt(raw.var(-1, keepdims=True) + 1e-5)
    np.testing.assert_allclose(steps["memory (encoder norm)"], normed * g + b, atol=1e-12)


def test_batch_axis(tiny):
    src = np.stack([SRC, SRC[::-1]])
    tgt = np.stack([TGT, TGT[::-1]])
    both = L.transformer_forward(src, tgt, tiny, 2)
    assert both.shape == (2, 4, V)
    np.testing.assert_allclose(both[1], L.transformer_forward(SRC[::-1], TGT[::-1], tiny, 2), atol=1e-12)


def test_bad_input_is_a_clear_error(tiny):
    with pytest.raises(ValueError, match="TransformerParams"):
        L.transformer_forward(SRC, TGT, "weights", 2)
    with pytest.raises(ValueError, match="ids must lie in"):
        L.transformer_forward(SRC, np.array([0, 99]), tiny, 2)
    with pytest.raises(ValueError, match="Generator"):
        L.init_transformer(3, 8, 16, 1, rng=0)
    with pytest.raises(ValueError, match="variant"):
        L.init_transformer(3, 8, 16, 1, np.random.default_rng(0), variant="gpt")
    with pytest.raises(ValueError, match="joint vocabulary"):
        L.init_transformer((3, 4), 8, 16, 1, np.random.default_rng(0))


def test_diagram_draws(tiny, tiny_pytorch):
    for p in (tiny, tiny_pytorch):
        _, steps = L.transformer_forward(SRC, TGT, p, 2, return_intermediates=True)
        fig = L.draw(steps)
        texts = [t.get_text() for t in fig.axes[0].texts]
        assert "(5, 8)" in texts and f"(4, {V})" in texts
        assert any(t.startswith("decoder layer 2") for t in texts)
        assert "memory → cross-attention" in texts


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
    # n_src = 6, n_tgt = 3, d_model = 8, vocab = 12
    assert_correct(check.shapes((6, 8), (3, 12)))
    assert_diagnosed(check.shapes((3, 8), (6, 12)), "swapped the source and the target")
    assert_diagnosed(check.shapes((6, 8), (3, 8)), "d_model columns")
    assert_diagnosed(check.shapes((6, 12), (3, 12)), "memory one column per word")
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


def test_shared_count_check():
    check.start()
    # vocab 12, d_model 8: one table is 96 numbers; PyTorch's: 3 tables and an output bias of 12 = 300
    assert_correct(check.shared_count(96, 300))
    assert_diagnosed(check.shared_count(288, 300), "three times")
    assert_diagnosed(check.shared_count(96, 288), "bias")
    assert_diagnosed(check.shared_count(108, 300), "gave the paper's output layer a bias")
    assert_not_done(check.shared_count(..., 300))
    assert_survives(check.shared_count, garbage_calls(2))


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


def _encoder_stack(x, layers, h, final_norm=None):
    for layer in layers:
        x = encoder_layer(x, layer, h)
    return x if final_norm is None else layer_norm(x, final_norm.gamma, final_norm.beta)


def test_encoder_stack_check():
    check.start()
    assert_correct(check.encoder_stack(_encoder_stack))

    def paper_only(x, layers, h, final_norm=None):  # lesson 07's encoder: right without a final norm only
        for layer in layers:
            x = encoder_layer(x, layer, h)
        return x

    def always_norm(x, layers, h, final_norm=None):
        for layer in layers:
            x = encoder_layer(x, layer, h)
        return layer_norm(x, final_norm.gamma, final_norm.beta)

    def norm_every_layer(x, layers, h, final_norm=None):
        for layer in layers:
            x = encoder_layer(x, layer, h)
            if final_norm is not None:
                x = layer_norm(x, final_norm.gamma, final_norm.beta)
        return x

    assert_diagnosed(check.encoder_stack(paper_only), "left out the final norm")
    assert_diagnosed(check.encoder_stack(always_norm), "when there is none")
    assert_diagnosed(check.encoder_stack(norm_every_layer), "after every layer")
    assert_diagnosed(check.encoder_stack(lambda x, layers, h, final_norm=None: _encoder_stack(x, layers[:1], h,
                                                                                            final_norm)),
                     "first layer")
    assert_not_done(check.encoder_stack(not_done_stub))
    assert_survives(check.encoder_stack, function_calls())


def test_encoder_stack_check_accepts_lesson_07s_encoder_for_the_paper():
    """The paper's stack is lesson 07's encoder: with final_norm=None the check's reference is exactly it."""
    from helpers.lesson07 import encoder

    x, layers, h, _ = check._stack_case(np.random.default_rng(0), 2, 5, 8, 2, False)
    np.testing.assert_array_equal(check._encoder_stack(x, layers, h, None), encoder(x, layers, h))
    assert_correct(check.encoder_stack(lambda x, layers, h, final_norm=None: encoder(x, layers, h) if final_norm is None
                                       else layer_norm(encoder(x, layers, h), final_norm.gamma, final_norm.beta)))


def test_next_token_probs_check():
    check.start()
    assert_correct(check.next_token_probs(lambda s, t, p, h: softmax(L.transformer_forward(s, t, p, h))[-1]))
    assert_diagnosed(check.next_token_probs(lambda s, t, p, h: L.transformer_forward(s, t, p, h)[-1]), "logits")
    assert_diagnosed(check.next_token_probs(lambda s, t, p, h: softmax(L.transformer_forward(s, t, p, h))[0]),
                     "first row")
    assert_not_done(check.next_token_probs(not_done_stub))
    assert_survives(check.next_token_probs, function_calls())
