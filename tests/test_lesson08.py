"""Lesson 08: the hand-made translator and the numbers the lesson claims."""

import math
from dataclasses import replace

import numpy as np
import pytest

from helpers import causal_mask, scaled_dot_product_attention, softmax
from helpers import lesson08 as L
from helpers.checks import lesson08 as check


def _without(name):
    return replace(L.WEIGHTS, **{name: np.zeros_like(getattr(L.WEIGHTS, name))})


# ---------------------------------------------------------------- the translations


def test_translates_the_ball_is_blue():
    assert L.translate("the ball is blue") == "la bola es azul"


@pytest.mark.parametrize("english, spanish", [
    ("the car is red", "el coche es rojo"),      # article and adjective agree with a masculine noun
    ("the ball is red", "la bola es roja"),      # ... and with a feminine one
    ("the car is blue", "el coche es azul"),     # "azul" has one form
    ("The Ball Is Blue", "la bola es azul"),     # case does not matter
])
def test_other_sentences(english, spanish):
    assert L.translate(english) == spanish


def test_alignment_follows_the_source_order():
    # Shuffling the English shuffles the Spanish the same way: word t comes from source position t.
    assert L.translate("is the ball blue") == "es la bola azul"
    assert L.translate("blue is the ball") == "azul es la bola"


def test_one_tokenizer_lesson08_uses_lesson06s():
    import inspect

    from helpers import lesson06

    assert L.tokenize is lesson06.tokenize and L.mark_unknown is lesson06.mark_unknown
    for sentence in ["the ball is blue", "The Ball, is BLUE.", "the green car!", "is the car blue?"]:
        assert L.split(sentence) == lesson06.mark_unknown(lesson06.tokenize(sentence), L.SRC_VOCAB) + ["</s>"]
    source = inspect.getsource(L)
    assert ".lower()" not in source and ".split()" not in source  # no second tokenizer in lesson 08


def test_unknown_word_becomes_unk_and_the_translator_says_so():
    assert L.SRC_VOCAB[0] == "<unk>"
    assert L.split("the dog is blue") == ["the", "<unk>", "is", "blue", "</s>"]
    assert L.unknown_words("the dog is a blue dog") == ["dog", "a"]
    said = L.translate("the dog is blue")  # says so, never raises
    assert said.startswith("Not translated: I do not know 'dog'.")
    for word in ("the", "ball", "car", "is", "blue", "red", "."):
        assert repr(word) in said.split("I know only")[1]
    assert "<unk>" not in said and "</s>" not in said


def test_punctuation_is_a_token_and_is_translated():
    assert L.split("The ball is blue.") == ["the", "ball", "is", "blue", ".", "</s>"]
    assert L.translate("The ball is blue.") == "la bola es azul."
    assert L.translate("the car is red.") == "el coche es rojo."
    assert L.join(["la", "bola", ",", "es", "azul", "."]) == "la bola, es azul."


def test_word_by_word_keeps_the_english_order():
    # the lesson's limitation, shown with the real output: "el coche rojo" would be right
    assert L.translate("the red car") == "la roja coche"


def test_positions_are_not_labelled_p():
    # P means features across the suite; positions are pos0 .. pos8
    assert L.POSITIONS == tuple(f"pos{i}" for i in range(L.MAX_LEN))
    assert not any(label.startswith("P") for label in L.SRC_FEATURES + L.TGT_FEATURES + L.OUT_FEATURES)
    assert L.source_features(L.split("the car is red")).shape == (5, len(L.SRC_VOCAB) + L.MAX_LEN) == (5, 18)
    assert L.target_features(["<s>", "el"]).shape == (2, 20) and L.WEIGHTS.W_out.shape == (11, 13)


def test_greedy_steps_feed_back_their_own_output():
    steps = L.translate_steps("the ball is blue")
    assert [s for s, _ in steps] == [
        ["<s>"], ["<s>", "la"], ["<s>", "la", "bola"], ["<s>", "la", "bola", "es"],
        ["<s>", "la", "bola", "es", "azul"],
    ]
    for _, p in steps:
        assert p.shape == (len(L.TGT_VOCAB),)
        assert math.isclose(p.sum(), 1.0)
    assert L.TGT_VOCAB[int(np.argmax(steps[-1][1]))] == "</s>"


# ---------------------------------------------------------------- every part has a job


def test_without_cross_attention_it_cannot_translate():
    broken = L.translate("the ball is blue", _without("W_v_same"))
    assert broken != "la bola es azul"
    assert "bola" not in broken and "azul" not in broken


def test_without_self_attention_agreement_breaks():
    assert L.translate("the car is red", _without("W_v_self")) == "el coche es roja"


def test_without_the_next_head_the_article_breaks():
    assert L.translate("the car is red", _without("W_v_next")) == "la coche es rojo"


