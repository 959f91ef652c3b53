"""flash_attention: the online softmax over key blocks equals the plain kernel (float64, 1e-12)
and PyTorch (float32, 1e-5), masks and fully masked rows included, for block sizes that do
not divide n; it never forms the (n_q, n_k) weights; it refuses what the plain kernel refuses."""

import importlib
import sys
import threading
import tracemalloc

import numpy as np
import pytest

from helpers import causal_mask, scaled_dot_product_attention, softmax
from helpers.kernels import attention, flash, flash_attention, rows
from helpers.kernels.flash import bounded_scores

torch = None  # imported by the reference tests' fixture when they run (see test_kernels_reference)

SHAPES = [((5, 3), (5, 3), (5, 2)), ((2, 3, 37, 8), (2, 3, 37, 8), (2, 3, 37, 5)),
          ((1, 100, 16), (1, 130, 16), (1, 130, 16)), ((4, 2, 9, 4), (1, 2, 11, 4), (4, 1, 11, 6))]
BLOCKS = [1, 3, 7, 16, 64, None]


def random_mask(rng, batch, n_q, n_k, p=0.6):
    """A boolean mask with some rows fully masked (every key hidden from that query)."""
    mask = rng.random(batch + (n_q, n_k)) < p
    mask[..., 0, :] = False  # the first query sees nothing
    return mask


@pytest.mark.parametrize("shapes", SHAPES, ids=lambda s: "x".join(map(str, s[0])))
@pytest.mark.parametrize("block_size", BLOCKS)
@pytest.mark.parametrize("kind", ["none", "causal", "random"])
def test_equals_the_plain_kernel_in_float64(shapes, block_size, kind):
    rng = np.random.default_rng(len(shapes[0]) * 100 + (block_size or 0))
    q, k, v = (rng.standard_normal(s) for s in shapes)
    n_q, n_k = q.shape[-2], k.shape[-2]
    mask = {"none": None, "causal": np.tril(np.ones((n_q, n_k), bool)),
            "random": random_mask(rng, np.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2]), n_q, n_k)}[kind]
    want, weights = scaled_dot_product_attention(q, k, v, mask)
    got = flash_attention(q, k, v, mask, block_size=block_size)
    assert got.shape == want.shape and got.dtype == np.float64
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)
    if kind == "random":  # fully masked rows: zeros, never NaN
        hidden = ~np.any(np.broadcast_to(mask, weights.shape), axis=-1)
        assert hidden.any() and not np.isnan(got).any()
        assert np.all(got[np.broadcast_to(hidden, got.shape[:-1])] == 0)


@pytest.mark.parametrize("size", [1.0, 40.0], ids=["bounded scores", "large scores"])
@pytest.mark.parametrize("kind", ["none", "random"])
def test_both_paths_equal_the_plain_kernel(size, kind):
    """Scores that Cauchy–Schwarz bounds skip the running maximum; large ones (|score| up to
    ~10^3, e^score overflows) need it. Both give the plain kernel's result."""
    rng = np.random.default_rng(11)
    q, k = rng.standard_normal((2, 70, 8)) * size, rng.standard_normal((2, 90, 8)) * size
    v = rng.standard_normal((2, 90, 3))
    qs = q / np.sqrt(8)
    assert bounded_scores(qs, k, v) == (size == 1.0)
    mask = None if kind == "none" else random_mask(rng, (2,), 70, 90)
    want, _ = scaled_dot_product_attention(q, k, v, mask)
    for block_size in (13, None):
        got = flash_attention(q, k, v, mask, block_size=block_size)
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)
        assert not np.isnan(got).any()


def test_the_bound_refuses_what_would_overflow():
    """e^bound · n_k · max|v| must fit the float; inf and nan never count as bounded."""
    q = np.full((1, 4, 2), 0.5, np.float32)
    k = np.ones((1, 4, 2), np.float32)  # every score is exactly 1 = |q|·|k|
    assert bounded_scores(q, k, np.ones((1, 4, 3), np.float32))
    assert not bounded_scores(q, k, np.full((1, 4, 3), 1e37, np.float32))  # e · 4 · 1e37 overflows
    assert not bounded_scores(q * 40, k, np.ones((1, 4, 3), np.float32))  # bound 40 > 0.4 · 87
    assert bounded_scores(q.astype(np.float64) * 40, k.astype(np.float64), np.ones((1, 4, 3)))  # float64 has room
    assert not bounded_scores(q * np.inf, k, np.ones((1, 4, 3), np.float32))
    assert not bounded_scores(q * np.nan, k, np.ones((1, 4, 3), np.float32))


