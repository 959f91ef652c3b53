"""Lesson 13 (attention at scale): the numbers the lesson shows, checked by hand.

Expected values are worked out in the comments with math.exp, or are properties (the online
softmax equals the softmax for every split; α ≤ 1; a causal block's kind matches its mask cells),
or come from the plain kernel, scaled_dot_product_attention, itself checked against PyTorch.
"""

import math

import numpy as np
import pytest

from helpers import causal_mask, flash_attention, scaled_dot_product_attention, softmax
from helpers import lesson13 as L
from helpers.checks import lesson13 as check

E = math.exp


def plain_softmax(s):
    """Written out here, not taken from helpers: e^(s − max) / Σ."""
    e = np.exp(np.asarray(s, dtype=float) - np.max(s))
    return e / e.sum()


# ------------------------------------------------------------------ 1. memory


def test_memory_of_the_scores_by_hand():
    # n · n · 4 bytes: 512² · 4 = 2²⁰ (1 MiB), 4096² · 4 = 2²⁶ (64 MiB), 16384² · 4 = 2³⁰ (1 GiB)
    assert [L.memory_bytes(n)[0] for n in L.SIZES] == [2**20, 2**26, 2**30]
    # q: n · 64 · 4 bytes: 16384 · 256 = 2²² (4 MiB)
    assert L.memory_bytes(16384, d_k=64)[1] == 2**22
    assert [L.size_text(L.memory_bytes(n)[0]) for n in L.SIZES] == ["1 MiB", "64 MiB", "1 GiB"]
    assert L.size_text(128 * 1024) == "128 KiB" and L.size_text(3 * 2**29) == "1.5 GiB" and L.size_text(7) == "7 B"


def test_scores_grow_like_n_squared_and_q_like_n():
    s1, q1 = L.memory_bytes(1000)
    s2, q2 = L.memory_bytes(2000)
    assert s2 == 4 * s1 and q2 == 2 * q1


# ------------------------------------------------------------------ 2. the online softmax, by hand


def test_the_row_of_the_lesson_by_hand():
    # s = (1, 3, 2 | 5, 0, 4). Block 1: m = 3, ℓ = e^-2 + e^0 + e^-1.
    first, second = L.online_softmax_steps(L.SCORES, L.BLOCK)
    assert (first["m_old"], first["m"], first["alpha"], first["l_old"]) == (-math.inf, 3, 0.0, 0.0)
    l1 = E(-2) + 1 + E(-1)
    assert first["l"] == pytest.approx(l1) and round(first["l"], 3) == 1.503
    np.testing.assert_allclose(first["terms"], [E(-2), 1, E(-1)])
    # Block 2: m = max(3, 5) = 5, α = e^(3 − 5), ℓ = α·ℓ1 + e^0 + e^-5 + e^-1.
    assert (second["m_old"], second["m"]) == (3, 5)
    assert second["alpha"] == pytest.approx(E(-2)) and round(second["alpha"], 3) == 0.135
    l2 = E(-2) * l1 + 1 + E(-5) + E(-1)
    assert second["l"] == pytest.approx(l2) and round(second["l"], 3) == 1.578
    # the final m and ℓ are the plain softmax's: the row's max and Σ e^(s − max)
    assert second["m"] == max(L.SCORES)
    assert second["l"] == pytest.approx(sum(E(s - 5) for s in L.SCORES))
    np.testing.assert_allclose(L.online_softmax(L.SCORES, L.BLOCK), plain_softmax(L.SCORES))


def test_the_exercise_row_by_hand():
    # s = (0, 2 | 1, 4 | 3, 1): m = 2, 4, 4; α = 0, e^-2, 1
    steps = L.online_softmax_steps(L.EX_SCORES, L.EX_BLOCK)
    assert [st["m"] for st in steps] == [2, 4, 4]
    np.testing.assert_allclose([st["alpha"] for st in steps], [0, E(-2), 1])
    l1 = E(-2) + 1
    l2 = E(-2) * l1 + E(-3) + 1
    l3 = l2 + E(-1) + E(-3)
    np.testing.assert_allclose([st["l"] for st in steps], [l1, l2, l3])
    assert [round(st["l"], 2) for st in steps] == [1.14, 1.2, 1.62]
    w = np.exp(np.array(L.EX_SCORES) - 4) / l3
    assert list(np.round(w, 2)) == [0.01, 0.08, 0.03, 0.62, 0.23, 0.03]


