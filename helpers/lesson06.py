"""Lesson 06 data: the course's tokenizer, a toy vocabulary and a small embedding matrix.

The embedding has d_model = 4 small integer features per word, chosen so that
words that play the same part are close: "black" and "brown" share most of
their features, and so do "cat" and "dog".

The checks of exercises/06 are in helpers.checks.lesson06.
"""

from __future__ import annotations

import re

import numpy as np

from .kernels import embed, frozen, positional_encoding

UNK = "<unk>"  # the token that stands for any word a vocabulary does not know

# Id 0 is kept for words the vocabulary does not know, as real tokenizers do.
VOCAB = (UNK, "the", "black", "brown", "cat", "dog", "sat", "on", "rug")
WORD_TO_ID = {word: i for i, word in enumerate(VOCAB)}

FEATURES = ("f0", "f1", "f2", "f3")  # counted from 0, like ids, positions and numpy
D_MODEL = 4

# (vocab, d_model): one row per word of VOCAB
E = frozen(
    [
        [0, 0, 0, 0],  # <unk>
        [1, 0, 0, 1],  # the
        [0, 2, 1, 0],  # black
        [0, 2, 1, 1],  # brown
        [2, 0, 1, 0],  # cat
        [2, 1, 1, 0],  # dog
        [0, 1, 0, 2],  # sat
        [1, 1, 0, 0],  # on
        [1, 0, 2, 0],  # rug
    ]
)

SENTENCE = "The cat sat on the rug"
SWAPPED = "The rug sat on the cat"

_TOKEN = re.compile(r"\w+|[^\w\s]")  # a run of letters or digits, or one punctuation mark


def tokenize(text):
    """The course's one tokenizer: lower-case, then cut into words and punctuation marks.

    'The cat sat.' -> ['the', 'cat', 'sat', '.']: every mark is a token of its own.
    Real models use sub-word tokenizers (BPE, WordPiece, SentencePiece); this toy keeps
    every word whole. Lesson 08's translator uses it too.
    """
    return _TOKEN.findall(text.lower())


def mark_unknown(tokens, vocab):
    """The tokens, each one vocab does not hold replaced by "<unk>"."""
    return [token if token in vocab else UNK for token in tokens]


def encode(text):
    """Token ids of `text` in VOCAB; a token missing from VOCAB gets id 0, "<unk>"."""
    return np.array([WORD_TO_ID[token] for token in mark_unknown(tokenize(text), VOCAB)], dtype=np.int64)


def embed_with_position(ids, E=E):
    """The model's input: embed(ids, E) * sqrt(d_model) + positional_encoding(n, d_model).

    ids is (n,) or (..., n): a batch of sequences gets the same positions in each.
    """
    ids = np.asarray(ids)
    d_model = np.asarray(E).shape[1]
    return embed(ids, E) * np.sqrt(d_model) + positional_encoding(ids.shape[-1], d_model)  # (..., n, d_model)


