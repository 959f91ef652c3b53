"""The backward kernels against torch.autograd (CPU, float64) with the same weights, at atol 1e-10.

For each function: a random upstream gradient dout, torch's loss sum(out * dout) and its
.backward(), and every gradient compared with ours. Attention with fully masked rows is compared
with torch.nn.functional.scaled_dot_product_attention (zero output and zero gradients there);
nn.MultiheadAttention and the nn layers, which give NaN for such rows, only where no row is.
"""

import dataclasses

import numpy as np
import pytest

from helpers import (
    AttentionParams,
    cross_entropy,
    decoder_layer_backward,
    encoder_layer_backward,
    ffn_backward,
    init_attention,
    init_decoder_layer,
    init_encoder_layer,
    init_ffn,
    layer_norm_backward,
    linear_backward,
    multi_head_attention_backward,
    relu_backward,
    scaled_dot_product_attention_backward,
    softmax,
    softmax_backward,
)

pytestmark = [
    pytest.mark.reference,
    pytest.mark.filterwarnings("ignore:enable_nested_tensor is True"),  # torch notes odd head counts
]
torch = F = None  # set by _torch below
ATOL = 1e-10
SEEDS = [0, 1]


@pytest.fixture(autouse=True, scope="module")
def _torch():
    """Import torch when the first test here runs, not at collection (see test_kernels_reference)."""
    global torch, F
    torch = pytest.importorskip("torch")
    F = torch.nn.functional


def t(a, grad=False):
    """numpy -> float64 torch tensor (bool arrays stay bool); a leaf that records its gradient if asked."""
    a = np.asarray(a)
    out = torch.from_numpy(a.copy() if a.dtype == bool else a.astype(np.float64))
    return out.requires_grad_(grad)


def check(ours, theirs, what):
    """ours == theirs within ATOL (theirs a tensor or array), same shape, both finite."""
    theirs = theirs.detach().numpy() if isinstance(theirs, torch.Tensor) else np.asarray(theirs)
    ours = np.asarray(ours)
    assert ours.shape == theirs.shape, f"{what}: shape {ours.shape} vs torch {theirs.shape}"
    assert np.all(np.isfinite(theirs)) and np.all(np.isfinite(ours)), f"{what}: non-finite values"
    diff = float(np.max(np.abs(ours - theirs))) if ours.size else 0.0
    assert diff < ATOL, f"{what}: largest difference {diff:.3g} >= {ATOL}"


def backward(out, dout):
    """Run torch's backward of sum(out * dout)."""
    (out * t(dout)).sum().backward()


def random_mask(rng, shape, fully_masked=True):
    """A random boolean mask (True = may attend); with fully_masked, some queries see no key at all,
    otherwise every query keeps at least one key."""
    mask = rng.random(shape) < 0.6
    *lead, n_q, n_k = shape
    keep = rng.integers(0, n_k, size=(*lead, n_q))
    np.put_along_axis(mask, keep[..., None], True, axis=-1)
    if fully_masked:
        mask[..., 0, :] = False  # the first query of every batch item sees nothing
        mask &= rng.random((*lead, n_q, 1)) < 0.8  # and some others
    return mask


def random_norms(p, rng):
    """p with every layer norm's gamma and beta random (they start at exactly 1 and 0)."""
    names = [f.name for f in dataclasses.fields(p) if f.name.startswith("norm")]
    d_model = p.norm1.gamma.shape[0]
    norms = {n: dataclasses.replace(getattr(p, n), gamma=1 + rng.uniform(-0.3, 0.3, d_model),
                                    beta=rng.uniform(-0.3, 0.3, d_model)) for n in names}
    return dataclasses.replace(p, **norms)