@pytest.mark.parametrize("block_size", range(1, 8))
def test_online_softmax_equals_softmax_for_every_split_of_the_lesson_row(block_size):
    np.testing.assert_allclose(L.online_softmax(L.SCORES, block_size), softmax(L.SCORES), rtol=1e-13)


def test_online_softmax_equals_softmax_on_random_rows_and_every_block_size():
    rng = np.random.default_rng(13)
    for _ in range(30):
        n = int(rng.integers(1, 20))
        s = rng.normal(scale=float(rng.choice([1, 10, 300])), size=n)  # 300: e^s alone would overflow
        for block_size in range(1, n + 2):
            np.testing.assert_allclose(L.online_softmax(s, block_size), plain_softmax(s), rtol=1e-12, atol=1e-300)


def test_the_invariant_after_every_block_and_alpha_at_most_one():
    """After each block, ℓ = Σ e^(s − m) over the scores seen so far, with the current m; α ≤ 1, and
    α = 1 exactly when the block does not raise the maximum."""
    rng = np.random.default_rng(7)
    for _ in range(20):
        s = rng.integers(-5, 6, size=int(rng.integers(2, 15))).astype(float)
        for block_size in (1, 2, 3, 5):
            for st in L.online_softmax_steps(s, block_size):
                seen = s[:st["stop"]]
                assert st["m"] == seen.max()
                assert st["l"] == pytest.approx(np.exp(seen - st["m"]).sum())
                assert 0 <= st["alpha"] <= 1
                assert (st["alpha"] == 1) == (st["m"] == st["m_old"])


def test_the_arithmetic_printed_for_each_step():
    first, second = (L.explain_step(st, k) for k, st in enumerate(L.online_softmax_steps(L.SCORES, 3), 1))
    assert "m = max(−∞, 1, 3, 2) = 3" in first and "= 0·0 + 0.135 + 1 + 0.368 = 1.503" in first
    assert "α = e^(m_old − m) = e^(3 − 5) = 0.135" in second
    assert "= 0.135·1.503 + 1 + 0.007 + 0.368 = 1.578" in second


def test_the_sheet_shows_every_step(tmp_path):
    drawing = L.online_softmax_drawing(L.SCORES, L.BLOCK)
    html = drawing.html()
    for text in ("−∞", "1.50", "1.58", "0.14", "0.63", "·", "block 2: e^(s − 5)", "softmax(s)"):
        assert text in html, text
    assert drawing.savefig(tmp_path / "sheet.png").stat().st_size > 1000
    step = L.step_drawing(L.online_softmax_steps(L.SCORES, 3)[1], 2).html()
    assert "e^(s − 5)" in step and "0.37" in step


# ------------------------------------------------------------------ 3. a block of queries


def test_the_scaled_scores_are_whole_numbers_and_q1_is_the_row():
    S = L.Q @ L.K.T / math.sqrt(L.Q.shape[-1])  # (2, 4) @ (4, 6) / 2
    np.testing.assert_array_equal(S, [[1, 3, 2, 5, 0, 4], [3, 1, 0, 2, 1, -1]])
    np.testing.assert_array_equal(S[0], L.SCORES)
    # q1/2 = (1, 0, 1, 0) picks key features 1 and 3: k4 = (3, 2, 2, 0) gives 3 + 2 = 5
    assert (L.Q[0] / 2) @ L.K[3] == 5


def test_the_accumulator_by_hand():
    first, second = L.online_attention_steps(L.Q, L.K, L.V, block_size=3)
    # q1, block 1: scores (1, 3, 2), m = 3: acc = e^-2·(2, 0) + 1·(0, 1) + e^-1·(1, 1)
    acc1 = np.array([2 * E(-2) + E(-1), 1 + E(-1)])
    np.testing.assert_allclose(first["acc"][0], acc1)
    # q1, block 2: scores (5, 0, 4), m = 5, α = e^-2: acc = e^-2·acc1 + 1·(1, 2) + e^-5·(0, 3) + e^-1·(3, 0)
    np.testing.assert_allclose(second["acc"][0], E(-2) * acc1 + [1 + 3 * E(-1), 2 + 3 * E(-5)])
    # q2: scores (3, 1, 0 | 2, 1, -1): the max 3 comes in block 1, so block 2 has α = 1
    np.testing.assert_allclose(second["alpha"], [E(-2), 1])
    np.testing.assert_allclose(second["m"], [5, 3])
    assert "acc = 0·(0, 0) + 0.135·(2, 0) + 1·(0, 1) + 0.368·(1, 1) = (0.64, 1.37)" == \
        L.explain_accumulator(first, 0, L.V)


