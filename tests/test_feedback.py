"""Feedback a learner can trust (issue 13, part 2): every learner case of the issue, as a test.

Each test calls a lesson's check the way an exercise notebook does, with the function or the numbers
written as the learner wrote them, and asserts the diagnosis: the cause that is named (only when it
explains the answer and nothing else does), or that no wrong cause is named. The last tests check
every lesson check at once: its hint never holds its answer, and show=True reveals the answer and
records the exercise as revealed, never as correct.
"""

import inspect

import numpy as np
import pytest
from check_harness import assert_correct, assert_diagnosed

from helpers import causal_mask, encoder_layer, layer_norm, softmax
from helpers import lesson01 as L01
from helpers import lesson04 as L04
from helpers.checks import CORRECT, REVEALED, checks, states
from helpers.checks import lesson01 as ex01
from helpers.checks import lesson02 as ex02
from helpers.checks import lesson03 as ex03
from helpers.checks import lesson04 as ex04
from helpers.checks import lesson05 as ex05
from helpers.checks import lesson06 as ex06
from helpers.checks import lesson07 as ex07
from helpers.checks import lesson08 as ex08
from helpers.checks import lesson09 as ex09
from helpers.checks import lesson10 as ex10

LESSONS = [ex01, ex02, ex03, ex04, ex05, ex06, ex07, ex08, ex09, ex10]


def no_cause(result):
    """Incorrect, and no slip named ("It looks like you ..." starts every named slip)."""
    assert_diagnosed(result)
    assert "looks like you" not in result.message.lower(), result.message
    return result


# ---------------------------------------------------------------- coincidences that named a wrong cause


def test_softmax_without_keepdims_is_not_called_softmax_over_the_columns():
    # X Xᵀ is symmetric, so e / e.sum(axis=1) (no keepdims) gives exactly the softmax over axis 0:
    # the diagnosis names what is visible (the columns add up to 1) and keepdims, not one cause.
    def attention_weights(X):
        S = X @ X.T
        return np.exp(S) / np.exp(S).sum(axis=1)

    def self_attention(X):
        S = X @ X.T
        return np.exp(S) / np.exp(S).sum(axis=1) @ X

    for result in (ex03.attention_weights(attention_weights), ex03.self_attention(self_attention)):
        assert_diagnosed(result, ("columns of your weights add up to 1", "keepdims=True"))
        assert "softmax over the columns" not in result.message


def test_softmax_without_keepdims_is_named_where_the_scores_are_not_symmetric():
    # Q Kᵀ is not symmetric: there the missing keepdims is told apart from axis=0 (and numpy's
    # broadcast error on the non-square cases is the slip's own error).
    def attention(Q, K, V, mask=None):
        S = Q @ K.T / np.sqrt(Q.shape[-1])
        if mask is not None:
            S = np.where(mask, S, -np.inf)
        return np.exp(S) / np.exp(S).sum(axis=1) @ V

    def masked_softmax(scores):
        s = np.where(causal_mask(len(scores)), scores, -99)
        return np.exp(s) / np.exp(s).sum(axis=1)

    for result in (ex04.attention(attention), ex08.masked_softmax(masked_softmax)):
        assert_diagnosed(result, "without keepdims=True")
        assert "over the columns (axis=0)" not in result.message


def test_cosine_with_a_missing_bracket_is_not_called_the_dot_product():
    # |black| = |brown| in the first case, so a·b / |a| · |b| equals a·b there, and only there
    def cosine(a, b):
        return a @ b / np.linalg.norm(a) * np.linalg.norm(b)

    result = assert_diagnosed(ex02.cosine(cosine), "put the two lengths in brackets")
    assert "returned the dot product" not in result.message


def test_two_slips_with_the_same_value_name_no_cause():
    # Q[dog] · K[the] over all four columns: 27 + (-3) = 24, the same as head 1's dog · dog = 72 - 48
    assert "key of dog itself" not in no_cause(ex05.head1_score(24)).message
    # 4 · 8 · 64 · 64 = 4 · 64 · 512 = 131,072: "8 heads of 64 × 64" and "one head's 64 × 512"
    assert "64 × 512" not in no_cause(ex05.parameter_count(4 * 8 * 64 * 64)).message


