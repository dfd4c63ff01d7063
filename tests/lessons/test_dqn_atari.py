"""Lesson dqn on Atari (ale-py's Pong) with tiny settings on the CPU (DLVIS_ATARI_ON_CPU=1): metrics, the episode
log, the picture with the game's action names, a checkpoint round trip; and the refusals: the CPU without the
variable, ale-py missing, REINFORCE."""
import sys

import numpy as np
import pytest
import torch

from lessons.dqn import atari_run
from lessons.dqn.animation import ClipWatcher
from lessons.dqn.lesson import LESSON
from tests.lessons.torch_helpers import one_torch_thread  # noqa: F401
from visualizer.core.lesson import LessonConfigError
from visualizer.core.plotdata import AtariFrameData, CurvesData, TableData

pytest.importorskip("ale_py")
pytest.importorskip("cv2")
pytestmark = pytest.mark.usefixtures("one_torch_thread")

TINY = {"env": "atari", "buffer_size": 500, "warmup": 100, "batch_size": 8, "train_every": 4, "target_sync": 100}
PONG_ACTIONS = ("NOOP", "FIRE", "RIGHT", "LEFT", "RIGHTFIRE", "LEFTFIRE")


@pytest.fixture
def on_cpu(monkeypatch):
    monkeypatch.setenv("DLVIS_ATARI_ON_CPU", "1")
    monkeypatch.setattr(atari_run, "MAX_EPISODE_STEPS", 60)         # short episodes: the log fills quickly


def build(**values):
    return LESSON(LESSON.hyperparameters({"seed": 1, **TINY, **values}))


def train(lesson, steps, first=1):
    return [(lesson.train_step(i), lesson.flush())[1] for i in range(first, first + steps)]


def test_a_tiny_pong_run_learns_logs_episodes_and_draws_the_screen(on_cpu):
    lesson = build(animation="fast")
    ms = train(lesson, 200)
    run = lesson.run
    assert run.updates == (200 - 100) // 4 + 1 and len(run.replay) == 200
    updates = [m for m in ms if "loss" in m]
    assert len(updates) == run.updates
    assert all(np.isfinite([m["loss"], m["td_error"], m["q_mean"], m["q_max"]]).all() for m in updates)
    ends = [m for m in ms if "episode_return" in m]
    assert len(ends) == 3 and all(m["episode_length"] == 60 for m in ends)
    assert all(float(m["episode_return"]).is_integer() and -60 <= m["episode_return"] <= 60 for m in ends)
    assert run.replay.states.dtype == np.uint8 and set(np.unique(run.replay.rewards)) <= {-1.0, 0.0, 1.0}
    snap = lesson.snapshot()
    assert set(snap) == {"environment", "q_episode", "episodes"}          # no replay scatter, no value slice
    env = snap["environment"]
    assert isinstance(env, AtariFrameData) and env.action_names == PONG_ACTIONS
    assert env.frames.shape == (1, 210, 160, 3) and env.frames.dtype == np.uint8 and env.frames.std() > 0
    np.testing.assert_allclose(env.q_values[0], run._q(run.state), rtol=1e-6)
    q = snap["q_episode"]
    assert isinstance(q, CurvesData) and list(q.series) == [f"Q(s, {a})" for a in PONG_ACTIONS]
    table = snap["episodes"]
    assert isinstance(table, TableData) and len(table.row_labels) == 4 and table.row_labels[0] == "3 (running)"
    lesson.close()


def test_watch_mode_hands_out_consecutive_frames_of_one_episode(on_cpu):
    lesson = build(animation="watch")
    train(lesson, 30)
    watcher = lesson.run.watcher
    assert watcher.n == 30 and watcher.recording                 # a clip of 48: still recording
    frames = [lesson.run.watcher.take(t / 15.0) for t in range(1, 40)]
    steps = [f["step"] for f in frames]
    assert steps[:3] == [0, 1, 2] and steps[-1] == 29               # real time: one frame per 1/15 s, then held
    lesson.close()


def test_checkpoint_round_trip_gives_the_same_q_values(on_cpu):
    a = build()
    train(a, 150)
    state = a.checkpoint_state()
    assert not any(k.startswith("replay.") for k in state)          # the buffer is not saved
    b = build(seed=2)
    x = torch.from_numpy(a.run.state)[None]
    with torch.no_grad():
        assert not torch.equal(a.run.net(x), b.run.net(x))
        b.load_checkpoint_state(state)
        np.testing.assert_array_equal(a.run.net(x).numpy(), b.run.net(x).numpy())
        np.testing.assert_array_equal(a.run.target(x).numpy(), b.run.target(x).numpy())
    assert (b.run.env_steps, b.run.episode, b.run.updates, b.run.n_log) == (150, 2, 13, 2)
    train(b, 5, first=151)                                          # and it trains on
    bad = dict(state, **{"run.counters": np.array([-1, 0, 0])})
    with pytest.raises(LessonConfigError, match="run.counters"):
        b.load_checkpoint_state(bad)
    a.close()
    b.close()


def test_the_cpu_is_refused_without_the_variable(monkeypatch):
    monkeypatch.delenv("DLVIS_ATARI_ON_CPU", raising=False)
    with pytest.raises(LessonConfigError, match="Atari is for CUDA machines.*Set Device to cuda; on this CPU use CartPole"):
        build()


def test_missing_ale_py_names_the_install_command(on_cpu, monkeypatch):
    monkeypatch.setitem(sys.modules, "ale_py", None)
    with pytest.raises(LessonConfigError, match=r'pip install -e "\.\[atari\]"'):
        build()


def test_reinforce_on_atari_is_refused(on_cpu):
    with pytest.raises(LessonConfigError, match="DQN only"):
        build(method="reinforce")


def test_clip_watcher_ends_a_clip_at_the_episode_end_and_starts_the_next():
    w = ClipWatcher(4, 2, shape=(2, 2, 3), fps=10.0)
    for t in range(3):
        w.record(0, t, np.full((2, 2, 3), t, np.uint8), 1, np.array([t, -t], np.float32), float(t))
    w.record(1, 0, np.zeros((2, 2, 3), np.uint8), 0, np.zeros(2, np.float32), 0.0)      # the episode ended
    assert w.n == 3 and not w.recording
    assert w.take(0.0)["step"] == 0                                   # the first call: one frame
    f = w.take(1.0)                                                   # a second later: every frame left
    assert f["frames"][:, 0, 0, 0].tolist() == [1, 2] and f["step"] == 1
    assert w.recording and w.n == 0                                   # shown: the next clip records