@pytest.mark.parametrize("block_size", range(1, 8))
def test_online_attention_equals_the_plain_kernel(block_size):
    out, weights = scaled_dot_product_attention(L.Q, L.K, L.V)
    np.testing.assert_allclose(L.online_attention(L.Q, L.K, L.V, block_size), out, rtol=1e-13)
    np.testing.assert_allclose(out, weights @ L.V)


def test_online_attention_on_random_float_cases():
    rng = np.random.default_rng(3)
    for _ in range(10):
        n_q, n_k, d_k, d_v = (int(rng.integers(1, 9)) for _ in range(4))
        q, k, v = rng.normal(size=(n_q, d_k)), rng.normal(size=(n_k, d_k)), rng.normal(size=(n_k, d_v))
        for block_size in (1, 3, 4, n_k + 1):
            np.testing.assert_allclose(L.online_attention(q, k, v, block_size),
                                       scaled_dot_product_attention(q, k, v)[0], rtol=1e-12, atol=1e-14)


def test_the_step_drawing_shows_q1_and_q2():
    html = L.attention_step_drawing(L.online_attention_steps(L.Q, L.K, L.V, 3)[1], 2).html()
    for text in ("q1", "q2", "k4", "k6", "2.19", "2.21", "1.58", "P = e^(S2 − m)"):
        assert text in html, text


# ------------------------------------------------------------------ 4. causal blocks


def brute_kinds(n, block_size):
    """The kind of each block pair read off the mask's cells: all False skip, all True full."""
    mask = causal_mask(n)
    starts = range(0, n, block_size)
    kinds = np.empty((len(starts), len(starts)), int)
    for a, i in enumerate(starts):
        for b, j in enumerate(starts):
            cells = mask[i:i + block_size, j:j + block_size]
            kinds[a, b] = L.SKIP if not cells.any() else L.FULL if cells.all() else L.DIAGONAL
    return kinds


@pytest.mark.parametrize("n, block_size", [(12, 3), (12, 4), (10, 4), (7, 3), (5, 1), (5, 8), (300, 64)])
def test_block_kinds_match_the_mask(n, block_size):
    np.testing.assert_array_equal(L.block_pairs(n, block_size), brute_kinds(n, block_size))


def test_block_work_by_hand():
    # n = 12, blocks of 3: 4 × 4 blocks; above the diagonal 3 + 2 + 1 = 6 skipped, 4 diagonal, 6 full
    w = L.block_work(12, 3)
    assert (w["skip"], w["diagonal"], w["full"], w["blocks"]) == (6, 4, 6, 16)
    assert w["cells computed"] == 144 - 6 * 9 == 90 and w["saved"] == 54 / 144 == 0.375
    np.testing.assert_array_equal(L.block_pairs(12, 3), [[1, 0, 0, 0], [2, 1, 0, 0], [2, 2, 1, 0], [2, 2, 2, 1]])