# ---------------------------------------------------------------- the small kernels


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("shape,axis", [((5,), -1), ((2, 3, 4, 6), -1), ((2, 3, 4, 6), 1), ((3, 4), 0)])
def test_softmax_backward_matches_torch(seed, shape, axis):
    rng = np.random.default_rng(seed)
    x, dy = rng.normal(scale=2.0, size=shape), rng.normal(size=shape)
    xt = t(x, grad=True)
    backward(torch.softmax(xt, dim=axis), dy)
    check(softmax_backward(softmax(x, axis=axis), dy, axis=axis), xt.grad, f"softmax_backward {shape} axis={axis}")


@pytest.mark.parametrize("seed", SEEDS)
def test_relu_backward_matches_torch_also_at_zero(seed):
    rng = np.random.default_rng(seed)
    x = rng.integers(-2, 3, size=(2, 3, 4)).astype(float)  # many exact zeros
    dy = rng.normal(size=x.shape)
    xt = t(x, grad=True)
    backward(torch.relu(xt), dy)
    check(relu_backward(x, dy), xt.grad, "relu_backward")
    assert np.all(relu_backward(x, dy)[x == 0] == 0)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("lead", [(), (4,), (2, 3, 4)])
def test_linear_backward_matches_torch(seed, lead):
    rng = np.random.default_rng(seed)
    x, W, b = rng.normal(size=(*lead, 5)), rng.normal(size=(3, 5)), rng.normal(size=3)
    dy = rng.normal(size=(*lead, 3))
    xt, Wt, bt = t(x, True), t(W, True), t(b, True)
    backward(F.linear(xt, Wt, bt), dy)
    dx, dW, db = linear_backward(x, W, dy)
    check(dx, xt.grad, "linear dx")
    check(dW, Wt.grad, "linear dW")
    check(db, bt.grad, "linear db")


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("eps", [1e-5, 1e-2])
def test_layer_norm_backward_matches_torch(seed, eps):
    rng = np.random.default_rng(seed)
    x = rng.normal(scale=3.0, size=(2, 3, 4, 7))
    x[0, 0, 0] = 2.5  # a constant row: variance 0
    gamma, beta = 1 + rng.uniform(-0.5, 0.5, 7), rng.uniform(-0.5, 0.5, 7)
    dy = rng.normal(size=x.shape)
    xt, gt, bt = t(x, True), t(gamma, True), t(beta, True)
    backward(F.layer_norm(xt, (7,), gt, bt, eps=eps), dy)
    dx, dgamma, dbeta = layer_norm_backward(x, gamma, dy, eps=eps)
    check(dx, xt.grad, "layer_norm dx")
    check(dgamma, gt.grad, "layer_norm dgamma")
    check(dbeta, bt.grad, "layer_norm dbeta")


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("ignore_index,label_smoothing", [(None, 0.0), (None, 0.1), (3, 0.0), (3, 0.2), (-1, 0.1)])
def test_cross_entropy_matches_torch(seed, ignore_index, label_smoothing):
    rng = np.random.default_rng(seed)
    vocab = 6
    logits = rng.normal(scale=3.0, size=(2, 4, vocab))
    logits[0, 0] = [1e4, -1e4, 0, 5e3, -5e3, 1]  # stable for large logits
    targets = rng.integers(0, vocab, size=(2, 4))
    if ignore_index is not None:
        targets[rng.random(targets.shape) < 0.3] = ignore_index
        targets[1, 0] = ignore_index
        targets[0, 1] = 0  # at least one counted token
    lt = t(logits, True)
    expected = F.cross_entropy(lt.reshape(-1, vocab), torch.from_numpy(targets.reshape(-1)),
                               ignore_index=-100 if ignore_index is None else ignore_index,
                               label_smoothing=label_smoothing)
    expected.backward()
    loss, dlogits = cross_entropy(logits, targets, ignore_index=ignore_index, label_smoothing=label_smoothing)
    assert isinstance(loss, float)
    assert abs(loss - expected.item()) < ATOL, (loss, expected.item())
    check(dlogits, lt.grad, "cross_entropy dlogits")


