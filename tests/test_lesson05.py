"""Lesson 05 (multi-head attention): the two hand-built heads, checked by hand and against PyTorch."""

import math

import numpy as np
import pytest

from helpers import lesson05 as L
from helpers import linear, multi_head_attention, scaled_dot_product_attention


def by_hand():
    """The lesson's steps: project, split columns, attend per head, concatenate, W_O."""
    X = L.X
    Q, K, V = linear(X, L.W_Q), linear(X, L.W_K), linear(X, L.W_V)
    outs, weights = [], []
    for cols in (slice(0, 2), slice(2, 4)):
        o, w = scaled_dot_product_attention(Q[:, cols], K[:, cols], V[:, cols])
        outs.append(o)
        weights.append(w)
    return linear(np.concatenate(outs, axis=-1), L.W_O), np.stack(weights)


def test_input_features():
    # the cat saw the dog: noun ±1, p, p², 1
    expected = [
        [-1, 0, 0, 1],
        [1, 1, 1, 1],
        [-1, 2, 4, 1],
        [-1, 3, 9, 1],
        [1, 4, 16, 1],
    ]
    np.testing.assert_array_equal(L.X, expected)
    assert L.D_MODEL == 4 and L.H == 2 and L.D_K == 2


def test_head1_scores_by_hand():
    Q, K = linear(L.X, L.W_Q), linear(L.X, L.W_K)
    S1 = Q[:, :2] @ K[:, :2].T
    # q_i = (6i - 6, -3), k_j = (j, j²): score = (6i - 6)j - 3j²
    expected = [[(6 * i - 6) * j - 3 * j * j for j in range(5)] for i in range(5)]
    np.testing.assert_array_equal(S1, expected)
    assert S1[2, 1] == 6 * 1 + (-3) * 1 == 3  # saw · cat


def test_head1_attends_to_the_previous_word():
    _, weights = by_hand()
    w1 = weights[0]
    assert np.argmax(w1[0]) == 0  # the first word looks at itself
    for i in range(1, 5):
        assert np.argmax(w1[i]) == i - 1
    # row of saw: scaled scores (0, 3, 0, -9, -24)/√2 -> cat gets e^{3/√2} / (2 + e^{3/√2} + ...)
    s = np.array([0, 3, 0, -9, -24]) / math.sqrt(2)
    assert w1[2, 1] == pytest.approx(math.exp(s[1]) / np.exp(s).sum())
    assert round(w1[2, 1], 2) == 0.81


def test_head2_attends_to_the_same_type():
    Q, K = linear(L.X, L.W_Q), linear(L.X, L.W_K)
    S2 = Q[:, 2:] @ K[:, 2:].T
    noun = L.X[:, 0]
    np.testing.assert_array_equal(S2, 3 * np.outer(noun, noun))  # +3 same type, -3 otherwise
    _, weights = by_hand()
    w2 = weights[1]
    same = np.equal.outer(noun, noun)
    assert np.all(w2[same].min() > w2[~same].max())
    # dog: e^{3/√2} for cat and dog, e^{-3/√2} for the other three
    a, b = math.exp(3 / math.sqrt(2)), math.exp(-3 / math.sqrt(2))
    assert w2[4, 1] == pytest.approx(a / (2 * a + 3 * b))
    assert round(w2[4, 1], 2) == 0.49


def test_head1_output_carries_the_previous_position():
    X = L.X
    Q, K, V = linear(X, L.W_Q), linear(X, L.W_K), linear(X, L.W_V)
    out1, _ = scaled_dot_product_attention(Q[:, :2], K[:, :2], V[:, :2])
    np.testing.assert_allclose(out1[2:, 1], [1, 2, 3], atol=0.01)


def test_kernel_gives_the_by_hand_numbers():
    out, weights = by_hand()
    out_k, weights_k = multi_head_attention(L.X, L.X, L.params(), h=2)
    assert weights_k.shape == (2, 5, 5) and out_k.shape == (5, 4)
    np.testing.assert_allclose(weights_k, weights)
    np.testing.assert_allclose(out_k, out)


