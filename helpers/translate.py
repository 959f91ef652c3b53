"""A tiny decoder with hand-chosen weights that translates English into Spanish (lesson 08).

Nothing here is learned: every weight is a small number picked by hand so that each
part of the decoder does one visible job.

- The memory (what the encoder would hand over) is one row per source word:
  [which word (one-hot over SRC_VOCAB) | which position (one-hot over P0..P8)].
- The decoder input is one row per target position: the token written so far
  (one-hot over TGT_VOCAB; position 0 holds "<s>") and the position (one-hot).
- Masked self-attention (1 head) looks back over the Spanish written so far for a
  noun and reports its gender: that picks "rojo" or "roja".
- Cross-attention, head "same": target position t asks for source position t and
  copies that source word (keys and values come from the memory).
- Cross-attention, head "next": target position t asks for source position t + 1 and
  reports that word's gender: that picks "el" or "la" for "the".
- The output layer maps the 11 features [same (7) | next (2) | noun (2)] onto
  TGT_VOCAB; softmax turns the logits into next-token probabilities.
- Greedy decoding writes the most probable token, feeds it back, and repeats
  until "</s>".

To keep every number readable the three attention results sit side by side
(concatenated) instead of being added into one residual stream; lesson 10
assembles the real layer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .kernels import causal_mask, linear, scaled_dot_product_attention, softmax

SRC_VOCAB = ("the", "ball", "car", "is", "blue", "red", "</s>")
TGT_VOCAB = ("<s>", "</s>", "el", "la", "bola", "coche", "es", "azul", "rojo", "roja")
MAX_LEN = 9  # positions P0..P8: sentences of up to 8 words plus "</s>"
POSITIONS = tuple(f"P{i}" for i in range(MAX_LEN))

SRC_FEATURES = SRC_VOCAB + POSITIONS  # the 16 columns of the memory
TGT_FEATURES = TGT_VOCAB + POSITIONS  # the 19 columns of the decoder input
OUT_FEATURES = tuple(f"src:{w}" for w in SRC_VOCAB) + (
    "next:fem", "next:masc", "noun:fem", "noun:masc",
)  # the 11 features the output layer reads

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
    """Memory rows for a list of source words (ending in "</s>"): (n_k, 16)."""
    return _feature_rows(words, SRC_VOCAB, SRC_FEATURES, "source", "word")


def target_features(tokens):
    """Decoder input rows for the tokens written so far (starting with "<s>"): (n_q, 19)."""
    return _feature_rows(tokens, TGT_VOCAB, TGT_FEATURES, "target", "token")


@dataclass
class TranslatorWeights:
    """Every weight of the toy decoder, stored (d_out, d_in) like the kernels' linear."""

    W_q_self: np.ndarray  # (1, 19)   self-attention query: all zero ...
    b_q_self: np.ndarray  # (1,)      ... plus a bias of 10: every position asks "where is a noun?"
    W_k_self: np.ndarray  # (1, 19)   key 1 for the nouns "bola" and "coche"
    W_v_self: np.ndarray  # (2, 19)   value: the noun's gender [fem, masc]
    W_q_same: np.ndarray  # (9, 19)   cross head "same": 30 x own position
    W_k_same: np.ndarray  # (9, 16)   keys: the source position
    W_v_same: np.ndarray  # (7, 16)   values: the source word
    W_q_next: np.ndarray  # (9, 19)   cross head "next": 30 x (own position + 1)
    W_k_next: np.ndarray  # (9, 16)   keys: the source position
    W_v_next: np.ndarray  # (2, 16)   values: the source word's gender [fem, masc]
    W_out: np.ndarray  # (10, 11)     output layer onto TGT_VOCAB
    b_out: np.ndarray  # (10,)


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
    W_out = np.zeros((n_tv, len(OUT_FEATURES)), dtype=np.int64)
    b_out = np.zeros(n_tv, dtype=np.int64)

    def put(tok, feat, value):
        W_out[_col(TGT_VOCAB, tok), _col(OUT_FEATURES, feat)] = value

    for src, tgt in (("</s>", "</s>"), ("the", "el"), ("the", "la"), ("ball", "bola"),
                     ("car", "coche"), ("is", "es"), ("blue", "azul"), ("red", "rojo"),
                     ("red", "roja")):
        put(tgt, f"src:{src}", 4)
    put("el", "next:masc", 2)
    put("la", "next:fem", 2)
    put("rojo", "noun:masc", 2)
    put("roja", "noun:fem", 2)
    b_out[_col(TGT_VOCAB, "la")] = 1
    b_out[_col(TGT_VOCAB, "roja")] = 1
    return TranslatorWeights(W_q_self, b_q_self, W_k_self, W_v_self, W_q_same, W_k_same,
                             W_v_same, W_q_next, W_k_next, W_v_next, W_out, b_out)