@pytest.mark.parametrize("n, block_size", [(512, 64), (4096, 64), (16384, 64), (10, 4), (300, 64)])
def test_block_work_counts(n, block_size):
    w = L.block_work(n, block_size)
    t = -(-n // block_size)  # blocks per side
    assert w["skip"] == w["full"] == t * (t - 1) // 2 and w["diagonal"] == t and w["blocks"] == t * t
    assert w["cells"] == n * n and w["saved"] == 1 - w["cells computed"] / (n * n)
    if n <= 4096:  # the computed cells are those of the blocks not skipped, counted cell by cell
        kinds, idx = L.block_pairs(n, block_size), np.arange(n) // block_size
        computed = kinds[idx[:, None], idx[None, :]] != L.SKIP  # (n, n)
        assert w["cells computed"] == int(computed.sum())
        assert not (causal_mask(n) & ~computed).any()  # every visible cell is computed


def test_the_causal_figure_draws():
    fig = L.causal_blocks_figure(10, 4)
    ax = fig.axes[0]
    assert "3 of 9 blocks skipped" in ax.get_title()
    assert sorted(t.get_text() for t in ax.texts).count("skip") == 3


# ------------------------------------------------------------------ 5. the kernel and the memory


def test_flash_attention_on_the_lesson_example_and_the_random_case():
    out, _ = scaled_dot_product_attention(L.Q, L.K, L.V)
    np.testing.assert_allclose(flash_attention(L.Q, L.K, L.V, block_size=3), out, rtol=1e-13)
    rng = np.random.default_rng(13)
    q, k, v = (rng.standard_normal((2, 4, 300, 16)) for _ in range(3))
    mask = causal_mask(300)
    diff = np.abs(flash_attention(q, k, v, mask=mask, block_size=64) - scaled_dot_product_attention(q, k, v, mask)[0])
    assert diff.max() < 1e-13  # the lesson prints "below 1e-13"


def test_peak_memory_sees_an_allocation():
    assert L.peak_memory(np.ones, 10**6) >= 8 * 10**6  # a million float64
    assert L.peak_memory(lambda: None) < 10**5


# ------------------------------------------------------------------ exercise checks (exercises/13)

from check_harness import assert_correct, assert_diagnosed, assert_revealed, hand_and_code_tests  # noqa: E402


def _blocked_softmax_solution(x, block_size):
    # written out here: one running max and one running sum per row, rescaled when the max grows
    x = np.asarray(x, dtype=float)
    m, l = np.full(x.shape[:-1], -np.inf), np.zeros(x.shape[:-1])
    for start in range(0, x.shape[-1], block_size):
        block = x[..., start:start + block_size]
        m_new = np.maximum(m, block.max(axis=-1))
        l = l * np.exp(m - m_new) + np.exp(block - m_new[..., None]).sum(axis=-1)
        m = m_new
    return np.exp(x - m[..., None]) / l[..., None]


def _online_row(q, K, V, block_size, rescale_l=True, rescale_acc=True, divide=True, scale=True):
    q, K, V = (np.asarray(a, dtype=float) for a in (q, K, V))
    m, l, acc = -np.inf, 0.0, np.zeros(V.shape[-1])
    for start in range(0, len(K), block_size):
        s = K[start:start + block_size] @ q / (np.sqrt(len(q)) if scale else 1)
        m_new = max(m, s.max())
        alpha = np.exp(m - m_new)
        p = np.exp(s - m_new)
        l = (alpha if rescale_l else 1) * l + p.sum()
        acc = (alpha if rescale_acc else 1) * acc + p @ V[start:start + block_size]
        m = m_new
    return acc / l if divide else acc


# by-hand answers, worked out in test_the_exercise_row_by_hand:
# m = 2, 4, 4; ℓ = 1.135, 1.203, 1.621; α(7 -> 9) = e^-2 = 0.135, α(7, block max 5) = 1;
# weights = e^(s − 4) / 1.621 = (0.011, 0.083, 0.031, 0.617, 0.227, 0.031)
HAND = {
    "running_max_and_sum": (2, 1.14, 4, 1.20, 4, 1.62),
    "rescale_factor": (0.14, 1),
    "weights_from_m_and_l": ([0.01, 0.08, 0.03, 0.62, 0.23, 0.03],),
}
CODE = {"blocked_softmax": _blocked_softmax_solution, "online_attention_row": _online_row}

# without the rescale: ℓ = 1.135, then 1.135 + e^-3 + 1 = 2.185, then + e^-1 + e^-3 = 2.603
# with e^s not shifted: ℓ = 1 + e², then + e + e⁴, then + e³ + e
_NO_SHIFT = np.cumsum([1 + E(2), E(1) + E(4), E(3) + E(1)])
WRONG = {
    "running_max_and_sum": [((2, 1.14, 4, 2.19, 4, 2.60), "forgot to rescale ℓ"),
                            ((2, 1.14, 4, 1.20, 3, 1.62), "1 of 6 cells is wrong: m3"),
                            ((2, _NO_SHIFT[0], 4, _NO_SHIFT[1], 4, _NO_SHIFT[2]), "without subtracting")],
    "rescale_factor": [((7.39, 1), "upside down"), ((0.14, 7.39), "never goes down"), ((-2, 0), "exponent"),
                       ((0.1, 1), "Round to 2 decimals (you gave 1)")],
    "weights_from_m_and_l": [(([0.02, 0.14, 0.05, 1, 0.37, 0.05],), "forgot to divide by ℓ"),
                             (([0.015, 0.11, 0.04, 0.83, 0.31, 0.04],), "after block 2"),
                             (([0.62, 0.08, 0.03, 0.01, 0.23, 0.03],), "2 of 6 cells are wrong: k1, k4")],
}


def test_exercise_names_and_order():
    assert check.EXERCISES == ("running max and sum", "rescale factor", "softmax from m and ℓ", "blocked_softmax",
                               "online_attention_row")


def test_the_by_hand_answers_from_the_lesson_functions():
    """The numbers typed in HAND are what the lesson's own functions give, rounded."""
    steps = L.online_softmax_steps(L.EX_SCORES, L.EX_BLOCK)
    assert HAND["running_max_and_sum"] == tuple(v for st in steps for v in (st["m"], round(st["l"], 2)))
    np.testing.assert_allclose(HAND["weights_from_m_and_l"][0], np.round(L.online_softmax(L.EX_SCORES, 2), 2))


def test_blocked_softmax_diagnoses_each_slip():
    def no_rescale(x, b):
        x = np.asarray(x, dtype=float)
        m, l = np.full(x.shape[:-1], -np.inf), np.zeros(x.shape[:-1])
        for i in range(0, x.shape[-1], b):
            m = np.maximum(m, x[..., i:i + b].max(axis=-1))
            l = l + np.exp(x[..., i:i + b] - m[..., None]).sum(axis=-1)
        return np.exp(x - m[..., None]) / l[..., None]

    def own_block_max(x, b):
        x = np.asarray(x, dtype=float)
        l = np.zeros(x.shape[:-1])
        for i in range(0, x.shape[-1], b):
            m = x[..., i:i + b].max(axis=-1)
            l = l + np.exp(x[..., i:i + b] - m[..., None]).sum(axis=-1)
        return np.exp(x - m[..., None]) / l[..., None]

    def not_shifted(x, b):
        e = np.exp(np.asarray(x, dtype=float))
        return e / e.sum(axis=-1, keepdims=True)

    assert_diagnosed(check.blocked_softmax(no_rescale), "forgot to rescale the running sum")
    assert_diagnosed(check.blocked_softmax(own_block_max), "the final m is the last block's")
    assert_diagnosed(check.blocked_softmax(not_shifted), ("large scores", "not a number"))
    assert_diagnosed(check.blocked_softmax(lambda x, b: _blocked_softmax_solution(np.atleast_2d(x)[0], b)),
                     "wrong shape")


def test_blocked_softmax_accepts_a_row_by_row_loop():
    def by_rows(x, block_size):
        x = np.asarray(x, dtype=float)
        if x.ndim == 1:
            return _blocked_softmax_solution(x, block_size)
        return np.array([_blocked_softmax_solution(row, block_size) for row in x])

    assert_correct(check.blocked_softmax(by_rows))


def test_online_attention_row_diagnoses_each_slip():
    def slip(**kw):
        return lambda q, K, V, b: _online_row(q, K, V, b, **kw)

    assert_diagnosed(check.online_attention_row(slip(rescale_acc=False)), "not the output accumulator")
    assert_diagnosed(check.online_attention_row(slip(rescale_l=False, rescale_acc=False)), "rescaled neither")
    assert_diagnosed(check.online_attention_row(slip(divide=False)), "divide the accumulator by ℓ")
    assert_diagnosed(check.online_attention_row(slip(scale=False)), "√d_k")
    # rescaling acc but not ℓ is no named slip: the check says which cells are wrong
    assert_diagnosed(check.online_attention_row(slip(rescale_l=False)), "cells are wrong")


def test_show_reveals_the_worked_answer(capsys):
    result = assert_revealed(check.running_max_and_sum(2, 1.14, 4, 1.20, 4, 1.62, show=True), capsys)
    assert "e^(2 − 4) = 0.135" in result.message and "= 1.621" in result.message
    assert_revealed(check.blocked_softmax(_blocked_softmax_solution, show=True))


def test_hints_never_give_the_answer():
    for result in (check.running_max_and_sum(2, 1.14, 4, 9.99, 4, 1.62), check.rescale_factor(0.5, 0.5),
                   check.weights_from_m_and_l([0.2] * 6)):
        hint = result.message.split("Hint:")[1]
        for number in ("1.14", "1.20", "1.62", "0.14", "0.62", "0.23"):
            assert number not in hint, (number, hint)


# accepts the solutions, diagnoses the slips in WRONG, "not done" for blank answers and for the
# NotImplementedError stub, and no exception escapes for check_harness.GARBAGE / BAD_FUNCTIONS
(test_by_hand_check_accepts_the_solution, test_code_check_accepts_the_solution,
 test_by_hand_check_diagnoses_typical_slips, test_by_hand_checks_report_not_done, test_code_checks_report_not_done,
 test_by_hand_checks_survive_garbage, test_code_checks_survive_garbage) = hand_and_code_tests(check, HAND, CODE, WRONG)
