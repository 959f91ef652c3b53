"""Lesson 06 data: a toy vocabulary, a whitespace tokenizer and a small embedding matrix.

The embedding has d_model = 4 small integer features per word, chosen so that
words that play the same part are close: "black" and "brown" share most of
their features, and so do "cat" and "dog".
"""

from __future__ import annotations

import numpy as np

from .kernels import embed, positional_encoding

# Id 0 is kept for words the vocabulary does not know, as real tokenizers do.
VOCAB = ("<unk>", "the", "black", "brown", "cat", "dog", "sat", "on", "rug")
WORD_TO_ID = {word: i for i, word in enumerate(VOCAB)}

FEATURES = ("f1", "f2", "f3", "f4")
D_MODEL = 4

# (vocab, d_model): one row per word of VOCAB
E = np.array(
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
E.setflags(write=False)

SENTENCE = "The cat sat on the rug."
SWAPPED = "The rug sat on the cat."


def tokenize(text):
    """Lower-case, drop the full stops and commas, split on white space.

    Real models use sub-word tokenizers (BPE, WordPiece, SentencePiece); this
    toy splits on spaces so every token is a whole word.
    """
    for mark in ".,!?":
        text = text.replace(mark, " ")
    return text.lower().split()


def encode(text):
    """Token ids of `text`; a word missing from VOCAB gets id 0 (<unk>)."""
    return np.array([WORD_TO_ID.get(word, 0) for word in tokenize(text)], dtype=np.int64)


def embed_with_position(ids, E=E):
    """The model's input: embed(ids, E) * sqrt(d_model) + positional_encoding(n, d_model)."""
    ids = np.asarray(ids)
    d_model = np.asarray(E).shape[1]
    return embed(ids, E) * np.sqrt(d_model) + positional_encoding(len(ids), d_model)



# ---------------------------------------------------------------- exercise checks
#
# The checks of exercises/06-embeddings-and-position.ipynb, built on helpers.checks:
# `from helpers.lesson06 import check`, then `check.start()`, `check.token_ids(ids)`, ...


def snap_to_2_decimals(answer, exact, tol=0.006):
    """A by-hand answer typed with 2 decimals: every cell within tol of the exact value
    becomes the exact value rounded to 2 decimals, so that check_value compares like with
    like. Anything unreadable is returned unchanged (check_value then explains it)."""
    try:
        exact = np.asarray(exact, dtype=float)
        arr = np.asarray(answer, dtype=float)
        if arr.shape != exact.shape:
            return answer
        close = np.abs(arr - exact) <= tol
        return np.where(close, np.round(exact, 2), arr)
    except Exception:  # noqa: BLE001 - garbage: leave it to check_value's diagnosis
        return answer


def _checks():
    from types import SimpleNamespace

    from . import checks as C

    names = ["token ids", "embedding of dog", "PE of position 1", "length of a PE row",
             "sinusoid", "model_input"]
    dog_sentence = "The dog sat on the rug."
    ids_dog = encode(dog_sentence)
    pe1 = positional_encoding(2, 4)[1]  # sin 1, cos 1, sin 0.01, cos 0.01

    def start():
        C.start("06", names)

    def token_ids(ids):
        """The ids of "The dog sat on the rug." (6 numbers)."""
        return C.check_value(
            names[0], ids, ids_dog, cell_names=tokenize(dog_sentence),
            slips={"counted from 1: ids count from 0, and id 0 is <unk>": ids_dog + 1,
                   "left out <unk>: it is id 0, so 'the' is id 1": ids_dog - 1},
            hint="look each word up in the VOCAB list printed above: 'the' is at place 1, 'dog' at place 5.",
            note="The same word always gets the same id: 'the' is 1 both times.")

    def embedding_of_dog(x_dog):
        """Row of one_hot(ids) @ E for "dog" (4 numbers)."""
        return C.check_value(
            names[1], x_dog, E[WORD_TO_ID["dog"]], cell_names=list(FEATURES),
            slips={"took the row of 'cat' (id 4), one above 'dog'": E[4],
                   "took the row of 'sat' (id 6), one below 'dog'": E[6]},
            hint="the one-hot row of dog has its single 1 at id 5, so the product picks row 5 of E.",
            note="One-hot times E is a row lookup: embed(ids, E) = E[ids].")

    def pe_position_1(pe):
        """PE(1) for d_model = 4, with 2 decimals."""
        wrong_i = np.array([np.sin(1), np.cos(1), np.sin(1 / 10), np.cos(1 / 10)])
        return C.check_value(
            names[2], snap_to_2_decimals(pe, pe1), np.round(pe1, 2), cell_names=list(FEATURES),
            slips={"swapped sin and cos: even features (0, 2) take the sine": np.round(pe1[[1, 0, 3, 2]], 2),
                   "used 10000^(i/d_model) instead of 10000^(2i/d_model) for features 2 and 3":
                       np.round(wrong_i, 2),
                   "took the angles in degrees: numpy's sin and cos take radians":
                       np.round([np.sin(np.radians(1)), np.cos(np.radians(1)),
                                 np.sin(np.radians(0.01)), np.cos(np.radians(0.01))], 2)},
            hint="pos = 1: features 0 and 1 are sin(1/1) and cos(1/1); features 2 and 3 are "
                 "sin(1/100) and cos(1/100), since 10000^(2/4) = 100. Type 2 decimals, e.g. 0.84.",
            note="Every position gets its own row, with values between -1 and 1.")

    def pe_length(length_512):
        """The length of any PE row when d_model = 512."""
        return C.check_value(
            names[3], snap_to_2_decimals(length_512, 16.0), 16.0,
            slips={"gave the squared length: take the square root": 256,
                   "gave √d_model: each (sin, cos) pair adds sin² + cos² = 1, and there are d_model/2 pairs":
                       np.round(np.sqrt(512), 2)},
            hint="the squared length adds sin² + cos² = 1 for each of the d_model / 2 = 256 pairs.",
            note="The same for every position: √(d_model / 2) = √256 = 16.")

    def sinusoid(fn):
        from .kernels import positional_encoding as ref

        def sin_cos_swapped(n, d):
            pe = ref(n, d)
            return pe.reshape(n, d // 2, 2)[:, :, ::-1].reshape(n, d)

        def i_not_2i(n, d):
            pos = np.arange(n)[:, None]
            i = np.arange(d // 2)
            angle = pos / 10000.0 ** (i / d)
            out = np.zeros((n, d))
            out[:, 0::2], out[:, 1::2] = np.sin(angle), np.cos(angle)
            return out

        def from_1(n, d):
            return ref(n + 1, d)[1:]

        cases = [(6, 4), (5, 6), (3, 8), (7, 2), (4, 10), (1, 4)]
        return C.check_function(
            names[4], fn, ref, cases,
            case_labels=[f"sinusoid{c}" for c in cases],
            labels=([f"pos {p}" for p in range(6)], list(FEATURES)),
            slips={"put the cosine on the even features: sin goes on 0, 2, 4, ..., cos on 1, 3, 5, ...":
                       sin_cos_swapped,
                   "divided by 10000^(i/d_model) for pair i: the exponent uses the even index 2i":
                       i_not_2i,
                   "counted positions from 1: the first token is position 0": from_1},
            hint="pos = np.arange(n)[:, None]; two_i = np.arange(0, d_model, 2); angle = pos / 10000 ** (two_i / d_model); "
                 "then pe[:, 0::2] = np.sin(angle) and pe[:, 1::2] = np.cos(angle).")

    def model_input(fn):
        rng = np.random.default_rng(606)

        def make(r):
            vocab, d, n = int(r.integers(3, 8)), int(r.choice([2, 4, 6])), int(r.integers(2, 7))
            return r.integers(0, vocab, size=n), r.integers(-2, 3, size=(vocab, d))

        def no_scale(ids, E_):
            return embed(ids, E_) + positional_encoding(len(ids), np.shape(E_)[1])

        def times_d(ids, E_):
            d = np.shape(E_)[1]
            return embed(ids, E_) * d + positional_encoding(len(ids), d)

        def scaled_pe(ids, E_):
            d = np.shape(E_)[1]
            return embed(ids, E_) + np.sqrt(d) * positional_encoding(len(ids), d)

        def no_pe(ids, E_):
            return embed(ids, E_) * np.sqrt(np.shape(E_)[1])

        cases = [(encode(SENTENCE), E)] + C.int_cases(rng, 4, make)
        return C.check_function(
            names[5], fn, embed_with_position, cases,
            case_labels=["the lesson's sentence"] + [f"random case {i}" for i in range(1, 5)],
            labels=(tokenize(SENTENCE), list(FEATURES)),
            slips={"forgot to multiply the embedding by √d_model": no_scale,
                   "multiplied by d_model: the factor is its square root": times_d,
                   "scaled the positional encoding instead of the embedding": scaled_pe,
                   "forgot to add the positional encoding": no_pe},
            hint="E[ids] * np.sqrt(d_model) + positional_encoding(len(ids), d_model), with d_model = E.shape[1].")

    return SimpleNamespace(
        EXERCISES=tuple(names), start=start, token_ids=token_ids, embedding_of_dog=embedding_of_dog,
        pe_position_1=pe_position_1, pe_length=pe_length, sinusoid=sinusoid, model_input=model_input,
        progress=C.progress)


check = _checks()
