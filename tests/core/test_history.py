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