def test_the_mask_hides_the_future():
    run = L.decode(["<s>", "el", "coche", "es", "rojo"], L.split("the car is red"))
    W = run["self_weights"]
    assert np.all(W[~causal_mask(5)] == 0)
    assert W[0, 0] == 1.0                       # <s> sees only itself
    np.testing.assert_allclose(W[1, :2], [0.5, 0.5])   # "el": two tokens, no noun
    unmasked = L.decode(["<s>", "el", "coche", "es", "rojo"], L.split("the car is red"), masked=False)
    assert unmasked["self_weights"][0, 2] > 0.99   # without the mask <s> would read "coche"


def test_parallel_run_with_mask_equals_greedy_steps():
    # Teacher forcing (all positions at once, with the mask) predicts what greedy decoding wrote.
    steps = L.translate_steps("the car is red")
    final_tokens = steps[-1][0]
    run = L.decode(final_tokens, L.split("the car is red"))
    for t, (_, p) in enumerate(steps):
        np.testing.assert_allclose(run["probs"][t], p, atol=1e-12)


# ---------------------------------------------------------------- the numbers in the lesson


def test_minus_99_is_practically_zero():
    assert 1.0e-43 < math.exp(-99) < 1.02e-43
    # masking with -99 (the sheets) and with -inf (the kernel) agree to 1e-40
    scores = np.array([[0.0, 0, 10, 0]] * 4)
    by_hand = softmax(np.where(causal_mask(4), scores, -99))
    q = np.full((4, 1), 10.0)
    k = np.array([[0.0], [0], [1], [0]])
    _, kernel = scaled_dot_product_attention(q, k, np.eye(4), mask=causal_mask(4))
    np.testing.assert_allclose(by_hand, kernel, rtol=0, atol=1e-40)
    # row 2 by hand: e^10 / (1 + 1 + e^10)
    assert math.isclose(kernel[2, 2], math.exp(10) / (2 + math.exp(10)))


def test_self_attention_scores_by_hand():
    Y = L.target_features(["<s>", "el", "coche", "es"])
    w = L.WEIGHTS
    q = Y @ w.W_q_self.T + w.b_q_self
    k = Y @ w.W_k_self.T
    assert q.ravel().tolist() == [10, 10, 10, 10]   # every position asks "where is a noun?"
    assert k.ravel().tolist() == [0, 0, 1, 0]       # only "coche" answers


def test_cross_attention_scores_by_hand():
    w = L.WEIGHTS
    Y = L.target_features(["<s>", "el", "coche", "es", "rojo"])
    M = L.source_features(L.split("the car is red"))
    S = (Y @ w.W_q_same.T) @ (M @ w.W_k_same.T).T
    np.testing.assert_array_equal(S, 30 * np.eye(5))  # 30 where target position = source position
    S_next = (Y @ w.W_q_next.T) @ (M @ w.W_k_next.T).T
    np.testing.assert_array_equal(S_next, 30 * np.eye(5, k=1))
    run = L.decode(["<s>", "el", "coche", "es", "rojo"], L.split("the car is red"))
    # 30 / sqrt(9) = 10; e^10 / (e^10 + 4) = 0.99982
    np.testing.assert_allclose(np.diag(run["same_weights"]), math.exp(10) / (math.exp(10) + 4))
    np.testing.assert_allclose(run["next_weights"][4], [0.2] * 5)  # no position 5: uniform


def test_output_logit_el_by_hand():
    run = L.decode(["<s>"], L.split("the car is red"))
    el = L.TGT_VOCAB.index("el")
    la = L.TGT_VOCAB.index("la")
    a = math.exp(10) / (math.exp(10) + 4)   # weight of the matching source word
    # el = 4 * a (it is "the") + 2 * a ("car" is masculine); la = 4 * a + bias 1
    assert math.isclose(run["logits"][0, el], 4 * a + 2 * a)
    assert math.isclose(run["logits"][0, la], 4 * a + 1)
    assert run["probs"][0].argmax() == el


def test_probabilities_sum_to_one():
    run = L.decode(["<s>", "la", "bola", "es", "azul"], L.split("the ball is blue"))
    np.testing.assert_allclose(run["probs"].sum(axis=1), 1.0)
    assert [L.TGT_VOCAB[i] for i in run["probs"].argmax(axis=1)] == ["la", "bola", "es", "azul", "</s>"]


# ---------------------------------------------------------------- exercise checks (exercises/08)

from check_harness import (  # noqa: E402
    BAD_RETURNS,
    INCORRECT,
    assert_correct,
    assert_diagnosed,
    assert_not_done,
    assert_survives,
    function_calls,
    garbage_calls,
    not_done_stub,
)

from helpers import linear  # noqa: E402


def _fresh():
    check.start()


def test_masked_scores_check(capsys):
    _fresh()
    # by hand: row 1 keeps column 1, row 2 keeps columns 1-2, row 3 keeps all
    assert_correct(check.masked_scores([[2, -99, -99], [3, 3, -99], [0, 1, 1]]))
    assert_diagnosed(check.masked_scores([[2, 1, 4], [-99, 3, 5], [-99, -99, 1]]), "masked the past")
    assert_diagnosed(check.masked_scores([[2, 0, 0], [3, 3, 0], [0, 1, 1]]), "wrote 0")
    assert_diagnosed(check.masked_scores([[-99, -99, -99], [3, -99, -99], [0, 1, -99]]), "diagonal too")
    assert_not_done(check.masked_scores(...))
    assert_survives(check.masked_scores, garbage_calls())


