"""The checks of exercises/10-whole-model.ipynb, one per exercise, in order.

    from helpers.checks import lesson10 as check
    check.start()                      # every exercise "not done"
    check.shapes(memory_shape, logits_shape)
    ...
    check.progress()

Expected values come from helpers.lesson10 (the model and the exercises' sizes), never typed in twice.
"""

import math

import numpy as np

from ..kernels import LayerNormParams, encoder_layer, init_encoder_layer, layer_norm, positional_encoding, softmax
from ..lesson06 import embed_with_position
from ..lesson10 import EX_SIZES, EX_SMALL, init_transformer, transformer_forward
from . import check_function, check_value, exercise, exercises, random_cases, start_lesson
from . import progress as progress  # check.progress() in the notebooks

SEED = 1001  # the random cases are the same in every run
_S = EX_SIZES
_D, _D_FF = EX_SMALL["d_model"], EX_SMALL["d_ff"]
_ATTENTION = 4 * _D * _D + 4 * _D  # W_q, W_k, W_v, W_o and their biases
_FFN = 2 * _D * _D_FF + _D_FF + _D  # W1, b1, W2, b2
_NORM = 2 * _D  # gamma and beta


@exercise("shapes of memory and logits")
def shapes(memory_shape, logits_shape):
    """The shapes of the memory and of the logits for the sizes in EX_SIZES."""
    return check_value(
        shapes.title, [memory_shape, logits_shape], [[_S["n_src"], _S["d_model"]], [_S["n_tgt"], _S["vocab"]]],
        labels=(["memory", "logits"], ["rows", "columns"]),
        slips={"swapped the source and the target: the memory has one row per SOURCE token":
                   [[_S["n_tgt"], _S["d_model"]], [_S["n_src"], _S["vocab"]]],
               "gave the logits d_model columns: the output layer gives one score per word of the vocabulary":
                   [[_S["n_src"], _S["d_model"]], [_S["n_tgt"], _S["d_model"]]],
               "gave the memory one column per word: the memory holds d_model features per source token":
                   [[_S["n_src"], _S["vocab"]], [_S["n_tgt"], _S["vocab"]]]},
        hint="tokens are rows: the memory has one row per source token, the logits one row per target "
             "token; then ask what each row holds (d_model features, or one score per word of the vocabulary?).",
        answer=f"memory_shape = (n_src, d_model) = ({_S['n_src']}, {_S['d_model']}); "
               f"logits_shape = (n_tgt, vocab) = ({_S['n_tgt']}, {_S['vocab']})",
        note="Only the output layer changes the width, from d_model to vocab.")


@exercise("shape of the cross-attention weights")
def cross_weights_shape(shape):
    """The shape of one decoder layer's cross-attention weights: (h, n_tgt, n_src)."""
    return check_value(
        cross_weights_shape.title, shape, [_S["h"], _S["n_tgt"], _S["n_src"]], cell_names=["heads", "rows", "columns"],
        slips={"swapped queries and keys: one row per target query, one column per source key":
                   [_S["h"], _S["n_src"], _S["n_tgt"]],
               "put d_model where the number of heads goes": [_S["d_model"], _S["n_tgt"], _S["n_src"]],
               "gave the shape of the decoder's self-attention: in cross-attention the keys come from the "
               "source (n_src)": [_S["h"], _S["n_tgt"], _S["n_tgt"]],
               "gave the shape of the encoder's self-attention: in cross-attention the queries come from the "
               "target (n_tgt)": [_S["h"], _S["n_src"], _S["n_src"]]},
        hint="each of the h heads has one table of n_q × n_k weights; check which side (the target or the "
             "source) gives the queries, and which the keys.",
        answer=f"cross_shape = (h, n_tgt, n_src) = ({_S['h']}, {_S['n_tgt']}, {_S['n_src']})",
        note="Every head has its own table: 3 target positions against 6 source words.")


@exercise("numbers in an encoder layer")
def encoder_count(n_encoder_layer):
    """The number of parameters in one encoder layer with the sizes in EX_SMALL."""
    return check_value(
        encoder_count.title, n_encoder_layer, _ATTENTION + _FFN + 2 * _NORM,
        slips={"left out the biases": 4 * _D * _D + 2 * _D * _D_FF + 2 * _NORM,
               "left out the two layer norms (γ and β, d numbers each)": _ATTENTION + _FFN,
               "counted one layer norm, but an encoder layer has two": _ATTENTION + _FFN + _NORM},
        hint="count each part with its biases: self-attention (four d × d matrices and four biases), the FFN "
             "(two layers) and the layer norms (γ and β each); how many layer norms does an encoder layer have?",
        answer=f"attention 4·4·4 + 4·4 = {_ATTENTION}; FFN 8·4 + 8 + 4·8 + 4 = {_FFN}; "
               f"two layer norms 2·(2·4) = {2 * _NORM}; total {_ATTENTION + _FFN + 2 * _NORM}",
        note="Attention and FFN hold about the same number of weights here (d_ff = 2·d).")


