"""A tiny decoder with hand-chosen weights that translates English into Spanish (lesson 08).

Nothing here is learned: every weight is a small number picked by hand so that each
part of the decoder does one visible job.

- Text is cut into tokens by lesson 06's tokenizer (the course has one); a word missing
  from SRC_VOCAB becomes "<unk>", and translate() then says which word it does not know.
- The memory (what the encoder would hand over) is one row per source token:
  [which token (one-hot over SRC_VOCAB) | which position (one-hot over pos0..pos8)].
- The decoder input is one row per target position: the token written so far
  (one-hot over TGT_VOCAB; position 0 holds "<s>") and the position (one-hot).
- Masked self-attention (1 head) looks back over the Spanish written so far for a
  noun and reports its gender: that picks "rojo" or "roja".
- Cross-attention, head "same": target position t asks for source position t and
  copies that source token (keys and values come from the memory).
- Cross-attention, head "next": target position t asks for source position t + 1 and
  reports that word's gender: that picks "el" or "la" for "the".
- The output layer maps the 13 features [same (9) | next (2) | noun (2)] onto
  TGT_VOCAB; softmax turns the logits into next-token probabilities.
- Greedy decoding writes the most probable token, feeds it back, and repeats
  until "</s>".

To keep every number readable the three attention results sit side by side
(concatenated) instead of being added into one residual stream; lesson 10
assembles the real layer.

The checks of exercises/08 are in helpers.checks.lesson08.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .kernels import causal_mask, frozen, linear, scaled_dot_product_attention, softmax
from .lesson06 import UNK, mark_unknown, tokenize

SRC_VOCAB = (UNK, "the", "ball", "car", "is", "blue", "red", ".", "</s>")
TGT_VOCAB = ("<s>", "</s>", "el", "la", "bola", "coche", "es", "azul", "rojo", "roja", ".")
MAX_LEN = 9  # positions pos0..pos8: sentences of up to 8 tokens plus "</s>"
POSITIONS = tuple(f"pos{i}" for i in range(MAX_LEN))

SRC_FEATURES = SRC_VOCAB + POSITIONS  # the 18 columns of the memory
TGT_FEATURES = TGT_VOCAB + POSITIONS  # the 20 columns of the decoder input
OUT_FEATURES = tuple(f"src:{w}" for w in SRC_VOCAB) + (
    "next:fem", "next:masc", "noun:fem", "noun:masc",
)  # the 13 features the output layer reads

SHARP = 10  # every attention score that means "this one" is 10 after scaling


def _col(labels, name):
    return labels.index(name)


def _feature_rows(items, vocab, features, side, noun):
    """One row per token: a one-hot of the token in `features`, then a one-hot of its position."""
    if len(items) > MAX_LEN:
        raise ValueError(f"the {side} has {len(items)} tokens; at most {MAX_LEN} fit")
    rows = np.zeros((len(items), len(features)), dtype=np.int64)
    for pos, item in enumerate(items):
        if item not in vocab:
            raise ValueError(f"unknown {side} {noun} {item!r}; the model knows {', '.join(vocab)}")
        rows[pos, _col(features, item)] = 1
        rows[pos, len(vocab) + pos] = 1
    return rows


def source_features(words):
    """Memory rows for a list of source tokens (ending in "</s>"): (n_k, 18)."""
    return _feature_rows(words, SRC_VOCAB, SRC_FEATURES, "source", "token")


def target_features(tokens):
    """Decoder input rows for the tokens written so far (starting with "<s>"): (n_q, 20)."""
    return _feature_rows(tokens, TGT_VOCAB, TGT_FEATURES, "target", "token")


@dataclass
class TranslatorWeights:
    """Every weight of the toy decoder, stored (d_out, d_in) like the kernels' linear: x @ W.T."""

    W_q_self: np.ndarray  # (1, 20)   self-attention query: all zero ...
    b_q_self: np.ndarray  # (1,)      ... plus a bias of 10: every position asks "where is a noun?"
    W_k_self: np.ndarray  # (1, 20)   key 1 for the nouns "bola" and "coche"
    W_v_self: np.ndarray  # (2, 20)   value: the noun's gender [fem, masc]
    W_q_same: np.ndarray  # (9, 20)   cross head "same": 30 x own position
    W_k_same: np.ndarray  # (9, 18)   keys: the source position
    W_v_same: np.ndarray  # (9, 18)   values: the source token
    W_q_next: np.ndarray  # (9, 20)   cross head "next": 30 x (own position + 1)
    W_k_next: np.ndarray  # (9, 18)   keys: the source position
    W_v_next: np.ndarray  # (2, 18)   values: the source word's gender [fem, masc]
    W_out: np.ndarray  # (11, 13)     output layer onto TGT_VOCAB
    b_out: np.ndarray  # (11,)


