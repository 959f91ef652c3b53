"""The checks of exercises/06-embeddings-and-position.ipynb, one per exercise, in order.

    from helpers.checks import lesson06 as check
    check.start()                      # every exercise "not done"
    check.token_ids(ids)
    ...
    check.progress()

Expected values come from helpers.lesson06 (the vocabulary, E, the sentence) and helpers.kernels.
"""

import numpy as np

from ..kernels import embed, frozen, positional_encoding
from ..lesson06 import FEATURES, SENTENCE, VOCAB, WORD_TO_ID, E, embed_with_position, encode, tokenize
from . import (
    check_close,
    check_function,
    check_value,
    exercise,
    exercises,
    random_cases,
    snap_to_2_decimals,
    start_lesson,
)
from . import progress as progress  # check.progress() in the notebooks

SEED = 606  # the random cases are the same in every run

DOG_SENTENCE = "The dog sat on the rug."
IDS_DOG = frozen(encode(DOG_SENTENCE))  # (7,): the full stop is a token, <unk> here
PE_1 = frozen(positional_encoding(2, 4)[1])  # sin 1, cos 1, sin 0.01, cos 0.01


@exercise("token ids")
def token_ids(ids):
    """The ids of "The dog sat on the rug." (7 numbers: the full stop is a token)."""
    return check_value(
        token_ids.title, ids, IDS_DOG, cell_names=tokenize(DOG_SENTENCE),
        slips={"counted from 1: ids count from 0, and id 0 is <unk>": IDS_DOG + 1,
               "left out <unk>: it is id 0, so 'the' is id 1": IDS_DOG - 1,
               "left out the full stop: it is a token of its own": IDS_DOG[:-1],
               "gave the full stop a new id: a token missing from the vocabulary gets id 0, <unk>":
                   list(IDS_DOG[:-1]) + [len(VOCAB)]},
        hint="lower-case the sentence and cut it into words and punctuation marks (the full stop counts); "
             "a token's id is its place in the vocabulary list above, counting from 0, and a token that is "
             "not in the list gets id 0, <unk>.",
        answer="ids = " + str(IDS_DOG.tolist()) + ": " + ", ".join(
            f"{w} {i}" for w, i in zip(tokenize(DOG_SENTENCE), IDS_DOG)),
        note="The same word always gets the same id: 'the' is 1 both times.")


@exercise("embedding of dog")
def embedding_of_dog(x_dog):
    """Row of one_hot(ids) @ E for "dog" (4 numbers)."""
    return check_value(
        embedding_of_dog.title, x_dog, E[WORD_TO_ID["dog"]], cell_names=list(FEATURES),
        slips={"took the row of 'cat' (id 4), one above 'dog'": E[4],
               "took the row of 'sat' (id 6), one below 'dog'": E[6]},
        hint="a one-hot row times E picks out one row of E: the row at the id of dog, counting from 0.",
        answer=f"dog is id {WORD_TO_ID['dog']}, so x_dog = row {WORD_TO_ID['dog']} of E = "
               f"{E[WORD_TO_ID['dog']].tolist()}",
        note="One-hot times E is a row lookup: embed(ids, E) = E[ids].")


@exercise("PE of position 1")
def pe_position_1(pe):
    """PE(1) for d_model = 4, with 2 decimals."""
    wrong_i = np.array([np.sin(1), np.cos(1), np.sin(1 / 10), np.cos(1 / 10)])
    return check_close(
        pe_position_1.title, pe, PE_1, tol=0.006, decimals=2, cell_names=list(FEATURES),
        slips={"swapped sin and cos: the even features (f0, f2) take the sine": PE_1[[1, 0, 3, 2]],
               "used 10000^(i/d_model) instead of 10000^(2i/d_model) for f2 and f3": wrong_i,
               "took the angles in degrees: numpy's sin and cos take radians":
                   [np.sin(np.radians(1)), np.cos(np.radians(1)),
                    np.sin(np.radians(0.01)), np.cos(np.radians(0.01))]},
        hint="work out each feature's angle pos / 10000^(2i/d_model) first (features 2i and 2i + 1 share "
             "one angle), then the sine for the even feature and the cosine for the odd one, in radians.",
        answer="f0, f1: sin(1) ≈ 0.84, cos(1) ≈ 0.54; f2, f3: 10000^(2/4) = 100, "
               "sin(0.01) ≈ 0.01, cos(0.01) ≈ 1.00; pe_1 = [0.84, 0.54, 0.01, 1.00]",
        note="Every position gets its own row, with values between -1 and 1.")


