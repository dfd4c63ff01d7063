"""visualizer.probes.vae_health: posterior collapse fires after the warm-up and patience (in steps, not
readings), once per event, re-armed by a recovery; the message names β and the way out."""
import numpy as np
import pytest

from visualizer.probes.vae_health import ACTIVE_KL, PosteriorCollapse, collapse_message


def test_collapse_detector_on_a_constructed_case():
    det = PosteriorCollapse(threshold=0.02, patience=50, warmup=20)
    zero, alive = np.full(4, 0.001), np.array([0.001, 0.5, 0.0, 0.0])
    assert not any(det.update(t, zero) for t in range(1, 21))   # warm-up: an untrained encoder has KL ≈ 0
    fired = [det.update(t, zero) for t in range(21, 101)]
    assert fired.index(True) == 49 and fired.count(True) == 1 and det.collapsed
    assert not det.update(101, alive) and not det.collapsed      # one dimension carries information again
    fired = [det.update(t, zero) for t in range(111, 171, 10)]  # a reading every 10 steps (a GPU's flushes)
    assert fired == [False, False, False, False, True, False]    # counts steps, not readings


def test_bad_patience_and_the_message():
    with pytest.raises(ValueError):
        PosteriorCollapse(patience=0)
    msg = collapse_message(300, ACTIVE_KL, 10.0)
    assert "Posterior collapse" in msg and "300 steps" in msg and "β = 10" in msg and "Lower β" in msg
