"""The uniform replay buffer: ring order, overwrite, uniform sampling, checkpoints."""
import numpy as np
import pytest

from visualizer.core.errors import LessonConfigError
from visualizer.data.replay import ReplayBuffer


def filled(n, capacity=5):
    buf = ReplayBuffer(capacity, 2)
    for i in range(n):
        buf.add(np.array([i, -i], np.float32), i % 2, float(i), np.array([i + 1, -i - 1], np.float32), i == 3)
    return buf


def test_add_fills_then_overwrites_the_oldest():
    buf = filled(3)
    assert len(buf) == 3 and buf.pointer == 3
    assert buf.stored()["rewards"].tolist() == [0, 1, 2]
    buf = filled(7)
    assert len(buf) == 5 and buf.pointer == 2
    assert buf.stored()["rewards"].tolist() == [2, 3, 4, 5, 6]          # oldest first
    assert buf.dones[3] == 1.0 and buf.dones.sum() == 1.0
    assert buf.states.dtype == np.float32 and buf.actions.dtype == np.int64


def test_sample_is_uniform_over_the_stored_transitions_only():
    buf = filled(3, capacity=100)
    s = buf.sample(3000, np.random.default_rng(0))
    assert set(s["rewards"].tolist()) == {0.0, 1.0, 2.0}
    counts = np.bincount(s["rewards"].astype(int), minlength=3)
    assert counts.min() > 900                                             # about 1000 each
    np.testing.assert_array_equal(s["next_states"][:, 0], s["states"][:, 0] + 1)   # rows stay together
    with pytest.raises(ValueError):
        ReplayBuffer(4, 2).sample(2, np.random.default_rng(0))


def test_state_dict_round_trip_and_damage_rejected():
    buf = filled(7)
    state = buf.state_dict()
    other = ReplayBuffer(5, 2)
    other.load_checked(other.check_state_dict(state))
    for k in ReplayBuffer.FIELDS:
        np.testing.assert_array_equal(getattr(other, k), getattr(buf, k))
    assert (other.pointer, other.size) == (2, 5)
    bad = dict(state, **{"replay.pointer_size": np.array([7, 5])})
    with pytest.raises(LessonConfigError, match="pointer_size"):
        other.check_state_dict(bad)
    with pytest.raises(LessonConfigError, match="replay.states"):
        ReplayBuffer(6, 2).check_state_dict(state)