@exercise("numbers in a decoder layer")
def decoder_count(n_decoder_layer):
    """The number of parameters in one decoder layer with the sizes in EX_SMALL."""
    return check_value(
        decoder_count.title, n_decoder_layer, 2 * _ATTENTION + _FFN + 3 * _NORM,
        slips={"forgot the cross-attention: a decoder layer has two attention blocks": _ATTENTION + _FFN + 3 * _NORM,
               "counted two layer norms, but a decoder layer has three": 2 * _ATTENTION + _FFN + 2 * _NORM,
               "left out the biases": 2 * 4 * _D * _D + 2 * _D * _D_FF + 3 * _NORM},
        hint="a decoder layer is an encoder layer plus one more attention block (the cross-attention) and "
             "one more layer norm; count each part with its biases.",
        answer=f"two attention blocks 2·{_ATTENTION} + FFN {_FFN} + three layer norms 3·{_NORM} "
               f"= {2 * _ATTENTION + _FFN + 3 * _NORM}",
        note="The decoder layer is the encoder layer plus one attention block and one layer norm.")


_TABLE = _S["vocab"] * _S["d_model"]  # one vocab × d_model matrix


@exercise("one matrix for three jobs")
def shared_count(n_paper, n_pytorch):
    """The numbers in both embeddings and the output layer together: shared (the paper's) and not (PyTorch's)."""
    return check_value(
        shared_count.title, [n_paper, n_pytorch], [_TABLE, 3 * _TABLE + _S["vocab"]],
        cell_names=["n_paper", "n_pytorch"],
        slips={"counted the paper's shared matrix three times: it is ONE array, counted once":
                   [3 * _TABLE, 3 * _TABLE + _S["vocab"]],
               "left out the output layer's bias in PyTorch's variant (one number per word)":
                   [_TABLE, 3 * _TABLE],
               "gave the paper's output layer a bias: it is the shared matrix alone":
                   [_TABLE + _S["vocab"], 3 * _TABLE + _S["vocab"]]},
        hint="each embedding and the output layer's weights are vocab × d_model tables; in the paper's model "
             "the three are one array; in PyTorch's variant they are three arrays, and the output layer adds "
             "one bias per word.",
        answer=f"n_paper = vocab · d_model = {_S['vocab']}·{_S['d_model']} = {_TABLE}; "
               f"n_pytorch = 3 · {_TABLE} + {_S['vocab']} (the output bias) = {3 * _TABLE + _S['vocab']}",
        note="Sharing saves two of the three tables: at the paper's sizes, 2 · 37,000 · 512 ≈ 38 million numbers.")


def _rows(ids, E):
    return np.asarray(E, dtype=float)[np.asarray(ids)]  # (n, d_model)


def _unscaled(ids, E):
    return _rows(ids, E) + positional_encoding(len(ids), np.shape(E)[1])


def _scaled_after(ids, E):
    d_model = np.shape(E)[1]
    return (_rows(ids, E) + positional_encoding(len(ids), d_model)) * math.sqrt(d_model)


def _no_position(ids, E):
    return _rows(ids, E) * math.sqrt(np.shape(E)[1])


def _ids_case(r):
    vocab, d_model, n = int(r.integers(3, 8)), int(r.choice([2, 4, 6])), int(r.integers(2, 6))
    return r.integers(0, vocab, size=n), r.integers(-2, 3, size=(vocab, d_model))


@exercise("embed_and_position")
def embed_and_position(fn):
    """The learner's embed_and_position(ids, E) -> E[ids] * sqrt(d_model) + the positional encoding."""
    E = np.array([[1, 0, 0, 1], [0, 2, 1, 0], [1, 1, -1, 0]])
    cases = {"ids [2, 0, 1] with a 3 × 4 embedding": (np.array([2, 0, 1]), E),
             **random_cases(np.random.default_rng(SEED), 4, _ids_case)}
    return check_function(
        embed_and_position.title, fn, embed_with_position, cases,
        slips={"forgot to multiply the embedding by √d_model": _unscaled,
               "multiplied the position by √d_model too: scale the embedding, then add the position": _scaled_after,
               "forgot to add the positional encoding": _no_position},
        hint="two parts added together: the rows of E for the ids, scaled by √d_model (the embedding only, "
             "not the position), and the positional encoding of the n positions.",
        answer="d_model = E.shape[1]; return embed(ids, E) * np.sqrt(d_model) + positional_encoding(len(ids), d_model)")


def _stack(x, layers, h):
    for layer in layers:
        x = encoder_layer(x, layer, h)
    return x


def _encoder_stack(x, layers, h, final_norm=None):
    x = _stack(x, layers, h)
    return x if final_norm is None else layer_norm(x, final_norm.gamma, final_norm.beta)


def _never_norm(x, layers, h, final_norm=None):
    return _stack(x, layers, h)


def _always_norm(x, layers, h, final_norm=None):
    return layer_norm(_stack(x, layers, h), final_norm.gamma, final_norm.beta)  # AttributeError on None


