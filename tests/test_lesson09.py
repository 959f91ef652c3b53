"""Lesson 09 (why not an RNN): the RNN by hand, the counts, and the vanishing path."""

import math

import numpy as np
import pytest

from helpers import embed
from helpers.lesson06 import SENTENCE, E, encode
from helpers.lesson09 import (
    W_H,
    W_X,
    B,
    attention,
    attention_graph,
    attention_influence_on_last,
    draw_costs,
    multiply_adds,
    path_length,
    rnn,
    rnn_graph,
    rnn_influence_of_first,
    rnn_influence_on_last,
    rnn_step,
    sequential_steps,
    ticks,
)

X = embed(encode(SENTENCE), E)  # the cat sat on the rug, (6, 4)


def test_first_step_by_hand():
    # x_1 = "the" = [1, 0, 0, 1]; W_x x_1 = [1+0, 0-1, 1+1] = [1, -1, 2]; + b [0, 1, -1] = [1, 0, 1]
    assert (W_X @ X[0] + B).tolist() == [1, 0, 1]
    assert np.allclose(rnn(X)[0], [math.tanh(1), 0, math.tanh(1)])


def test_second_step_by_hand():
    h1 = np.array([math.tanh(1), 0, math.tanh(1)])
    # W_h h1 = [0, t - t, 0 + t] = [0, 0, t];  W_x cat = W_x [2, 0, 1, 0] = [3, 0, 2]
    t = math.tanh(1)
    a2 = np.array([0, 0, t]) + np.array([3, 0, 2]) + np.array([0, 1, -1])
    assert np.allclose(rnn(X)[1], np.tanh(a2))
    assert np.allclose(rnn_step(h1, X[1]), np.tanh(a2))


def test_rnn_is_a_loop_of_steps():
    h = np.zeros(3)
    for t, x in enumerate(X):
        h = np.tanh(W_H @ h + W_X @ x + B)
        assert np.allclose(rnn(X)[t], h)


def test_path_lengths():
    for n in (1, 2, 6, 50):
        assert path_length(rnn_graph(n), "x1", f"h{n}") == n
        assert path_length(attention_graph(n), "x1", f"y{n}") == 1
    with pytest.raises(ValueError):
        path_length(rnn_graph(3), "h3", "h1")  # no path backwards in time


def test_costs_are_counted():
    d = 32
    assert sequential_steps(20) == (20, 1)
    assert multiply_adds(8, d) == (8 * (32 * 32 + 32 * 32), 2 * 8 * 8 * 32) == (16_384, 4_096)
    for n in (8, 32, 100, 4096):
        rnn_work, attention_work = multiply_adds(n, d)
        assert attention_work * d == rnn_work * n  # attention does n / d times the RNN's work
    # one RNN step is 2·32² = 2048 multiply-adds: 2 ticks on 1,024 processors, 1 tick on 65,536
    assert ticks(8, d, 1024) == (16, 4)
    assert ticks(8, d, 65_536) == (8, 1)
    assert ticks(32, d, 1024) == (64, 64)
    assert ticks(1024, d, 65_536) == (1024, 1024)
    assert ticks(4096, d, 1) == multiply_adds(4096, d)  # one processor: time is the work


LENGTHS = [2 ** k for k in range(3, 13)]


def _lines(fig):
    """The y data of every line, panel by panel: [[RNN, attention], [RNN, attention], [RNN, attn, RNN, attn]]."""
    return [[np.asarray(line.get_ydata(), float) for line in ax.get_lines()] for ax in fig.axes]


def test_cost_figure_shows_the_ordering_the_lesson_describes():
    """Lesson 09, section 3: fewer steps for attention always; more arithmetic once n > d; and on a machine
    of P processors attention finishes first for short sentences, the RNN for long ones, later for larger P."""
    n, d = np.array(LENGTHS), 32
    (steps_rnn, steps_att), (work_rnn, work_att), time = _lines(draw_costs(LENGTHS, d, (1024, 65_536)))
    assert np.all(steps_att < steps_rnn) and np.all(steps_att == 1) and np.array_equal(steps_rnn, n)
    assert np.all(work_att[n < d] < work_rnn[n < d]) and np.all(work_att[n > d] > work_rnn[n > d])
    assert work_att[n == d] == work_rnn[n == d]
    crossings = []
    for rnn_time, att_time in (time[0:2], time[2:4]):
        assert att_time[0] < rnn_time[0] and att_time[-1] > rnn_time[-1]  # short: attention; long: the RNN
        crossings.append(n[att_time <= rnn_time].max())
        assert np.all(att_time[n > crossings[-1]] > rnn_time[n > crossings[-1]])
    assert crossings == [32, 1024]  # the numbers the lesson gives
    assert np.all(time[0] / time[2] == 2)  # 64 times the processors: the RNN only twice as fast
    assert np.all(time[1][-3:] / time[3][-3:] == 64)  # attention 64 times as fast


