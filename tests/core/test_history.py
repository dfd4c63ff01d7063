import numpy as np

from visualizer.core.history import DecimatingSeries, MetricHistory


def test_series_memory_is_bounded_and_keeps_whole_range():
    s = DecimatingSeries(capacity=64)
    for i in range(1_000_000 // 50):
        s.append(i, float(i))
    x, y = s.arrays()
    assert 32 <= len(x) <= 65
    assert x[0] < 1000 and x[-1] > 19_000          # start and end of the run are both visible
    np.testing.assert_allclose(x, y)               # merged points keep step/value pairing


def test_history_bytes_flat_over_a_million_steps():
    h = MetricHistory(capacity=1024)
    sizes = []
    for i in range(1_000_000):
        if i % 4 == 0:
            h.append(i, {"train_loss": 1.0 / (i + 1)})
        if i % 250_000 == 0:
            sizes.append(h.nbytes())
    assert sizes[-1] == sizes[1]


def test_a_mirror_fed_deltas_equals_the_history_through_compactions_and_changes():
    from visualizer.core.history import MetricHistory, ParamChange

    h = MetricHistory(capacity=8)
    mirror, cursor = MetricHistory(capacity=8), {}
    sizes = []
    for step in range(1, 60):
        h.append(step, {"train_loss": 1.0 / step, "val_loss": 2.0 / step} if step % 5 == 0 else {"train_loss": 1.0 / step})
        if step == 7:
            h.add_change(ParamChange(7, "lr", 0.1, 0.2))
        if step % 3 == 0 or step == 59:
            d, cursor = h.delta(cursor)
            sizes.append((d["series"]["train_loss"]["start"], d["series"]["train_loss"]["generation"]))
            mirror.apply_delta(d)
            for name in h.names():
                for a, b in zip(h.series(name), mirror.series(name)):
                    np.testing.assert_array_equal(a, b)
            assert mirror.last() == h.last() and mirror.changes() == h.changes() and mirror.version == h.version
    starts_after_compaction = [start for (start, gen), (_, prev) in zip(sizes[1:], sizes) if gen != prev]
    assert starts_after_compaction and all(start == 0 for start in starts_after_compaction)   # whole series
    assert sum(start > 0 for start, _ in sizes) >= len(sizes) // 2                           # else new points only
    mirror.append(60, {"train_loss": 0.0})                # the mirror works on its own, bounded
    assert len(mirror.series("train_loss")[0]) <= 9