def make_weights():
    """The hand-chosen weights (a fresh copy each call)."""
    n_tv, n_sv, P = len(TGT_VOCAB), len(SRC_VOCAB), MAX_LEN
    # Self-attention: "where is a noun?" (d_k = 1, so the scale 1/sqrt(1) changes nothing).
    W_q_self = np.zeros((1, n_tv + P), dtype=np.int64)
    b_q_self = np.array([SHARP])
    W_k_self = np.zeros((1, n_tv + P), dtype=np.int64)
    W_k_self[0, _col(TGT_FEATURES, "bola")] = 1
    W_k_self[0, _col(TGT_FEATURES, "coche")] = 1
    W_v_self = np.zeros((2, n_tv + P), dtype=np.int64)
    W_v_self[0, _col(TGT_FEATURES, "bola")] = 1  # fem
    W_v_self[1, _col(TGT_FEATURES, "coche")] = 1  # masc
    # Cross-attention: positions match positions. d_k = 9, 30 / sqrt(9) = 10.
    q_weight = SHARP * int(np.sqrt(P))  # 30
    W_q_same = np.zeros((P, n_tv + P), dtype=np.int64)
    W_q_next = np.zeros((P, n_tv + P), dtype=np.int64)
    for t in range(P):
        W_q_same[t, n_tv + t] = q_weight  # position t asks for key t
        if t + 1 < P:
            W_q_next[t + 1, n_tv + t] = q_weight  # position t asks for key t + 1
    W_k_same = np.zeros((P, n_sv + P), dtype=np.int64)
    W_k_same[:, n_sv:] = np.eye(P, dtype=np.int64)
    W_k_next = W_k_same.copy()
    W_v_same = np.zeros((n_sv, n_sv + P), dtype=np.int64)
    W_v_same[:, :n_sv] = np.eye(n_sv, dtype=np.int64)
    W_v_next = np.zeros((2, n_sv + P), dtype=np.int64)
    W_v_next[0, _col(SRC_FEATURES, "ball")] = 1  # fem
    W_v_next[1, _col(SRC_FEATURES, "car")] = 1  # masc
    # Output layer: 4 for "this source word", 2 for agreement, bias 1 = default feminine.
    # "<unk>" links to nothing: the model has no translation for a word it does not know.
    W_out = np.zeros((n_tv, len(OUT_FEATURES)), dtype=np.int64)
    b_out = np.zeros(n_tv, dtype=np.int64)

    def put(tok, feat, value):
        W_out[_col(TGT_VOCAB, tok), _col(OUT_FEATURES, feat)] = value

    for src, tgt in (("</s>", "</s>"), ("the", "el"), ("the", "la"), ("ball", "bola"),
                     ("car", "coche"), ("is", "es"), ("blue", "azul"), ("red", "rojo"),
                     ("red", "roja"), (".", ".")):
        put(tgt, f"src:{src}", 4)
    put("el", "next:masc", 2)
    put("la", "next:fem", 2)
    put("rojo", "noun:masc", 2)
    put("roja", "noun:fem", 2)
    b_out[_col(TGT_VOCAB, "la")] = 1
    b_out[_col(TGT_VOCAB, "roja")] = 1
    return TranslatorWeights(W_q_self, b_q_self, W_k_self, W_v_self, W_q_same, W_k_same,
                             W_v_same, W_q_next, W_k_next, W_v_next, W_out, b_out)


WEIGHTS = TranslatorWeights(**{name: frozen(a) for name, a in vars(make_weights()).items()})  # read-only


def decode(tokens, words, w=WEIGHTS, masked=True):
    """Run the decoder once over the target tokens so far, against the source words.

    tokens: target tokens, starting with "<s>"; words: source tokens ending in "</s>" (see split).
    Returns a dict of every intermediate (tokens are rows):
      Y (n_q, 20), M (n_k, 18),
      self_out (n_q, 2), self_weights (n_q, n_q),
      same_out (n_q, 9), same_weights (n_q, n_k),
      next_out (n_q, 2), next_weights (n_q, n_k),
      F (n_q, 13) = [same | next | self], logits (n_q, 11), probs (n_q, 11).
    Row t of probs is the distribution of the token that follows tokens[t].
    """
    Y = target_features(tokens)  # (n_q, 20)
    M = source_features(words)  # (n_k, 18)
    mask = causal_mask(len(tokens)) if masked else None
    q = linear(Y, w.W_q_self, w.b_q_self)  # Y @ W_q_self.T + b: (n_q, 20) @ (20, 1) -> (n_q, 1)
    k = linear(Y, w.W_k_self)  # (n_q, 1)
    v = linear(Y, w.W_v_self)  # (n_q, 2)
    self_out, self_weights = scaled_dot_product_attention(q, k, v, mask)
    same_out, same_weights = scaled_dot_product_attention(
        linear(Y, w.W_q_same), linear(M, w.W_k_same), linear(M, w.W_v_same))  # (n_q, 9)
    next_out, next_weights = scaled_dot_product_attention(
        linear(Y, w.W_q_next), linear(M, w.W_k_next), linear(M, w.W_v_next))  # (n_q, 2)
    F = np.concatenate([same_out, next_out, self_out], axis=-1)  # (n_q, 13)
    logits = linear(F, w.W_out, w.b_out)  # F @ W_out.T + b: (n_q, 13) @ (13, 11) -> (n_q, 11)
    return dict(Y=Y, M=M, self_out=self_out, self_weights=self_weights,
                same_out=same_out, same_weights=same_weights,
                next_out=next_out, next_weights=next_weights,
                F=F, logits=logits, probs=softmax(logits))


