"""The weight/gradient histogram history (visualizer.probes.histograms): bounded, spans the run, cached image.
Moved from tests/lessons/test_mlp_digits.py with the class."""
import numpy as np

from visualizer.probes.histograms import HistogramHistory


def test_histogram_history_is_bounded_and_spans_the_run():
    hist = HistogramHistory(capacity=8, sample_size=50, bins=10)
    rng = np.random.default_rng(0)
    for step in range(1, 1001):
        if hist.due(step):
            hist.record(step, rng.standard_normal((30, 20)) * (1 + step / 100))
    assert len(hist) <= 8 and hist.capacity == 8 and hist.image().image.shape == (10, len(hist))
    steps = hist.steps
    assert steps[0] <= 2 * hist.stride and steps[-1] > 1000 - hist.stride and np.all(np.diff(steps) > 0)
    img = hist.image()
    assert img.image.shape == (10, len(hist))
    np.testing.assert_allclose(np.expm1(img.image).sum(axis=0), 50, rtol=1e-5)   # every sampled value counted
    assert img.extent[3] > 5                                             # the range follows the growing spread




def test_histogram_image_is_rebuilt_only_after_a_new_record():
    hist = HistogramHistory(capacity=8, sample_size=50, bins=10)
    rng = np.random.default_rng(0)
    hist.record(1, rng.standard_normal(100))
    first = hist.image("w")
    assert hist.image("w") is first                       # nothing new: the cached image
    assert hist.image("dL/dW").y_label == "dL/dW"         # another label: another image
    hist.record(2, 5 * rng.standard_normal(100))
    second = hist.image("w")
    assert second is not first and second.image.shape == (10, 2) and second.extent[3] > first.extent[3]
    hist.clear()
    assert hist.image("w").image.shape == (10, 1)


def test_compaction_keeps_the_counts_of_the_records_it_keeps():
    """Binned counts follow their records through a compaction: the image equals one built from scratch."""
    rng = np.random.default_rng(1)
    hist, fresh = HistogramHistory(capacity=4, sample_size=20, bins=6, seed=2), None
    values = {}
    for step in range(12):
        values[step] = rng.standard_normal(40)
        if hist.due(step):
            hist.record(step, values[step])
            hist.image()                                  # bins the records seen so far
    fresh = HistogramHistory(capacity=4, sample_size=20, bins=6, seed=2)
    for step in hist.steps:
        fresh.record(int(step), values[int(step)])
    np.testing.assert_array_equal(hist.image().image, fresh.image().image)
