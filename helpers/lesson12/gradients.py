"""The whole model's loss and gradients (lesson 12): teacher forcing, cross-entropy, backpropagation.

    loss, grads = loss_and_gradients(src_ids, tgt_ids, p, h, label_smoothing=0.0)

The forward pass is lesson 10's (encode_source, decode_target, the output layer), run layer by layer
so that each layer's input is kept; the backward pass calls the backward kernels in the reverse order:
the output layer, each decoder layer (last first), the target embedding, then each encoder layer and
the source embedding. The memory feeds every decoder layer's cross-attention, so its gradient is the
sum of what comes back from each of them.

In the paper's model one matrix E is the source embedding, the target embedding and the output layer,
so its gradient is the sum of the three uses' gradients, and grads holds that one array three times,
tied as p is. Each embedding use contributes sqrt(d_model) times the gradient of its rows, because the
model's input is E[ids] * sqrt(d_model) + PE.
"""

from __future__ import annotations

import numpy as np

from ..kernels import (
    LayerNormParams,
    causal_mask,
    cross_entropy,
    decoder_layer,
    decoder_layer_backward,
    encoder_layer,
    encoder_layer_backward,
    layer_norm,
    layer_norm_backward,
    linear,
    linear_backward,
    one_hot,
)
from ..lesson06 import embed_with_position
from ..lesson10 import TransformerParams, is_tied


def _ids(a, name, dims):
    """a as an int64 array of at least one axis; a ValueError naming a otherwise."""
    arr = np.asarray(a)
    if arr.ndim < 1 or arr.size == 0 or not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"{name} must be a non-empty array of integer token ids, shape {dims}, "
                         f"got {arr.dtype} of shape {arr.shape}")
    return arr.astype(np.int64, copy=False)


def _check(src_ids, tgt_ids, p):
    """The ids as int arrays, checked against each other and against p's vocabulary."""
    if not isinstance(p, TransformerParams):
        raise ValueError(f"p must be a TransformerParams, got {type(p).__name__}")
    src = _ids(src_ids, "src_ids", "(..., n_src)")
    tgt = _ids(tgt_ids, "tgt_ids", "(..., n_tgt)")
    if tgt.shape[-1] < 2:
        raise ValueError(f"tgt_ids needs at least 2 tokens on its last axis (n_tgt >= 2: the decoder reads "
                         f"tgt_ids[..., :-1] and predicts tgt_ids[..., 1:]), got shape {tgt.shape}")
    if src.shape[:-1] != tgt.shape[:-1]:
        raise ValueError(f"src_ids has shape {src.shape} but tgt_ids has {tgt.shape}: they need the same "
                         f"leading (batch) axes, (..., n_src) and (..., n_tgt)")
    for a, name, E in ((src, "src_ids", p.src_embed), (tgt, "tgt_ids", p.tgt_embed)):
        if a.min() < 0 or a.max() >= E.shape[0]:
            raise ValueError(f"{name} must hold ids in 0..{E.shape[0] - 1} (vocab = {E.shape[0]}), "
                             f"got ids from {a.min()} to {a.max()}")
    return src, tgt


def forward_with_inputs(src_ids, tgt_in, p, h):
    """Lesson 10's forward pass, keeping what the backward pass needs.

    Returns (logits (..., n_tgt, vocab), saved) where saved holds xs (the input of every encoder layer,
    then the last one's output), memory, ys (the same for the decoder) and top (what the output layer reads).
    """
    xs = [embed_with_position(src_ids, p.src_embed)]  # (..., n_src, d_model)
    for layer in p.encoder_layers:
        xs.append(encoder_layer(xs[-1], layer, h))
    memory = xs[-1]
    if p.encoder_norm is not None:  # nn.Transformer's extra norm (variant="pytorch")
        memory = layer_norm(memory, p.encoder_norm.gamma, p.encoder_norm.beta)
    mask = causal_mask(np.shape(tgt_in)[-1])  # (n_tgt, n_tgt)
    ys = [embed_with_position(tgt_in, p.tgt_embed)]  # (..., n_tgt, d_model)
    for layer in p.decoder_layers:
        ys.append(decoder_layer(ys[-1], memory, layer, h, self_mask=mask))
    top = ys[-1]
    if p.decoder_norm is not None:
        top = layer_norm(top, p.decoder_norm.gamma, p.decoder_norm.beta)
    logits = linear(top, p.W_out, p.b_out)  # (..., n_tgt, d_model) @ (vocab, d_model)ᵀ -> (..., n_tgt, vocab)
    return logits, dict(xs=xs, memory=memory, ys=ys, top=top, mask=mask)


