"""The halving snapshot history shared by the histogram and gradient-norm probes."""
import numpy as np
import pytest

from visualizer.probes.snapshot_history import SnapshotHistory


def test_full_history_keeps_every_second_record_and_doubles_the_stride():
    h = SnapshotHistory(capacity=4, width=2)
    kept_at = {}
    for step in range(0, 20):
        if h.due(step):
            kept = h.record(step, [step, -step])
            if kept is not None:
                kept_at[step] = kept.tolist()
    assert len(h) <= 4 and h.stride == 8
    assert kept_at[4] == [0, 2]                          # steps 0 and 2 of 0..3 lie on stride 2
    np.testing.assert_array_equal(h.rows[:, 0], h.steps)   # each row stays with its step
    assert h.steps[0] == 0 and h.steps[-1] == 16 and np.all(np.diff(h.steps) > 0)
    assert h.extent_x() == (0.0, 16.0)


def test_due_at_a_slower_calling_rate_records_once_per_stride():
    """A GPU flushes at its redraw rate: steps 3, 7, 11, ... still give one record per stride."""
    h = SnapshotHistory(capacity=64, width=1, stride=4)
    recorded = []
    for s in range(1, 24, 3):
        if h.due(s):
            h.record(s, [s])
            recorded.append(s)
    assert recorded == [1, 4, 10, 13, 16, 22]           # each crossed a multiple of 4 since the last record
    assert not h.due(23) and h.due(24)


def test_clear_and_bad_arguments():
    h = SnapshotHistory(capacity=2, width=3)
    h.record(5, np.ones(3))
    h.clear()
    assert len(h) == 0 and h.due(0) and h.extent_x() == (0.0, 1.0)
    h.record(7, np.zeros(3))
    assert h.extent_x() == (7.0, 8.0)
    with pytest.raises(ValueError):
        h.rows[0, 0] = 1.0                               # a read-only view
    with pytest.raises(ValueError, match="even"):
        SnapshotHistory(capacity=3, width=1)
    with pytest.raises(ValueError, match="width"):
        SnapshotHistory(capacity=2, width=0)
