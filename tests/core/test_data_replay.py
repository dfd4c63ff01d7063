"""The uniform replay buffers: ring order, overwrite, uniform sampling, checkpoints; the frame-stack buffer
rebuilds s' from s and one new frame."""
import numpy as np
import pytest

from visualizer.core.errors import LessonConfigError
from visualizer.data.replay import FrameReplayBuffer, ReplayBuffer


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


def frame_episode(steps, frames=4, side=6):
    """Stacks of a fake episode, as FrameStackObservation gives them: frame t is filled with t + 1; the start is
    padded with the first frame."""
    pics = [np.full((side, side), t + 1, np.uint8) for t in range(steps + 1)]
    return [np.stack([pics[max(t - k, 0)] for k in range(frames - 1, -1, -1)]) for t in range(steps + 1)]


def test_frame_buffer_rebuilds_the_next_stack_from_the_newest_frame():
    stacks = frame_episode(7)
    buf = FrameReplayBuffer(5, 4, 6, 6)
    for t in range(7):
        buf.add(stacks[t], t % 3, float(t), stacks[t + 1], t == 6)
    assert len(buf) == 5 and buf.pointer == 2
    assert buf.states.dtype == np.uint8 and buf.next_frames.shape == (5, 6, 6)
    s = buf.sample(200, np.random.default_rng(0))
    assert s["states"].dtype == np.uint8 and s["next_states"].shape == (200, 4, 6, 6)
    for i in range(200):
        t = int(s["rewards"][i])
        assert t >= 2                                                   # 0 and 1 were overwritten
        np.testing.assert_array_equal(s["states"][i], stacks[t])
        np.testing.assert_array_equal(s["next_states"][i], stacks[t + 1])
        assert s["actions"][i] == t % 3 and s["dones"][i] == float(t == 6)
    assert set(s["rewards"].tolist()) == {2.0, 3.0, 4.0, 5.0, 6.0}


def test_frame_buffer_samples_into_given_arrays_and_refuses_when_empty():
    buf = FrameReplayBuffer(10, 4, 6, 6)
    with pytest.raises(ValueError):
        buf.sample(2, np.random.default_rng(0))
    stacks = frame_episode(3)
    for t in range(3):
        buf.add(stacks[t], 1, 1.0, stacks[t + 1], False)
    out = {"states": np.zeros((4, 4, 6, 6), np.uint8), "next_states": np.zeros((4, 4, 6, 6), np.uint8),
           "actions": np.zeros(4, np.int64), "rewards": np.zeros(4, np.float32), "dones": np.ones(4, np.float32)}
    got = buf.sample(4, np.random.default_rng(1), out=out)
    assert got is out and (out["next_states"][:, -1] > 0).all() and (out["dones"] == 0).all()
    assert buf.nbytes == 10 * 5 * 36 + 10 * (8 + 4 + 4)
    with pytest.raises(ValueError):
        FrameReplayBuffer(0)