def split(sentence):
    """The source tokens of an English sentence, by lesson 06's tokenizer, then "</s>".

    'The ball is blue.' -> ['the', 'ball', 'is', 'blue', '.', '</s>']; a word missing from
    SRC_VOCAB becomes "<unk>": 'the green ball' -> ['the', '<unk>', 'ball', '</s>'].
    """
    if not isinstance(sentence, str):
        raise ValueError(f"sentence must be a string, got {type(sentence).__name__}")
    return mark_unknown(tokenize(sentence), SRC_VOCAB) + ["</s>"]


def unknown_words(sentence):
    """The words of sentence that SRC_VOCAB lacks, each once, in order: 'the green dog' -> ['green', 'dog']."""
    return list(dict.fromkeys(t for t in tokenize(sentence) if t not in SRC_VOCAB))


def join(tokens):
    """Tokens back into text, with no space before a punctuation mark: ['azul', '.'] -> 'azul.'"""
    return re.sub(r" (?=[^\w\s])", "", " ".join(tokens))


def greedy_decode(step, start_id, end_id, max_len):
    """Greedy decoding: ids from start_id, the argmax of step(ids) appended until end_id or max_len ids."""
    ids = [int(start_id)]
    while len(ids) < max_len:
        nxt = int(np.argmax(step(list(ids))))
        ids.append(nxt)
        if nxt == end_id:
            break
    return ids


def translate_steps(sentence, w=WEIGHTS):
    """Greedy decoding. Returns the list of steps: (tokens so far, probs of the next token)."""
    words = split(sentence)
    steps = []

    def step(ids):
        tokens = [TGT_VOCAB[i] for i in ids]
        probs = decode(tokens, words, w)["probs"][-1]  # only the last row is new
        steps.append((tokens, probs))
        return probs

    greedy_decode(step, TGT_VOCAB.index("<s>"), TGT_VOCAB.index("</s>"), MAX_LEN + 1)
    return steps


def translate(sentence, w=WEIGHTS):
    """Greedy decoding, one token at a time: 'the ball is blue' -> 'la bola es azul'.

    A sentence with a word the model does not know is not translated: the answer says which
    word, and lists the words the model knows.
    """
    unknown = unknown_words(sentence)
    if unknown:
        known = [t for t in SRC_VOCAB if t not in (UNK, "</s>")]
        return (f"Not translated: I do not know {', '.join(repr(t) for t in unknown)}. "
                f"I know only {', '.join(repr(t) for t in known)}")
    steps = translate_steps(sentence, w)
    last_tokens, last_probs = steps[-1]
    tokens = last_tokens + [TGT_VOCAB[int(np.argmax(last_probs))]]
    return join(t for t in tokens if t not in ("<s>", "</s>"))


# ---------------------------------------------------------------- the exercises' numbers (exercises/08)

EX_SCORES = frozen([[2, 1, 4],
                    [3, 3, 5],
                    [0, 1, 1]])               # the masked-attention exercise's scores, (n, n) = (3, 3)
EX_Q = frozen([[1, 0],                        # target position 0
               [0, 2]])                       # target position 1: queries (n_q, d_k) = (2, 2)
EX_K = frozen([[1, 1],                        # source word 0
               [2, 0],                        # source word 1
               [0, 3]])                       # source word 2: keys (n_k, d_k) = (3, 2)
EX_VOCAB = ("la", "bola", "</s>")
EX_W = frozen([[2, 0],
               [0, 3],
               [1, 1]])                       # output layer (vocab, d) = (3, 2)
EX_B = frozen([0, 1, 2])
EX_X = frozen([2, 1])                         # the decoder's last row, d = 2
