"""Lesson 07 (the encoder block): layer norm by hand, add & norm on the sheet, the stack, the count."""

import math

import numpy as np
import pytest

from helpers import encoder_layer, ffn, init_encoder_layer, layer_norm
from helpers import lesson01 as sheet
from helpers import lesson07 as L
from helpers.lesson06 import SENTENCE, embed_with_position, encode


def test_layer_norm_by_hand():
    # x = [0, 6, 6, 8]: mean 20/4 = 5, deviations [-5, 1, 1, 3], variance 36/4 = 9, sigma 3
    assert L.LN_ROW.tolist() == [0, 6, 6, 8]
    x_hat = np.array([-5, 1, 1, 3]) / 3
    assert np.allclose(layer_norm(L.LN_ROW, np.ones(4), np.zeros(4)), x_hat, atol=1e-5)
    # gamma [3, 3, 3, 1], beta [0, 1, 0, 0]: [-5, 1 + 1, 1, 1]
    assert np.allclose(layer_norm(L.LN_ROW, L.LN_GAMMA, L.LN_BETA), [-5, 2, 1, 1], atol=1e-5)


def test_residual_on_the_sheet():
    x = sheet.Z.T
    r = x + ffn(x, sheet.W1, sheet.b1, sheet.W2, sheet.b2)
    # Z2 = [6, 2, 2], Y2 = [4, 5, -4]
    assert r[1].tolist() == [10, 7, -2]
    assert r.tolist() == [[22, 4, -2], [10, 7, -2], [15, 9, -2], [15, 9, -2], [10, 9, -3]]


def test_add_and_norm_of_token_z2_by_hand():
    r = np.array([10, 7, -2])
    # mean 5, deviations [5, 2, -7], variance (25 + 4 + 49) / 3 = 26
    out = layer_norm(r, np.ones(3), np.zeros(3))
    assert np.allclose(out, np.array([5, 2, -7]) / math.sqrt(26), atol=1e-6)
    assert np.round(out, 2).tolist() == [0.98, 0.39, -1.37]


def test_encoder_layer_step_by_step_equals_kernel():
    from helpers import multi_head_attention

    p = init_encoder_layer(4, 8, np.random.default_rng(0))
    x = embed_with_position(encode(SENTENCE))
    a, w = multi_head_attention(x, x, p.self_attn, 2)
    x1 = layer_norm(x + a, p.norm1.gamma, p.norm1.beta)
    x2 = layer_norm(x1 + ffn(x1, p.ffn.W1, p.ffn.b1, p.ffn.W2, p.ffn.b2), p.norm2.gamma, p.norm2.beta)
    assert w.shape == (2, 6, 6)
    assert np.allclose(x2, encoder_layer(x, p, 2))


def test_encoder_is_a_loop_over_layers():
    layers = L.init_encoder(3, 4, 8, np.random.default_rng(1))
    assert len(layers) == 3
    x = embed_with_position(encode(SENTENCE))
    expected = encoder_layer(encoder_layer(encoder_layer(x, layers[0], 2), layers[1], 2), layers[2], 2)
    assert np.allclose(L.encoder(x, layers, 2), expected)
    assert L.encoder(x, [], 2) is x or np.array_equal(L.encoder(x, [], 2), x)


def test_parameter_count_of_one_paper_layer():
    # 4·(512·512 + 512) + (2048·512 + 2048) + (512·2048 + 512) + 2·2·512
    by_hand = 4 * 262_656 + 1_050_624 + 1_049_088 + 2_048
    assert by_hand == 3_152_384
    assert L.encoder_layer_parameter_count(512, 2048) == 3_152_384
    p = init_encoder_layer(512, 2048, np.random.default_rng(0))
    assert L.count_parameters(p) == 3_152_384
    assert len(L.parameter_arrays(p)) == 16
    assert L.count_parameters([p, p]) == 2 * 3_152_384
    assert L.PAPER == {"N": 6, "d_model": 512, "d_ff": 2048, "h": 8}


@pytest.mark.parametrize("d_model,d_ff", [(4, 8), (6, 10), (512, 2048)])
def test_formula_matches_counted_arrays(d_model, d_ff):
    p = init_encoder_layer(d_model, d_ff, np.random.default_rng(0))
    assert L.count_parameters(p) == L.encoder_layer_parameter_count(d_model, d_ff)


@pytest.mark.reference
def test_parameter_count_matches_pytorch():
    torch = pytest.importorskip("torch")
    layer = torch.nn.TransformerEncoderLayer(512, 8, 2048, dropout=0.0, batch_first=True)
    assert sum(t.numel() for t in layer.parameters()) == 3_152_384


