"""Lesson 07 data and small tools: layer normalisation by hand, the encoder stack, post-norm and
pre-norm, counting parameters.

The by-hand row is chosen so that every step is exact: x = [0, 6, 6, 8] has
mean 5, deviations [-5, 1, 1, 3], variance 36 / 4 = 9 and standard deviation 3.

The checks of exercises/07 are in helpers.checks.lesson07.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .kernels import encoder_layer, ffn, frozen, init_encoder_layer, layer_norm, multi_head_attention

# One token's vector (d_model = 4) and the layer norm's gain and shift.
LN_ROW = frozen([0, 6, 6, 8])
LN_GAMMA = frozen([3, 3, 3, 1])
LN_BETA = frozen([0, 1, 0, 0])

# The exercise's row: mean 4, deviations [-3, -1, -1, 5], variance 36 / 4 = 9, sigma 3.
EX_ROW = frozen([1, 3, 3, 9])

# The paper's base model.
PAPER = {"N": 6, "d_model": 512, "d_ff": 2048, "h": 8}


def encoder(x, layers, h, mask=None):
    """A stack of encoder layers: feed the output of each layer to the next.

    x: (..., n, d_model)  layers: a list of EncoderLayerParams  ->  (..., n, d_model)
    """
    for p in layers:
        x = encoder_layer(x, p, h, mask)
    return x


def pre_norm_encoder_layer(x, p, h, mask=None):
    """The pre-norm variant of encoder_layer: x + MHA(LN(x)), then · + FFN(LN(·)).

    The layer norm sits inside each branch, so nothing rescales the residual path.
    (PyTorch: nn.TransformerEncoderLayer(..., norm_first=True).)
    """
    y = layer_norm(x, p.norm1.gamma, p.norm1.beta)  # (..., n, d_model)
    x = x + multi_head_attention(y, y, p.self_attn, h, mask)[0]
    y = layer_norm(x, p.norm2.gamma, p.norm2.beta)
    return x + ffn(y, p.ffn.W1, p.ffn.b1, p.ffn.W2, p.ffn.b2)  # (..., n, d_model)


def token_spread(x):
    """How much the token rows of x (n, d_model) differ: each feature's standard deviation over
    the tokens, averaged over the features. 0 when every row is the same."""
    return float(np.asarray(x).std(axis=0).mean())


def init_encoder(N, d_model, d_ff, rng):
    """N independently initialised encoder layers (a list of EncoderLayerParams)."""
    return [init_encoder_layer(d_model, d_ff, rng) for _ in range(N)]


def parameter_arrays(p, prefix=""):
    """(name, array) for every array inside a parameter dataclass (nested), in field order."""
    out = []
    for field in dataclasses.fields(p):
        value = getattr(p, field.name)
        name = f"{prefix}{field.name}"
        if dataclasses.is_dataclass(value):
            out.extend(parameter_arrays(value, name + "."))
        elif value is not None:
            out.append((name, np.asarray(value)))
    return out


def count_parameters(p):
    """The number of numbers a model has to learn: the sizes of all its arrays added up.

    p: a parameter dataclass (e.g. EncoderLayerParams) or a list of them.
    """
    if isinstance(p, (list, tuple)):
        return sum(count_parameters(q) for q in p)
    return int(sum(a.size for _, a in parameter_arrays(p)))


def encoder_layer_parameter_count(d_model, d_ff):
    """The formula: 4 attention projections, the FFN's two linear maps, two layer norms."""
    attention = 4 * (d_model * d_model + d_model)  # W_q, W_k, W_v, W_o and their biases
    ffn = (d_ff * d_model + d_ff) + (d_model * d_ff + d_model)  # W1, b1 and W2, b2
    norms = 2 * 2 * d_model  # gamma and beta, twice
    return attention + ffn + norms


def norm_placement_figure():
    """A picture of one sub-layer wired post-norm (the paper's, this course's) and pre-norm."""
    import matplotlib.pyplot as plt

    rows = [("post-norm (the paper, this course):  LayerNorm(x + Sublayer(x))", ["Sublayer", "+", "LayerNorm"],
             "the residual path runs through LayerNorm: every layer rescales it"),
            ("pre-norm (GPT-2 and most large models since):  x + Sublayer(LayerNorm(x))",
             ["LayerNorm", "Sublayer", "+"],
             "nothing sits on the residual path: x reaches the output unchanged, plus what the sub-layer adds")]
    fill = {"LayerNorm": "#fde9c9", "Sublayer": "#dbe9f6"}
    fig, ax = plt.subplots(figsize=(8.4, 3.3), dpi=80)
    for r, (title, boxes, note) in enumerate(rows):
        y = 1.0 - 1.45 * r
        ax.text(-0.3, y + 0.65, title, fontsize=10, weight="bold")
        ax.text(4.0, y - 0.45, note, fontsize=9, color="tab:red", ha="center")
        labels = ["x"] + boxes + ["out"]
        half = [0.055 * len(t) + 0.15 for t in labels]  # about half the width of each box
        for k, label in enumerate(labels):
            ax.text(2.0 * k, y, label, ha="center", va="center", fontsize=10,
                    bbox=dict(boxstyle="circle" if label == "+" else "round,pad=0.4",
                              fc=fill.get(label, "white"), ec="black"))
            if k:
                on_path = labels.index("+") < k
                ax.annotate("", (2.0 * k - half[k], y), (2.0 * (k - 1) + half[k - 1], y),
                            arrowprops=dict(arrowstyle="->", color="tab:red" if on_path else "black"))
        plus = 2.0 * labels.index("+")
        ax.plot([0.0, 0.0, plus], [y + 0.15, y + 0.42, y + 0.42], color="tab:red")
        ax.annotate("", (plus, y + 0.15), (plus, y + 0.43), arrowprops=dict(arrowstyle="->", color="tab:red"))
    ax.set_xlim(-0.5, 8.6)
    ax.set_ylim(-1.05, 1.8)
    ax.axis("off")
    fig.tight_layout()
    plt.close(fig)  # drawn once, as the value of the cell
    return fig
