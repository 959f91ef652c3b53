"""Lesson 12's pictures: the warm-up schedule, a loss curve, cross-attention and the embeddings' similarities.

Each function returns a matplotlib Figure (matplotlib is imported inside, not at package import), small
enough (dpi 80) for a committed notebook. benchmarks/training.py writes three of them to docs/img.
"""

from __future__ import annotations

import numpy as np

from ..kernels import causal_mask, cosine_similarity, decoder_layer, layer_norm, multi_head_attention
from ..lesson06 import embed_with_position
from ..lesson10 import encode_source
from .corpus import WORD_TO_ID, ids, source_tokens, target_tokens
from .training import lrate

DPI = 80


def _figure(width, height, ncols=1):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, ncols, figsize=(width, height), dpi=DPI)
    plt.close(fig)  # shown once when returned, not kept by pyplot
    return fig, axes


def schedule_figure(d_model, warmup, steps, scale=1.0, marks=()):
    """The paper's learning rate against the step, with the end of the warm-up marked (and any extra marks)."""
    fig, ax = _figure(6.4, 3.0)
    step = np.arange(1, steps + 1)
    ax.plot(step, lrate(step, d_model, warmup, scale), color="#1d4ed8")
    ax.axvline(warmup, color="#c2410c", lw=1, ls="--")
    ax.text(warmup, ax.get_ylim()[1] * 0.95, f"  warmup = {warmup}", color="#c2410c", va="top")
    for x in marks:
        ax.axvline(x, color="#4b5563", lw=0.8, ls=":")
    ax.set_xlabel("step")
    ax.set_ylabel("learning rate")
    ax.set_title(f"lrate = {scale:g} · {d_model}^-0.5 · min(step^-0.5, step · {warmup}^-1.5)", fontsize=10)
    fig.tight_layout()
    return fig


def loss_figure(history, title="training loss", smooth=20):
    """The loss of every step (light), its running mean over `smooth` steps (dark), and the held-out exact
    match of each evaluation on a second axis (if the history has any)."""
    fig, ax = _figure(6.4, 3.2)
    loss = np.asarray(history.loss)
    step = np.arange(1, len(loss) + 1)
    ax.plot(step, loss, color="#93c5fd", lw=0.8, label="loss of each batch")
    if len(loss) >= smooth:
        mean = np.convolve(loss, np.ones(smooth) / smooth, mode="valid")
        ax.plot(step[smooth - 1:], mean, color="#1d4ed8", lw=1.6, label=f"mean of the last {smooth}")
    ax.set_xlabel("step")
    ax.set_ylabel("cross-entropy loss")
    ax.set_title(title, fontsize=10)
    ax.legend(loc="center right", fontsize=8)
    if history.accuracy:
        twin = ax.twinx()
        twin.plot(history.eval_steps, np.asarray(history.accuracy) * 100, "o-", color="#c2410c", ms=4)
        twin.set_ylabel("held-out exact match (%)", color="#c2410c")
        twin.set_ylim(-5, 105)
    fig.tight_layout()
    return fig


def cross_attention(english, spanish, p, h):
    """The decoder's cross-attention weights under teacher forcing: one (h, n_tgt, n_src) array per layer.

    Row t is the decoder position that reads target_tokens(spanish)[t] and writes the token after it;
    column j is source_tokens(english)[j]. The layers are rerun here step by step to catch the weights.
    """
    src = ids(source_tokens(english))[None]  # (1, n_src)
    tgt = ids(target_tokens(spanish)[:-1])[None]  # (1, n_tgt): "<s>" and the words, as the decoder reads them
    memory = encode_source(src, p, h)  # (1, n_src, d_model)
    y = embed_with_position(tgt, p.tgt_embed)  # (1, n_tgt, d_model)
    mask = causal_mask(tgt.shape[-1])
    out = []
    for layer in p.decoder_layers:
        attn, _ = multi_head_attention(y, y, layer.self_attn, h, mask)
        y1 = layer_norm(y + attn, layer.norm1.gamma, layer.norm1.beta)  # the cross-attention's queries come from here
        _, weights = multi_head_attention(y1, memory, layer.cross_attn, h)  # (1, h, n_tgt, n_src)
        out.append(weights[0])
        y = decoder_layer(y, memory, layer, h, self_mask=mask)
    return out


def reading_labels(spanish):
    """Row labels of the decoder positions: 'reads → writes', e.g. ['<s> → el', 'el → coche', ...]."""
    tokens = target_tokens(spanish)
    return [f"{a} → {b}" for a, b in zip(tokens[:-1], tokens[1:])]


def cross_attention_figure(english, spanish, p, h, layer=0, title=None):
    """Every head's cross-attention weights of one decoder layer, side by side, as annotated heatmaps."""
    from ..display import heatmap

    weights = cross_attention(english, spanish, p, h)[layer]  # (h, n_tgt, n_src)
    n_tgt, n_src = weights.shape[1:]
    fig, axes = _figure(1.2 + h * (0.62 * n_src + 0.5), 0.45 * n_tgt + 1.6, ncols=h)
    rows = reading_labels(spanish)
    for k, ax in enumerate(np.atleast_1d(axes)):
        heatmap(weights[k], row_labels=rows if k == 0 else [""] * n_tgt, col_labels=source_tokens(english),
                title=f"head {k + 1}", ax=ax)
        ax.tick_params(axis="x", labelrotation=90)
    fig.suptitle(title or f"decoder layer {layer + 1}: cross-attention, '{english}' → '{spanish}'", fontsize=10)
    fig.tight_layout()
    return fig


def similarities(E, words):
    """The cosine similarity of the rows of E of every pair of words: (n, n)."""
    rows = np.asarray(E)[[WORD_TO_ID[w] for w in words]]  # (n, d_model)
    return cosine_similarity(rows[:, None, :], rows[None, :, :])  # (n, 1, d) with (1, n, d) -> (n, n)


def group_similarity(E, a, b):
    """The mean cosine similarity between the words of group a and those of group b (pairs of one word with
    itself left out when a is b)."""
    S = similarities(E, list(a) + list(b))[:len(a), len(a):]  # (len(a), len(b))
    if list(a) == list(b):
        return float(S[np.triu_indices(len(a), k=1)].mean())
    return float(S.mean())


def similarity_figure(E, words, title="cosine similarity of the embeddings"):
    """similarities(E, words) as a heatmap, words on both axes (blue negative, red positive)."""
    from ..display import heatmap

    n = len(words)
    fig, ax = _figure(0.36 * n + 2.2, 0.32 * n + 1.4)
    heatmap(similarities(E, words), row_labels=words, col_labels=words, ax=ax, cmap="RdBu_r", annotate=False)
    ax.images[0].set_clim(-1, 1)
    ax.tick_params(axis="x", labelrotation=90)
    ax.set_title(title, fontsize=10)
    fig.colorbar(ax.images[0], ax=ax, fraction=0.04)
    fig.tight_layout()
    return fig
