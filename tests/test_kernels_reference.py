"""The kernels against PyTorch (CPU, float64) with the same weights, at atol 1e-10.

Skips cleanly where torch is missing; the CI script treats that skip as a failure.
The largest difference seen is printed by test_zz_report (run with -s or -rP to see it)
and stored in the pytest cache: `cat .pytest_cache/v/kernels/max_torch_diff`.
"""

import dataclasses
import math

import numpy as np
import pytest

from helpers import (
    causal_mask,
    decoder_layer,
    encoder_layer,
    ffn,
    init_attention,
    init_decoder_layer,
    init_encoder_layer,
    init_ffn,
    init_layer_norm,
    layer_norm,
    multi_head_attention,
    positional_encoding,
    scaled_dot_product_attention,
)

pytestmark = pytest.mark.reference
torch = F = None  # set by _torch below


@pytest.fixture(autouse=True, scope="module")
def _torch():
    """Import torch when the first test here runs, not at collection: the import takes ~2 s,
    and every pytest-xdist worker collects every module."""
    global torch, F
    torch = pytest.importorskip("torch")
    F = torch.nn.functional


ATOL = 1e-10
SEEDS = [0, 1, 2]
DIFFS = []  # (test id, largest |ours - torch|) for every comparison in this module


def t(a):
    """numpy -> float64 torch tensor (bool arrays stay bool)."""
    a = np.asarray(a)
    return torch.from_numpy(a.copy() if a.dtype == bool else a.astype(np.float64))


def check(ours, theirs, what):
    """Assert ours == theirs within ATOL and record the largest difference."""
    theirs = theirs.detach().numpy() if isinstance(theirs, torch.Tensor) else np.asarray(theirs)
    ours = np.asarray(ours)
    assert ours.shape == theirs.shape, f"{what}: shape {ours.shape} vs torch {theirs.shape}"
    assert np.all(np.isfinite(theirs)), f"{what}: torch gave non-finite values"
    diff = float(np.max(np.abs(ours - theirs))) if ours.size else 0.0
    DIFFS.append((what, diff))
    assert diff < ATOL, f"{what}: largest difference {diff:.3g} >= {ATOL}"


def random_mask(rng, shape):
    """A random boolean mask (True = may attend) in which every query keeps at least one key."""
    mask = rng.random(shape) < 0.6
    *lead, n_q, n_k = shape
    keep = rng.integers(0, n_k, size=(*lead, n_q))
    np.put_along_axis(mask, keep[..., None], True, axis=-1)
    return mask


def per_head(mask, h):
    """(batch, n_q, n_k) -> (batch * h, n_q, n_k), the layout torch wants for a 3-D attn_mask."""
    return np.repeat(mask, h, axis=0)


def load_mha(m, p):
    """Copy AttentionParams into a torch.nn.MultiheadAttention."""
    with torch.no_grad():
        m.in_proj_weight.copy_(t(np.concatenate([p.W_q, p.W_k, p.W_v])))
        m.in_proj_bias.copy_(t(np.concatenate([p.b_q, p.b_k, p.b_v])))
        m.out_proj.weight.copy_(t(p.W_o))
        m.out_proj.bias.copy_(t(p.b_o))


def load_linear(m, W, b):
    with torch.no_grad():
        m.weight.copy_(t(W))
        m.bias.copy_(t(b))


def load_norm(m, p):
    with torch.no_grad():
        m.weight.copy_(t(p.gamma))
        m.bias.copy_(t(p.beta))


def random_norm(norm, rng):
    """The layer norm with gamma near 1 and beta near 0 at random: init_layer_norm starts them at exactly
    1 and 0, which would hide a gamma or beta read from the wrong norm."""
    d_model = norm.gamma.shape[0]
    return dataclasses.replace(norm, gamma=1 + rng.uniform(-0.1, 0.1, d_model), beta=rng.uniform(-0.1, 0.1, d_model))


def with_random_norms(p, rng):
    """An EncoderLayerParams or DecoderLayerParams whose every layer norm is random_norm."""
    names = [f.name for f in dataclasses.fields(p) if f.name.startswith("norm")]
    return dataclasses.replace(p, **{name: random_norm(getattr(p, name), rng) for name in names})


