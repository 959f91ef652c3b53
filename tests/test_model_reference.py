"""The whole model (helpers.lesson10) against torch.nn.Transformer with the same weights.

float64, atol 1e-10, both variants:

- the paper's (the default): nn.Transformer built with custom_encoder / custom_decoder stacks that
  have NO final LayerNorm, and one nn.Parameter shared by the source embedding, the target
  embedding and a bias-free output linear (the paper's section 3.4);
- PyTorch's (variant="pytorch"): the stock nn.Transformer, with its final LayerNorm after each
  stack, two embeddings of their own and an output nn.Linear with a bias.

On both sides the embedding is scaled by sqrt(d_model) and the sinusoidal positional encoding is
added in torch, around nn.Transformer (which has neither). Every γ and β is set to random values
first, so that the comparison also covers them (they start at exactly 1 and 0).
"""

import dataclasses
import math

import numpy as np
import pytest

from helpers import LayerNormParams, positional_encoding
from helpers.lesson10 import init_transformer, is_tied, transformer_forward

pytestmark = [
    pytest.mark.reference,
    pytest.mark.filterwarnings("ignore:enable_nested_tensor is True"),  # torch notes odd head counts
]

ATOL = 1e-10
torch = None  # set by _torch below


@pytest.fixture(autouse=True, scope="module")
def _torch():
    """Import torch when the first test here runs, not at collection (see test_kernels_reference)."""
    global torch
    torch = pytest.importorskip("torch")


def t(a):
    return torch.from_numpy(np.asarray(a, dtype=np.float64).copy())


def randomise_norms(p, rng):
    """Give every LayerNormParams inside p (nested dataclasses and lists) random γ and β, in place."""
    if isinstance(p, LayerNormParams):
        p.gamma = 1 + rng.uniform(-0.2, 0.2, size=p.gamma.shape)
        p.beta = rng.uniform(-0.2, 0.2, size=p.beta.shape)
    elif isinstance(p, list):
        for q in p:
            randomise_norms(q, rng)
    elif dataclasses.is_dataclass(p):
        for field in dataclasses.fields(p):
            randomise_norms(getattr(p, field.name), rng)
    return p


def load_attention(mha, p):
    with torch.no_grad():
        mha.in_proj_weight.copy_(t(np.concatenate([p.W_q, p.W_k, p.W_v], axis=0)))
        mha.in_proj_bias.copy_(t(np.concatenate([p.b_q, p.b_k, p.b_v])))
        mha.out_proj.weight.copy_(t(p.W_o))
        mha.out_proj.bias.copy_(t(p.b_o))


def load_norm(norm, p):
    with torch.no_grad():
        norm.weight.copy_(t(p.gamma))
        norm.bias.copy_(t(p.beta))


def load_ffn(layer, p):
    with torch.no_grad():
        layer.linear1.weight.copy_(t(p.W1))
        layer.linear1.bias.copy_(t(p.b1))
        layer.linear2.weight.copy_(t(p.W2))
        layer.linear2.bias.copy_(t(p.b2))


def load_layers(model, p):
    for layer, lp in zip(model.encoder.layers, p.encoder_layers, strict=True):
        load_attention(layer.self_attn, lp.self_attn)
        load_ffn(layer, lp.ffn)
        load_norm(layer.norm1, lp.norm1)
        load_norm(layer.norm2, lp.norm2)
    for layer, lp in zip(model.decoder.layers, p.decoder_layers, strict=True):
        load_attention(layer.self_attn, lp.self_attn)
        load_attention(layer.multihead_attn, lp.cross_attn)
        load_ffn(layer, lp.ffn)
        load_norm(layer.norm1, lp.norm1)
        load_norm(layer.norm2, lp.norm2)
        load_norm(layer.norm3, lp.norm3)


def torch_transformer(p, h, d_ff):
    """nn.Transformer holding p's layers: stock (final norms) when p has final norms, else custom stacks without."""
    d_model = p.src_embed.shape[1]
    kw = dict(dim_feedforward=d_ff, dropout=0.0, activation="relu", batch_first=True, norm_first=False,
              dtype=torch.float64)
    n_enc, n_dec = len(p.encoder_layers), len(p.decoder_layers)
    if p.encoder_norm is None:  # the paper's: stacks with no LayerNorm after them
        encoder = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(d_model, h, **kw), n_enc,
                                              norm=None, enable_nested_tensor=False)
        decoder = torch.nn.TransformerDecoder(torch.nn.TransformerDecoderLayer(d_model, h, **kw), n_dec, norm=None)
        model = torch.nn.Transformer(d_model=d_model, nhead=h, custom_encoder=encoder, custom_decoder=decoder, **kw)
        assert model.encoder.norm is None and model.decoder.norm is None
    else:  # PyTorch's: nn.Transformer adds a LayerNorm after each stack
        model = torch.nn.Transformer(d_model=d_model, nhead=h, num_encoder_layers=n_enc, num_decoder_layers=n_dec,
                                     **kw)
        load_norm(model.encoder.norm, p.encoder_norm)
        load_norm(model.decoder.norm, p.decoder_norm)
    load_layers(model, p)
    return model