def test_masked_weights_check():
    _fresh()
    assert_correct(check.masked_weights([1, 0, 0], [0.5, 0.5, 0]))
    assert_diagnosed(check.masked_weights([1 / 3] * 3, [1 / 3] * 3), "share too")
    unmasked = softmax(np.array([[2, 1, 4], [3, 3, 5]], dtype=float))
    assert_diagnosed(check.masked_weights(list(unmasked[0]), list(unmasked[1])), "forgot the mask")
    assert_not_done(check.masked_weights(..., ...))
    assert_survives(check.masked_weights, garbage_calls(2))


def test_cross_scores_check():
    _fresh()
    # Q = [[1, 0], [0, 2]], K = [[1, 1], [2, 0], [0, 3]]: S[1, 2] = 0·0 + 2·3 = 6
    assert_correct(check.cross_scores([[1, 2, 0], [2, 0, 6]]))
    assert_diagnosed(check.cross_scores([[1, 2], [2, 0], [0, 6]]), "transpose")
    assert_diagnosed(check.cross_scores([[1, -99, -99], [2, 0, -99]]), "causal mask")
    assert_survives(check.cross_scores, garbage_calls())


def test_logits_pick_check():
    _fresh()
    # W = [[2, 0], [0, 3], [1, 1]], x = [2, 1], b = [0, 1, 2]: logits 4, 4, 5; argmax 2
    assert_correct(check.logits_pick(4, 4, 5, 2))
    assert_diagnosed(check.logits_pick(4, 3, 3, 0), "bias")
    assert_diagnosed(check.logits_pick(4, 4, 5, 0), "smallest")
    assert_not_done(check.logits_pick(..., ..., ..., ...))
    assert_survives(check.logits_pick, garbage_calls(4))


def _masked_softmax(s):
    return softmax(np.where(causal_mask(len(s)), s, -99))


def test_masked_softmax_check():
    _fresh()
    assert_correct(check.masked_softmax(_masked_softmax))
    assert_diagnosed(check.masked_softmax(lambda s: softmax(s)), "forgot the mask")
    assert_diagnosed(check.masked_softmax(lambda s: softmax(np.where(causal_mask(len(s)), s, -99), axis=0)),
                     "over the columns")
    assert_not_done(check.masked_softmax(not_done_stub))
    assert_not_done(check.masked_softmax(...))
    assert_survives(check.masked_softmax, function_calls(BAD_RETURNS + ["abc", 3]), allowed=(INCORRECT,))


def _cross_attention(y, memory, W_q, W_k, W_v):
    return scaled_dot_product_attention(linear(y, W_q), linear(memory, W_k), linear(memory, W_v))[0]


def test_cross_attention_check():
    _fresh()
    assert_correct(check.cross_attention(_cross_attention))
    r = check.cross_attention(lambda y, m, a, b, c: scaled_dot_product_attention(
        linear(y, a), linear(m, b), linear(m, c), scale=1.0)[0])
    assert r.state == "incorrect" and "√d_k" in r.message
    assert_diagnosed(check.cross_attention(lambda y, m, a, b, c: _cross_attention(m, y, a, b, c)),
                     "queries from the memory")
    assert_not_done(check.cross_attention(not_done_stub))
    assert_survives(check.cross_attention, function_calls())


def _greedy(step, start_id, end_id, max_len):
    ids = [start_id]
    while len(ids) < max_len:
        nxt = int(np.argmax(step(ids)))
        ids.append(nxt)
        if nxt == end_id:
            break
    return ids


def test_greedy_decode_check():
    _fresh()
    assert_correct(check.greedy_decode(_greedy))
    assert_diagnosed(check.greedy_decode(lambda *a: _greedy(*a)[:-1]), "end token")
    assert_diagnosed(check.greedy_decode(lambda *a: _greedy(*a)[1:]), "start token")

    def forever(step, start_id, end_id, max_len):  # ignores max_len: the check stops it
        ids = [start_id]
        while ids[-1] != end_id:
            ids.append(int(np.argmax(step(ids))))
        return ids

    assert_diagnosed(check.greedy_decode(forever), "max_len")
    assert_not_done(check.greedy_decode(not_done_stub))
    assert_survives(check.greedy_decode, function_calls())


def test_greedy_decode_on_the_translator():
    words = L.split("the ball is blue")
    ids = L.greedy_decode(lambda ids: L.decode([L.TGT_VOCAB[i] for i in ids], words)["probs"][-1],
                          0, 1, L.MAX_LEN)
    assert [L.TGT_VOCAB[i] for i in ids] == ["<s>", "la", "bola", "es", "azul", "</s>"]


def test_progress_lists_all_seven(capsys):
    _fresh()
    check.progress()
    out = capsys.readouterr().out
    assert "0 of 7 correct" in out
    for name in check.EXERCISES:
        assert name in out
