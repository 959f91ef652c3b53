"""The whole model (helpers.lesson10) against torch.nn.Transformer with the same weights.

float64, atol 1e-10. torch.nn.Transformer(batch_first=True, dropout=0.0, activation="relu",
norm_first=False) holds the encoder and decoder stacks and their final LayerNorms; the
embedding (scaled by sqrt(d_model)), the sinusoidal positional encoding and the output
linear are done identically on both sides, in torch, around it.
"""

import math

import numpy as np
import pytest

from helpers import positional_encoding
from helpers.lesson10 import init_transformer, transformer_forward

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


def torch_model(p, h, d_ff):
    d_model = p.src_embed.shape[1]
    model = torch.nn.Transformer(
        d_model=d_model, nhead=h,
        num_encoder_layers=len(p.encoder_layers), num_decoder_layers=len(p.decoder_layers),
        dim_feedforward=d_ff, dropout=0.0, activation="relu", batch_first=True, norm_first=False,
        dtype=torch.float64,
    )
    for layer, lp in zip(model.encoder.layers, p.encoder_layers):
        load_attention(layer.self_attn, lp.self_attn)
        load_ffn(layer, lp.ffn)
        load_norm(layer.norm1, lp.norm1)
        load_norm(layer.norm2, lp.norm2)
    for layer, lp in zip(model.decoder.layers, p.decoder_layers):
        load_attention(layer.self_attn, lp.self_attn)
        load_attention(layer.multihead_attn, lp.cross_attn)
        load_ffn(layer, lp.ffn)
        load_norm(layer.norm1, lp.norm1)
        load_norm(layer.norm2, lp.norm2)
        load_norm(layer.norm3, lp.norm3)
    load_norm(model.encoder.norm, p.encoder_norm)
    load_norm(model.decoder.norm, p.decoder_norm)
    return model.eval()


def torch_forward(model, src_ids, tgt_ids, p):
    """Embedding * sqrt(d_model) + PE, nn.Transformer, output linear: all in torch."""
    d_model = p.src_embed.shape[1]
    src_ids, tgt_ids = np.atleast_2d(src_ids), np.atleast_2d(tgt_ids)
    n_src, n_tgt = src_ids.shape[-1], tgt_ids.shape[-1]
    src_emb = torch.nn.Embedding.from_pretrained(t(p.src_embed))
    tgt_emb = torch.nn.Embedding.from_pretrained(t(p.tgt_embed))
    src = src_emb(torch.from_numpy(src_ids)) * math.sqrt(d_model) + t(positional_encoding(n_src, d_model))
    tgt = tgt_emb(torch.from_numpy(tgt_ids)) * math.sqrt(d_model) + t(positional_encoding(n_tgt, d_model))
    tgt_mask = torch.nn.Transformer.generate_square_subsequent_mask(n_tgt, dtype=torch.float64)
    with torch.no_grad():
        out = model(src, tgt, tgt_mask=tgt_mask, tgt_is_causal=True)
        return torch.nn.functional.linear(out, t(p.W_out), t(p.b_out)).numpy()


@pytest.mark.parametrize("seed, d_model, h, d_ff, n_layers, n_src, n_tgt", [
    (0, 8, 2, 16, 2, 5, 4),
    (1, 12, 3, 20, 1, 3, 6),
    (2, 16, 4, 32, 3, 7, 7),
])
def test_whole_model_equals_nn_transformer(seed, d_model, h, d_ff, n_layers, n_src, n_tgt):
    rng = np.random.default_rng(seed)
    vocab_src, vocab_tgt = 11, 13
    p = init_transformer(vocab_src, vocab_tgt, d_model, d_ff, n_layers, rng)
    src = rng.integers(0, vocab_src, size=(2, n_src))
    tgt = rng.integers(0, vocab_tgt, size=(2, n_tgt))
    ours = transformer_forward(src, tgt, p, h)
    theirs = torch_forward(torch_model(p, h, d_ff), src, tgt, p)
    assert ours.shape == theirs.shape == (2, n_tgt, vocab_tgt)
    assert np.max(np.abs(ours - theirs)) < ATOL
    # one sequence without a batch axis gives the same rows
    single = transformer_forward(src[1], tgt[1], p, h)
    assert np.max(np.abs(single - theirs[1])) < ATOL


def test_the_final_norms_matter():
    """Leaving out the final LayerNorms (as a model without them would) gives different logits."""
    rng = np.random.default_rng(5)
    p = init_transformer(9, 9, 8, 16, 2, rng)
    src, tgt = rng.integers(0, 9, size=(1, 4)), rng.integers(0, 9, size=(1, 3))
    model = torch_model(p, 2, 16)
    model.encoder.norm = None
    model.decoder.norm = None
    without = torch_forward(model, src, tgt, p)
    assert np.max(np.abs(transformer_forward(src, tgt, p, 2) - without)) > 1e-3
