"""Lesson 04 (queries, keys and values): the numbers the lesson shows, checked by hand.

Expected values are worked out in the comments from the tables in helpers/lesson04.py,
or are properties, or come from PyTorch with the same Q, K, V.
"""

import math
import re
from pathlib import Path

import numpy as np
import pytest

from helpers import causal_mask, linear, scaled_dot_product_attention, softmax
from helpers import lesson04 as L
from helpers.checks import lesson04 as check


def qkv(text, W_q=L.W_Q, W_k=L.W_K, W_v=L.W_V):
    words, X = L.sentence(text)
    return words, X, linear(X, W_q), linear(X, W_k), linear(X, W_v)


def test_shapes_follow_d_out_d_in():
    assert L.W_Q.shape == L.W_K.shape == L.W_V.shape == (4, 5)  # (d_k, d_model)
    words, X, Q, K, V = qkv(L.BALL)
    assert words == ["The", "ball", "is", "blue"]
    assert X.shape == (4, 5) and Q.shape == K.shape == V.shape == (4, 4)


def test_embeddings_share_no_feature_for_blue_and_ball():
    # blue = (0,0,0,1,0), ball = (0,1,0,0,0): 0·0 + 0·1 + 0·0 + 1·0 + 0·0 = 0
    assert np.dot(L.EMBEDDINGS["blue"], L.EMBEDDINGS["ball"]) == 0


def test_query_of_blue_by_hand():
    # blue has only the colour feature, so its query is W_Q's colour column: (4, 0, 0, 0)
    _, _, Q, _, _ = qkv(L.BALL)
    np.testing.assert_array_equal(Q[3], [4, 0, 0, 0])


def test_key_drops_the_article():
    # "The" = (1,0,0,0,0); W_K has zeros in the article column, so its key is 0
    _, _, _, K, _ = qkv(L.BALL)
    np.testing.assert_array_equal(K[0], [0, 0, 0, 0])
    np.testing.assert_array_equal(K[1], [1, 0, 0, 0])  # ball offers a thing


def test_score_matrix_of_the_ball_is_blue():
    _, _, Q, K, _ = qkv(L.BALL)
    # queries: The (1,0,0,0)  ball (0,2,0,0)  is (1,-2,0,0)  blue (4,0,0,0)
    # keys:    The (0,0,0,0)  ball (1,0,0,0)  is (0,1,0,0)  blue (0,0,1,0)
    expected = [
        [0, 1, 0, 0],
        [0, 0, 2, 0],
        [0, 1, -2, 0],
        [0, 4, 0, 0],   # blue · ball = 4·1 = 4
    ]
    np.testing.assert_array_equal(Q @ K.T, expected)


def test_row_of_blue_with_and_without_scaling():
    words, _, Q, K, V = qkv(L.BALL)
    _, weights = scaled_dot_product_attention(Q, K, V)
    # scores (0, 4, 0, 0) / sqrt(4) = (0, 2, 0, 0): ball gets e²/(e² + 3)
    e2 = math.exp(2)
    np.testing.assert_allclose(weights[3], [1 / (e2 + 3), e2 / (e2 + 3), 1 / (e2 + 3), 1 / (e2 + 3)])
    assert round(e2 / (e2 + 3), 2) == 0.71
    # unscaled: e⁴/(e⁴ + 3) = 0.95
    raw = softmax((Q @ K.T)[3])
    assert round(raw[1], 2) == round(math.exp(4) / (math.exp(4) + 3), 2) == 0.95


def test_weights_rows_sum_to_one_and_output_is_a_mix_of_values():
    _, _, Q, K, V = qkv(L.CAT)
    out, weights = scaled_dot_product_attention(Q, K, V)
    np.testing.assert_allclose(weights.sum(axis=-1), 1)
    for i in range(len(V)):
        mix = sum(weights[i, j] * V[j] for j in range(len(V)))
        np.testing.assert_allclose(out[i], mix)


def test_kernel_matches_the_formula_written_out():
    _, _, Q, K, V = qkv(L.CAT)
    S = Q @ K.T / 2.0  # sqrt(d_k) = sqrt(4) = 2
    e = np.exp(S - S.max(axis=1, keepdims=True))
    W = e / e.sum(axis=1, keepdims=True)
    out, weights = scaled_dot_product_attention(Q, K, V)
    np.testing.assert_allclose(weights, W)
    np.testing.assert_allclose(out, W @ V)