@exercise("length of a PE row")
def pe_length(length_512):
    """The length of any PE row when d_model = 512."""
    return check_value(
        pe_length.title, snap_to_2_decimals(length_512, 16.0), 16.0,
        slips={"gave the squared length: take the square root": 256,
               "gave √d_model: each (sin, cos) pair adds sin² + cos² = 1, and there are d_model/2 pairs":
                   np.round(np.sqrt(512), 2)},
        hint="work out the squared length first: the row is made of (sin, cos) pairs with the same angle, "
             "and each pair adds sin² + cos² = 1. Then take the square root.",
        answer="d_model / 2 = 256 pairs, each adding 1: the squared length is 256, so length_512 = √256 = 16",
        note="The same for every position: √(d_model / 2) = √256 = 16.")


def _sin_cos_swapped(n, d):
    pe = positional_encoding(n, d)  # (n, d)
    return pe.reshape(n, d // 2, 2)[:, :, ::-1].reshape(n, d)


def _i_not_2i(n, d):
    pos = np.arange(n)[:, None]  # (n, 1)
    i = np.arange(d // 2)
    angle = pos / 10000.0 ** (i / d)  # (n, d / 2)
    out = np.zeros((n, d))
    out[:, 0::2], out[:, 1::2] = np.sin(angle), np.cos(angle)
    return out


def _from_1(n, d):
    return positional_encoding(n + 1, d)[1:]


@exercise("sinusoid")
def sinusoid(fn):
    """The learner's sinusoid(n, d_model) -> (n, d_model), as helpers.kernels.positional_encoding."""
    cases = {f"sinusoid{c}": c for c in [(6, 4), (5, 6), (3, 8), (7, 2), (4, 10), (1, 4)]}
    return check_function(
        sinusoid.title, fn, positional_encoding, cases,
        labels=([f"pos {p}" for p in range(6)], list(FEATURES)),
        slips={"put the cosine on the even features: sin goes on 0, 2, 4, ..., cos on 1, 3, 5, ...":
                   _sin_cos_swapped,
               "divided by 10000^(i/d_model) for pair i: the exponent uses the even index 2i": _i_not_2i,
               "counted positions from 1: the first token is position 0": _from_1},
        hint="one angle per position and per pair of features, pos / 10000^(2i/d_model), with positions "
             "from 0; the sine goes in the even features, the cosine in the odd ones.",
        answer="pos = np.arange(n)[:, None]; two_i = np.arange(0, d_model, 2); "
               "angle = pos / 10000 ** (two_i / d_model); pe = np.zeros((n, d_model)); "
               "pe[:, 0::2] = np.sin(angle); pe[:, 1::2] = np.cos(angle); return pe")


def _input_case(r):
    vocab, d, n = int(r.integers(3, 8)), int(r.choice([2, 4, 6])), int(r.integers(2, 7))
    return r.integers(0, vocab, size=n), r.integers(-2, 3, size=(vocab, d))


def _no_scale(ids, E_):
    return embed(ids, E_) + positional_encoding(len(ids), np.shape(E_)[1])


def _times_d(ids, E_):
    d = np.shape(E_)[1]
    return embed(ids, E_) * d + positional_encoding(len(ids), d)


def _scaled_pe(ids, E_):
    d = np.shape(E_)[1]
    return embed(ids, E_) + np.sqrt(d) * positional_encoding(len(ids), d)


def _no_pe(ids, E_):
    return embed(ids, E_) * np.sqrt(np.shape(E_)[1])


@exercise("model_input")
def model_input(fn):
    """The learner's model_input(ids, E) -> (n, d_model), as helpers.lesson06.embed_with_position."""
    cases = {"the lesson's sentence": (encode(SENTENCE), E),
             **random_cases(np.random.default_rng(SEED), 4, _input_case)}
    return check_function(
        model_input.title, fn, embed_with_position, cases,
        labels=(tokenize(SENTENCE), list(FEATURES)),
        slips={"forgot to multiply the embedding by √d_model": _no_scale,
               "multiplied by d_model: the factor is its square root": _times_d,
               "scaled the positional encoding instead of the embedding": _scaled_pe,
               "forgot to add the positional encoding": _no_pe},
        hint="two parts added together: the rows of E for the ids, scaled by √d_model (the embedding only), "
             "and the positional encoding of the n positions.",
        answer="d_model = E.shape[1]; return E[ids] * np.sqrt(d_model) + positional_encoding(len(ids), d_model)")


EXERCISES = exercises(__name__)


def start():
    """Declare this lesson's exercises, in order: each is "not done" until its check runs."""
    start_lesson(__name__)