def test_loop_equals_reshaped_batched_form():
    X = L.X
    n, d_model, h = 5, 4, 2
    d_k = d_model // h
    Q, K, V = linear(X, L.W_Q), linear(X, L.W_K), linear(X, L.W_V)

    def split(M):
        return M.reshape(n, h, d_k).transpose(1, 0, 2)

    heads, _ = scaled_dot_product_attention(split(Q), split(K), split(V))  # (h, n, d_k)
    batched = linear(heads.transpose(1, 0, 2).reshape(n, d_model), L.W_O)
    np.testing.assert_allclose(batched, by_hand()[0])


def test_paper_sizes():
    d_model, h = 512, 8
    assert d_model // h == 64 and math.sqrt(64) == 8
    assert 4 * d_model * d_model == 1_048_576
    n = 10
    assert h * n * n * (d_model // h) == n * n * d_model == 51_200


@pytest.mark.reference
def test_matches_pytorch_multihead_attention():
    torch = pytest.importorskip("torch")
    p = L.params()
    mha = torch.nn.MultiheadAttention(4, 2, bias=True, batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        mha.in_proj_weight.copy_(torch.tensor(np.concatenate([p.W_q, p.W_k, p.W_v])))
        mha.in_proj_bias.zero_()
        mha.out_proj.weight.copy_(torch.tensor(p.W_o))
        mha.out_proj.bias.zero_()
    x = torch.tensor(L.X, dtype=torch.float64)[None]
    theirs, theirs_w = mha(x, x, x, average_attn_weights=False)
    ours, ours_w = multi_head_attention(L.X, L.X, p, h=2)
    np.testing.assert_allclose(ours, theirs[0].detach().numpy(), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(ours_w, theirs_w[0].detach().numpy(), rtol=1e-9, atol=1e-9)


# ------------------------------------------------------------------ exercise checks (exercises/05)

from check_harness import assert_diagnosed, hand_and_code_tests  # noqa: E402

from helpers.checks import lesson05 as check  # noqa: E402


# written out here (not helpers' code): split = reshape (n, h, d_k) then swap the first two axes
def _split_solution(x, h):
    n, d = x.shape
    return np.stack([x[:, i * (d // h):(i + 1) * (d // h)] for i in range(h)])


def _merge_solution(heads):
    return np.concatenate(list(heads), axis=-1)


def _mha_solution(X, Wq, Wk, Wv, Wo, h):
    outs = []
    Q, K, V = X @ Wq.T, X @ Wk.T, X @ Wv.T
    d_k = Q.shape[1] // h
    for i in range(h):
        c = slice(i * d_k, (i + 1) * d_k)
        s = Q[:, c] @ K[:, c].T / np.sqrt(d_k)
        e = np.exp(s - s.max(axis=1, keepdims=True))
        outs.append(e / e.sum(axis=1, keepdims=True) @ V[:, c])
    return np.concatenate(outs, axis=1) @ Wo.T


# by hand: d_k = 512/8 = 64 and 6/3 = 2; scores (h, n, n) = (8, 10, 10);
# head 1: q_dog = (6·4 - 6, -3) = (18, -3), k_the(p=3) = (3, 9): 18·3 - 3·9 = 27;
# weights: 4 matrices of 512 × 512 = 1,048,576
HAND = {
    "head_sizes": (64, 2),
    "score_shapes": ((8, 10, 10),),
    "head1_score": (27,),
    "parameter_count": (1_048_576,),
}
CODE = {"split_heads": _split_solution, "merge_heads": _merge_solution, "multi_head": _mha_solution}

WRONG = {
    "head_sizes": [((8, 3), "number of heads"), ((4096, 18), "multiplied")],
    # head 2: 3·(+1)·(-1) = -3; the first "the" (p=0): k = (0, 0), so 0. (The key of dog, 18·4 - 3·16 = 24,
    # is also Q·K over all four columns, 27 - 3: with two causes the check names neither.)
    "head1_score": [((-3,), "head 2"), ((0,), "first the"), ((24,), "You entered 24")],
    "score_shapes": [(((8, 10, 64),), "outputs"), (((10, 10, 8),), "heads last")],
    # 4·64·512 = 4·8·64·64: two slips with the same value, so no cause is named
    "parameter_count": [((3 * 512 * 512,), "left out W_O"), ((4 * 64 * 512,), "You entered 131072")],
}


def test_exercise_names_and_order():
    assert check.EXERCISES == ("head sizes", "score shapes", "a head-1 score", "parameter count",
                               "split_heads", "merge_heads", "multi_head")


def test_split_and_merge_diagnose_a_plain_reshape():
    assert_diagnosed(check.split_heads(lambda x, h: x.reshape(h, x.shape[0], x.shape[1] // h)),
                     "reshaped straight to (h, n, d_k)")
    assert_diagnosed(check.split_heads(lambda x, h: x.reshape(x.shape[0], h, x.shape[1] // h)),
                     "head axis should come first")
    assert_diagnosed(check.merge_heads(lambda hd: hd.reshape(hd.shape[1], -1)), "move the head axis back first")
    assert_diagnosed(check.merge_heads(lambda hd: hd.reshape(-1, hd.shape[2])), "one under the other")


def test_multi_head_diagnoses_missing_w_o_and_wrong_scale():
    def no_w_o(X, Wq, Wk, Wv, Wo, h):
        return _mha_solution(X, Wq, Wk, Wv, np.eye(len(Wo)), h)

    def scale_d_model(X, Wq, Wk, Wv, Wo, h):
        # √d_model instead of √d_k: the same as √h times larger queries' divisor
        return _mha_solution(X, Wq / np.sqrt(h), Wk, Wv, Wo, h)

    assert_diagnosed(check.multi_head(no_w_o), "forgot W_O")
    assert_diagnosed(check.multi_head(scale_d_model), "√d_model instead of √d_k")


# accepts the solutions, diagnoses the slips in WRONG, "not done" for blank answers and for the
# NotImplementedError stub, and no exception escapes for check_harness.GARBAGE / BAD_FUNCTIONS
(test_by_hand_check_accepts_the_solution, test_code_check_accepts_the_solution,
 test_by_hand_check_diagnoses_typical_slips, test_by_hand_checks_report_not_done, test_code_checks_report_not_done,
 test_by_hand_checks_survive_garbage, test_code_checks_survive_garbage) = hand_and_code_tests(check, HAND, CODE, WRONG)


# ------------------------------------------------------------------ the notebooks, read in order

from pathlib import Path  # noqa: E402

from notebook_reading import cells_of, exercise_list_matches, explorers_follow_their_content, first_markdown  # noqa: E402,E501

ROOT = Path(__file__).resolve().parents[1]
LESSON = ROOT / "notebooks" / "05-multi-head-attention.ipynb"
SOLUTION = ROOT / "solutions" / "05-multi-head-attention.ipynb"


def test_the_paper_is_named_where_it_is_first_mentioned():
    text = " ".join(first_markdown(cells_of(LESSON), r"\bthe paper\b").split())
    assert 'Vaswani et al., 2017, "Attention Is All You Need"' in text


def test_attention_params_is_explained_where_first_used():
    cells = cells_of(LESSON)
    first = next(i for i, c in enumerate(cells) if "AttentionParams" in c.source and c.cell_type == "markdown")
    assert not any("AttentionParams(" in c.source or "L.params()" in c.source
                   for c in cells[:first] if c.cell_type == "code" and "import" not in c.source)
    text = cells[first].source
    assert "dataclass" in text
    for field in ("W_q", "W_k", "W_v", "W_o", "b_q", "b_k", "b_v", "b_o"):
        assert f"`{field}`" in text
    assert "in_proj_weight" in text  # where PyTorch keeps the same arrays


def test_explorers_follow_the_content_they_illustrate():
    assert explorers_follow_their_content(cells_of(LESSON)) == 1


def test_exercise_introduction_lists_what_the_notebook_holds():
    exercise_list_matches(cells_of(SOLUTION), len(check.EXERCISES), kind_at_end=False)
