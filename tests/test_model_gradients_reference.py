"""The whole model's loss and gradients (helpers.lesson12.loss_and_gradients) against torch.autograd.

The same model is built in torch from the numpy weights, as tests/test_model_reference.py builds it
(its torch_model: nn.Transformer with the paper's stacks and one shared Parameter for E, or the stock
one), in float64. The loss is torch.nn.functional.cross_entropy over the shifted target, with and without
label smoothing; loss.backward() gives every parameter's gradient, and ours must equal it at 1e-10 —
for the tied E, torch sums the three uses itself, so the one gradient compares with our one array.
Every γ and β is random first, so that their gradients are not the special case γ = 1, β = 0.
Three training steps with our Adam then equal torch.optim.Adam's on the same model.
"""

import math

import numpy as np
import pytest
import test_model_reference as ref  # tests/ is on sys.path: its torch_model and randomise_norms

from helpers import gradient_check, positional_encoding
from helpers.lesson10 import init_transformer, is_tied
from helpers.lesson12 import loss_and_gradients

pytestmark = [
    pytest.mark.reference,
    pytest.mark.filterwarnings("ignore:enable_nested_tensor is True"),
]

ATOL = 1e-10
torch = None  # set by _torch below


@pytest.fixture(autouse=True, scope="module")
def _torch():
    """Import torch when the first test here runs, not at collection; lend it to test_model_reference too."""
    global torch
    torch = pytest.importorskip("torch")
    ref.torch = torch


def torch_loss(model, src_ids, tgt_ids, label_smoothing):
    """Teacher forcing in torch: embeddings * sqrt(d_model) + PE, nn.Transformer, output, cross-entropy."""
    d_model = model.src_embed.weight.shape[1]
    tgt_in, tgt_out = tgt_ids[..., :-1], tgt_ids[..., 1:]
    n_src, n_tgt = src_ids.shape[-1], tgt_in.shape[-1]
    src = model.src_embed(torch.from_numpy(src_ids)) * math.sqrt(d_model) + ref.t(positional_encoding(n_src, d_model))
    tgt = model.tgt_embed(torch.from_numpy(tgt_in)) * math.sqrt(d_model) + ref.t(positional_encoding(n_tgt, d_model))
    mask = torch.nn.Transformer.generate_square_subsequent_mask(n_tgt, dtype=torch.float64)
    logits = model.out(model.transformer(src, tgt, tgt_mask=mask, tgt_is_causal=True))
    vocab = logits.shape[-1]
    return torch.nn.functional.cross_entropy(logits.reshape(-1, vocab), torch.from_numpy(tgt_out).reshape(-1),
                                             label_smoothing=label_smoothing)


def g(param):
    return param.grad.numpy()


