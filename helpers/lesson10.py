"""The whole encoder-decoder transformer, assembled from the kernels (lesson 10).

The paper's model (Vaswani et al., 2017, "Attention Is All You Need") is the default:

    src_ids (n_src,) -> E[ids] * sqrt(d_model) + PE -> N encoder layers -> memory
    tgt_ids (n_tgt,) -> E[ids] * sqrt(d_model) + PE -> N decoder layers (reading memory) -> y @ E.T -> logits

Post-norm layers (LayerNorm(x + sublayer(x))) and nothing after the stacks. ONE matrix E (vocab, d_model)
over a joint vocabulary is both embeddings and the output layer, with no output bias (the paper's section
3.4). The paper gives no initialisation: E starts as in its reference code, tensor2tensor, N(0, d_model^-1/2),
so that E[ids] * sqrt(d_model) has entries of size 1.

variant="pytorch" builds torch.nn.Transformer's version: a final LayerNorm after each stack, separate
embeddings (N(0, 1), as nn.Embedding) and an output nn.Linear with a bias. Leading batch axes work
everywhere: ids of shape (..., n). The checks of exercises/10 are in helpers.checks.lesson10.
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
    cosine_similarity,
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

# One joint vocabulary, as the paper's: the tokens of lesson 08's English and Spanish in one list.
VOCAB = ("<unk>", "<s>", "</s>", ".",
         "the", "ball", "car", "is", "blue", "red",
         "el", "la", "bola", "coche", "es", "azul", "rojo", "roja")
VARIANTS = ("paper", "pytorch")


def token_ids(tokens, vocab=VOCAB):
    """The ids of a list of tokens in `vocab`; a token it does not know gets the id of "<unk>" (0)."""
    index = {token: i for i, token in enumerate(vocab)}
    return np.array([index.get(token, 0) for token in tokens], dtype=np.int64)


@dataclass
class TransformerParams:
    """Every weight of the model. Embeddings are (vocab, d_model); W_out is (vocab_tgt, d_model).

    In the paper's model src_embed, tgt_embed and W_out are one and the same array, b_out is None
    and there are no final norms (None). In PyTorch's they are separate arrays, with a bias and two norms.
    """

    src_embed: np.ndarray  # (vocab_src, d_model)
    tgt_embed: np.ndarray  # (vocab_tgt, d_model)
    encoder_layers: list[EncoderLayerParams]
    decoder_layers: list[DecoderLayerParams]
    W_out: np.ndarray  # (vocab_tgt, d_model)
    b_out: np.ndarray | None = None  # (vocab_tgt,)
    encoder_norm: LayerNormParams | None = None  # nn.Transformer's final norms; the paper has none
    decoder_norm: LayerNormParams | None = None


def is_tied(p):
    """True when both embeddings and the output layer are one array (the paper's section 3.4)."""
    return p.src_embed is p.tgt_embed and p.tgt_embed is p.W_out


def init_transformer(vocab, d_model, d_ff, n_layers, rng, variant="paper"):
    """Random TransformerParams with n_layers encoder layers and n_layers decoder layers.

    vocab: the size of the joint vocabulary; for variant="pytorch" also a pair (vocab_src, vocab_tgt).
    variant="paper": one shared matrix E ~ N(0, d_model^-1/2) (as tensor2tensor), no output bias,
    no final norms. variant="pytorch": nn.Transformer's final norms, nn.Embedding's N(0, 1) embeddings,
    an output nn.Linear (uniform ±1/sqrt(d_model), with a bias).
    """
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
    vocab_src, vocab_tgt = (vocab, vocab) if np.ndim(vocab) == 0 else vocab
    if variant == "paper":
        if vocab_src != vocab_tgt:
            raise ValueError(f"the paper's model has one joint vocabulary, got vocab = {vocab}")
        E = rng.normal(0.0, d_model ** -0.5, size=(vocab_src, d_model))  # (vocab, d_model)
        encoder_layers = [init_encoder_layer(d_model, d_ff, rng) for _ in range(n_layers)]
        decoder_layers = [init_decoder_layer(d_model, d_ff, rng) for _ in range(n_layers)]
        return TransformerParams(E, E, encoder_layers, decoder_layers, W_out=E)
    src_embed = rng.normal(0.0, 1.0, size=(vocab_src, d_model))
    tgt_embed = rng.normal(0.0, 1.0, size=(vocab_tgt, d_model))
    encoder_layers = [init_encoder_layer(d_model, d_ff, rng) for _ in range(n_layers)]
    decoder_layers = [init_decoder_layer(d_model, d_ff, rng) for _ in range(n_layers)]
    limit = 1 / math.sqrt(d_model)
    return TransformerParams(
        src_embed, tgt_embed, encoder_layers, decoder_layers,
        W_out=rng.uniform(-limit, limit, size=(vocab_tgt, d_model)),
        b_out=rng.uniform(-limit, limit, size=vocab_tgt),
        encoder_norm=init_layer_norm(d_model), decoder_norm=init_layer_norm(d_model),
    )


def encode_source(src_ids, p, h, src_mask=None, steps=None):
    """The encoder stack: (..., n_src) -> memory (..., n_src, d_model).

    The paper's memory is the last layer's output; with a final norm (variant="pytorch") it is normed once more.
    steps: a dict that receives every stage's array, in order (as transformer_forward's intermediates).
    """
    steps = {} if steps is None else steps
    steps["source ids"] = np.asarray(src_ids)
    steps["source embedding"] = embed(src_ids, p.src_embed)  # (..., n_src, d_model)
    x = steps["source + position"] = embed_with_position(src_ids, p.src_embed)  # times sqrt(d_model), plus PE
    for i, layer in enumerate(p.encoder_layers, 1):
        x = steps[f"encoder layer {i}"] = encoder_layer(x, layer, h, src_mask)
    if p.encoder_norm is not None:  # nn.Transformer's extra norm after the stack
        x = steps["memory (encoder norm)"] = layer_norm(x, p.encoder_norm.gamma, p.encoder_norm.beta)
    return x


def decode_target(tgt_ids, memory, p, h, steps=None):
    """The decoder stack, reading memory: (..., n_tgt) -> (..., n_tgt, d_model).

    The self-attention is causal. steps: a dict that receives every stage's array, in order.
    """
    steps = {} if steps is None else steps
    steps["target ids"] = np.asarray(tgt_ids)
    steps["target embedding"] = embed(tgt_ids, p.tgt_embed)  # (..., n_tgt, d_model)
    y = steps["target + position"] = embed_with_position(tgt_ids, p.tgt_embed)  # times sqrt(d_model), plus PE
    mask = causal_mask(y.shape[-2])  # (n_tgt, n_tgt)
    for i, layer in enumerate(p.decoder_layers, 1):
        y = steps[f"decoder layer {i}"] = decoder_layer(y, memory, layer, h, self_mask=mask)
    if p.decoder_norm is not None:  # nn.Transformer's extra norm after the stack
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
    logits = linear(y, p.W_out, p.b_out)  # (..., n_tgt, d_model) @ (vocab_tgt, d_model)ᵀ -> (..., n_tgt, vocab_tgt)
    steps["logits"] = logits
    if return_intermediates:
        steps["probabilities"] = softmax(logits)
        return logits, steps
    return logits


def parameter_counts(p):
    """How many numbers the model holds, per part: dict name -> count, plus 'total'.

    An array shared by several parts is counted once, where it first appears: in the paper's model
    the target embedding and the output layer's weights add nothing to the source embedding's count.
    """
    seen = []

    def new(*arrays):  # the numbers in the arrays not counted before
        count = 0
        for a in arrays:
            if a is not None and not any(a is s for s in seen):
                seen.append(a)
                count += a.size
        return int(count)

    norms = [n for n in (p.encoder_norm, p.decoder_norm) if n is not None]
    counts = {
        "embeddings": new(p.src_embed, p.tgt_embed),
        "encoder layers": count_parameters(p.encoder_layers),
        "decoder layers": count_parameters(p.decoder_layers),
        "final norms": count_parameters(norms),
        "output layer": new(p.W_out, p.b_out),
    }
    counts["total"] = sum(counts.values())
    return counts


def mean_row_similarity(x):
    """The mean cosine similarity over every pair of rows of x (n, d): 1 when all rows point the same way."""
    x = np.asarray(x, dtype=float)
    sims = cosine_similarity(x[:, None, :], x[None, :, :])  # (n, n)
    upper = np.triu_indices(len(x), k=1)
    return float(sims[upper].mean())


# ---------------------------------------------------------------- the exercises' sizes (exercises/10)

EX_SIZES = dict(vocab=12, d_model=8, h=2, d_ff=16, n_src=6, n_tgt=3)  # the by-hand exercises
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


def _label(name, shared=False):
    """The text in a stage's box: its name, and what a layer holds (and the shared matrix E, when shared)."""
    label = {"probabilities": "softmax → probabilities"}.get(name, name)
    if shared and name.endswith("embedding"):
        label += ": rows of E"
    elif shared and name == "logits":
        label += " = y Eᵀ (the same E)"
    if name.startswith("encoder layer"):
        label += ": self-attn, FFN"
    elif name.startswith("decoder layer"):
        label += ": masked, cross, FFN"
    return label


def _draw_column(ax, x0, names, steps, colors, shared=False):
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
        ax.text(x0 + 0.12, y + height / 2, _label(name, shared), va="center", ha="left", fontsize=9)
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


def draw(steps, title="the whole model, with the shape of every stage", shared=False):
    """A block diagram of the model from transformer_forward's intermediates, shapes annotated.

    Encoder stages on the left, decoder stages on the right, data flowing upwards; arrows carry
    the memory (the encoder's last stage) into every decoder layer (its cross-attention).
    shared=True labels the embeddings and the logits with the one matrix E they share (the paper's model).
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
    corners = _draw_column(ax, 0.1, left, steps, ROLE_COLORS, shared)
    corners.update(_draw_column(ax, 6.0, right, steps, ROLE_COLORS, shared))
    decoder = [corners[name] for name in right if name.startswith("decoder layer")]
    if left and decoder:  # the encoder's last stage is the memory
        _draw_memory_arrows(ax, corners[left[-1]], decoder, ROLE_COLORS["attention"])
    fig.tight_layout()
    return fig