# ---------------------------------------------------------------- scaled dot-product attention


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("shape", [((), 3, 4, 4, 2), ((2,), 5, 3, 4, 6), ((2, 3), 4, 4, 8, 8)])
@pytest.mark.parametrize("masked", [False, True])
def test_sdpa_matches_torch(seed, shape, masked):
    batch, n_q, n_k, d_k, d_v = shape
    rng = np.random.default_rng(seed)
    q = rng.normal(size=(*batch, n_q, d_k))
    k = rng.normal(size=(*batch, n_k, d_k))
    v = rng.normal(size=(*batch, n_k, d_v))
    mask = random_mask(rng, (*batch, n_q, n_k)) if masked else None
    out, weights = scaled_dot_product_attention(q, k, v, mask)
    # torch's boolean attn_mask also means True = takes part
    expected = F.scaled_dot_product_attention(t(q), t(k), t(v), attn_mask=None if mask is None else t(mask))
    check(out, expected, f"sdpa out {shape} masked={masked}")
    # torch's function returns no weights: rebuild them the textbook way in torch
    scores = t(q) @ t(k).transpose(-1, -2) / math.sqrt(d_k)
    if mask is not None:
        scores = scores.masked_fill(~t(mask), float("-inf"))
    check(weights, torch.softmax(scores, dim=-1), f"sdpa weights {shape} masked={masked}")


@pytest.mark.parametrize("seed", SEEDS)
def test_sdpa_custom_scale_and_broadcast_mask_match_torch(seed):
    rng = np.random.default_rng(seed)
    q = rng.normal(size=(2, 3, 4))  # (batch, n_q, d_k)
    k = rng.normal(size=(2, 5, 4))  # (batch, n_k, d_k)
    v = rng.normal(size=(2, 5, 3))  # (batch, n_k, d_v)
    mask = random_mask(rng, (3, 5))  # one mask shared by the batch
    out, _ = scaled_dot_product_attention(q, k, v, mask, scale=0.3)
    expected = F.scaled_dot_product_attention(t(q), t(k), t(v), attn_mask=t(mask), scale=0.3)
    check(out, expected, "sdpa custom scale")
    # a causal mask equals torch's is_causal=True
    q2, k2, v2 = rng.normal(size=(3, 4, 4)), rng.normal(size=(3, 4, 4)), rng.normal(size=(3, 4, 2))
    out, _ = scaled_dot_product_attention(q2, k2, v2, causal_mask(4))
    check(out, F.scaled_dot_product_attention(t(q2), t(k2), t(v2), is_causal=True), "sdpa causal")


# ---------------------------------------------------------------- multi-head attention


def torch_mha(p, d_model, h):
    m = torch.nn.MultiheadAttention(d_model, h, dropout=0.0, bias=True, batch_first=True,
                                    dtype=torch.float64)
    load_mha(m, p)
    return m


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("d_model,h", [(4, 1), (4, 2), (6, 3), (8, 4)])
@pytest.mark.parametrize("kind", ["self", "cross"])
def test_mha_matches_torch(seed, d_model, h, kind):
    rng = np.random.default_rng(seed)
    p = init_attention(d_model, rng)
    batch, n_q = 3, 4
    n_k = n_q if kind == "self" else 6
    x_q = rng.normal(size=(batch, n_q, d_model))
    x_kv = x_q if kind == "self" else rng.normal(size=(batch, n_k, d_model))
    m = torch_mha(p, d_model, h)
    with torch.no_grad():
        # no mask
        out, weights = multi_head_attention(x_q, x_kv, p, h)
        e_out, e_w = m(t(x_q), t(x_kv), t(x_kv), need_weights=True, average_attn_weights=False)
        check(out, e_out, f"mha {kind} out h={h}")
        check(weights, e_w, f"mha {kind} weights h={h}")
        # one random mask per batch item; torch's bool attn_mask means True = NOT allowed
        mask = random_mask(rng, (batch, n_q, n_k))
        out, weights = multi_head_attention(x_q, x_kv, p, h, mask)
        e_out, e_w = m(t(x_q), t(x_kv), t(x_kv), attn_mask=t(~per_head(mask, h)),
                       need_weights=True, average_attn_weights=False)
        check(out, e_out, f"mha {kind} masked out h={h}")
        check(weights, e_w, f"mha {kind} masked weights h={h}")
        # one (n_q, n_k) mask shared by the batch
        mask2 = random_mask(rng, (n_q, n_k))
        out, weights = multi_head_attention(x_q, x_kv, p, h, mask2)
        e_out, e_w = m(t(x_q), t(x_kv), t(x_kv), attn_mask=t(~mask2),
                       need_weights=True, average_attn_weights=False)
        check(out, e_out, f"mha {kind} shared mask out h={h}")
        check(weights, e_w, f"mha {kind} shared mask weights h={h}")