# ---------------------------------------------------------------- scaled dot-product attention


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("shapes", [
    ((4, 3), (5, 3), (5, 2), None),  # no batch
    ((2, 3, 4, 3), (2, 3, 5, 3), (2, 3, 5, 4), (2, 3, 4, 5)),  # (2, 3, n, d) with a mask per item
    ((2, 3, 4, 3), (3, 5, 3), (5, 2), (2, 1, 4, 5)),  # batch axes broadcast between q, k, v and mask
    ((2, 4, 3), (2, 5, 3), (2, 5, 2), (4, 5)),  # one mask shared by the batch
])
@pytest.mark.parametrize("scale", [None, 0.7])
def test_sdpa_backward_matches_torch_with_fully_masked_rows(seed, shapes, scale):
    rng = np.random.default_rng(seed)
    q_shape, k_shape, v_shape, mask_shape = shapes
    q, k, v = (rng.normal(size=s) for s in (q_shape, k_shape, v_shape))
    mask = None if mask_shape is None else random_mask(rng, mask_shape)
    out_shape = np.broadcast_shapes(q_shape[:-2], k_shape[:-2], v_shape[:-2], (mask_shape or (1, 1))[:-2])
    dout = rng.normal(size=(*out_shape, q_shape[-2], v_shape[-1]))
    qt, kt, vt = t(q, True), t(k, True), t(v, True)
    backward(F.scaled_dot_product_attention(qt, kt, vt, attn_mask=None if mask is None else t(mask), scale=scale),
             dout)
    dq, dk, dv = scaled_dot_product_attention_backward(q, k, v, dout, mask=mask, scale=scale)
    check(dq, qt.grad, f"sdpa dq {shapes}")
    check(dk, kt.grad, f"sdpa dk {shapes}")
    check(dv, vt.grad, f"sdpa dv {shapes}")
    if mask is not None:
        blind = ~np.broadcast_to(mask, (*out_shape, *mask.shape[-2:])).any(axis=-1)  # queries that see nothing
        assert blind.any() and np.all(np.broadcast_to(qt.grad.numpy(), blind.shape + (q_shape[-1],))[blind] == 0)


# ---------------------------------------------------------------- multi-head attention