def torch_model(p, h, d_ff):
    """The whole model in torch: embeddings, nn.Transformer, output linear; tied as p is tied."""
    d_model = p.src_embed.shape[1]
    model = torch.nn.Module()
    model.transformer = torch_transformer(p, h, d_ff)
    model.src_embed = torch.nn.Embedding(*p.src_embed.shape, dtype=torch.float64)
    model.out = torch.nn.Linear(d_model, p.W_out.shape[0], bias=p.b_out is not None, dtype=torch.float64)
    with torch.no_grad():
        model.src_embed.weight.copy_(t(p.src_embed))
        if is_tied(p):  # one Parameter: the source and target embeddings and the output layer's weight
            model.tgt_embed = model.src_embed
            model.out.weight = model.src_embed.weight
        else:
            model.tgt_embed = torch.nn.Embedding(*p.tgt_embed.shape, dtype=torch.float64)
            model.tgt_embed.weight.copy_(t(p.tgt_embed))
            model.out.weight.copy_(t(p.W_out))
        if p.b_out is not None:
            model.out.bias.copy_(t(p.b_out))
    return model.eval()


def torch_forward(model, src_ids, tgt_ids):
    """Embedding * sqrt(d_model) + PE, nn.Transformer, output linear: all in torch."""
    d_model = model.src_embed.weight.shape[1]
    src_ids, tgt_ids = np.atleast_2d(src_ids), np.atleast_2d(tgt_ids)
    n_src, n_tgt = src_ids.shape[-1], tgt_ids.shape[-1]
    src = model.src_embed(torch.from_numpy(src_ids)) * math.sqrt(d_model) + t(positional_encoding(n_src, d_model))
    tgt = model.tgt_embed(torch.from_numpy(tgt_ids)) * math.sqrt(d_model) + t(positional_encoding(n_tgt, d_model))
    tgt_mask = torch.nn.Transformer.generate_square_subsequent_mask(n_tgt, dtype=torch.float64)
    with torch.no_grad():
        out = model.transformer(src, tgt, tgt_mask=tgt_mask, tgt_is_causal=True)
        return model.out(out).numpy()


SIZES = [  # seed, d_model, h, d_ff, n_layers, n_src, n_tgt
    (0, 8, 2, 16, 2, 5, 4),
    (1, 12, 3, 20, 1, 3, 6),
    (2, 16, 4, 32, 3, 7, 7),
]


def _compare(p, h, d_ff, rng, vocab_src, vocab_tgt, n_src, n_tgt):
    randomise_norms(p, rng)
    src = rng.integers(0, vocab_src, size=(2, n_src))
    tgt = rng.integers(0, vocab_tgt, size=(2, n_tgt))
    ours = transformer_forward(src, tgt, p, h)
    theirs = torch_forward(torch_model(p, h, d_ff), src, tgt)
    assert ours.shape == theirs.shape == (2, n_tgt, vocab_tgt)
    assert np.max(np.abs(ours - theirs)) < ATOL
    # one sequence without a batch axis gives the same rows
    single = transformer_forward(src[1], tgt[1], p, h)
    assert np.max(np.abs(single - theirs[1])) < ATOL


@pytest.mark.parametrize("seed, d_model, h, d_ff, n_layers, n_src, n_tgt", SIZES)
def test_paper_model_equals_nn_transformer_without_final_norms_and_with_tied_weights(
        seed, d_model, h, d_ff, n_layers, n_src, n_tgt):
    rng = np.random.default_rng(seed)
    p = init_transformer(13, d_model, d_ff, n_layers, rng)  # the default: variant="paper"
    assert p.encoder_norm is None and p.decoder_norm is None and p.b_out is None and is_tied(p)
    _compare(p, h, d_ff, rng, 13, 13, n_src, n_tgt)


@pytest.mark.parametrize("seed, d_model, h, d_ff, n_layers, n_src, n_tgt", SIZES)
def test_pytorch_variant_equals_stock_nn_transformer(seed, d_model, h, d_ff, n_layers, n_src, n_tgt):
    rng = np.random.default_rng(seed)
    p = init_transformer((11, 13), d_model, d_ff, n_layers, rng, variant="pytorch")
    assert p.encoder_norm is not None and p.decoder_norm is not None and not is_tied(p)
    _compare(p, h, d_ff, rng, 11, 13, n_src, n_tgt)


def test_torch_side_shares_one_parameter():
    p = init_transformer(9, 8, 16, 1, np.random.default_rng(4))
    model = torch_model(p, 2, 16)
    assert model.tgt_embed.weight is model.src_embed.weight is model.out.weight
    assert len(list(model.parameters())) == len({id(q) for q in model.parameters()})
    shared = [q for q in model.parameters() if q.shape == (9, 8)]
    assert len(shared) == 1  # parameters() lists a shared Parameter once


def test_the_final_norms_matter():
    """The two variants differ exactly by the final norms: removing them from the stock model, or adding
    them to the paper's, changes the logits."""
    rng = np.random.default_rng(5)
    p = randomise_norms(init_transformer(9, 8, 16, 2, rng, variant="pytorch"), rng)
    src, tgt = rng.integers(0, 9, size=(1, 4)), rng.integers(0, 9, size=(1, 3))
    model = torch_model(p, 2, 16)
    model.transformer.encoder.norm = None
    model.transformer.decoder.norm = None
    without = torch_forward(model, src, tgt)
    assert np.max(np.abs(transformer_forward(src, tgt, p, 2) - without)) > 1e-3
    p.encoder_norm = p.decoder_norm = None  # now p is the same model without its final norms
    assert np.max(np.abs(transformer_forward(src, tgt, p, 2) - without)) < ATOL