def test_cost_figure_is_the_same_on_every_run():
    import io

    pngs = []
    for _ in range(2):
        buffer = io.BytesIO()
        draw_costs(LENGTHS, 32, (1024, 65_536)).savefig(buffer, format="png", metadata={"Software": None})
        pngs.append(buffer.getvalue())
    assert pngs[0] == pngs[1]


def _numeric_jacobian(f, X, j, eps=1e-6):
    X = np.asarray(X, float)
    cols = []
    for k in range(X.shape[1]):
        Xp, Xm = X.copy(), X.copy()
        Xp[j, k] += eps
        Xm[j, k] -= eps
        cols.append((f(Xp) - f(Xm)) / (2 * eps))
    return np.stack(cols, axis=1)


def test_chain_rule_matches_nudging():
    first = rnn_influence_of_first(X)
    for t in range(len(X)):
        J = _numeric_jacobian(lambda Z: rnn(Z)[t], X, 0)
        assert np.linalg.norm(J, 2) == pytest.approx(first[t], rel=1e-5, abs=1e-9)
    last = rnn_influence_on_last(X)
    for j in range(len(X)):
        J = _numeric_jacobian(lambda Z: rnn(Z)[-1], X, j)
        assert np.linalg.norm(J, 2) == pytest.approx(last[j], rel=1e-5, abs=1e-9)
    assert last[0] == pytest.approx(first[-1])


def test_influence_of_the_first_word_shrinks_every_step():
    first = rnn_influence_of_first(X)
    assert np.all(np.diff(first) < 0)
    assert np.round(first, 3).tolist() == [1.544, 0.315, 0.198, 0.066, 0.019, 0.003]


def test_vanishing_on_30_words_and_attention_depends_on_content():
    ids = np.random.default_rng(0).integers(1, 9, size=30)
    X30 = embed(ids, E)
    r = rnn_influence_on_last(X30)
    a = attention_influence_on_last(X30)
    assert r[0] < 1e-10 * r[-1]  # geometric decay over 29 steps
    # attention: every copy of the same word has the same influence, near or far
    for word in set(ids[:-1].tolist()):
        idx = np.flatnonzero(ids[:-1] == word)
        assert np.allclose(a[idx], a[idx[0]], rtol=1e-5)
    assert a[:-1].min() > 1e-3


def test_attention_influence_against_analytic_jacobian():
    # y_n = sum_j w_j x_j, w = softmax(s), s_j = x_n·x_j / √d; for j != n:
    # ∂y_n/∂x_j = w_j I + (x_j - y_n) (∂s_j/∂x_j)ᵀ w_j  with ∂s_j/∂x_j = x_n / √d
    rng = np.random.default_rng(3)
    Z = rng.normal(size=(5, 3))
    d = 3
    s = Z @ Z[-1] / math.sqrt(d)
    w = np.exp(s - s.max())
    w /= w.sum()
    y = w @ Z
    got = attention_influence_on_last(Z)
    for j in range(4):
        J = w[j] * np.eye(d) + w[j] * np.outer(Z[j] - y, Z[-1] / math.sqrt(d))
        assert np.linalg.norm(J, 2) == pytest.approx(got[j], rel=1e-5)
    assert np.allclose(attention(Z)[-1], y)


# ---------------------------------------------------------------- exercise checks

from check_harness import (  # noqa: E402
    GARBAGE,
    assert_correct,
    assert_diagnosed,
    assert_not_done,
    assert_survives,
    function_calls,
    garbage_calls,
)

from helpers.checks import lesson09 as check  # noqa: E402
from helpers.lesson09 import first_word_jacobian  # noqa: E402