def test_encoder_self_attention_shape_is_not_a_swap():
    # (6, 6): rows and columns both from the source, not (3, 6) swapped
    result = assert_diagnosed(ex04.cross_shape((6, 6)), "encoder's self-attention")
    assert "swapped" not in result.message


def test_decoder_self_attention_shape_is_not_a_swap_of_queries_and_keys():
    result = assert_diagnosed(ex10.cross_weights_shape((2, 3, 3)), "decoder's self-attention")
    assert "swapped queries and keys" not in result.message


def test_relu_in_the_rnn_step_is_not_forgetting_the_tanh():
    # on step 2 of the lesson every pre-activation may be positive, where ReLU = no squashing at all
    result = assert_diagnosed(ex09.rnn_step(lambda h, x, W_h, W_x, b: np.maximum(W_h @ h + W_x @ x + b, 0)),
                              "used a ReLU")
    assert "forgot the tanh" not in result.message


# ---------------------------------------------------------------- transposes and numpy's own errors


def test_transposed_square_scores_are_called_a_transpose():
    def attention_scores(X, W_q, W_k):
        Q, K = X @ W_q.T, X @ W_k.T
        return K @ Q.T / np.sqrt(Q.shape[-1])

    result = assert_diagnosed(ex04.attention_scores(attention_scores), "transpose")
    assert "cells are wrong" not in result.message


def test_transposed_S_on_the_fillable_sheet_is_called_a_transpose(capsys):
    words, X = L04.sentence(L04.CAT)
    S = (X @ L04.W_Q.T) @ (X @ L04.W_K.T).T  # (6, 6), not symmetric
    assert not np.array_equal(S, S.T)
    ex04.scores_sheet(S.T.astype(int).tolist())
    out = capsys.readouterr().out
    assert "transpose" in out and "❌" in out, out
    assert "⬜" not in out and "wrong shape" not in out, out  # one line of feedback, not ❌ then ⬜


def test_A_times_X_names_the_order_before_numpys_message():
    # (5, 5) @ (3, 5) cannot be multiplied: the slip raises numpy's error too, and only that slip
    result = assert_diagnosed(ex01.attention_weighting(lambda X, A: A @ X), ("computed A·X", "numpy said"))
    assert result.message.index("computed A·X") < result.message.index("numpy said")


def test_bias_added_as_a_row_names_the_column_bias_slip():
    # (4, 5) + (4,) does not broadcast: the slip W @ Z + b raises the same error
    assert_diagnosed(ex01.ffn_layer(lambda Z, W, b: W @ Z + b), ("added b as a row", "b[:, None]", "numpy said"))


def test_numpys_error_without_a_matching_slip_is_still_shown():
    no_cause(assert_diagnosed(ex01.ffn_layer(lambda Z, W, b: Z @ W + b), "ValueError"))  # no slip raises this


def test_X_dot_T_in_a_batch_names_the_transpose_slip():
    assert_diagnosed(ex03.batched(lambda X: softmax(X @ X.T, axis=-1) @ X), "used X.T")


# ---------------------------------------------------------------- the course's own forms


def test_boolean_causal_mask_is_accepted():
    assert_correct(ex04.causal(causal_mask(4)))
    assert_correct(ex04.causal(np.tril(np.ones((4, 4), bool))))
    assert_diagnosed(ex04.causal(causal_mask(4).T), "above the diagonal")


def test_minus_infinity_is_accepted_where_the_lesson_uses_it():
    S = ex08.EX_SCORES
    keep = causal_mask(3)
    assert_correct(ex08.masked_scores(np.where(keep, S, -np.inf)))
    assert_correct(ex08.masked_scores(np.where(keep, S, -99)))
    mixed = np.where(keep, S, -99.0)
    mixed[0, 2] = -np.inf
    assert_correct(ex08.masked_scores(mixed))
    assert_diagnosed(ex08.masked_scores(np.where(keep.T, S, -np.inf)), "masked the past")
    assert_diagnosed(ex08.masked_scores(np.where(keep, S, np.inf)))  # +∞ is not a mask


def test_text_is_never_a_number():
    for text in ("16", "16.0", " 16 "):
        result = ex06.pe_length(text)
        assert result.state != CORRECT, (text, result.message)
    assert ex06.pe_position_1(["0.84", "0.54", "0.01", "1.00"]).state != CORRECT
    assert ex07.normalised_row(["-1", "-0.33", "-0.33", "1.67"]).state != CORRECT
    assert ex09.first_step_of_dog(["3", "2", "0"]).state != CORRECT