def test_a_custom_scale_and_integer_input():
    q = [[1, 0], [0, 2]]
    k = [[1, 1], [2, 0], [0, 3]]
    v = [[1, 2], [3, 4], [5, 6]]
    want, _ = scaled_dot_product_attention(q, k, v, scale=0.5)
    np.testing.assert_allclose(flash_attention(q, k, v, scale=0.5, block_size=2), want, atol=1e-12)


def test_float32_stays_float32():
    rng = np.random.default_rng(3)
    q, k, v = (rng.standard_normal((2, 50, 8), dtype=np.float32) for _ in range(3))
    out = flash_attention(q, k, v, causal_mask(50), block_size=16)
    assert out.dtype == np.float32
    want, _ = scaled_dot_product_attention(q, k, v, causal_mask(50))
    np.testing.assert_allclose(out, want, atol=1e-5)


def test_memory_grows_with_n_not_n_squared():
    """Peak memory (numpy's, tracemalloc) at n = 4096 for one head stays far below the n × n
    scores (64 MiB in float32), and grows about linearly from n = 2048 (not 4×)."""
    rng = np.random.default_rng(4)

    def peak(n):
        q, k, v = (rng.standard_normal((n, 32), dtype=np.float32) for _ in range(3))
        tracemalloc.start()
        flash_attention(q, k, v, block_size=256)
        top = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return top

    small, large = peak(2048), peak(4096)
    assert large < 64 * 2**20 / 4, f"{large / 2**20:.1f} MiB at n = 4096"
    assert large < 3 * small


@pytest.mark.parametrize("kwargs, message", [
    ({"block_size": 0}, "block_size must be a whole number of keys, 1 or more, got 0"),
    ({"block_size": 2.5}, "block_size must be a whole number of keys, 1 or more, got 2.5"),
    ({"mask": np.ones((3, 4))}, "mask must be boolean"),
    ({"mask": np.ones((2, 2), bool)}, "mask has shape (2, 2), which does not broadcast"),
])
def test_bad_arguments_are_named(kwargs, message):
    q, k, v = np.ones((3, 2)), np.ones((4, 2)), np.ones((4, 5))
    with pytest.raises(ValueError) as err:
        flash_attention(q, k, v, **kwargs)
    assert message in str(err.value)


def test_shapes_are_checked_like_the_plain_kernel():
    q, k, v = np.ones((5, 3)), np.ones((5, 4)), np.ones((5, 4))
    with pytest.raises(ValueError) as plain:
        scaled_dot_product_attention(q, k, v)
    with pytest.raises(ValueError) as flash:
        flash_attention(q, k, v)
    assert str(flash.value) == str(plain.value)


# ---------------------------------------------------------------- blocks on several threads


def _spy_threads(monkeypatch, module, name):
    """Wrap module.name so that the set it returns fills with the ids of the threads that call it.
    While the set's `barrier` is a threading.Barrier, each new thread waits there on its first call
    (so that on two threads, neither can take every block before the other starts)."""

    class Seen(set):
        barrier = None

    seen, original = Seen(), getattr(module, name)

    def spy(*args, **kwargs):
        if seen.barrier is not None and threading.get_ident() not in seen:
            seen.add(threading.get_ident())
            seen.barrier.wait()
        seen.add(threading.get_ident())
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, spy)
    return seen


def _one_thread_then_two(monkeypatch, run, seen):
    """run() on one thread (BLAS held to one thread too), then with the blocks on two threads;
    checks through `seen` (see _spy_threads) that they did run on one thread, then on two others."""
    threadpoolctl = pytest.importorskip("threadpoolctl")
    monkeypatch.setattr(rows, "THREADS", 1)
    with threadpoolctl.threadpool_limits(1, user_api="blas"):
        alone = run()
    assert seen == {threading.get_ident()}
    seen.clear()
    seen.barrier = threading.Barrier(2, timeout=30)  # broken (an error) unless two threads arrive
    monkeypatch.setattr(rows, "THREADS", 2)
    threaded = run()
    assert len(seen) == 2 and threading.get_ident() not in seen
    return alone, threaded