def pairs_of_gradients(model, grads):
    """(name, torch's gradient, ours) for every parameter of the torch model."""
    out = [("E / src_embed", g(model.src_embed.weight), grads.src_embed)]
    if not is_tied(grads):
        out += [("tgt_embed", g(model.tgt_embed.weight), grads.tgt_embed), ("W_out", g(model.out.weight), grads.W_out)]
    if grads.b_out is not None:
        out.append(("b_out", g(model.out.bias), grads.b_out))

    def attention(prefix, mha, a):
        out.extend([(f"{prefix}.W_qkv", g(mha.in_proj_weight), np.concatenate([a.W_q, a.W_k, a.W_v])),
                    (f"{prefix}.b_qkv", g(mha.in_proj_bias), np.concatenate([a.b_q, a.b_k, a.b_v])),
                    (f"{prefix}.W_o", g(mha.out_proj.weight), a.W_o), (f"{prefix}.b_o", g(mha.out_proj.bias), a.b_o)])

    def rest(prefix, layer, lg, norms):
        out.extend([(f"{prefix}.W1", g(layer.linear1.weight), lg.ffn.W1),
                    (f"{prefix}.b1", g(layer.linear1.bias), lg.ffn.b1),
                    (f"{prefix}.W2", g(layer.linear2.weight), lg.ffn.W2),
                    (f"{prefix}.b2", g(layer.linear2.bias), lg.ffn.b2)])
        for n in norms:
            out.extend([(f"{prefix}.{n}.gamma", g(getattr(layer, n).weight), getattr(lg, n).gamma),
                        (f"{prefix}.{n}.beta", g(getattr(layer, n).bias), getattr(lg, n).beta)])

    for i, (layer, lg) in enumerate(zip(model.transformer.encoder.layers, grads.encoder_layers, strict=True)):
        attention(f"encoder {i} self", layer.self_attn, lg.self_attn)
        rest(f"encoder {i}", layer, lg, ("norm1", "norm2"))
    for i, (layer, lg) in enumerate(zip(model.transformer.decoder.layers, grads.decoder_layers, strict=True)):
        attention(f"decoder {i} self", layer.self_attn, lg.self_attn)
        attention(f"decoder {i} cross", layer.multihead_attn, lg.cross_attn)
        rest(f"decoder {i}", layer, lg, ("norm1", "norm2", "norm3"))
    for name, norm, ours in (("encoder norm", model.transformer.encoder.norm, grads.encoder_norm),
                             ("decoder norm", model.transformer.decoder.norm, grads.decoder_norm)):
        if ours is not None:
            out.extend([(f"{name}.gamma", g(norm.weight), ours.gamma), (f"{name}.beta", g(norm.bias), ours.beta)])
    return out


CASES = [  # seed, variant, d_model, h, d_ff, n_layers, batch shape, n_src, n_tgt, label_smoothing
    (0, "paper", 8, 2, 16, 2, (3,), 5, 4, 0.0),
    (1, "paper", 12, 3, 20, 1, (2,), 3, 6, 0.1),
    (2, "paper", 16, 4, 32, 2, (2, 2), 6, 5, 0.1),
    (3, "pytorch", 8, 2, 16, 2, (3,), 4, 5, 0.0),
    (4, "pytorch", 12, 4, 24, 1, (2,), 6, 3, 0.1),
]


@pytest.mark.parametrize("seed, variant, d_model, h, d_ff, n_layers, batch, n_src, n_tgt, smoothing", CASES)
def test_loss_and_every_gradient_equal_torch_autograd(seed, variant, d_model, h, d_ff, n_layers, batch, n_src,
                                                       n_tgt, smoothing):
    rng = np.random.default_rng(seed)
    vocab = 11 if variant == "paper" else (9, 11)
    p = ref.randomise_norms(init_transformer(vocab, d_model, d_ff, n_layers, rng, variant=variant), rng)
    vocab_src, vocab_tgt = p.src_embed.shape[0], p.tgt_embed.shape[0]
    src = rng.integers(0, vocab_src, size=batch + (n_src,))
    tgt = rng.integers(0, vocab_tgt, size=batch + (n_tgt,))
    loss, grads = loss_and_gradients(src, tgt, p, h, label_smoothing=smoothing)
    assert is_tied(grads) == is_tied(p)

    model = ref.torch_model(p, h, d_ff).train()  # train(): no fast path; there is no dropout to switch on
    flat = batch[0] * batch[1] if len(batch) == 2 else batch[0]
    t_loss = torch_loss(model, src.reshape(flat, n_src), tgt.reshape(flat, n_tgt), smoothing)
    t_loss.backward()
    assert abs(loss - t_loss.item()) < ATOL
    compared = pairs_of_gradients(model, grads)
    assert len(compared) == len(list(model.parameters()))  # every parameter of the torch model, once
    for name, theirs, ours in compared:
        assert ours.shape == theirs.shape, name
        assert np.max(np.abs(ours - theirs)) < ATOL, name


