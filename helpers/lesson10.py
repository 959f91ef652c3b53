"""The whole encoder-decoder transformer, assembled from the kernels (lesson 10).

    src_ids (n_src,) -> embed * sqrt(d_model) + PE -> N encoder layers -> LayerNorm -> memory
    tgt_ids (n_tgt,) -> embed * sqrt(d_model) + PE -> N decoder layers (reading memory) -> LayerNorm
                     -> linear onto the target vocabulary -> logits (n_tgt, vocab_tgt)

As torch.nn.Transformer (post-norm layers, ReLU, no dropout, batch_first), which also
applies a final LayerNorm after the encoder stack and after the decoder stack.
Leading batch axes work everywhere: ids of shape (..., n). The embedding with its position is
lesson 06's embed_with_position; encode_source and decode_target are the two stacks.

The checks of exercises/10 are in helpers.checks.lesson10.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .kernels import (
    DecoderLayerParams,
    EncoderLayerParams,
    LayerNormParams,
    causal_mask,
    decoder_layer,
    embed,
    encoder_layer,
    init_decoder_layer,
    init_encoder_layer,
    init_layer_norm,
    layer_norm,
    linear,
    softmax,
)
from .lesson06 import embed_with_position
from .lesson07 import count_parameters


@dataclass
class TransformerParams:
    """Every weight of the model. Embeddings are (vocab, d_model); W_out is (vocab_tgt, d_model)."""

    src_embed: np.ndarray  # (vocab_src, d_model)
    tgt_embed: np.ndarray  # (vocab_tgt, d_model)
    encoder_layers: list[EncoderLayerParams]
    encoder_norm: LayerNormParams
    decoder_layers: list[DecoderLayerParams]
    decoder_norm: LayerNormParams
    W_out: np.ndarray  # (vocab_tgt, d_model)
    b_out: np.ndarray  # (vocab_tgt,)


def init_transformer(vocab_src, vocab_tgt, d_model, d_ff, n_layers, rng):
    """Random TransformerParams with n_layers encoder layers and n_layers decoder layers."""
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    return TransformerParams(
        src_embed=rng.normal(0.0, 1.0, size=(vocab_src, d_model)),
        tgt_embed=rng.normal(0.0, 1.0, size=(vocab_tgt, d_model)),
        encoder_layers=[init_encoder_layer(d_model, d_ff, rng) for _ in range(n_layers)],
        encoder_norm=init_layer_norm(d_model, rng),
        decoder_layers=[init_decoder_layer(d_model, d_ff, rng) for _ in range(n_layers)],
        decoder_norm=init_layer_norm(d_model, rng),
        W_out=rng.uniform(-1, 1, size=(vocab_tgt, d_model)) / math.sqrt(d_model),
        b_out=rng.uniform(-1, 1, size=vocab_tgt) / math.sqrt(d_model),
    )


def encode_source(src_ids, p, h, src_mask=None, steps=None):
    """The encoder stack with its final LayerNorm: (..., n_src) -> memory (..., n_src, d_model).

    steps: a dict that receives every stage's array, in order (as transformer_forward's intermediates).
    """
    steps = {} if steps is None else steps
    steps["source ids"] = np.asarray(src_ids)
    steps["source embedding"] = embed(src_ids, p.src_embed)  # (..., n_src, d_model)
    x = steps["source + position"] = embed_with_position(src_ids, p.src_embed)  # times sqrt(d_model), plus PE
    for i, layer in enumerate(p.encoder_layers, 1):
        x = steps[f"encoder layer {i}"] = encoder_layer(x, layer, h, src_mask)
    memory = steps["memory (encoder norm)"] = layer_norm(x, p.encoder_norm.gamma, p.encoder_norm.beta)
    return memory


def decode_target(tgt_ids, memory, p, h, steps=None):
    """The decoder stack, reading memory, with its final LayerNorm: (..., n_tgt) -> (..., n_tgt, d_model).

    The self-attention is causal. steps: a dict that receives every stage's array, in order.
    """
    steps = {} if steps is None else steps
    steps["target ids"] = np.asarray(tgt_ids)
    steps["target embedding"] = embed(tgt_ids, p.tgt_embed)  # (..., n_tgt, d_model)
    y = steps["target + position"] = embed_with_position(tgt_ids, p.tgt_embed)  # times sqrt(d_model), plus PE
    mask = causal_mask(y.shape[-2])  # (n_tgt, n_tgt)
    for i, layer in enumerate(p.decoder_layers, 1):
        y = steps[f"decoder layer {i}"] = decoder_layer(y, memory, layer, h, self_mask=mask)
    y = steps["decoder norm"] = layer_norm(y, p.decoder_norm.gamma, p.decoder_norm.beta)
    return y


def transformer_forward(src_ids, tgt_ids, p, h, return_intermediates=False):
    """Logits (..., n_tgt, vocab_tgt): row t scores the token that follows tgt_ids[t].

    The decoder's self-attention is causal; nothing is padded, so no other mask is used.
    With return_intermediates=True, returns (logits, dict of every stage's array), in order.
    """
    if not isinstance(p, TransformerParams):
        raise ValueError(f"p must be a TransformerParams, got {type(p).__name__}")
    steps = {}
    memory = encode_source(src_ids, p, h, steps=steps)  # (..., n_src, d_model)
    y = decode_target(tgt_ids, memory, p, h, steps=steps)  # (..., n_tgt, d_model)
    logits = linear(y, p.W_out, p.b_out)  # (..., n_tgt, d_model) @ (d_model, vocab_tgt) -> (..., n_tgt, vocab_tgt)
    steps["logits"] = logits
    if return_intermediates:
        steps["probabilities"] = softmax(logits)
        return logits, steps
    return logits


def parameter_counts(p):
    """How many numbers the model holds, per part: dict name -> count, plus 'total'."""
    counts = {
        "embeddings": p.src_embed.size + p.tgt_embed.size,
        "encoder layers": count_parameters(p.encoder_layers),
        "decoder layers": count_parameters(p.decoder_layers),
        "final norms": count_parameters([p.encoder_norm, p.decoder_norm]),
        "output layer": p.W_out.size + p.b_out.size,
    }
    counts["total"] = sum(counts.values())
    return counts


# ---------------------------------------------------------------- the exercises' sizes (exercises/10)

EX_SIZES = dict(vocab_src=7, vocab_tgt=10, d_model=8, h=2, d_ff=16, n_src=6, n_tgt=3)  # the by-hand exercises
EX_SMALL = dict(d_model=4, d_ff=8)  # for counting parameters by hand


# ---------------------------------------------------------------- the picture

_ENCODER_SIDE = ("source", "encoder", "memory")
_BOX_WIDTH, _BOX_HEIGHT = 4.1, 0.62


def _role(name):
    """The display role (colour) of a stage, from its name."""
    if "layer" in name:
        return "attention"
    if name.endswith("ids"):
        return "neutral"
    if "embedding" in name or "position" in name:
        return "input"
    if "norm" in name:
        return "hidden"
    if name in ("logits", "probabilities"):
        return "output"
    return "neutral"


def _label(name):
    """The text in a stage's box: its name, and what a layer holds."""
    label = {"probabilities": "softmax → probabilities"}.get(name, name)
    if name.startswith("encoder layer"):
        label += ": self-attn, FFN"
    elif name.startswith("decoder layer"):
        label += ": masked, cross, FFN"
    return label


def _draw_column(ax, x0, names, steps, colors):
    """One column of boxes from the bottom up, each with its shape, arrows between them. Returns {name: (x, y)}."""
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    width, height = _BOX_WIDTH, _BOX_HEIGHT
    corners = {}
    for r, name in enumerate(names):
        y = r * 1.0
        colour = colors[_role(name)]
        ax.add_patch(FancyBboxPatch((x0, y), width, height, boxstyle="round,pad=0.02,rounding_size=0.08",
                                    facecolor=colour + "22", edgecolor=colour, linewidth=1.4))
        shape = str(tuple(int(s) for s in steps[name].shape))
        ax.text(x0 + 0.12, y + height / 2, _label(name), va="center", ha="left", fontsize=9)
        ax.text(x0 + width - 0.1, y + height / 2, shape, va="center", ha="right", fontsize=9,
                family="monospace", color=colour)
        corners[name] = (x0, y)
        if r:
            ax.add_patch(FancyArrowPatch((x0 + width / 2, y - 1 + height), (x0 + width / 2, y),
                                         arrowstyle="-|>", mutation_scale=10, color="#4b5563"))
    return corners


def _draw_memory_arrows(ax, memory_corner, decoder_corners, colour):
    """Arrows from the memory's box into every decoder layer's box (their cross-attention)."""
    from matplotlib.patches import FancyArrowPatch

    width, height = _BOX_WIDTH, _BOX_HEIGHT
    mx, my = memory_corner
    for dx, dy in decoder_corners:
        ax.add_patch(FancyArrowPatch((mx + width, my + height / 2), (dx, dy + height / 2),
                                     arrowstyle="-|>", mutation_scale=10, color=colour,
                                     connectionstyle="arc3,rad=-0.15", linewidth=1.2))
    ax.text(mx + width + 0.15, my + height + 0.12, "memory → cross-attention", fontsize=8, color=colour)


def draw(steps, title="the whole model, with the shape of every stage"):
    """A block diagram of the model from transformer_forward's intermediates, shapes annotated.

    Encoder stages on the left, decoder stages on the right, data flowing upwards;
    an arrow carries the memory into every decoder layer (its cross-attention).
    Returns a matplotlib Figure (matplotlib is imported here, not at package import).
    """
    import matplotlib.pyplot as plt

    from .display import ROLE_COLORS

    left = [k for k in steps if k.split()[0] in _ENCODER_SIDE]
    right = [k for k in steps if k not in left]
    rows = max(len(left), len(right))
    fig, ax = plt.subplots(figsize=(9.4, 0.5 * rows + 0.8), dpi=80)
    plt.close(fig)
    ax.set_xlim(0, 10.2)
    ax.set_ylim(-0.6, rows + 0.1)
    ax.axis("off")
    ax.set_title(title, fontsize=11)
    corners = _draw_column(ax, 0.1, left, steps, ROLE_COLORS)
    corners.update(_draw_column(ax, 6.0, right, steps, ROLE_COLORS))
    memory = [k for k in left if k.startswith("memory")]
    if memory:
        decoder = [corners[name] for name in right if name.startswith("decoder layer")]
        _draw_memory_arrows(ax, corners[memory[0]], decoder, ROLE_COLORS["attention"])
    fig.tight_layout()
    return fig