@pytest.mark.parametrize("bounded", [True, False], ids=["bounded scores", "large scores"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_flash_on_two_threads_equals_one_thread_to_the_bit(monkeypatch, bounded, dtype):
    """Each thread owns whole blocks of queries (disjoint rows of out) and does their steps as one
    thread would: the same bits, masks and fully masked rows included."""
    monkeypatch.setattr(flash, "SCORES_PER_BLOCK", 1 << 10)  # many small blocks: 2 heads × 5 blocks of 32 queries
    rng = np.random.default_rng(21)
    q, k = (rng.standard_normal((2, 130, 16)).astype(dtype) * (1 if bounded else 30) for _ in range(2))
    v = rng.standard_normal((2, 130, 4)).astype(dtype)
    mask = random_mask(rng, (2,), 130, 130)
    seen = _spy_threads(monkeypatch, flash, "_query_block" if bounded else "_query_block_with_max")
    alone, threaded = _one_thread_then_two(monkeypatch, lambda: flash_attention(q, k, v, mask, block_size=32), seen)
    assert threaded.dtype == dtype and np.array_equal(threaded, alone)
    tol = 1e-12 if dtype == np.float64 else 1e-5 if bounded else 1e-3  # float32: |score| up to ~10^3
    np.testing.assert_allclose(threaded, scaled_dot_product_attention(q, k, v, mask)[0], rtol=0, atol=tol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_plain_kernel_on_two_threads_equals_one_thread_to_the_bit(monkeypatch, dtype):
    monkeypatch.setattr(attention, "SCORES_PER_BLOCK", 1 << 11)  # 3 heads × 10 blocks of 14 queries
    rng = np.random.default_rng(22)
    q, k, v = (rng.standard_normal((3, 140, 8)).astype(dtype) for _ in range(3))
    mask = random_mask(rng, (3,), 140, 140)
    seen = _spy_threads(monkeypatch, attention, "softmax_rows_inplace")
    alone, threaded = _one_thread_then_two(monkeypatch, lambda: scaled_dot_product_attention(q, k, v, mask), seen)
    assert np.array_equal(threaded[0], alone[0]) and np.array_equal(threaded[1], alone[1])
    if dtype == np.float64:  # (in float32, BLAS's last bit depends on how the rows are split into blocks)
        scores = np.where(mask, q @ np.swapaxes(k, -1, -2) * (1 / np.sqrt(8)), -np.inf)
        assert np.array_equal(threaded[1], softmax(scores))  # still the softmax by hand, to the bit


@pytest.fixture
def without_threadpoolctl(monkeypatch):
    """helpers.kernels.rows as imported where threadpoolctl is not installed."""
    monkeypatch.setitem(sys.modules, "threadpoolctl", None)  # `import threadpoolctl` now fails
    importlib.reload(rows)
    yield
    monkeypatch.undo()
    importlib.reload(rows)


def test_without_threadpoolctl_the_blocks_run_on_the_calling_thread(without_threadpoolctl, monkeypatch):
    assert rows.ThreadpoolController is None
    monkeypatch.setattr(rows, "THREADS", 2)
    monkeypatch.setattr(flash, "SCORES_PER_BLOCK", 1 << 10)
    rng = np.random.default_rng(23)
    q, k, v = (rng.standard_normal((2, 100, 8)) for _ in range(3))
    seen = _spy_threads(monkeypatch, flash, "_query_block")
    got = flash_attention(q, k, v, causal_mask(100), block_size=32)
    assert seen == {threading.get_ident()}
    np.testing.assert_allclose(got, scaled_dot_product_attention(q, k, v, causal_mask(100))[0], rtol=0, atol=1e-12)


def test_small_inputs_stay_on_one_thread(monkeypatch):
    """One block of work (lesson 13's sizes, the tests'): no threads are started."""
    monkeypatch.setattr(rows, "THREADS", 2)
    q, k, v = (np.random.default_rng(24).standard_normal((4, 50, 8)) for _ in range(3))
    seen = _spy_threads(monkeypatch, flash, "_query_block")
    flash_attention(q, k, v)
    assert seen == {threading.get_ident()}


# ---------------------------------------------------------------- against PyTorch (float32)


@pytest.fixture(scope="module")
def _torch():
    global torch
    torch = pytest.importorskip("torch")


@pytest.mark.reference
@pytest.mark.parametrize("n, block_size", [(33, 8), (200, 64), (513, 128)])
def test_equals_torch_in_float32_with_a_causal_mask(_torch, n, block_size):
    rng = np.random.default_rng(n)
    q, k, v = (rng.standard_normal((2, 4, n, 16), dtype=np.float32) for _ in range(3))
    mask = causal_mask(n)
    want = torch.nn.functional.scaled_dot_product_attention(
        torch.from_numpy(q), torch.from_numpy(k), torch.from_numpy(v), attn_mask=torch.from_numpy(mask)).numpy()
    np.testing.assert_allclose(flash_attention(q, k, v, mask, block_size=block_size), want, atol=1e-5)


@pytest.mark.reference
@pytest.mark.parametrize("seed", range(6))
def test_equals_torch_in_float32_on_random_shapes_and_masks(_torch, seed):
    """Random batch, heads, lengths (n_q != n_k) and head sizes, a random boolean mask with fully
    masked rows, and a block size that does not divide the number of keys."""
    rng = np.random.default_rng(1000 + seed)
    b, h = (int(x) for x in rng.integers(1, 4, size=2))
    n_q, n_k = (int(x) for x in rng.integers(5, 150, size=2))
    d, d_v = (int(x) for x in rng.integers(2, 33, size=2))
    block_size = int(rng.integers(2, n_k))
    block_size += n_k % block_size == 0  # never a divisor of n_k
    assert n_k % block_size != 0
    q = rng.standard_normal((b, h, n_q, d), dtype=np.float32)
    k = rng.standard_normal((b, h, n_k, d), dtype=np.float32)
    v = rng.standard_normal((b, h, n_k, d_v), dtype=np.float32)
    mask = random_mask(rng, (b, 1), n_q, n_k, p=0.3)
    mask[..., 1, :] = True  # keep one full row beside the empty one
    want = torch.nn.functional.scaled_dot_product_attention(
        torch.from_numpy(q), torch.from_numpy(k), torch.from_numpy(v), attn_mask=torch.from_numpy(mask)).numpy()
    got = flash_attention(q, k, v, mask, block_size=block_size)
    assert got.shape == want.shape == (b, h, n_q, d_v) and got.dtype == np.float32
    hidden = np.broadcast_to(~mask.any(axis=-1), got.shape[:-1])
    assert hidden.any() and np.all(got[hidden] == 0) and not np.isnan(got).any()
    np.testing.assert_allclose(got[~hidden], want[~hidden], atol=1e-5)


@pytest.mark.reference
def test_fully_masked_rows_are_zero_where_torch_gives_nan(_torch):
    """torch's SDPA returns NaN for a query that sees no key; the course's convention is zeros."""
    rng = np.random.default_rng(7)
    q, k, v = (rng.standard_normal((1, 10, 8), dtype=np.float32) for _ in range(3))
    mask = np.ones((10, 10), bool)
    mask[3] = False
    want = torch.nn.functional.scaled_dot_product_attention(
        torch.from_numpy(q), torch.from_numpy(k), torch.from_numpy(v), attn_mask=torch.from_numpy(mask)).numpy()
    got = flash_attention(q, k, v, mask, block_size=3)
    assert np.all(got[0, 3] == 0)
    rows = [i for i in range(10) if i != 3]
    np.testing.assert_allclose(got[0, rows], want[0, rows], atol=1e-5)


@pytest.mark.reference
@pytest.mark.parametrize("size", [1.0, 40.0], ids=["small scores", "large scores"])
def test_the_plain_kernel_equals_torch_and_the_softmax_by_hand(_torch, size):
    """The plain kernel (blocks of rows) equals torch (float64), and to the bit the steps a lesson
    takes by hand: softmax(q @ kᵀ * scale) with the masked scores at −∞."""
    rng = np.random.default_rng(12)
    q, k = rng.standard_normal((3, 40, 8)) * size, rng.standard_normal((3, 50, 8)) * size
    v = rng.standard_normal((3, 50, 4))
    mask = random_mask(rng, (3,), 40, 50)
    out, weights = scaled_dot_product_attention(q, k, v, mask)
    scores = np.where(mask, q @ np.swapaxes(k, -1, -2) * (1 / np.sqrt(8)), -np.inf)
    assert np.array_equal(weights, softmax(scores))
    want = torch.nan_to_num(torch.softmax(torch.from_numpy(scores), dim=-1)).numpy()  # fully masked rows: NaN -> 0
    np.testing.assert_allclose(weights, want, rtol=0, atol=1e-12)
    np.testing.assert_allclose(out, want @ v, rtol=0, atol=1e-12)