@pytest.mark.parametrize("seed", SEEDS)
def test_mha_unbatched_causal_matches_torch(seed):
    rng = np.random.default_rng(seed)
    p = init_attention(6, rng)
    x = rng.normal(size=(5, 6))  # (n, d_model), no batch axis
    out, weights = multi_head_attention(x, x, p, 2, causal_mask(5))
    m = torch_mha(p, 6, 2)
    with torch.no_grad():
        e_out, e_w = m(t(x), t(x), t(x), attn_mask=t(~causal_mask(5)),
                       need_weights=True, average_attn_weights=False)
    check(out, e_out, "mha unbatched causal out")
    check(weights, e_w, "mha unbatched causal weights")


# ---------------------------------------------------------------- layers


def torch_encoder(p, d_model, h, d_ff):
    m = torch.nn.TransformerEncoderLayer(d_model, h, dim_feedforward=d_ff, dropout=0.0, activation="relu",
                                         batch_first=True, norm_first=False, dtype=torch.float64)
    load_mha(m.self_attn, p.self_attn)
    load_linear(m.linear1, p.ffn.W1, p.ffn.b1)
    load_linear(m.linear2, p.ffn.W2, p.ffn.b2)
    load_norm(m.norm1, p.norm1)
    load_norm(m.norm2, p.norm2)
    return m


def torch_decoder(p, d_model, h, d_ff):
    m = torch.nn.TransformerDecoderLayer(d_model, h, dim_feedforward=d_ff, dropout=0.0, activation="relu",
                                         batch_first=True, norm_first=False, dtype=torch.float64)
    load_mha(m.self_attn, p.self_attn)
    load_mha(m.multihead_attn, p.cross_attn)
    load_linear(m.linear1, p.ffn.W1, p.ffn.b1)
    load_linear(m.linear2, p.ffn.W2, p.ffn.b2)
    load_norm(m.norm1, p.norm1)
    load_norm(m.norm2, p.norm2)
    load_norm(m.norm3, p.norm3)
    return m


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("d_model,h,d_ff", [(4, 2, 8), (6, 3, 5), (8, 1, 16)])
def test_encoder_layer_matches_torch(seed, d_model, h, d_ff):
    rng = np.random.default_rng(seed)
    p = with_random_norms(init_encoder_layer(d_model, d_ff, rng), rng)
    x = rng.normal(size=(3, 5, d_model))  # (batch, n, d_model)
    m = torch_encoder(p, d_model, h, d_ff)  # left in training mode: no fast path, dropout is 0
    with torch.no_grad():
        check(encoder_layer(x, p, h), m(t(x)), f"encoder no mask d_model={d_model}")
        mask = random_mask(rng, (5, 5))
        check(encoder_layer(x, p, h, mask), m(t(x), src_mask=t(~mask)), f"encoder mask d_model={d_model}")
        mask3 = random_mask(rng, (3, 5, 5))
        check(encoder_layer(x, p, h, mask3), m(t(x), src_mask=t(~per_head(mask3, h))),
              f"encoder batch mask d_model={d_model}")


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("d_model,h,d_ff", [(4, 2, 8), (6, 3, 5), (8, 1, 16)])
def test_decoder_layer_matches_torch(seed, d_model, h, d_ff):
    rng = np.random.default_rng(seed)
    p = with_random_norms(init_decoder_layer(d_model, d_ff, rng), rng)
    n_q, n_k = 4, 6
    y = rng.normal(size=(3, n_q, d_model))  # (batch, n_q, d_model)
    memory = rng.normal(size=(3, n_k, d_model))  # (batch, n_k, d_model)
    m = torch_decoder(p, d_model, h, d_ff)
    tgt_mask = torch.nn.Transformer.generate_square_subsequent_mask(n_q, dtype=torch.float64)  # -inf above
    with torch.no_grad():
        # default self_mask is causal; torch's float mask (0 / -inf) and ~causal_mask agree
        check(decoder_layer(y, memory, p, h), m(t(y), t(memory), tgt_mask=tgt_mask),
              f"decoder causal d_model={d_model}")
        check(decoder_layer(y, memory, p, h), m(t(y), t(memory), tgt_mask=t(~causal_mask(n_q))),
              f"decoder causal bool d_model={d_model}")
        memory_mask = random_mask(rng, (n_q, n_k))
        check(decoder_layer(y, memory, p, h, memory_mask=memory_mask),
              m(t(y), t(memory), tgt_mask=t(~causal_mask(n_q)), memory_mask=t(~memory_mask)),
              f"decoder memory mask d_model={d_model}")
        self_mask = random_mask(rng, (3, n_q, n_q))
        memory_mask3 = random_mask(rng, (3, n_q, n_k))
        check(decoder_layer(y, memory, p, h, self_mask=self_mask, memory_mask=memory_mask3),
              m(t(y), t(memory), tgt_mask=t(~per_head(self_mask, h)), memory_mask=t(~per_head(memory_mask3, h))),
              f"decoder batch masks d_model={d_model}")