def test_milk_scores_high_with_drank_lower_with_cat_zero_with_black():
    words, _, Q, K, V = qkv(L.CAT)
    milk, drank, cat, black = 5, 3, 2, 1
    assert [words[i] for i in (milk, drank, cat, black)] == ["milk", "drank", "cat", "black"]
    S = Q @ K.T
    # q_milk = thing column + drink column of W_Q = (0,2,0,0) + (2,4,0,0) = (2,6,0,0)
    np.testing.assert_array_equal(Q[milk], [2, 6, 0, 0])
    assert S[milk, drank] == 2 * 0 + 6 * 1 + 0 * 0 + 0 * 1 == 6
    assert S[milk, cat] == 2 * 1 == 2
    assert S[milk, black] == 0
    _, weights = scaled_dot_product_attention(Q, K, V)
    w = weights[milk]
    assert w[drank] > w[cat] > w[black]
    # scaled scores (0, 0, 1, 3, 0, 1): drank gets e³ / (e³ + 2e + 3)
    e = math.e
    assert w[drank] == pytest.approx(e**3 / (e**3 + 2 * e + 3))
    assert round(w[drank], 2) == 0.70 and round(w[cat], 2) == 0.10 and round(w[black], 2) == 0.04


def test_causal_mask_on_la_bola_es_azul():
    _, _, Q, K, V = qkv(L.BOLA)
    mask = causal_mask(4)
    _, weights = scaled_dot_product_attention(Q, K, V, mask=mask)
    assert np.all(weights[~mask] == 0)
    np.testing.assert_allclose(weights.sum(axis=-1), 1)
    np.testing.assert_array_equal(weights[0], [1, 0, 0, 0])
    # bola: scores with (la, bola) are (0, 0) -> (1/2, 1/2)
    np.testing.assert_allclose(weights[1], [0.5, 0.5, 0, 0])


def test_cross_attention_matches_each_word_with_its_translation():
    words_es, X_es = L.sentence(L.BOLA)
    words_en, X_en = L.sentence(L.BALL)
    Q = linear(X_es, L.W_Q_CROSS)
    K = linear(X_en, L.W_K_CROSS)
    V = linear(X_en, L.W_V_CROSS)
    out, weights = scaled_dot_product_attention(Q, K, V)
    # the 4 words have distinct one-hot features among the 4 kept: score 2·2 = 4 on the diagonal, 0 elsewhere
    np.testing.assert_array_equal(Q @ K.T, 4 * np.eye(4))
    e2 = math.exp(2)
    np.testing.assert_allclose(np.diag(weights), e2 / (e2 + 3))
    assert weights.shape == (len(words_es), len(words_en))
    assert out.shape == (4, 4)
    # V = the four kept features, so azul's output is (1, 1, 1, e²) / (e² + 3): colour 0.71, the rest 0.10
    np.testing.assert_allclose(out[3], np.array([1, 1, 1, e2]) / (e2 + 3))
    assert [round(v, 2) for v in out[3]] == [0.10, 0.10, 0.10, 0.71]


def test_cross_attention_has_its_own_three_weight_matrices():
    # the paper gives every attention block its own W^Q, W^K, W^V: so does the lesson's cross-attention
    for W in (L.W_Q_CROSS, L.W_K_CROSS, L.W_V_CROSS):
        assert W.shape == (4, 5)  # (d_k, d_model)
    assert not np.array_equal(L.W_V_CROSS, L.W_V) and not np.array_equal(L.W_Q_CROSS, L.W_Q)
    # "keep four of the features (article, thing, action, colour), doubled, and drop drink"
    kept = [L.FEATURES.index(f) for f in L.CROSS_FEATURES]
    np.testing.assert_array_equal(L.W_Q_CROSS[:, kept], 2 * np.eye(4))
    np.testing.assert_array_equal(L.W_V_CROSS[:, kept], np.eye(4))  # "not doubled"
    assert not L.W_Q_CROSS[:, L.FEATURES.index("drink")].any()


def test_scaling_experiment_std_grows_like_sqrt_dk():
    exp = L.scaling_experiment()
    np.testing.assert_allclose(exp["std"], np.sqrt(exp["d_k"]), rtol=0.1)
    i64 = list(exp["d_k"]).index(64)
    assert round(exp["std"][i64]) == 8


def test_scaling_experiment_softmax_saturates_without_the_scale():
    exp = L.scaling_experiment()
    assert exp["max_raw"][-1] > 0.9
    assert np.all(np.diff(exp["max_raw"]) > 0)  # grows with d_k
    assert np.all((exp["max_scaled"] > 0.2) & (exp["max_scaled"] < 0.4))  # stays put


