"""The whole encoder-decoder transformer, assembled from the kernels (lesson 10).

    src_ids (n_src,) -> embed * sqrt(d_model) + PE -> N encoder layers -> LayerNorm -> memory
    tgt_ids (n_tgt,) -> embed * sqrt(d_model) + PE -> N decoder layers (reading memory) -> LayerNorm
                     -> linear onto the target vocabulary -> logits (n_tgt, vocab_tgt)

As torch.nn.Transformer (post-norm layers, ReLU, no dropout, batch_first), which also
applies a final LayerNorm after the encoder stack and after the decoder stack.
Leading batch axes work everywhere: ids of shape (..., n).
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
    positional_encoding,
    softmax,
)


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


def embed_with_position(ids, E):
    """embed(ids, E) * sqrt(d_model) + positional_encoding: (..., n) -> (..., n, d_model)."""
    x = embed(ids, E)  # (..., n, d_model)
    n, d_model = x.shape[-2], x.shape[-1]
    return x * math.sqrt(d_model) + positional_encoding(n, d_model)


def encode(src_ids, p, h, src_mask=None):
    """The encoder stack with its final LayerNorm: (..., n_src) -> memory (..., n_src, d_model)."""
    x = embed_with_position(src_ids, p.src_embed)
    for layer in p.encoder_layers:
        x = encoder_layer(x, layer, h, src_mask)
    return layer_norm(x, p.encoder_norm.gamma, p.encoder_norm.beta)


def transformer_forward(src_ids, tgt_ids, p, h, return_intermediates=False):
    """Logits (..., n_tgt, vocab_tgt): row t scores the token that follows tgt_ids[t].

    The decoder's self-attention is causal; nothing is padded, so no other mask is used.
    With return_intermediates=True, returns (logits, dict of every stage's array), in order.
    """
    if not isinstance(p, TransformerParams):
        raise ValueError(f"p must be a TransformerParams, got {type(p).__name__}")
    steps = {"source ids": np.asarray(src_ids)}
    x = embed(src_ids, p.src_embed)  # (..., n_src, d_model)
    steps["source embedding"] = x
    d_model = x.shape[-1]
    x = x * math.sqrt(d_model) + positional_encoding(x.shape[-2], d_model)
    steps["source + position"] = x
    for i, layer in enumerate(p.encoder_layers, 1):
        x = encoder_layer(x, layer, h)
        steps[f"encoder layer {i}"] = x
    memory = layer_norm(x, p.encoder_norm.gamma, p.encoder_norm.beta)
    steps["memory (encoder norm)"] = memory

    steps["target ids"] = np.asarray(tgt_ids)
    y = embed(tgt_ids, p.tgt_embed)  # (..., n_tgt, d_model)
    steps["target embedding"] = y
    y = y * math.sqrt(d_model) + positional_encoding(y.shape[-2], d_model)
    steps["target + position"] = y
    mask = causal_mask(y.shape[-2])  # (n_tgt, n_tgt)
    for i, layer in enumerate(p.decoder_layers, 1):
        y = decoder_layer(y, memory, layer, h, self_mask=mask)
        steps[f"decoder layer {i}"] = y
    y = layer_norm(y, p.decoder_norm.gamma, p.decoder_norm.beta)
    steps["decoder norm"] = y
    logits = linear(y, p.W_out, p.b_out)  # (..., n_tgt, d_model) @ (d_model, vocab_tgt) -> (..., n_tgt, vocab_tgt)
    steps["logits"] = logits
    if return_intermediates:
        steps["probabilities"] = softmax(logits)
        return logits, steps
    return logits


def count_parameters(p):
    """How many numbers the model holds, per part: dict name -> count, plus 'total'."""
    def size(obj):
        if isinstance(obj, np.ndarray):
            return obj.size
        if isinstance(obj, list):
            return sum(size(o) for o in obj)
        return sum(size(v) for v in vars(obj).values())

    counts = {
        "embeddings": p.src_embed.size + p.tgt_embed.size,
        "encoder layers": size(p.encoder_layers),
        "decoder layers": size(p.decoder_layers),
        "final norms": size(p.encoder_norm) + size(p.decoder_norm),
        "output layer": p.W_out.size + p.b_out.size,
    }
    counts["total"] = sum(counts.values())
    return counts


# ---------------------------------------------------------------- the picture

_ENCODER_SIDE = ("source", "encoder", "memory")


def draw(steps, title="the whole model, with the shape of every stage"):
    """A block diagram of the model from transformer_forward's intermediates, shapes annotated.

    Encoder stages on the left, decoder stages on the right, data flowing upwards;
    an arrow carries the memory into every decoder layer (its cross-attention).
    Returns a matplotlib Figure (matplotlib is imported here, not at package import).
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    from .display import ROLE_COLORS

    def role(name):
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

    left = [k for k in steps if k.split()[0] in _ENCODER_SIDE]
    right = [k for k in steps if k not in left]
    rows = max(len(left), len(right))
    fig, ax = plt.subplots(figsize=(9.4, 0.5 * rows + 0.8), dpi=80)
    plt.close(fig)
    ax.set_xlim(0, 10.2)
    ax.set_ylim(-0.6, rows + 0.1)
    ax.axis("off")
    ax.set_title(title, fontsize=11)
    width, height = 4.1, 0.62
    centres = {}
    for x0, names in ((0.1, left), (6.0, right)):
        for r, name in enumerate(names):
            y = r * 1.0
            colour = ROLE_COLORS[role(name)]
            ax.add_patch(FancyBboxPatch((x0, y), width, height, boxstyle="round,pad=0.02,rounding_size=0.08",
                                        facecolor=colour + "22", edgecolor=colour, linewidth=1.4))
            shape = str(tuple(int(s) for s in steps[name].shape))
            label = {"probabilities": "softmax → probabilities"}.get(name, name)
            if name.startswith("encoder layer"):
                label += ": self-attn, FFN"
            elif name.startswith("decoder layer"):
                label += ": masked, cross, FFN"
            ax.text(x0 + 0.12, y + height / 2, label, va="center", ha="left", fontsize=9)
            ax.text(x0 + width - 0.1, y + height / 2, shape, va="center", ha="right", fontsize=9,
                    family="monospace", color=colour)
            centres[name] = (x0, y)
            if r:
                ax.add_patch(FancyArrowPatch((x0 + width / 2, y - 1 + height), (x0 + width / 2, y),
                                             arrowstyle="-|>", mutation_scale=10, color="#4b5563"))
    memory = [k for k in left if k.startswith("memory")]
    if memory:
        mx, my = centres[memory[0]]
        for name in right:
            if name.startswith("decoder layer"):
                dx, dy = centres[name]
                ax.add_patch(FancyArrowPatch((mx + width, my + height / 2), (dx, dy + height / 2),
                                             arrowstyle="-|>", mutation_scale=10, color=ROLE_COLORS["attention"],
                                             connectionstyle="arc3,rad=-0.15", linewidth=1.2))
        ax.text(mx + width + 0.15, my + height + 0.12, "memory → cross-attention", fontsize=8,
                color=ROLE_COLORS["attention"])
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------- exercise checks (exercises/10)
#
# Built on helpers.checks' building blocks (check_value, check_function, int_cases).

#: the sizes the by-hand exercises use
EX_SIZES = dict(vocab_src=7, vocab_tgt=10, d_model=8, h=2, d_ff=16, n_src=6, n_tgt=3)
EX_SMALL = dict(d_model=4, d_ff=8)  # for counting parameters by hand


def _exercise_checks():
    from types import SimpleNamespace

    from . import checks
    from .kernels import init_encoder_layer

    names = ["shapes of memory and logits", "shape of the cross-attention weights",
             "numbers in an encoder layer", "numbers in a decoder layer",
             "embed_and_position", "encoder_stack", "next_token_probs"]
    s = EX_SIZES
    d, d_ff = EX_SMALL["d_model"], EX_SMALL["d_ff"]
    attn, ffn_n, norm = 4 * d * d + 4 * d, 2 * d * d_ff + d_ff + d, 2 * d

    def start_():
        checks.start("10", names)

    def shapes(memory_shape, logits_shape):
        exp = [[s["n_src"], s["d_model"]], [s["n_tgt"], s["vocab_tgt"]]]
        return checks.check_value(
            names[0], [memory_shape, logits_shape], exp, labels=(["memory", "logits"], ["rows", "columns"]),
            slips={"swapped the source and the target: the memory has one row per SOURCE token":
                       [[s["n_tgt"], s["d_model"]], [s["n_src"], s["vocab_tgt"]]],
                   "gave the logits d_model columns: the output layer maps onto the target vocabulary":
                       [[s["n_src"], s["d_model"]], [s["n_tgt"], s["d_model"]]],
                   "used the source vocabulary for the logits: the model predicts TARGET tokens":
                       [[s["n_src"], s["d_model"]], [s["n_tgt"], s["vocab_src"]]]},
            hint="tokens are rows: the memory is (n_src, d_model), the logits (n_tgt, vocab_tgt).",
            note="Only the output layer changes the width, from d_model to vocab_tgt.")

    def cross_weights_shape(shape):
        return checks.check_value(
            names[1], shape, [s["h"], s["n_tgt"], s["n_src"]], cell_names=["heads", "rows", "columns"],
            slips={"swapped queries and keys: one row per target query, one column per source key":
                       [s["h"], s["n_src"], s["n_tgt"]],
                   "put d_model where the number of heads goes": [s["d_model"], s["n_tgt"], s["n_src"]]},
            hint="each of the h heads has an n_q × n_k table; queries come from the target (n_tgt), "
                 "keys from the source (n_src).",
            note="Every head has its own table: 3 target positions against 6 source words.")

    def encoder_count(n_encoder_layer):
        return checks.check_value(
            names[2], n_encoder_layer, attn + ffn_n + 2 * norm,
            slips={"left out the biases": 4 * d * d + 2 * d * d_ff + 2 * norm,
                   "left out the two layer norms (γ and β, d numbers each)": attn + ffn_n,
                   "counted one layer norm, but an encoder layer has two": attn + ffn_n + norm},
            hint=f"attention 4·d² + 4·d = {attn}; FFN d_ff·d + d_ff + d·d_ff + d; two layer norms of 2·d each.",
            note="Attention and FFN hold about the same number of weights here (d_ff = 2·d).")

    def decoder_count(n_decoder_layer):
        return checks.check_value(
            names[3], n_decoder_layer, 2 * attn + ffn_n + 3 * norm,
            slips={"forgot the cross-attention: a decoder layer has two attention blocks": attn + ffn_n + 3 * norm,
                   "counted two layer norms, but a decoder layer has three": 2 * attn + ffn_n + 2 * norm,
                   "left out the biases": 2 * 4 * d * d + 2 * d * d_ff + 3 * norm},
            hint="masked self-attention + cross-attention (each 4·d² + 4·d) + FFN + three layer norms.",
            note="The decoder layer is the encoder layer plus one attention block and one layer norm.")

    def embed_and_position(fn):
        rng = np.random.default_rng(1001)

        def ref(ids, E):
            E = np.asarray(E, dtype=float)
            return E[np.asarray(ids)] * math.sqrt(E.shape[1]) + positional_encoding(len(ids), E.shape[1])

        def make(r):
            vocab, d_model, n = int(r.integers(3, 8)), int(r.choice([2, 4, 6])), int(r.integers(2, 6))
            return r.integers(0, vocab, size=n), r.integers(-2, 3, size=(vocab, d_model))

        E0 = np.array([[1, 0, 0, 1], [0, 2, 1, 0], [1, 1, -1, 0]])
        cases = [(np.array([2, 0, 1]), E0)] + checks.int_cases(rng, 4, make)

        def unscaled(ids, E):
            E = np.asarray(E, dtype=float)
            return E[np.asarray(ids)] + positional_encoding(len(ids), E.shape[1])

        def scaled_after(ids, E):
            E = np.asarray(E, dtype=float)
            return (E[np.asarray(ids)] + positional_encoding(len(ids), E.shape[1])) * math.sqrt(E.shape[1])

        def no_position(ids, E):
            E = np.asarray(E, dtype=float)
            return E[np.asarray(ids)] * math.sqrt(E.shape[1])

        return checks.check_function(
            names[4], fn, ref, cases,
            case_labels=["ids [2, 0, 1] with a 3 × 4 embedding"] + [f"random case {i}" for i in range(1, 5)],
            slips={"forgot to multiply the embedding by √d_model": unscaled,
                   "multiplied the position by √d_model too: scale the embedding, then add the position":
                       scaled_after,
                   "forgot to add the positional encoding": no_position},
            hint="x = embed(ids, E) * np.sqrt(d_model); return x + positional_encoding(len(ids), d_model).")

    def encoder_stack(fn):
        rng = np.random.default_rng(1002)

        def make_case(n_layers, n, d_model, h):
            layers = [init_encoder_layer(d_model, 2 * d_model, rng) for _ in range(n_layers)]
            norm = init_layer_norm(d_model, rng)
            return rng.integers(-2, 3, size=(n, d_model)), layers, norm, h

        cases = [make_case(2, 5, 8, 2), make_case(1, 3, 4, 1), make_case(3, 4, 6, 3)]

        def ref(x, layers, norm, h):
            for layer in layers:
                x = encoder_layer(x, layer, h)
            return layer_norm(x, norm.gamma, norm.beta)

        def no_final_norm(x, layers, norm, h):
            for layer in layers:
                x = encoder_layer(x, layer, h)
            return x

        def first_only(x, layers, norm, h):
            return layer_norm(encoder_layer(x, layers[0], h), norm.gamma, norm.beta)

        def same_input(x, layers, norm, h):
            out = x
            for layer in layers:
                out = encoder_layer(x, layer, h)
            return layer_norm(out, norm.gamma, norm.beta)

        return checks.check_function(
            names[5], fn, ref, cases,
            case_labels=["2 layers, 5 tokens, d_model 8", "1 layer, 3 tokens, d_model 4",
                         "3 layers, 4 tokens, d_model 6"],
            slips={"forgot the final layer norm after the stack": no_final_norm,
                   "used only the first layer": first_only,
                   "gave every layer the original x: each layer takes the previous layer's output": same_input},
            hint="for layer in layers: x = encoder_layer(x, layer, h); "
                 "then return layer_norm(x, norm.gamma, norm.beta).")

    def next_token_probs(fn):
        rng = np.random.default_rng(1003)
        cases = []
        for n_src, n_tgt in ((5, 4), (3, 1), (4, 6)):
            p = init_transformer(7, 10, 8, 16, 2, rng)
            cases.append((rng.integers(0, 7, size=n_src), rng.integers(0, 10, size=n_tgt), p, 2))

        def ref(src, tgt, p, h):
            return softmax(transformer_forward(src, tgt, p, h))[-1]

        return checks.check_function(
            names[6], fn, ref, cases,
            case_labels=["5 source and 4 target tokens", "3 source tokens and only <s>",
                         "4 source and 6 target tokens"],
            slips={"returned the logits: apply softmax to turn them into probabilities":
                       lambda src, tgt, p, h: transformer_forward(src, tgt, p, h)[-1],
                   "took the first row: the next token is predicted by the LAST target position":
                       lambda src, tgt, p, h: softmax(transformer_forward(src, tgt, p, h))[0],
                   "took the softmax over the positions (axis=0) instead of over the vocabulary":
                       lambda src, tgt, p, h: softmax(transformer_forward(src, tgt, p, h), axis=0)[-1]},
            hint="logits = transformer_forward(src_ids, tgt_ids, p, h)  # (n_tgt, vocab_tgt); "
                 "return softmax(logits)[-1].")

    return SimpleNamespace(
        EXERCISES=tuple(names), start=start_, shapes=shapes, cross_weights_shape=cross_weights_shape,
        encoder_count=encoder_count, decoder_count=decoder_count, embed_and_position=embed_and_position,
        encoder_stack=encoder_stack, next_token_probs=next_token_probs, progress=checks.progress)


check = _exercise_checks()
