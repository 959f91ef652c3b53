"""Lesson 06 (embeddings and position): its numbers, by hand and against the kernels."""

import math

import numpy as np
import pytest

from helpers import cosine_similarity, embed, one_hot, positional_encoding
from helpers import lesson06 as L


def test_tokenizer_and_ids():
    assert L.tokenize(L.SENTENCE) == ["the", "cat", "sat", "on", "the", "rug"]
    # the=1, cat=4, sat=6, on=7, rug=8 in VOCAB
    assert L.encode(L.SENTENCE).tolist() == [1, 4, 6, 7, 1, 8]
    assert L.encode(L.SWAPPED).tolist() == [1, 8, 6, 7, 1, 4]
    # sofa and the full stop are not in VOCAB: both <unk>, id 0
    assert L.encode("The dog sat on the sofa.").tolist() == [1, 5, 6, 7, 1, 0, 0]
    assert L.VOCAB[0] == L.UNK == "<unk>" and len(L.VOCAB) == L.E.shape[0] == 9


def test_punctuation_is_a_token_of_its_own():
    assert L.tokenize("The dog sat on the sofa.") == ["the", "dog", "sat", "on", "the", "sofa", "."]
    assert L.tokenize("Yes, the cat sat!  Did it?") == ["yes", ",", "the", "cat", "sat", "!", "did", "it", "?"]
    assert L.tokenize("rug.") == ["rug", "."] and L.tokenize("  ") == []


def test_unknown_tokens_become_unk():
    assert L.mark_unknown(["the", "sofa", ".", "cat"], L.VOCAB) == ["the", "<unk>", "<unk>", "cat"]
    assert L.encode("sofa").tolist() == [0]


def test_features_are_counted_from_0_as_the_prose_says():
    # the prose: "features f0 and f1 are sin(pos) and cos(pos)"
    assert L.FEATURES == ("f0", "f1", "f2", "f3") and len(L.FEATURES) == L.D_MODEL == L.E.shape[1]


def test_one_hot_times_E_picks_rows():
    ids = L.encode(L.SENTENCE)
    O = one_hot(ids, len(L.VOCAB))
    assert O.shape == (6, 9) and O.sum() == 6
    # the cat row: a single 1 in column 4, so (cat, f0) = 1·E[4, 0] = 2
    assert (O @ L.E)[1, 0] == 2
    assert np.array_equal(O @ L.E, embed(ids, L.E))
    assert np.array_equal(embed(ids, L.E)[1], [2, 0, 1, 0])


def test_one_hot_vectors_are_all_sqrt2_apart():
    I = one_hot(np.arange(9), 9)
    d = np.linalg.norm(I[:, None] - I[None, :], axis=-1)
    off = d[~np.eye(9, dtype=bool)]
    assert np.allclose(off, math.sqrt(2))


def test_cosine_similarities_of_the_lesson():
    # black [0,2,1,0], brown [0,2,1,1]: 5 / (√5 √6)
    assert cosine_similarity(L.E[2], L.E[3]) == pytest.approx(5 / math.sqrt(30))
    # cat [2,0,1,0], dog [2,1,1,0]: 5 / (√5 √6)
    assert cosine_similarity(L.E[4], L.E[5]) == pytest.approx(5 / math.sqrt(30))
    # black, cat: 1 / (√5 √5)
    assert cosine_similarity(L.E[2], L.E[4]) == pytest.approx(0.2)


def test_positional_encoding_row_2_by_hand():
    pe = positional_encoding(6, 4)
    # divisors 10000^(0/4) = 1 and 10000^(2/4) = 100
    expected = [math.sin(2), math.cos(2), math.sin(0.02), math.cos(0.02)]
    assert np.allclose(pe[2], expected)
    assert np.round(pe[2], 2).tolist() == [0.91, -0.42, 0.02, 1.0]


def test_positional_rows_distinct_and_of_equal_length():
    pe = positional_encoding(50, 64)
    assert np.allclose(np.linalg.norm(pe, axis=1), math.sqrt(32))  # sin² + cos² = 1 per pair
    d = np.linalg.norm(pe[:, None] - pe[None, :], axis=-1)
    assert d[~np.eye(50, dtype=bool)].min() > 1
    assert np.linalg.norm(positional_encoding(1, 512)) == pytest.approx(16)


def test_input_is_scaled_embedding_plus_position():
    ids = L.encode(L.SENTENCE)
    x = L.embed_with_position(ids)
    assert np.allclose(x, 2 * L.E[ids] + positional_encoding(6, 4))  # √4 = 2
    # the two "the" rows were equal before the positions were added, not after
    assert np.array_equal(L.E[ids][0], L.E[ids][4])
    assert not np.allclose(x[0], x[4])


def _self_attention(X):
    """softmax(X Xᵀ) X written out here, independent of helpers."""
    s = X @ X.T
    w = np.exp(s - s.max(axis=1, keepdims=True))
    w /= w.sum(axis=1, keepdims=True)
    return w @ X


def test_swapping_words_without_positions_only_swaps_outputs():
    swap = [0, 5, 2, 3, 4, 1]
    Y1 = _self_attention(embed(L.encode(L.SENTENCE), L.E))
    Y2 = _self_attention(embed(L.encode(L.SWAPPED), L.E))
    assert np.allclose(Y2[swap], Y1)
    assert np.allclose(Y1[0], Y1[4])  # the two "the"s