@pytest.mark.reference
def test_layer_norm_row_matches_pytorch():
    torch = pytest.importorskip("torch")
    ln = torch.nn.LayerNorm(4)
    with torch.no_grad():
        ln.weight.copy_(torch.tensor(L.LN_GAMMA, dtype=torch.float64))
        ln.bias.copy_(torch.tensor(L.LN_BETA, dtype=torch.float64))
    expected = ln.double()(torch.tensor(L.LN_ROW, dtype=torch.float64)).detach().numpy()
    assert np.allclose(layer_norm(L.LN_ROW, L.LN_GAMMA, L.LN_BETA), expected)


def test_layer_norms_start_at_gamma_1_and_beta_0():
    # the lesson: "γ and β start as all ones and all zeros", as in PyTorch
    for p in L.init_encoder(2, 4, 8, np.random.default_rng(0)):
        for norm in (p.norm1, p.norm2):
            assert np.array_equal(norm.gamma, np.ones(4)) and np.array_equal(norm.beta, np.zeros(4))


def _stack_states():
    """The lesson's stack: 6 layers from default_rng(1) on lesson 06's sentence, and every state."""
    rng = np.random.default_rng(1)
    layers = [init_encoder_layer(4, 8, rng) for _ in range(6)]
    states = [embed_with_position(encode(SENTENCE))]
    for p in layers:
        states.append(encoder_layer(states[-1], p, 2))
    return layers, states


def test_the_stack_picture_rows_merge_because_attention_hands_out_one_blend():
    from helpers import multi_head_attention

    layers, states = _stack_states()
    spread = [round(L.token_spread(s), 2) for s in states]
    assert spread[0] == 1.27 and spread[-1] == 0.18  # the numbers the lesson quotes
    for k in range(1, 6):  # from layer 2 on, the attention's output rows are nearly one row
        a, _ = multi_head_attention(states[k], states[k], layers[k].self_attn, 2)
        assert round(L.token_spread(a), 2) <= 0.05 < L.token_spread(states[k])  # as printed
    assert L.token_spread(np.ones((3, 4))) == 0.0


def test_pre_norm_keeps_more_of_the_rows_apart():
    layers, states = _stack_states()
    x = states[0]
    for p in layers:
        x = L.pre_norm_encoder_layer(x, p, 2)
    normed = layer_norm(x, np.ones(4), np.zeros(4))
    assert round(L.token_spread(normed), 2) == 0.41 > round(L.token_spread(states[-1]), 2) == 0.18


def test_pre_norm_has_nothing_on_the_residual_path():
    import dataclasses

    p = init_encoder_layer(4, 8, np.random.default_rng(3))
    silent = dataclasses.replace(  # both sub-layers output 0
        p, self_attn=dataclasses.replace(p.self_attn, W_o=np.zeros((4, 4)), b_o=np.zeros(4)),
        ffn=dataclasses.replace(p.ffn, W2=np.zeros((4, 8)), b2=np.zeros(4)))
    x = embed_with_position(encode(SENTENCE))
    assert np.array_equal(L.pre_norm_encoder_layer(x, silent, 2), x)  # pre-norm: x itself
    assert np.allclose(encoder_layer(x, silent, 2), layer_norm(x, np.ones(4), np.zeros(4)))  # post-norm: LN(x)


def test_norm_placement_figure_draws():
    fig = L.norm_placement_figure()
    text = " ".join(t.get_text() for t in fig.axes[0].texts)
    assert "post-norm" in text and "pre-norm" in text and "LayerNorm(x + Sublayer(x))" in text


@pytest.mark.reference
def test_pre_norm_layer_matches_pytorch_norm_first():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    d_model, h, d_ff = 6, 3, 10
    p = init_encoder_layer(d_model, d_ff, rng)
    p.norm1.gamma, p.norm1.beta = 1 + rng.uniform(-0.1, 0.1, d_model), rng.uniform(-0.1, 0.1, d_model)
    p.norm2.gamma, p.norm2.beta = 1 + rng.uniform(-0.1, 0.1, d_model), rng.uniform(-0.1, 0.1, d_model)
    m = torch.nn.TransformerEncoderLayer(d_model, h, dim_feedforward=d_ff, dropout=0.0, batch_first=True,
                                         norm_first=True, dtype=torch.float64)
    a = p.self_attn
    state = {"self_attn.in_proj_weight": np.concatenate([a.W_q, a.W_k, a.W_v]),
             "self_attn.in_proj_bias": np.concatenate([a.b_q, a.b_k, a.b_v]),
             "self_attn.out_proj.weight": a.W_o, "self_attn.out_proj.bias": a.b_o,
             "linear1.weight": p.ffn.W1, "linear1.bias": p.ffn.b1, "linear2.weight": p.ffn.W2, "linear2.bias": p.ffn.b2,
             "norm1.weight": p.norm1.gamma, "norm1.bias": p.norm1.beta,
             "norm2.weight": p.norm2.gamma, "norm2.bias": p.norm2.beta}
    m.load_state_dict({k: torch.tensor(v, dtype=torch.float64) for k, v in state.items()})
    x = rng.normal(size=(2, 5, d_model))
    with torch.no_grad():
        expected = m(torch.tensor(x)).numpy()
    assert np.allclose(L.pre_norm_encoder_layer(x, p, h), expected, atol=1e-10)