def torch_mha(p, d_model, h, bias=True):
    m = torch.nn.MultiheadAttention(d_model, h, dropout=0.0, bias=bias, batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        m.in_proj_weight.copy_(t(np.concatenate([p.W_q, p.W_k, p.W_v])))
        m.out_proj.weight.copy_(t(p.W_o))
        if bias:
            m.in_proj_bias.copy_(t(np.concatenate([p.b_q, p.b_k, p.b_v])))
            m.out_proj.bias.copy_(t(p.b_o))
    return m


def mha_grads(m):
    """The gradients of an nn.MultiheadAttention, as an AttentionParams (None for a missing bias)."""
    W_q, W_k, W_v = m.in_proj_weight.grad.chunk(3)
    if m.in_proj_bias is None:
        return AttentionParams(W_q, None, W_k, None, W_v, None, m.out_proj.weight.grad, None)
    b_q, b_k, b_v = m.in_proj_bias.grad.chunk(3)
    return AttentionParams(W_q, b_q, W_k, b_k, W_v, b_v, m.out_proj.weight.grad, m.out_proj.bias.grad)


def check_params(ours, theirs, what):
    """Every field of two parameter dataclasses (nested), or None on both sides."""
    for field in dataclasses.fields(ours):
        a, b = getattr(ours, field.name), getattr(theirs, field.name)
        if dataclasses.is_dataclass(a):
            check_params(a, b, f"{what}.{field.name}")
        elif a is None or b is None:
            assert a is None and b is None, f"{what}.{field.name}: {a} vs {b}"
        else:
            check(a, b, f"{what}.{field.name}")


@pytest.mark.parametrize("seed", [0])
@pytest.mark.parametrize("d_model,h", [(4, 1), (6, 3), (8, 2)])
@pytest.mark.parametrize("kind", ["self", "cross"])
@pytest.mark.parametrize("bias", [True, False])
def test_mha_backward_matches_nn_multihead_attention(seed, d_model, h, kind, bias):
    rng = np.random.default_rng(seed)
    p = init_attention(d_model, rng)
    if not bias:
        p = dataclasses.replace(p, b_q=None, b_k=None, b_v=None, b_o=None)
    n_q, n_k = 4, (4 if kind == "self" else 5)
    x_q = rng.normal(size=(3, n_q, d_model))
    x_kv = x_q if kind == "self" else rng.normal(size=(3, n_k, d_model))
    mask = random_mask(rng, (3, n_q, n_k), fully_masked=False)
    dout = rng.normal(size=(3, n_q, d_model))
    m = torch_mha(p, d_model, h, bias)
    xqt = t(x_q, True)
    xkvt = xqt if kind == "self" else t(x_kv, True)
    out, _ = m(xqt, xkvt, xkvt, attn_mask=t(~np.repeat(mask, h, axis=0)), need_weights=False)
    backward(out, dout)
    dx_q, dx_kv, grads = multi_head_attention_backward(x_q, x_kv, p, h, dout, mask=mask)
    if kind == "self":
        check(dx_q + dx_kv, xqt.grad, "mha self dx")
    else:
        check(dx_q, xqt.grad, "mha cross dx_q")
        check(dx_kv, xkvt.grad, "mha cross dx_kv")
    check_params(grads, mha_grads(m), f"mha {kind} bias={bias}")


def torch_mha_fn(x_q, x_kv, P, h, mask):
    """Multi-head attention in torch on F.scaled_dot_product_attention (zero for fully masked rows);
    P: AttentionParams of tensors, x_q / x_kv of any batch shape."""
    def heads(x, W, b):
        y = F.linear(x, W, b)
        return y.unflatten(-1, (h, -1)).transpose(-2, -3)  # (..., h, n, d_k)
    q, k, v = heads(x_q, P.W_q, P.b_q), heads(x_kv, P.W_k, P.b_k), heads(x_kv, P.W_v, P.b_v)
    o = F.scaled_dot_product_attention(q, k, v, attn_mask=None if mask is None else t(mask)[..., None, :, :])
    return F.linear(o.transpose(-2, -3).flatten(-2), P.W_o, P.b_o)


def leaves(p):
    """A parameter dataclass (nested) with every array as a float64 torch leaf that records its gradient."""
    return dataclasses.replace(p, **{f.name: leaves(v) if dataclasses.is_dataclass(v) else t(v, True)
                                     for f in dataclasses.fields(p) for v in [getattr(p, f.name)]})


def grads_of(pt):
    return dataclasses.replace(pt, **{f.name: grads_of(v) if dataclasses.is_dataclass(v) else v.grad
                                      for f in dataclasses.fields(pt) for v in [getattr(pt, f.name)]})


@pytest.mark.parametrize("seed", SEEDS)
def test_mha_backward_with_fully_masked_rows_and_4d_batch_matches_torch_sdpa(seed):
    rng = np.random.default_rng(seed)
    d_model, h = 6, 2
    p = init_attention(d_model, rng)
    x_q = rng.normal(size=(2, 3, 4, d_model))  # (2, 3, n_q, d_model)
    x_kv = rng.normal(size=(3, 5, d_model))  # broadcast over the first batch axis
    mask = random_mask(rng, (2, 3, 4, 5))
    dout = rng.normal(size=(2, 3, 4, d_model))
    Pt, xqt, xkvt = leaves(p), t(x_q, True), t(x_kv, True)
    backward(torch_mha_fn(xqt, xkvt, Pt, h, mask), dout)
    dx_q, dx_kv, grads = multi_head_attention_backward(x_q, x_kv, p, h, dout, mask=mask)
    check(dx_q, xqt.grad, "mha 4d dx_q")
    check(dx_kv, xkvt.grad, "mha 4d dx_kv")
    check_params(grads, grads_of(Pt), "mha 4d")


# ---------------------------------------------------------------- FFN and the layers


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("lead", [(5,), (2, 3, 5)])
def test_ffn_backward_matches_torch(seed, lead):
    rng = np.random.default_rng(seed)
    p = init_ffn(4, 8, rng)
    x, dout = rng.normal(size=(*lead, 4)), rng.normal(size=(*lead, 4))
    xt, Pt = t(x, True), leaves(p)
    backward(F.linear(torch.relu(F.linear(xt, Pt.W1, Pt.b1)), Pt.W2, Pt.b2), dout)
    dx, grads = ffn_backward(x, p.W1, p.b1, p.W2, p.b2, dout)
    check(dx, xt.grad, "ffn dx")
    check_params(grads, grads_of(Pt), "ffn")


def load_layer(m, p):
    """Copy EncoderLayerParams or DecoderLayerParams into the nn layer m."""
    with torch.no_grad():
        attns = [(m.self_attn, p.self_attn)] + ([(m.multihead_attn, p.cross_attn)] if hasattr(p, "cross_attn") else [])
        for mha, a in attns:
            mha.in_proj_weight.copy_(t(np.concatenate([a.W_q, a.W_k, a.W_v])))
            mha.in_proj_bias.copy_(t(np.concatenate([a.b_q, a.b_k, a.b_v])))
            mha.out_proj.weight.copy_(t(a.W_o))
            mha.out_proj.bias.copy_(t(a.b_o))
        for lin, W, b in ((m.linear1, p.ffn.W1, p.ffn.b1), (m.linear2, p.ffn.W2, p.ffn.b2)):
            lin.weight.copy_(t(W))
            lin.bias.copy_(t(b))
        for i in (1, 2, 3):
            if hasattr(p, f"norm{i}"):
                getattr(m, f"norm{i}").weight.copy_(t(getattr(p, f"norm{i}").gamma))
                getattr(m, f"norm{i}").bias.copy_(t(getattr(p, f"norm{i}").beta))


def layer_grads(m, kind):
    """The nn layer's gradients as our layer params dataclass (as plain dicts of tensors)."""
    ffn = {"W1": m.linear1.weight.grad, "b1": m.linear1.bias.grad, "W2": m.linear2.weight.grad,
           "b2": m.linear2.bias.grad}
    out = {"self_attn": mha_grads(m.self_attn), "ffn": ffn}
    if kind == "decoder":
        out["cross_attn"] = mha_grads(m.multihead_attn)
    for i in (1, 2) + ((3,) if kind == "decoder" else ()):
        norm = getattr(m, f"norm{i}")
        out[f"norm{i}"] = {"gamma": norm.weight.grad, "beta": norm.bias.grad}
    return out


def check_layer(ours, theirs, what):
    for name, value in theirs.items():
        mine = getattr(ours, name)
        if isinstance(value, dict):
            for field, g in value.items():
                check(getattr(mine, field), g, f"{what}.{name}.{field}")
        else:
            check_params(mine, value, f"{what}.{name}")


def nn_layer(kind, d_model, h, d_ff):
    cls = torch.nn.TransformerEncoderLayer if kind == "encoder" else torch.nn.TransformerDecoderLayer
    return cls(d_model, h, dim_feedforward=d_ff, dropout=0.0, activation="relu", batch_first=True,
               norm_first=False, dtype=torch.float64)  # left in training mode: no fast path, dropout is 0


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("d_model,h,d_ff", [(6, 3, 5)])
@pytest.mark.parametrize("batched", [True, False])
def test_encoder_layer_backward_matches_nn_encoder_layer(seed, d_model, h, d_ff, batched):
    rng = np.random.default_rng(seed)
    p = random_norms(init_encoder_layer(d_model, d_ff, rng), rng)
    shape = (3, 5, d_model) if batched else (5, d_model)
    x, dout = rng.normal(size=shape), rng.normal(size=shape)
    mask = random_mask(rng, shape[:-2] + (5, 5), fully_masked=False)
    m = nn_layer("encoder", d_model, h, d_ff)
    load_layer(m, p)
    xt = t(x, True)
    backward(m(xt, src_mask=t(~(np.repeat(mask, h, axis=0) if batched else mask))), dout)
    dx, grads = encoder_layer_backward(x, p, h, dout, mask=mask)
    check(dx, xt.grad, "encoder dx")
    check_layer(grads, layer_grads(m, "encoder"), "encoder")


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("d_model,h,d_ff", [(4, 2, 8)])
@pytest.mark.parametrize("masks", ["default", "given"])
def test_decoder_layer_backward_matches_nn_decoder_layer(seed, d_model, h, d_ff, masks):
    rng = np.random.default_rng(seed)
    p = random_norms(init_decoder_layer(d_model, d_ff, rng), rng)
    n_q, n_k = 4, 6
    y, memory = rng.normal(size=(3, n_q, d_model)), rng.normal(size=(3, n_k, d_model))
    dout = rng.normal(size=(3, n_q, d_model))
    m = nn_layer("decoder", d_model, h, d_ff)
    load_layer(m, p)
    yt, mt = t(y, True), t(memory, True)
    if masks == "default":  # causal self-attention, no memory mask
        self_mask = memory_mask = None
        out = m(yt, mt, tgt_mask=t(~np.tril(np.ones((n_q, n_q), bool))))
    else:
        self_mask = random_mask(rng, (3, n_q, n_q), fully_masked=False)
        memory_mask = random_mask(rng, (n_q, n_k), fully_masked=False)
        out = m(yt, mt, tgt_mask=t(~np.repeat(self_mask, h, axis=0)), memory_mask=t(~memory_mask))
    backward(out, dout)
    dy, dmemory, grads = decoder_layer_backward(y, memory, p, h, dout, self_mask=self_mask, memory_mask=memory_mask)
    check(dy, yt.grad, f"decoder dy ({masks} masks)")
    check(dmemory, mt.grad, f"decoder dmemory ({masks} masks)")
    check_layer(grads, layer_grads(m, "decoder"), "decoder")


def torch_layer_fn(kind, x, memory, P, h, masks):
    """The post-norm layer in torch functions, on torch_mha_fn: fully masked rows give zeros, not NaN."""
    def ln(s, norm):
        return F.layer_norm(s, (s.shape[-1],), norm.gamma, norm.beta)

    x = ln(x + torch_mha_fn(x, x, P.self_attn, h, masks[0]), P.norm1)
    if kind == "decoder":
        x = ln(x + torch_mha_fn(x, memory, P.cross_attn, h, masks[1]), P.norm2)
    last = P.norm3 if kind == "decoder" else P.norm2
    return ln(x + F.linear(torch.relu(F.linear(x, P.ffn.W1, P.ffn.b1)), P.ffn.W2, P.ffn.b2), last)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("kind", ["encoder", "decoder"])
def test_layers_backward_with_fully_masked_rows_and_4d_batch_match_torch(seed, kind):
    rng = np.random.default_rng(seed)
    d_model, h, d_ff, n_q, n_k = 6, 2, 8, 4, 5
    init = init_encoder_layer if kind == "encoder" else init_decoder_layer
    p = random_norms(init(d_model, d_ff, rng), rng)
    y = rng.normal(size=(2, 3, n_q, d_model))
    memory = rng.normal(size=(3, n_k, d_model))  # broadcast over the first batch axis
    masks = (random_mask(rng, (2, 3, n_q, n_q)), random_mask(rng, (2, 1, n_q, n_k)))
    dout = rng.normal(size=y.shape)
    Pt, yt, mt = leaves(p), t(y, True), t(memory, True)
    backward(torch_layer_fn(kind, yt, mt, Pt, h, masks), dout)
    if kind == "encoder":
        dy, grads = encoder_layer_backward(y, p, h, dout, mask=masks[0])
    else:
        dy, dmemory, grads = decoder_layer_backward(y, memory, p, h, dout, *masks)
        check(dmemory, mt.grad, "decoder 4d dmemory")
    check(dy, yt.grad, f"{kind} 4d dy")
    check_params(grads, grads_of(Pt), f"{kind} 4d")