def test_first_step_of_dog_check(capsys):
    # W_x [2, 1, 1, 0] = [2+1, 1, 2-1] = [3, 1, 1]; + b [0, 1, -1] = [3, 2, 0]
    assert_correct(check.first_step_of_dog([3, 2, 0]), capsys)
    # [3, 1, 1] is W_x·dog without b, and also W_x·cat + b: two causes, so the check names neither
    r = assert_diagnosed(check.first_step_of_dog([3, 1, 1]), "2 of 3 cells are wrong", capsys)
    assert "It looks like" not in r.message
    assert_diagnosed(check.first_step_of_dog([0.995, 0.964, 0.0]), "tanh already", capsys)
    assert_not_done(check.first_step_of_dog(...))
    assert_survives(check.first_step_of_dog, garbage_calls())


def test_steps_and_paths_check(capsys):
    assert_correct(check.steps_and_paths(20, 1, 20, 1), capsys)
    assert_diagnosed(check.steps_and_paths(20, 20, 20, 1), "one attention step per word", capsys)
    assert_diagnosed(check.steps_and_paths(20, 1, 19, 1), "x1 -> h1", capsys)
    assert_not_done(check.steps_and_paths(..., 1, 20, 1))
    assert_survives(check.steps_and_paths, [(g, 1, 20, 1) for g in GARBAGE])


def test_halvings_check(capsys):
    # 2^9 = 512 < 1000 < 1024 = 2^10
    assert_correct(check.halvings(10), capsys)
    assert_diagnosed(check.halvings(9), "one step early", capsys)
    assert_diagnosed(check.halvings(500), "count how many times", capsys)
    assert_survives(check.halvings, garbage_calls())


def _step_by_hand(h, x, Wh, Wx, b):
    pre = [sum(Wh[i][k] * h[k] for k in range(len(h))) + sum(Wx[i][k] * x[k] for k in range(len(x))) + b[i]
           for i in range(len(b))]
    return np.array([math.tanh(v) for v in pre])


def test_rnn_step_check(capsys):
    assert_correct(check.rnn_step(_step_by_hand), capsys)
    assert_diagnosed(check.rnn_step(lambda h, x, Wh, Wx, b: np.arctanh(np.clip(_step_by_hand(h, x, Wh, Wx, b),
                                                                               -0.999999, 0.999999))), capsys=capsys)
    assert_diagnosed(check.rnn_step(lambda h, x, Wh, Wx, b: np.tanh(Wx @ x + b)), "previous state", capsys)
    assert_diagnosed(check.rnn_step(lambda h, x, Wh, Wx, b: Wh @ h + Wx @ x + b), "forgot the tanh", capsys)
    assert_not_done(check.rnn_step(...))
    assert_survives(check.rnn_step, function_calls())


def _run_by_hand(X, Wh, Wx, b):
    h, out = np.zeros(len(b)), []
    for x in X:
        h = _step_by_hand(h, x, Wh, Wx, b)
        out.append(h)
    return np.array(out)


def test_run_rnn_check(capsys):
    assert_correct(check.run_rnn(_run_by_hand), capsys)
    assert_diagnosed(check.run_rnn(lambda X, Wh, Wx, b: np.array([_step_by_hand(np.zeros(len(b)), x, Wh, Wx, b)
                                                                  for x in X])), "carry h", capsys)
    assert_diagnosed(check.run_rnn(lambda X, Wh, Wx, b: _run_by_hand(X, Wh, Wx, b)[-1]), "only the last state", capsys)
    assert_survives(check.run_rnn, function_calls())


def test_first_word_jacobian_matches_nudging():
    J = first_word_jacobian(X)
    assert J.shape == (3, 4)
    assert np.allclose(J, _numeric_jacobian(lambda Z: rnn(Z)[-1], X, 0), atol=1e-8)


def test_first_word_jacobian_check(capsys):
    def by_nudging(X_, Wh, Wx, b):
        return _numeric_jacobian(lambda Z: _run_by_hand(Z, Wh, Wx, b)[-1], X_, 0)

    assert_correct(check.first_word_jacobian(by_nudging), capsys)

    def no_slopes(X_, Wh, Wx, b):
        J = np.asarray(Wx, float)
        for _ in range(1, len(X_)):
            J = np.asarray(Wh) @ J
        return J

    def no_first_slope(X_, Wh, Wx, b):
        H = _run_by_hand(X_, Wh, Wx, b)
        J = np.asarray(Wx, float)
        for t in range(1, len(H)):
            J = np.diag(1 - H[t] ** 2) @ np.asarray(Wh) @ J
        return J

    assert_diagnosed(check.first_word_jacobian(no_slopes), "tanh slopes", capsys)
    assert_diagnosed(check.first_word_jacobian(no_first_slope), "slope D_1", capsys)
    assert_survives(check.first_word_jacobian, function_calls())
