"""EpochBatches: every example once per epoch, reproducible from a seed, the same order as the lessons'
former inline code."""
import numpy as np
import pytest

from visualizer.data.batches import EpochBatches


def reference(n, batch, steps, seed):
    """The inline code the lessons had: a permutation at start, a new one when the epoch is used up."""
    rng = np.random.default_rng(seed)
    order, pos, out = rng.permutation(n), 0, []
    for _ in range(steps):
        if pos >= len(order):
            order, pos = rng.permutation(n), 0
        idx = order[pos:pos + batch]
        pos += len(idx)
        out.append(idx)
    return out


def test_same_batches_as_the_former_inline_code():
    batches = EpochBatches(10, np.random.default_rng(3))
    for got, want in zip([batches.next(4) for _ in range(9)], reference(10, 4, 9, 3)):
        np.testing.assert_array_equal(got, want)


def test_each_epoch_visits_every_example_once():
    batches = EpochBatches(10, np.random.default_rng(0))
    epoch = np.concatenate([batches.next(4) for _ in range(3)])           # 4 + 4 + 2
    assert sorted(epoch.tolist()) == list(range(10))


def test_full_only_skips_the_short_slice_and_lazy_draws_later():
    rng = np.random.default_rng(0)
    batches = EpochBatches(10, rng, lazy=True, full_only=True)
    assert len(batches.order) == 0
    sizes = [len(batches.next(4)) for _ in range(6)]
    assert sizes == [4] * 6


def test_errors():
    with pytest.raises(ValueError, match="at least one example"):
        EpochBatches(0, np.random.default_rng(0))
    with pytest.raises(ValueError, match="batch size"):
        EpochBatches(3, np.random.default_rng(0)).next(0)