def test_scaling_experiment_is_deterministic():
    a, b = L.scaling_experiment(dims=(4, 64)), L.scaling_experiment(dims=(4, 64))
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])


@pytest.mark.reference
@pytest.mark.parametrize("text", [L.BALL, L.CAT, L.BOLA])
def test_matches_pytorch(text):
    torch = pytest.importorskip("torch")
    _, _, Q, K, V = qkv(text)
    n = len(Q)
    mask = causal_mask(n)
    for m in (None, mask):
        ours, _ = scaled_dot_product_attention(Q, K, V, mask=m)
        theirs = torch.nn.functional.scaled_dot_product_attention(
            torch.tensor(Q), torch.tensor(K), torch.tensor(V),
            attn_mask=None if m is None else torch.tensor(m),
        )
        np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-6, atol=1e-9)


# ------------------------------------------------------------------ exercise checks (exercises/04)

from check_harness import assert_diagnosed, hand_and_code_tests  # noqa: E402


def _attention_solution(Q, K, V, mask=None):
    # written out here, not taken from helpers: softmax(QKᵀ/√d_k) with -inf where masked
    s = np.asarray(Q) @ np.asarray(K).T / np.sqrt(np.asarray(Q).shape[-1])
    if mask is not None:
        s = np.where(mask, s, -np.inf)
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True) @ np.asarray(V)


def _scores_solution(X, W_q, W_k):
    Q, K = X @ W_q.T, X @ W_k.T
    return Q @ K.T / np.sqrt(Q.shape[-1])


# by-hand answers, worked out from helpers/lesson04.py's tables:
# drank = action + drink, so q_drank = W_Q[:, action] + W_Q[:, drink] = (1,-2,0,0) + (2,4,0,0) = (3,2,0,0)
# keys: The 0, black (0,0,1,0), cat (1,0,0,0), drank (0,1,0,1), the 0, milk (1,0,0,1)
# row of drank: (0, 0, 3·1, 2·1, 0, 3·1) = (0, 0, 3, 2, 0, 3)
HAND = {
    "query_of_drank": ([3, 2, 0, 0],),
    "drank_scores": ([0, 0, 3, 2, 0, 3],),
    "spread_and_scale": (4, 8),  # √16, √64
    "causal": ([[1, 0, 0, 0], [1, 1, 0, 0], [1, 1, 1, 0], [1, 1, 1, 1]],),
    "cross_shape": ((3, 6),),  # (n_q, n_k)
}
CODE = {"attention_scores": _scores_solution, "attention": _attention_solution}

# two typical wrong answers per check, and a word the diagnosis must contain
WRONG = {
    "query_of_drank": [(([1, -2, 0, 0],), "action column"), (([0, 1, 0, 1],), "key of drank")],
    "drank_scores": [(([0, 0, 2, 2, 0, 6],), "column of drank"), (([0, 0, 1.5, 1, 0, 1.5],), "already")],
    "spread_and_scale": [((16, 64), "square root"), ((4, 64), "1 of 2 cells is wrong: divide_64")],
    "causal": [(([[1, 1, 1, 1], [0, 1, 1, 1], [0, 0, 1, 1], [0, 0, 0, 1]],), "above the diagonal"),
               (([[0, 0, 0, 0], [1, 0, 0, 0], [1, 1, 0, 0], [1, 1, 1, 0]],), "left out the diagonal")],
    "cross_shape": [(((6, 3),), "swapped"), (((3, 3),), "self-attention")],
}


def test_exercise_names_and_order():
    assert check.EXERCISES == ("query of drank", "row of drank in S", "spread and scale", "causal mask",
                               "cross-attention shape", "attention_scores", "attention", "rows of S (sheet)")


def test_attention_scores_diagnoses_missing_scale_and_sqrt():
    assert_diagnosed(check.attention_scores(lambda X, Wq, Wk: (X @ Wq.T) @ (X @ Wk.T).T), "forgot to divide by √d_k")
    assert_diagnosed(check.attention_scores(lambda X, Wq, Wk: (X @ Wq.T) @ (X @ Wk.T).T / Wq.shape[0]),
                     "instead of √d_k")


