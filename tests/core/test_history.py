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


def test_history_pickles_with_its_series_changes_and_bounds():
    import pickle

    from visualizer.core.history import MetricHistory, ParamChange

    h = MetricHistory(capacity=8)
    for step in range(1, 40):
        h.append(step, {"train_loss": 1.0 / step, "val_loss": 2.0 / step} if step % 5 == 0 else {"train_loss": 1.0 / step})
    h.add_change(ParamChange(7, "lr", 0.1, 0.2))
    blob = pickle.dumps(h)
    assert len(blob) < 2_000                                  # only the filled buffer parts travel
    g = pickle.loads(blob)
    for name in ("train_loss", "val_loss"):
        for a, b in zip(h.series(name), g.series(name)):
            np.testing.assert_array_equal(a, b)
    assert g.changes() == h.changes() and g.version == h.version and g.last() == h.last()
    g.append(40, {"train_loss": 0.0})                         # the copy keeps working, bounded
    assert len(g.series("train_loss")[0]) <= 8 and len(h.series("train_loss")[0]) <= 8