def test_the_tied_gradient_is_the_sum_of_three_uses_each_nonzero():
    """Untie the paper's model into three copies of E: their three gradients add up to the tied one, and
    each use contributes (none of the three is zero)."""
    rng = np.random.default_rng(7)
    p = init_transformer(10, 8, 16, 1, rng)
    src, tgt = rng.integers(0, 10, size=(2, 4)), rng.integers(0, 10, size=(2, 5))
    _, tied = loss_and_gradients(src, tgt, p, 2)
    untied = init_transformer(10, 8, 16, 1, np.random.default_rng(7))
    untied.tgt_embed, untied.W_out = untied.src_embed.copy(), untied.src_embed.copy()
    _, apart = loss_and_gradients(src, tgt, untied, 2)
    assert not is_tied(apart)
    for part in (apart.src_embed, apart.tgt_embed, apart.W_out):
        assert np.abs(part).max() > 1e-4
    np.testing.assert_allclose(apart.src_embed + apart.tgt_embed + apart.W_out, tied.src_embed, atol=1e-13)


@pytest.mark.parametrize("where", ["E", "encoder W_q", "decoder cross W_k", "decoder norm3 gamma"])
def test_gradient_check_on_a_few_entries(where):
    """helpers.gradient_check, the learners' tool, on slices of four weights of the paper's model."""
    rng = np.random.default_rng(11)
    p = ref.randomise_norms(init_transformer(9, 8, 16, 2, rng), rng)
    src, tgt = rng.integers(0, 9, size=(2, 4)), rng.integers(0, 9, size=(2, 4))
    get = {"E": lambda q: q.src_embed, "encoder W_q": lambda q: q.encoder_layers[0].self_attn.W_q,
           "decoder cross W_k": lambda q: q.decoder_layers[1].cross_attn.W_k,
           "decoder norm3 gamma": lambda q: q.decoder_layers[0].norm3.gamma}[where]
    weight = get(p)
    rows = slice(0, 3)

    def f(x):
        old = weight[rows].copy()
        weight[rows] = x
        loss, grads = loss_and_gradients(src, tgt, p, 2, label_smoothing=0.1)
        weight[rows] = old
        return loss, get(grads)[rows]

    assert gradient_check(f, weight[rows].copy()) < 1e-6


def test_three_training_steps_equal_torch_optim_adam():
    """Our Adam (the paper's β1 0.9, β2 0.98, ε 1e-9) with our gradients, three steps with the warm-up's rates,
    against torch.optim.Adam on the same torch model: every weight equal at 1e-10 after each step."""
    from helpers.lesson12.training import BETA1, BETA2, EPS, adam_init, adam_step, lrate

    rng = np.random.default_rng(12)
    p = ref.randomise_norms(init_transformer(10, 8, 16, 1, rng), rng)
    model = ref.torch_model(p, 2, 16).train()
    params = list(model.parameters())
    opt = torch.optim.Adam(params, lr=1.0, betas=(BETA1, BETA2), eps=EPS)
    state = adam_init(p)
    for step in range(1, 4):
        src, tgt = rng.integers(0, 10, size=(3, 5)), rng.integers(0, 10, size=(3, 4))
        lr = lrate(step, 8, warmup=2)
        _, grads = loss_and_gradients(src, tgt, p, 2, label_smoothing=0.1)
        adam_step(p, grads, state, lr)
        opt.zero_grad()
        torch_loss(model, src, tgt, 0.1).backward()
        for group in opt.param_groups:
            group["lr"] = lr
        opt.step()
        np.testing.assert_allclose(p.src_embed, model.src_embed.weight.detach().numpy(), rtol=0, atol=ATOL)
        layer, ours = model.transformer.decoder.layers[0], p.decoder_layers[0]
        np.testing.assert_allclose(ours.cross_attn.W_o, layer.multihead_attn.out_proj.weight.detach().numpy(),
                                   rtol=0, atol=ATOL)
        np.testing.assert_allclose(ours.norm3.gamma, layer.norm3.weight.detach().numpy(), rtol=0, atol=ATOL)
        np.testing.assert_allclose(p.encoder_layers[0].ffn.b1, model.transformer.encoder.layers[0].linear1.bias
                                   .detach().numpy(), rtol=0, atol=ATOL)
    assert is_tied(p)
