"""Using a trained model (lesson 12): greedy decoding, held-out accuracy, translate, saving and loading weights.

- greedy_decode(src, p, h): a batch of sentences translated at once, one token per step.
- translations(pairs, p, h) and exact_match(pairs, p, h): the model's Spanish for each pair and the
  fraction that is exactly right.
- save_weights(path, p, config) / load_weights(path=None): an .npz of every weight (the tied E once),
  the configuration and what made it (made_with: numpy and its BLAS); load_weights() reads the shipped
  weights, helpers/data/translator.npz. made_with(path=None) reads that record back.
- translate("the red car") -> "el coche rojo", with the shipped weights unless p is given.
"""

from __future__ import annotations

import dataclasses
import json
import platform
from pathlib import Path

import numpy as np

from ..kernels import linear
from ..lesson08 import join
from ..lesson10 import decode_target, encode_source
from .corpus import BOS, ENGLISH, EOS, VOCAB, by_length, pair_ids, source_tokens, unknown_words, words
from .training import TrainConfig, init_model, named_weights

WEIGHTS_PATH = Path(__file__).resolve().parents[1] / "data" / "translator.npz"
_CACHE = {}


def greedy_decode(src, p, h, max_len=None):
    """Greedy decoding of a batch: src (b, n_src) ids -> (b, ≤ max_len) ids, "<s>" first.

    The encoder runs once; the decoder then reads the tokens written so far and the most probable next
    token is appended, for every sentence at once, until each has written "</s>" (or max_len tokens).
    max_len defaults to n_src + 2: our Spanish is as long as the English.
    """
    src = np.atleast_2d(src)
    max_len = src.shape[-1] + 2 if max_len is None else max_len
    memory = encode_source(src, p, h)  # (b, n_src, d_model)
    out = np.full((len(src), 1), BOS, dtype=np.int64)  # (b, 1)
    done = np.zeros(len(src), dtype=bool)
    while out.shape[1] < max_len and not done.all():
        y = decode_target(out, memory, p, h)  # (b, t, d_model)
        logits = linear(y[:, -1], p.W_out, p.b_out)  # (b, d_model) @ (d_model, vocab) -> (b, vocab)
        nxt = np.where(done, EOS, logits.argmax(axis=-1))  # a finished sentence keeps writing "</s>"
        out = np.concatenate([out, nxt[:, None]], axis=1)
        done |= nxt == EOS
    return out


def ids_to_text(row):
    """The Spanish of one decoded row: the tokens after "<s>" and before the first "</s>", joined."""
    tokens = words(row[1:])
    if "</s>" in tokens:
        tokens = tokens[:tokens.index("</s>")]
    return join(tokens)


def translations(pairs, p, h):
    """{english: the model's Spanish} for every pair, decoded in batches of one length."""
    out = {}
    for group in by_length(pairs).values():
        src, _ = pair_ids(group)
        for pair, row in zip(group, greedy_decode(src, p, h)):
            out[pair.english] = ids_to_text(row)
    return out


def exact_match(pairs, p, h):
    """The fraction of pairs whose greedy translation is exactly the Spanish of the pair."""
    got = translations(pairs, p, h)
    return sum(got[pair.english] == pair.spanish for pair in pairs) / len(pairs)


def this_machine():
    """What sets the last bits of a float64 training run here: numpy's version and its BLAS library,
    with the CPU kernels it picked (OpenBLAS chooses them by CPU, and each rounds in its own order)."""
    blas = "unknown BLAS"
    try:
        from threadpoolctl import threadpool_info
        found = [i for i in threadpool_info() if i.get("user_api") == "blas"]
        if found:
            info = found[0]
            blas = f"{info.get('internal_api')} {info.get('version')} ({info.get('architecture', 'unknown')} kernels)"
    except ImportError:
        pass
    return {"numpy": np.__version__, "blas": blas, "machine": platform.machine()}


def save_weights(path, p, config):
    """Write every weight of p (named as named_weights names them; a tied E once), config and
    this_machine() (as "made_with") to an .npz."""
    arrays = {name: a for name, a in named_weights(p)}
    arrays["config"] = np.array(json.dumps(dataclasses.asdict(config), sort_keys=True))
    arrays["made_with"] = np.array(json.dumps(this_machine(), sort_keys=True))
    with open(path, "wb") as f:
        np.savez_compressed(f, **arrays)


def load_weights(path=None):
    """(TransformerParams, TrainConfig) from an .npz written by save_weights; path=None: the shipped weights.

    The paper's tied E comes back as ONE array in its three places (src_embed, tgt_embed, W_out).
    """
    key = None if path is None else str(Path(path).resolve())
    path = WEIGHTS_PATH if path is None else Path(path)
    with np.load(path, allow_pickle=False) as data:
        config = TrainConfig(**json.loads(str(data["config"])))
        p = init_model(config)  # the structure, then every array replaced by the stored one
        for name, a in named_weights(p):
            if name not in data:
                raise ValueError(f"{path} holds no weight {name!r}: not written by save_weights for this model")
            if data[name].shape != a.shape:
                raise ValueError(f"{path}: {name} has shape {data[name].shape}, the model needs {a.shape}")
            a[...] = data[name]  # in place: the tied E stays one array
    if key is None:
        _CACHE[None] = (p, config)
    return p, config


def made_with(path=None):
    """this_machine() as it was when the .npz at path (None: the shipped weights) was written; {} if not recorded."""
    with np.load(WEIGHTS_PATH if path is None else Path(path), allow_pickle=False) as data:
        return json.loads(str(data["made_with"])) if "made_with" in data else {}


def shipped_weights():
    """The shipped weights, loaded once per process: (TransformerParams, TrainConfig)."""
    return _CACHE[None] if None in _CACHE else load_weights()


def translate(sentence, p=None, h=None):
    """English -> Spanish by greedy decoding: 'the red car' -> 'el coche rojo' (the shipped weights by default).

    A word the model does not know is not guessed at: a ValueError names it and lists the known words.
    """
    if not isinstance(sentence, str):
        raise ValueError(f"sentence must be a string, got {type(sentence).__name__}")
    unknown = unknown_words(sentence)
    if unknown:
        raise ValueError(f"unknown word{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}; "
                         f"the model knows: {', '.join(ENGLISH)} (and '.')")
    if not source_tokens(sentence)[:-1]:
        raise ValueError("sentence is empty: give an English sentence such as 'the red car'")
    if p is None:
        p, config = shipped_weights()
        h = config.h if h is None else h
    elif h is None:
        raise ValueError("h (the number of heads) is needed with p, e.g. translate(sentence, p, h=4)")
    src = np.array([[VOCAB.index(t) for t in source_tokens(sentence)]])  # (1, n_src)
    return ids_to_text(greedy_decode(src, p, h)[0])