def _norm_every_layer(x, layers, h, final_norm=None):
    for layer in layers:
        x = encoder_layer(x, layer, h)
        if final_norm is not None:
            x = layer_norm(x, final_norm.gamma, final_norm.beta)
    return x


def _first_only(x, layers, h, final_norm=None):
    return _encoder_stack(x, layers[:1], h, final_norm)


def _same_input(x, layers, h, final_norm=None):
    out = x
    for layer in layers:
        out = encoder_layer(x, layer, h)
    return out if final_norm is None else layer_norm(out, final_norm.gamma, final_norm.beta)


def _stack_case(rng, n_layers, n, d_model, h, with_norm):
    """(x, layers, h, final_norm): random encoder layers, x of n small integer rows, and a final norm
    with random γ and β (a norm that starts at γ = 1, β = 0 would hardly change a post-norm layer's output)."""
    layers = [init_encoder_layer(d_model, 2 * d_model, rng) for _ in range(n_layers)]
    x = rng.integers(-2, 3, size=(n, d_model))
    norm = LayerNormParams(rng.uniform(0.5, 1.5, size=d_model), rng.uniform(-0.5, 0.5, size=d_model))
    return x, layers, h, norm if with_norm else None


@exercise("encoder_stack")
def encoder_stack(fn):
    """The learner's encoder_stack(x, layers, h, final_norm=None): every layer in turn; then final_norm, if given."""
    rng = np.random.default_rng(SEED + 1)
    # The first case shows the learner's result as a grid, so it is the one that catches most slips.
    cases = {"PyTorch's stack: 2 layers, 5 tokens, d_model 8, and a final norm": _stack_case(rng, 2, 5, 8, 2, True),
             "the paper's stack: 2 layers, 3 tokens, d_model 4, no final norm": _stack_case(rng, 2, 3, 4, 1, False),
             "3 layers, 4 tokens, d_model 6, and a final norm": _stack_case(rng, 3, 4, 6, 3, True),
             "1 layer, 3 tokens, d_model 6, no final norm": _stack_case(rng, 1, 3, 6, 2, False)}
    return check_function(
        encoder_stack.title, fn, _encoder_stack, cases,
        slips={"left out the final norm: when final_norm is given, apply it once after the last layer": _never_norm,
               "applied the final norm when there is none: with final_norm=None (the paper's stack) the "
               "memory is the last layer's output": _always_norm,
               "applied the final norm after every layer: it comes once, after the loop": _norm_every_layer,
               "used only the first layer": _first_only,
               "gave every layer the original x: each layer takes the previous layer's output": _same_input},
        hint="every layer in turn, each reading the previous layer's output; then, only if final_norm is not "
             "None, one layer norm with final_norm.gamma and final_norm.beta after the loop.",
        answer="for layer in layers: x = encoder_layer(x, layer, h). After the loop: if final_norm is not None: "
               "x = layer_norm(x, final_norm.gamma, final_norm.beta). Then: return x")


def _model_case(rng, n_src, n_tgt):
    """(src_ids, tgt_ids, p, h) for a random paper's model with a joint vocabulary of 12 words, d_model 8, 2 layers."""
    vocab = _S["vocab"]
    p = init_transformer(vocab, _S["d_model"], _S["d_ff"], 2, rng)
    return rng.integers(0, vocab, size=n_src), rng.integers(0, vocab, size=n_tgt), p, _S["h"]


def _next_token_probs(src, tgt, p, h):
    return softmax(transformer_forward(src, tgt, p, h))[-1]


@exercise("next_token_probs")
def next_token_probs(fn):
    """The learner's next_token_probs(src_ids, tgt_ids, p, h): P(next token) after the last target token."""
    rng = np.random.default_rng(SEED + 2)
    cases = {"5 source and 4 target tokens": _model_case(rng, 5, 4),
             "3 source tokens and only <s>": _model_case(rng, 3, 1),
             "4 source and 6 target tokens": _model_case(rng, 4, 6)}
    return check_function(
        next_token_probs.title, fn, _next_token_probs, cases,
        slips={"returned the logits: apply softmax to turn them into probabilities":
                   lambda src, tgt, p, h: transformer_forward(src, tgt, p, h)[-1],
               "took the first row: the next token is predicted by the LAST target position":
                   lambda src, tgt, p, h: softmax(transformer_forward(src, tgt, p, h))[0],
               "took the softmax over the positions (axis=0) instead of over the vocabulary":
                   lambda src, tgt, p, h: softmax(transformer_forward(src, tgt, p, h), axis=0)[-1]},
        hint="the model gives one row of logits per target position; the next token is predicted by the last "
             "row, and probabilities come from a softmax over the vocabulary.",
        answer="logits = L.transformer_forward(src_ids, tgt_ids, p, h)   # (n_tgt, vocab); "
               "return softmax(logits)[-1]")


EXERCISES = exercises(__name__)


def start():
    """Declare this lesson's exercises, in order: each is "not done" until its check runs."""
    start_lesson(__name__)