WEIGHTS = make_weights()


def decode(tokens, words, w=WEIGHTS, masked=True):
    """Run the decoder once over the target tokens so far, against the source words.

    tokens: target tokens, starting with "<s>"; words: source words ending in "</s>".
    Returns a dict of every intermediate (tokens are rows):
      Y (n_q, 19), M (n_k, 16),
      self_out (n_q, 2), self_weights (n_q, n_q),
      same_out (n_q, 7), same_weights (n_q, n_k),
      next_out (n_q, 2), next_weights (n_q, n_k),
      F (n_q, 11) = [same | next | self], logits (n_q, 10), probs (n_q, 10).
    Row t of probs is the distribution of the token that follows tokens[t].
    """
    Y = target_features(tokens)  # (n_q, 19)
    M = source_features(words)  # (n_k, 16)
    mask = causal_mask(len(tokens)) if masked else None
    q = linear(Y, w.W_q_self, w.b_q_self)  # (n_q, 1)
    k = linear(Y, w.W_k_self)  # (n_q, 1)
    v = linear(Y, w.W_v_self)  # (n_q, 2)
    self_out, self_weights = scaled_dot_product_attention(q, k, v, mask)
    same_out, same_weights = scaled_dot_product_attention(
        linear(Y, w.W_q_same), linear(M, w.W_k_same), linear(M, w.W_v_same))  # (n_q, 7)
    next_out, next_weights = scaled_dot_product_attention(
        linear(Y, w.W_q_next), linear(M, w.W_k_next), linear(M, w.W_v_next))  # (n_q, 2)
    F = np.concatenate([same_out, next_out, self_out], axis=-1)  # (n_q, 11)
    logits = linear(F, w.W_out, w.b_out)  # (n_q, 11) @ (11, 10) -> (n_q, 10)
    return dict(Y=Y, M=M, self_out=self_out, self_weights=self_weights,
                same_out=same_out, same_weights=same_weights,
                next_out=next_out, next_weights=next_weights,
                F=F, logits=logits, probs=softmax(logits))


def split(sentence):
    """'the ball is blue' -> ['the', 'ball', 'is', 'blue', '</s>']"""
    if not isinstance(sentence, str):
        raise ValueError(f"sentence must be a string, got {type(sentence).__name__}")
    return sentence.lower().split() + ["</s>"]


def translate_steps(sentence, w=WEIGHTS):
    """Greedy decoding. Returns the list of steps: (tokens so far, probs of the next token)."""
    words = split(sentence)
    tokens = ["<s>"]
    steps = []
    while len(tokens) <= MAX_LEN:
        probs = decode(tokens, words, w)["probs"][-1]  # only the last row is new
        steps.append((list(tokens), probs))
        nxt = TGT_VOCAB[int(np.argmax(probs))]
        tokens.append(nxt)
        if nxt == "</s>":
            break
    return steps


def translate(sentence, w=WEIGHTS):
    """Greedy decoding, one token at a time: 'the ball is blue' -> 'la bola es azul'."""
    steps = translate_steps(sentence, w)
    last_tokens, last_probs = steps[-1]
    tokens = last_tokens + [TGT_VOCAB[int(np.argmax(last_probs))]]
    return " ".join(t for t in tokens if t not in ("<s>", "</s>"))


# ---------------------------------------------------------------- exercise checks (exercises/08)
#
# Built on helpers.checks' building blocks (check_value, check_function, int_cases).

EX_SCORES = np.array([[2, 1, 4],
                      [3, 3, 5],
                      [0, 1, 1]])            # the masked-attention exercise's scores, (n, n) = (3, 3)
EX_Q = np.array([[1, 0],                      # target position 0
                 [0, 2]])                     # target position 1: queries (n_q, d_k) = (2, 2)
EX_K = np.array([[1, 1],                      # source word 0
                 [2, 0],                      # source word 1
                 [0, 3]])                     # source word 2: keys (n_k, d_k) = (3, 2)
EX_VOCAB = ("la", "bola", "</s>")
EX_W = np.array([[2, 0],
                 [0, 3],
                 [1, 1]])                     # output layer (vocab, d) = (3, 2)
EX_B = np.array([0, 1, 2])
EX_X = np.array([2, 1])                       # the decoder's last row, d = 2


def greedy_reference(step, start_id, end_id, max_len):
    """Greedy decoding: ids from start_id, the argmax of step(ids) appended until end_id or max_len ids."""
    ids = [int(start_id)]
    while len(ids) < max_len:
        nxt = int(np.argmax(step(list(ids))))
        ids.append(nxt)
        if nxt == end_id:
            break
    return ids