# ---------------------------------------------------------------- exercise checks

from check_harness import (  # noqa: E402
    GARBAGE,
    assert_correct,
    assert_diagnosed,
    assert_not_done,
    assert_survives,
    function_calls,
    garbage_calls,
)

from helpers.checks import lesson07 as check  # noqa: E402


def test_mean_and_variance_check(capsys):
    # [1, 3, 3, 9]: mean 16/4 = 4; deviations -3, -1, -1, 5; variance (9+1+1+25)/4 = 9
    assert L.EX_ROW.tolist() == [1, 3, 3, 9]
    assert_correct(check.mean_and_variance(4, 9), capsys)
    assert_diagnosed(check.mean_and_variance(4, 12), "d_model - 1", capsys)
    assert_diagnosed(check.mean_and_variance(4, 3), "standard deviation", capsys)
    assert_not_done(check.mean_and_variance(..., ...))
    assert_survives(check.mean_and_variance, [(g, 9) for g in GARBAGE])


def test_normalised_row_check(capsys):
    # (x - 4) / 3 = [-1, -1/3, -1/3, 5/3]
    assert_correct(check.normalised_row([-1, -0.33, -0.33, 1.67]), capsys)
    assert_correct(check.normalised_row([-1, -1 / 3, -1 / 3, 5 / 3]), capsys)
    assert_diagnosed(check.normalised_row([-0.33, -0.11, -0.11, 0.56]), "divided by the variance", capsys)
    assert_diagnosed(check.normalised_row([0.33, 1, 1, 3]), "subtract the mean", capsys)
    assert_survives(check.normalised_row, garbage_calls())


def test_residual_z5_check(capsys):
    # Z5 = [5, 3, 1], Y5 = [5, 6, -4]
    assert_correct(check.residual_z5([10, 9, -3]), capsys)
    assert_diagnosed(check.residual_z5([5, 6, -4]), "FFN(x) alone", capsys)
    assert_diagnosed(check.residual_z5([0, -3, 5]), "subtracted", capsys)
    assert_survives(check.residual_z5, garbage_calls())


def _ln_by_hand(x, g, b, eps=1e-5):
    x = np.asarray(x, float)
    out = []
    for row in np.atleast_2d(x):
        m = sum(row) / len(row)
        v = sum((r - m) ** 2 for r in row) / len(row)
        out.append([(r - m) / math.sqrt(v + eps) for r in row])
    return np.array(out).reshape(x.shape) * g + b


def test_layer_norm_check(capsys):
    assert_correct(check.layer_norm(_ln_by_hand), capsys)

    def unbiased(x, g, b, eps=1e-5):
        x = np.asarray(x, float)
        return (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, ddof=1, keepdims=True) + eps) * g + b

    assert_diagnosed(check.layer_norm(unbiased), "d_model - 1", capsys)
    assert_diagnosed(check.layer_norm(lambda x, g, b, eps=1e-5: _ln_by_hand(x, 1, 0)), "γ and β", capsys)
    assert_not_done(check.layer_norm(...))
    assert_survives(check.layer_norm, function_calls())


def test_add_and_norm_check(capsys):
    assert_correct(check.add_and_norm(lambda x, s, g, b: _ln_by_hand(np.add(x, s), g, b)), capsys)
    assert_diagnosed(check.add_and_norm(lambda x, s, g, b: _ln_by_hand(s, g, b)), "forgot the residual", capsys)
    assert_diagnosed(check.add_and_norm(lambda x, s, g, b: np.add(x, _ln_by_hand(s, g, b))), "normalised first", capsys)
    assert_survives(check.add_and_norm, function_calls())


def test_encoder_check(capsys):
    def stack(x, layers, h):
        for p in layers:
            x = encoder_layer(x, p, h)
        return x

    assert_correct(check.encoder(stack), capsys)
    assert_diagnosed(check.encoder(lambda x, L, h: stack(x, [L[0]] * len(L), h)), "first layer", capsys)
    assert_diagnosed(check.encoder(lambda x, L, h: encoder_layer(x, L[-1], h)), "original x", capsys)
    assert_survives(check.encoder, function_calls())


def test_small_layer_parameters_check(capsys):
    # 4·(64 + 8) + (256 + 32) + (256 + 8) + 2·2·8 = 288 + 288 + 264 + 32 = 872
    assert_correct(check.small_layer_parameters(872), capsys)
    assert_diagnosed(check.small_layer_parameters(872 - 32), "two layer norms", capsys)
    # no biases: 4·64 + 256 + 256 + 32 = 800
    assert_diagnosed(check.small_layer_parameters(800), "biases", capsys)
    assert_survives(check.small_layer_parameters, garbage_calls())