def test_attention_diagnoses_mask_and_axis():
    def no_mask(Q, K, V, mask=None):
        return _attention_solution(Q, K, V)

    def columns(Q, K, V, mask=None):
        s = Q @ K.T / np.sqrt(Q.shape[-1])
        if mask is not None:
            s = np.where(mask, s, -np.inf)
        e = np.exp(s - s.max(axis=0, keepdims=True))
        return e / e.sum(axis=0, keepdims=True) @ V

    def zero_after(Q, K, V, mask=None):
        s = Q @ K.T / np.sqrt(Q.shape[-1])
        e = np.exp(s - s.max(axis=-1, keepdims=True))
        w = e / e.sum(axis=-1, keepdims=True)
        return (w if mask is None else w * mask) @ V

    assert_diagnosed(check.attention(no_mask), "ignored the mask")
    assert_diagnosed(check.attention(columns), "over the columns")
    assert_diagnosed(check.attention(zero_after), "before it")


# accepts the solutions, diagnoses the slips in WRONG, "not done" for blank answers and for the
# NotImplementedError stub, and no exception escapes for check_harness.GARBAGE / BAD_FUNCTIONS
(test_by_hand_check_accepts_the_solution, test_code_check_accepts_the_solution,
 test_by_hand_check_diagnoses_typical_slips, test_by_hand_checks_report_not_done, test_code_checks_report_not_done,
 test_by_hand_checks_survive_garbage, test_code_checks_survive_garbage) = hand_and_code_tests(check, HAND, CODE, WRONG)


# ------------------------------------------------------------------ the notebooks, read in order

ROOT = Path(__file__).resolve().parents[1]
LESSON = ROOT / "notebooks" / "04-queries-keys-values.ipynb"
SOLUTION = ROOT / "solutions" / "04-queries-keys-values.ipynb"

from notebook_reading import cells_of, exercise_list_matches, explorers_follow_their_content, first_markdown  # noqa: E402,E501


def test_the_paper_is_named_where_it_is_first_mentioned():
    text = " ".join(first_markdown(cells_of(LESSON), r"\bthe paper\b").split())
    assert '"Attention Is All You Need"' in text.replace("**", "") and "Vaswani et al., 2017" in text


def test_the_papers_notation_is_related_to_ours_before_the_first_picture():
    cells = cells_of(LESSON)
    first_picture = next(i for i, c in enumerate(cells) if c.cell_type == "code" and "L.W_Q.T" in c.source)
    text = " ".join(" ".join(c.source for c in cells[:first_picture] if c.cell_type == "markdown").split())
    assert "`Q = X W^Q`" in text and "`(d_model, d_k)`" in text
    assert "The paper's `W^Q` is our `W_Qᵀ`" in text


def test_the_words_about_w_q_describe_the_picture_of_w_q_transposed():
    cells = cells_of(LESSON)
    i = next(i for i, c in enumerate(cells) if c.cell_type == "code" and "L.W_Q.T" in c.source)
    assert 'names=("X", "W_Qᵀ", "Q")' in cells[i].source  # the picture draws W_Qᵀ
    words = " ".join(cells[i + 1].source.split())
    assert "Read `W_Qᵀ` by rows. The row *colour* holds a 4 in the column *thing*" in words
    assert "the last two columns of `W_Qᵀ` are zeros" in words
    W_Qt = L.W_Q.T  # (d_model, d_k): rows are the input features, columns the query features
    assert W_Qt[L.FEATURES.index("colour"), L.KEY_FEATURES.index("thing")] == 4
    assert not W_Qt[:, 2:].any()


def test_cross_attention_weights_are_shown_and_used():
    code = "\n".join(c.source for c in cells_of(LESSON) if c.cell_type == "code")
    for name in ("W_Q_CROSS", "W_K_CROSS", "W_V_CROSS"):
        assert f"display.grid(L.{name}.T" in code
    assert "linear(X_es, L.W_Q_CROSS)" in code and "linear(X, L.W_K_CROSS)" in code
    assert "linear(X, L.W_V_CROSS)" in code


@pytest.mark.parametrize("word, explanation", [
    ("variance", r"The \*\*variance\*\* of a random number is"),
    ("encoder", r"the \*\*encoder\*\* reads"),
    ("decoder", r"the \*\*decoder\*\* writes"),
])
def test_words_are_explained_where_first_used(word, explanation):
    assert re.search(explanation, first_markdown(cells_of(LESSON), rf"\b{word}"))


def test_explorers_follow_the_content_they_illustrate():
    assert explorers_follow_their_content(cells_of(LESSON)) == 2


def test_exercise_introduction_lists_what_the_notebook_holds():
    cells = cells_of(SOLUTION)
    exercise_list_matches(cells, len(check.EXERCISES), kind_at_end=False)
    assert "fillable sheet" in cells[0].source