class _CountedStep:
    """A step function for the checks that stops a runaway loop with a clear message."""

    def __init__(self, fn, limit=60):
        self.fn, self.limit, self.calls = fn, limit, 0
        self.__name__ = "step"

    def __call__(self, ids):
        self.calls += 1
        if self.calls > self.limit:
            raise RuntimeError(f"step was called more than {self.limit} times: "
                               f"does your loop stop at end_id and at max_len?")
        return self.fn(ids)


def _exercise_checks():
    from types import SimpleNamespace

    from . import checks

    names = ["masked scores", "masked weights", "cross-attention scores", "logits and the greedy pick",
             "masked_softmax", "cross_attention", "greedy_decode"]
    S = EX_SCORES
    keep = causal_mask(3)

    def start_():
        checks.start("08", names)

    def masked_scores(S_masked):
        return checks.check_value(
            names[0], S_masked, np.where(keep, S, -99), labels=(["row 1", "row 2", "row 3"], ["k1", "k2", "k3"]),
            symbol="S",
            slips={"masked the past (below the diagonal) instead of the future (above it)":
                       np.where(keep.T, S, -99),
                   "masked the diagonal too, but a position may look at itself": np.where(np.tril(keep, -1), S, -99),
                   "wrote 0 in the masked cells: a score of 0 still gets the weight e⁰ = 1, so write -99":
                       np.where(keep, S, 0)},
            hint="row i keeps the scores of columns 1 … i (itself and before) and gets -99 to the right of the diagonal.",
            note="Each row keeps itself and the positions before it.")

    def masked_weights(weights_row_1, weights_row_2):
        exp = np.array([[1.0, 0, 0], [0.5, 0.5, 0]])
        return checks.check_value(
            names[1], [weights_row_1, weights_row_2], exp,
            labels=(["row 1", "row 2"], ["k1", "k2", "k3"]), symbol="weights",
            slips={"forgot the mask (softmax of the unmasked rows)": softmax(S[:2]),
                   "gave the masked cells a share too (1/3 each)": np.array([[1 / 3] * 3] * 2)},
            hint="e^-99 is about 1e-43, so a masked cell counts as 0. Row 2 has two equal scores (3 and 3) left: "
                 "they share the weight equally.",
            note="Row 1 can only see itself: all its weight is on k1.")

    def cross_scores(S_cross):
        return checks.check_value(
            names[2], S_cross, EX_Q @ EX_K.T, labels=(["t0", "t1"], ["s0", "s1", "s2"]), symbol="S",
            slips={"applied a causal mask, but cross-attention has none: the whole source is known":
                       np.where(np.tril(np.ones((2, 3), bool)), EX_Q @ EX_K.T, -99)},
            hint="one row per target query, one column per source key: S[t, s] = Q[t] · K[s], "
                 "for example S[t1, s2] = 0·0 + 2·3 = 6.",
            note="2 target positions × 3 source words: the score matrix of cross-attention need not be square.")

    def logits_pick(logit_la, logit_bola, logit_end, next_id):
        logits = EX_W @ EX_X + EX_B
        no_bias = EX_W @ EX_X
        return checks.check_value(
            names[3], [logit_la, logit_bola, logit_end, next_id], list(logits) + [int(np.argmax(logits))],
            cell_names=["logit_la", "logit_bola", "logit_end", "next_id"],
            slips={"left out the bias b": list(no_bias) + [int(np.argmax(no_bias))],
                   "picked the word with the smallest score: greedy takes the largest":
                       list(logits) + [int(np.argmin(logits))]},
            hint="logit of word i = row i of W · x + b[i]; for \"la\": 2·2 + 0·1 + 0 = 4. "
                 "next_id is the position (0, 1 or 2) of the largest logit.",
            note="The bias tipped the choice: without it, \"la\" would have won.")

    def masked_softmax(fn):
        rng = np.random.default_rng(808)

        def ref(s):
            s = np.asarray(s, dtype=float)
            return softmax(np.where(causal_mask(s.shape[-1]), s, -np.inf))

        def make(r):
            n = int(r.integers(2, 6))
            return (r.integers(-3, 4, size=(n, n)),)

        cases = [(S,)] + checks.int_cases(rng, 4, make)
        return checks.check_function(
            names[4], fn, ref, cases,
            case_labels=["the exercise's scores"] + [f"random case {i}" for i in range(1, 5)],
            labels=(["row 1", "row 2", "row 3"], ["k1", "k2", "k3"]), symbol="weights",
            slips={"forgot the mask": lambda s: softmax(np.asarray(s, dtype=float)),
                   "masked the past instead of the future (use np.tril, or causal_mask)":
                       lambda s: softmax(np.where(causal_mask(np.shape(s)[-1]).T, s, -np.inf)),
                   "took the softmax over the columns (axis=0) instead of each row":
                       lambda s: softmax(np.where(causal_mask(np.shape(s)[-1]), s, -np.inf), axis=0)},
            hint="masked = np.where(causal_mask(n), scores, -99); then softmax(masked) row by row.")

    def cross_attention(fn):
        rng = np.random.default_rng(809)

        def ref(y, memory, W_q, W_k, W_v):
            return scaled_dot_product_attention(linear(y, W_q), linear(memory, W_k), linear(memory, W_v))[0]

        def make(r):
            n_q, n_k, d, d_k = (int(v) for v in r.integers(2, 5, size=4))
            return (r.integers(-1, 2, size=(n_q, d)), r.integers(-1, 2, size=(n_k, d)),
                    r.integers(-1, 2, size=(d_k, d)), r.integers(-1, 2, size=(d_k, d)),
                    r.integers(-1, 2, size=(d_k, d)))

        first = (np.array([[1, 0, 1], [0, 1, 1]]), np.array([[1, 1, 0], [0, 2, 1], [1, 0, 2]]),
                 np.array([[1, 0, 0], [0, 1, 1]]), np.array([[1, 0, 1], [0, 1, 0]]),
                 np.array([[1, 0, 0], [0, 0, 1]]))
        cases = [first] + checks.int_cases(rng, 4, make)

        def swapped(y, memory, W_q, W_k, W_v):
            return ref(memory, y, W_q, W_k, W_v)

        def unscaled(y, memory, W_q, W_k, W_v):
            return scaled_dot_product_attention(linear(y, W_q), linear(memory, W_k), linear(memory, W_v),
                                                scale=1.0)[0]

        def values_from_target(y, memory, W_q, W_k, W_v):
            return scaled_dot_product_attention(linear(y, W_q), linear(memory, W_k), linear(y, W_v))[0]

        return checks.check_function(
            names[5], fn, ref, cases,
            case_labels=["the first example (2 target rows, 3 source rows)"]
            + [f"random case {i}" for i in range(1, 5)],
            slips={"took the queries from the memory and the keys and values from the target: "
                   "queries come from the target": swapped,
                   "forgot to divide the scores by √d_k": unscaled,
                   "took the values from the target: keys and values both come from the memory": values_from_target},
            hint="q = y @ W_q.T, k = memory @ W_k.T, v = memory @ W_v.T; "
                 "out, weights = scaled_dot_product_attention(q, k, v); return out.")

    def greedy_decode(fn):
        words = split("the ball is blue")

        def translator(ids):
            return decode([TGT_VOCAB[int(i)] for i in ids], words)["probs"][-1]

        chain = np.array([[0.1, 0.2, 0.7, 0.0],    # after 0, write 2
                          [0.3, 0.3, 0.2, 0.2],    # (1 is the end token)
                          [0.0, 0.1, 0.3, 0.6],    # after 2, write 3
                          [0.2, 0.5, 0.2, 0.1]])   # after 3, write 1 = end
        never_ends = np.array([0.1, 0.1, 0.8, 0.0])

        def make_cases():
            return [(_CountedStep(translator), 0, 1, MAX_LEN),
                    (_CountedStep(lambda ids: chain[ids[-1]]), 0, 1, 10),
                    (_CountedStep(lambda ids: never_ends), 0, 1, 5)]

        def ref(step, start_id, end_id, max_len):
            return greedy_reference(step.fn, start_id, end_id, max_len)

        def no_end(step, start_id, end_id, max_len):
            ids = greedy_reference(step.fn, start_id, end_id, max_len)
            return ids[:-1] if ids[-1] == end_id else ids

        def no_start(step, start_id, end_id, max_len):
            return greedy_reference(step.fn, start_id, end_id, max_len)[1:]

        def learner(step, start_id, end_id, max_len):
            return fn(_CountedStep(step.fn), start_id, end_id, max_len)

        if not callable(fn) or fn is Ellipsis:
            return checks.check_function(names[6], fn, ref, make_cases())
        learner.__name__ = getattr(fn, "__name__", "greedy_decode")
        return checks.check_function(
            names[6], learner, ref, make_cases(),
            case_labels=["the translator on \"the ball is blue\"", "a small table of next-token probabilities",
                         "a step that never writes the end token (max_len 5)"],
            slips={"left out the end token: append it, then stop": no_end,
                   "left out the start token: the list begins with start_id": no_start},
            hint="ids = [start_id]; while len(ids) < max_len: nxt = int(np.argmax(step(ids))); "
                 "ids.append(nxt); if nxt == end_id: break. Then return ids.")

    return SimpleNamespace(
        EXERCISES=tuple(names), start=start_, masked_scores=masked_scores, masked_weights=masked_weights,
        cross_scores=cross_scores, logits_pick=logits_pick, masked_softmax=masked_softmax,
        cross_attention=cross_attention, greedy_decode=greedy_decode, progress=checks.progress)


check = _exercise_checks()