@pytest.mark.parametrize("check, args", [
    (ex02.cosine_by_hand, (-4, -0.5)),             # -0.5164 to 1 decimal
    (ex02.one_hot_vectors, (0, 1.4)),              # √2 = 1.414
    (ex03.softmax_row, ([0.7, 0.2, 0.1],)),        # 0.665, 0.245, 0.090
    (ex03.output_t2, ([1.6, 0.8],)),               # 1.575, 0.755
    (ex06.pe_position_1, ([0.8, 0.5, 0.0, 1.0],)),  # sin 1, cos 1, sin 0.01, cos 0.01
    (ex07.normalised_row, ([-1.0, -0.3, -0.3, 1.7],)),  # -1, -1/3, -1/3, 5/3
], ids=["cosine", "one-hot distance", "softmax row", "output of t2", "PE(1)", "normalised row"])
def test_one_decimal_where_two_are_asked_says_round_to_2_decimals(check, args):
    assert_diagnosed(check(*args), "ound to 2 decimals (you gave 1)")


# ---------------------------------------------------------------- ε in layer norm


def _layer_norm_without_eps(x, gamma, beta, eps=1e-5):
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var) * gamma + beta


def test_layer_norm_without_eps_is_diagnosed_by_name():
    def eps_outside(x, gamma, beta, eps=1e-5):
        return (x - x.mean(axis=-1, keepdims=True)) / (x.std(axis=-1, keepdims=True) + eps) * gamma + beta

    assert_diagnosed(ex07.layer_norm(_layer_norm_without_eps), ("left out ε", "√(variance + eps)"))
    assert_diagnosed(ex07.layer_norm(eps_outside), "outside the square root")


def test_layer_norm_with_eps_passes_a_row_of_equal_numbers():
    def by_the_book(x, gamma, beta, eps=1e-5):
        mean = x.mean(axis=-1, keepdims=True)
        var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
        return (x - mean) / np.sqrt(var + eps) * gamma + beta

    assert_correct(ex07.layer_norm(by_the_book))
    assert_correct(ex07.add_and_norm(lambda x, s, g, b: layer_norm(x + s, g, b)))
    assert_diagnosed(ex07.add_and_norm(lambda x, s, g, b: _layer_norm_without_eps(x + s, g, b)), "without ε")


# ---------------------------------------------------------------- a slip still uniquely confirmed is named


def test_unique_slips_are_still_named():
    assert_diagnosed(ex03.attention_weights(lambda X: X @ X.T), "forgot the softmax")
    assert_diagnosed(ex02.cosine(lambda a, b: a @ b), "returned the dot product")
    assert_diagnosed(ex05.head1_score(-3), "head 2")
    assert_diagnosed(ex05.parameter_count(3 * 512 * 512), "left out W_O")
    assert_diagnosed(ex04.cross_shape((6, 3)), "swapped")
    assert_diagnosed(ex10.cross_weights_shape((2, 6, 3)), "swapped queries and keys")
    assert_diagnosed(ex09.rnn_step(lambda h, x, W_h, W_x, b: W_h @ h + W_x @ x + b), "forgot the tanh")
    assert_diagnosed(ex07.layer_norm(lambda x, g, b, eps=1e-5: layer_norm(x, np.ones(x.shape[-1]),
                                                                          np.zeros(x.shape[-1]))), "γ and β")
    assert_diagnosed(ex10.encoder_stack(lambda x, layers, h, final_norm=None: encoder_layer(x, layers[0], h)))


# ---------------------------------------------------------------- graduated hints, every lesson


def _blank(check):
    """The arguments an untouched exercise notebook gives check: `...` for every answer."""
    return [...] * sum(p.default is inspect.Parameter.empty for p in inspect.signature(check).parameters.values())


def _recorded(monkeypatch, module):
    """Run every check of `module` with blank answers, recording the keywords it gives the engine."""
    seen = {}
    for engine in ("check_value", "check_close", "check_function", "fillable_sheet"):
        if hasattr(module, engine):
            def record(*args, _engine=engine, **kwargs):
                seen[str(args[0])] = (_engine, kwargs)
                return None
            monkeypatch.setattr(module, engine, record)
    for check in checks(module.__name__):
        check(*_blank(check))
    return seen