def test_layer_norm_starts_as_torch_does():
    m = torch.nn.LayerNorm(7)
    for p in (init_layer_norm(7), init_layer_norm(7, np.random.default_rng(0))):
        assert np.array_equal(p.gamma, m.weight.detach().numpy()) and np.array_equal(p.gamma, np.ones(7))
        assert np.array_equal(p.beta, m.bias.detach().numpy()) and np.array_equal(p.beta, np.zeros(7))
    rng = np.random.default_rng(0)
    init_layer_norm(7, rng)
    assert rng.random() == np.random.default_rng(0).random()  # draws nothing from rng


@pytest.mark.parametrize("seed", SEEDS)
def test_layer_norm_matches_torch(seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(scale=3.0, size=(2, 4, 7))  # (batch, n, d_model)
    x[0, 0] = 5.0  # a constant row: variance 0
    for p in (init_layer_norm(7), random_norm(init_layer_norm(7), rng)):
        m = torch.nn.LayerNorm(7, eps=1e-5, dtype=torch.float64)
        load_norm(m, p)
        with torch.no_grad():
            check(layer_norm(x, p.gamma, p.beta), m(t(x)), "layer_norm module")
        check(layer_norm(x, p.gamma, p.beta, eps=1e-3),
              F.layer_norm(t(x), (7,), t(p.gamma), t(p.beta), eps=1e-3), "layer_norm eps 1e-3")


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("d_model,d_ff", [(4, 8), (6, 3)])
def test_ffn_matches_two_torch_linears_and_relu(seed, d_model, d_ff):
    rng = np.random.default_rng(seed)
    p = init_ffn(d_model, d_ff, rng)
    x = rng.normal(size=(2, 5, d_model))
    l1 = torch.nn.Linear(d_model, d_ff, dtype=torch.float64)
    l2 = torch.nn.Linear(d_ff, d_model, dtype=torch.float64)
    load_linear(l1, p.W1, p.b1)
    load_linear(l2, p.W2, p.b2)
    with torch.no_grad():
        expected = l2(torch.relu(l1(t(x))))
    check(ffn(x, p.W1, p.b1, p.W2, p.b2), expected, f"ffn d_model={d_model}")


@pytest.mark.parametrize("n,d_model", [(1, 2), (7, 4), (50, 16), (10, 5)])
def test_positional_encoding_matches_the_papers_formula(n, d_model):
    # PE(pos, 2i) = sin(pos / 10000^(2i / d_model)), PE(pos, 2i + 1) = cos(pos / 10000^(2i / d_model))
    expected = [[0.0] * d_model for _ in range(n)]
    for pos in range(n):
        for i in range((d_model + 1) // 2):
            angle = pos / 10000 ** (2 * i / d_model)
            expected[pos][2 * i] = math.sin(angle)
            if 2 * i + 1 < d_model:
                expected[pos][2 * i + 1] = math.cos(angle)
    check(positional_encoding(n, d_model), np.array(expected), f"positional_encoding {n}x{d_model}")


# ---------------------------------------------------------------- the report (keep last)


@pytest.fixture(scope="module", autouse=True)
def _store_largest_difference(request):
    """After the module: store the largest difference in the pytest cache (whatever the test order)."""
    yield
    cache = getattr(request.config, "cache", None)
    if DIFFS and cache is not None:
        what, diff = max(DIFFS, key=lambda item: item[1])
        cache.set("kernels/max_torch_diff", {"max_abs_diff": diff, "where": what, "comparisons": len(DIFFS)})


def test_zz_report():
    if not DIFFS:
        pytest.skip("no comparisons ran before this test: run the whole file to get the report")
    what, diff = max(DIFFS, key=lambda item: item[1])
    print(f"\nlargest difference vs PyTorch: {diff:.3e} ({what}; {len(DIFFS)} comparisons)")
    assert diff < ATOL