def embedding_backward(ids, dx, vocab):
    """dE (vocab, d_model) of x = E[ids] * sqrt(d_model) + PE: each row of dx, times sqrt(d_model), added
    to the row of E its token came from (a token used twice gets both gradients)."""
    d_model = dx.shape[-1]
    onehot = one_hot(ids, vocab).reshape(-1, vocab)  # (N, vocab), N = every token of the batch
    return np.sqrt(d_model) * (onehot.T @ dx.reshape(-1, d_model))  # (vocab, N) @ (N, d_model) -> (vocab, d_model)


def _norm_backward(x, norm, dy):
    """(dx, LayerNormParams grads) of a final norm, or (dy, None) when there is none."""
    if norm is None:
        return dy, None
    dx, dgamma, dbeta = layer_norm_backward(x, norm.gamma, dy)
    return dx, LayerNormParams(dgamma, dbeta)


def loss_and_gradients(src_ids, tgt_ids, p, h, label_smoothing=0.0):
    """The loss of a batch of sentence pairs and its gradient for every weight of the model.

    src_ids: (..., n_src) source token ids; tgt_ids: (..., n_tgt) target ids, "<s>" first and "</s>" last.
    Teacher forcing: the decoder reads tgt_ids[..., :-1] (the right answer so far, never its own guesses)
    and row t of its logits is scored against tgt_ids[..., t + 1], the token that follows.
    loss: cross_entropy's mean over every predicted token, with label_smoothing (the paper's 0.1 or 0).
    grads: a TransformerParams of the same structure as p; where p is tied (one E for both embeddings and
    the output layer), grads holds one array, the sum of the three uses' gradients, in the same three places.
    Returns (loss as a float, grads).
    """
    src, tgt = _check(src_ids, tgt_ids, p)
    tgt_in, tgt_out = tgt[..., :-1], tgt[..., 1:]  # (..., n_tgt - 1) each: the shifted target
    logits, saved = forward_with_inputs(src, tgt_in, p, h)
    loss, dlogits = cross_entropy(logits, tgt_out, label_smoothing=label_smoothing)
    dtop, dW_out, db_out = linear_backward(saved["top"], p.W_out, dlogits)  # (..., n_tgt, d_model)
    dy, decoder_norm = _norm_backward(saved["ys"][-1], p.decoder_norm, dtop)
    dmemory = np.zeros_like(saved["memory"])  # (..., n_src, d_model)
    decoder_grads = []
    for layer, y in zip(reversed(p.decoder_layers), reversed(saved["ys"][:-1])):
        dy, dmem, g = decoder_layer_backward(y, saved["memory"], layer, h, dy, self_mask=saved["mask"])
        dmemory += dmem  # the memory feeds every decoder layer's cross-attention
        decoder_grads.insert(0, g)
    dx, encoder_norm = _norm_backward(saved["xs"][-1], p.encoder_norm, dmemory)
    encoder_grads = []
    for layer, x in zip(reversed(p.encoder_layers), reversed(saved["xs"][:-1])):
        dx, g = encoder_layer_backward(x, layer, h, dx)
        encoder_grads.insert(0, g)
    d_src = embedding_backward(src, dx, p.src_embed.shape[0])  # (vocab, d_model)
    d_tgt = embedding_backward(tgt_in, dy, p.tgt_embed.shape[0])
    if is_tied(p):
        dE = d_src + d_tgt + dW_out  # one matrix, three uses
        d_src = d_tgt = dW_out = dE
    return float(loss), TransformerParams(
        d_src, d_tgt, encoder_grads, decoder_grads, W_out=dW_out,
        b_out=None if p.b_out is None else db_out, encoder_norm=encoder_norm, decoder_norm=decoder_norm)