def _pieces(answer):
    """The parts of an answer a hint must not give away: each statement of code, each worked sum."""
    for part in answer.replace("\n", ";").split(";"):
        part = part.split("#")[0].strip().rstrip(".")
        if len(part) >= 8:
            yield part


@pytest.mark.parametrize("module", LESSONS, ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_every_hint_names_the_idea_and_holds_back_the_answer(monkeypatch, module):
    seen = _recorded(monkeypatch, module)
    assert set(seen) == set(module.EXERCISES)  # every exercise went through the engine once
    for title, (engine, kwargs) in seen.items():
        answer = kwargs.get("answer")
        if engine == "fillable_sheet" and answer is None:
            answer = ""  # the sheet's answer is the line of code with the right matrix (the engine's default)
        else:
            assert isinstance(answer, str) and answer.strip(), (title, "no answer=")
        hint = kwargs.get("hint")
        assert isinstance(hint, str) and len(hint) > 20, (title, "no hint=")
        assert "return " not in hint and "one line" not in hint, (title, hint)
        for piece in _pieces(answer):
            assert piece not in hint, (title, piece, hint)


def test_the_hints_the_issue_quoted_are_answers_now(monkeypatch):
    quoted = {"attention_weighting": "return X @ A", "add_and_norm": "return layer_norm(x + sublayer_out, gamma, beta)",
              "greedy_decode": "ids.append(nxt)", "A column of H": "1·11 + 0·1 + (-1)·1 + 1 = 11"}
    for module in LESSONS:
        for title, (_, kwargs) in _recorded(monkeypatch, module).items():
            assert not any(text in (kwargs.get("hint") or "") for text in quoted.values()), title
            if title in quoted:
                assert quoted[title] in kwargs["answer"], title
    answers = {t: k.get("answer") for t, (_, k) in _recorded(monkeypatch, ex01).items()}
    assert answers["A cell of Y"].endswith(f"= {L01.Y[2, 2]}")  # taken from the lesson's data
    assert str(L01.H[:, 0].tolist()) in answers["A column of H"]


# ---------------------------------------------------------------- show=True: revealed, never correct


@pytest.mark.parametrize("module", LESSONS, ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_show_reveals_the_answer_and_records_revealed(module, capsys):
    module.start()
    for check in checks(module.__name__):
        result = check(*_blank(check), show=True)
        out = capsys.readouterr().out
        assert result.state == REVEALED, (check.title, result.state, out)
        assert "Answer:" in out, (check.title, out)
    assert set(states().values()) == {REVEALED}


@pytest.mark.parametrize("sheet", [ex01.z_sheet, ex03.sentence_sheet, ex04.scores_sheet],
                         ids=["ex01", "ex03", "ex04"])
def test_the_reveal_button_counts_as_revealed(sheet):
    w = sheet()
    for i, j in list(w.boxes)[1:]:
        w.reveal(i, j)  # the reveal button, box by box ...
    i, j = next(iter(w.boxes))
    w.type(i, j, str(int(w.expected[i, j])))  # ... and the last box typed by hand
    assert w.state == REVEALED
    assert states()[sheet.title] == REVEALED


def test_a_right_answer_shown_is_revealed_not_correct(capsys):
    for result in (ex01.z_cells(11, 3, 1, show=True), ex01.attention_weighting(lambda X, A: X @ A, show=True)):
        assert result.state == REVEALED and not result
    ex01.z_sheet(L01.Z.tolist(), show=True)  # the sheet returns its widget; its state is recorded
    assert states()[ex01.z_sheet.title] == REVEALED
    out = capsys.readouterr().out
    assert out.count("Answer:") == 3 and f"Z_typed = {L01.Z.tolist()}" in out


def test_a_wrong_answer_ends_with_how_to_see_the_answer_and_not_the_answer():
    result = ex01.h_column([10, 2, 0, 1])
    assert_diagnosed(result, "left out the bias b1")
    assert result.message.rstrip().endswith("(it then counts as revealed).")
    assert "Answer:" not in result.message and "= 11" not in result.message