def test_swapping_words_with_positions_changes_outputs():
    swap = [0, 5, 2, 3, 4, 1]
    Y1 = _self_attention(L.embed_with_position(L.encode(L.SENTENCE)))
    Y2 = _self_attention(L.embed_with_position(L.encode(L.SWAPPED)))
    diff = np.abs(Y2[swap] - Y1).max(axis=1)
    assert diff.max() == pytest.approx(2.70, abs=0.01)
    assert (diff[[1, 3, 5]] > 1).all()  # cat, on, rug
    assert not np.allclose(Y1[0], Y1[4])


def test_lesson03_self_attention_agrees():
    from helpers.lesson03 import self_attention

    X = L.embed_with_position(L.encode(L.SENTENCE))
    assert np.allclose(self_attention(X)[0], _self_attention(X))


def test_embed_and_position_shapes_with_paper_sizes():
    rng = np.random.default_rng(0)
    E_big = rng.normal(0, 1 / math.sqrt(512), size=(100, 512))
    ids = np.array([3, 14, 15, 92, 65])
    x = L.embed_with_position(ids, E_big)
    assert x.shape == (5, 512)
    assert np.allclose(x, E_big[ids] * math.sqrt(512) + positional_encoding(5, 512))
    assert L.D_MODEL == 4


# ---------------------------------------------------------------- exercise checks

from check_harness import (  # noqa: E402
    BAD_FUNCTIONS,
    assert_correct,
    assert_diagnosed,
    assert_not_done,
    assert_survives,
    function_calls,
    garbage_calls,
)

from helpers.checks import lesson06 as check  # noqa: E402


def test_token_ids_check(capsys):
    # "the dog sat on the rug .": the=1, dog=5, sat=6, on=7, rug=8, "." is not in VOCAB: <unk> = 0
    assert_correct(check.token_ids([1, 5, 6, 7, 1, 8, 0]), capsys)
    assert_diagnosed(check.token_ids([2, 6, 7, 8, 2, 9, 1]), "counted from 1", capsys)
    assert_diagnosed(check.token_ids([0, 4, 5, 6, 0, 7, -1]), "left out <unk>", capsys)
    assert_diagnosed(check.token_ids([1, 5, 6, 7, 1, 8]), "left out the full stop", capsys)
    assert_diagnosed(check.token_ids([1, 5, 6, 7, 1, 8, 9]), "new id", capsys)
    assert_not_done(check.token_ids(...))
    assert_survives(check.token_ids, garbage_calls())


def test_embedding_of_dog_check(capsys):
    assert_correct(check.embedding_of_dog([2, 1, 1, 0]), capsys)  # row 5 of E
    assert_diagnosed(check.embedding_of_dog([2, 0, 1, 0]), "'cat'", capsys)
    assert_diagnosed(check.embedding_of_dog([0, 1, 0, 2]), "'sat'", capsys)
    assert_survives(check.embedding_of_dog, garbage_calls())


def test_pe_position_1_check(capsys):
    # sin 1 = 0.841, cos 1 = 0.540, sin 0.01 = 0.010, cos 0.01 = 1.000
    assert_correct(check.pe_position_1([0.84, 0.54, 0.01, 1.00]), capsys)
    assert_correct(check.pe_position_1([0.8415, 0.5403, 0.01, 1]), capsys)
    assert_diagnosed(check.pe_position_1([0.54, 0.84, 1.00, 0.01]), "swapped sin and cos", capsys)
    # 10000^(1/4) = 10: sin 0.1 = 0.10, cos 0.1 = 1.00
    assert_diagnosed(check.pe_position_1([0.84, 0.54, 0.10, 1.00]), "10000^(i/d_model)", capsys)
    assert_survives(check.pe_position_1, garbage_calls())


def test_pe_length_check(capsys):
    assert_correct(check.pe_length(16), capsys)  # √(512/2)
    assert_diagnosed(check.pe_length(256), "squared length", capsys)
    assert_diagnosed(check.pe_length(22.63), "√d_model", capsys)
    assert_survives(check.pe_length, garbage_calls())


def _pe_by_hand(n, d):
    out = np.zeros((n, d))
    for pos in range(n):
        for k in range(0, d, 2):
            out[pos, k] = math.sin(pos / 10000 ** (k / d))
            out[pos, k + 1] = math.cos(pos / 10000 ** (k / d))
    return out


def test_sinusoid_check(capsys):
    assert_correct(check.sinusoid(_pe_by_hand), capsys)

    def swapped(n, d):
        return _pe_by_hand(n, d)[:, [k ^ 1 for k in range(d)]]

    assert_diagnosed(check.sinusoid(swapped), "cosine on the even features", capsys)
    assert_diagnosed(check.sinusoid(lambda n, d: _pe_by_hand(n + 1, d)[1:]), "from 1", capsys)
    assert_not_done(check.sinusoid(...))
    assert_survives(check.sinusoid, function_calls(BAD_FUNCTIONS + [lambda n, d: np.full((n, d), np.nan)]))


def test_model_input_check(capsys):
    def by_hand(ids, E_):
        d = np.shape(E_)[1]
        return np.asarray(E_)[np.asarray(ids)] * math.sqrt(d) + _pe_by_hand(len(ids), d)

    assert_correct(check.model_input(by_hand), capsys)
    assert_diagnosed(check.model_input(lambda ids, E_: by_hand(ids, E_) - (math.sqrt(np.shape(E_)[1]) - 1)
                                       * np.asarray(E_)[np.asarray(ids)]), "√d_model", capsys)
    assert_diagnosed(check.model_input(lambda ids, E_: np.asarray(E_)[np.asarray(ids)] * math.sqrt(np.shape(E_)[1])),
                     "forgot to add the positional encoding", capsys)
    assert_survives(check.model_input, function_calls())
