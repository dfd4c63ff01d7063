"""Lesson dqn: DQN and REINFORCE on CartPole headless with tiny settings, the pictures, the ε schedule's and the
grid world's errors, divergence detection, the target sync, and the episode watcher."""
import numpy as np
import pytest
import torch

from lessons.dqn.animation import EpisodeWatcher
from lessons.dqn.lesson import LESSON
from tests.lessons.torch_helpers import Recorder, one_torch_thread  # noqa: F401
from visualizer.core.lesson import LessonConfigError
from visualizer.core.plotdata import CartPoleData, CurvesData, ImageData, ScatterData, TableData

TINY = {"hidden": 16, "batch_size": 8, "warmup": 20, "train_every": 1, "buffer_size": 500, "target_sync": 50}


pytestmark = pytest.mark.usefixtures("one_torch_thread")     # as the app's training process


class PauseRecorder(Recorder):
    def __init__(self):
        super().__init__()
        self.pauses = []

    def request_pause(self, message):
        self.pauses.append(message)


def build(context=None, **values):
    return LESSON(LESSON.hyperparameters({"seed": 1, **TINY, **values}), context)


def train(lesson, steps, first=1):
    return [(lesson.train_step(i), lesson.flush())[1] for i in range(first, first + steps)]


def test_dqn_trains_and_reports_its_metrics():
    lesson = build()
    ms = train(lesson, 120)
    assert all("epsilon" in m for m in ms)
    assert ms[0]["epsilon"] == 1.0 and ms[-1]["epsilon"] < 1.0
    assert not any("loss" in m for m in ms[:19]) and all("loss" in m and "td_error" in m for m in ms[20:])
    ends = [m for m in ms if "episode_return" in m]
    assert ends, "no episode finished in 120 random steps"
    assert ends[0]["return_mean_20"] == ends[0]["episode_return"]
    assert lesson.run.updates == 101 and len(lesson.run.replay) == 120
    lesson.close()


def test_pictures_have_data_from_the_first_steps():
    lesson = build(warmup=2)
    train(lesson, 3)
    snap = lesson.snapshot()
    assert isinstance(snap["environment"], CartPoleData) and len(snap["environment"].states) >= 1
    assert isinstance(snap["q_episode"], CurvesData)
    assert all(len(x) == 3 for x, _ in snap["q_episode"].series.values())
    assert isinstance(snap["replay"], ScatterData) and snap["replay"].values.shape == (3,)
    assert isinstance(snap["value"], ImageData) and np.isfinite(snap["value"].image).all()
    table = snap["episodes"]
    assert isinstance(table, TableData) and len(table.table()[1]) == 1        # the running episode
    assert table.row_labels[0].endswith("(running)")
    lesson.close()


def test_the_environment_frames_follow_the_states_stored():
    lesson = build(animation="fast")
    train(lesson, 5)
    env = lesson.snapshot()["environment"]
    run = lesson.run
    np.testing.assert_array_equal(env.states[-1], run.ep_states[run.ep_len])
    assert env.actions[-1] == -1 and env.q_values.shape == (len(env.states), 2)
    lesson.close()


def test_reinforce_updates_once_per_episode_with_and_without_a_baseline():
    for baseline in (True, False):
        lesson = build(method="reinforce", baseline=baseline)
        ms = train(lesson, 80)
        ends = [i for i, m in enumerate(ms) if "episode_return" in m]
        updates = [i for i, m in enumerate(ms) if "policy_loss" in m]
        assert ends and ends == updates
        assert all(("value_loss" in ms[i]) == baseline for i in updates)
        assert "epsilon" not in ms[0] and lesson.run.replay is None
        snap = lesson.snapshot()
        assert "replay" not in snap
        pi = np.stack([y for _, y in snap["q_episode"].series.values()], 1)
        np.testing.assert_allclose(pi.sum(1), 1.0, rtol=1e-5)                    # π(left) + π(right)
        lesson.close()


def test_target_network_syncs_every_period():
    lesson = build(target_sync=30, warmup=5)
    run = lesson.run

    def same():
        return all(torch.equal(a, b) for a, b in zip(run.net.parameters(), run.target.parameters()))
    train(lesson, 29)
    assert not same()                                # updated since the start, not yet copied
    train(lesson, 1, first=30)
    assert same()
    train(lesson, 1, first=31)
    assert not same()
    lesson.close()


def test_an_epsilon_schedule_that_ends_above_its_start_is_refused():
    with pytest.raises(LessonConfigError, match="ends above its start"):
        build(eps_start=0.1, eps_end=0.5)
    lesson = build(eps_start=0.5, eps_end=0.1)
    with pytest.raises(LessonConfigError, match="ends above its start"):
        lesson.set_live("eps_end", 0.9)
    assert lesson.hp["eps_end"] == 0.1
    lesson.set_live("eps_end", 0.2)
    assert lesson.hp["eps_end"] == 0.2
    lesson.close()


def test_diverging_q_values_pause_the_run_with_an_explanation():
    ctx = PauseRecorder()
    lesson = build(ctx, lr=0.5, huber=False, double_dqn=False, target_sync=1, warmup=10, gamma=0.99)
    ms = train(lesson, 400)
    assert ctx.pauses, "no pause requested"
    assert "diverged" in ctx.pauses[0] and "1/(1 − γ) = 100" in ctx.pauses[0] and "0.5" in ctx.pauses[0]
    assert len(ctx.pauses) == 1 or ms                # asked once while it stays diverged
    assert lesson.run.env_steps == 400               # the run so far is kept
    assert "learning rate" in lesson.divergence_hint()
    lesson.close()


def test_live_settings_reach_the_run():
    lesson = build()
    lesson.set_live("lr", 1e-2)
    assert lesson.run.trainer.optimizers["main"].param_groups[0]["lr"] == 1e-2
    lesson.set_live("double_dqn", False)
    assert lesson.hp["double_dqn"] is False
    train(lesson, 25)
    lesson.close()


def test_watch_mode_hands_out_frames_at_real_time():
    w = EpisodeWatcher(11, every=10, fps=50.0)
    states = np.arange(44, dtype=np.float32).reshape(11, 4)
    actions = np.ones(11, dtype=np.int64)
    q = np.zeros((11, 2), dtype=np.float32)
    rewards = np.ones(11, dtype=np.float32)
    w.episode_started(0)
    w.episode_ended(0, states, actions, q, rewards, 10)            # 11 frames, training ran ahead
    f = w.take("watch", 0.0, 3, states, actions, q, rewards, 0)
    assert len(f["states"]) == 1 and f["episode"] == 0
    f = w.take("watch", 0.1, 3, states, actions, q, rewards, 0)    # 0.1 s at 50 fps: 5 frames
    assert f["step"] == 1 and len(f["states"]) == 5
    f = w.take("watch", 1.0, 3, states, actions, q, rewards, 0)
    assert f["step"] == 6 and len(f["states"]) == 5 and f["actions"][-1] == -1 and f["ret"] == 10
    assert w.watching is None and w.next_due == 10                 # the next one watched: episode 10
    w.episode_started(5)
    assert w.watching is None
    w.episode_started(10)
    assert w.watching == 10
    fast = w.take("fast", 2.0, 10, states, actions, q, rewards, 7)
    np.testing.assert_array_equal(fast["states"], states[5:8])


@pytest.mark.parametrize("method", ["dqn", "reinforce"])
def test_a_checkpoint_restores_the_run_across_episode_ends(method):
    """Save, train through episode ends (REINFORCE updates there), load, train again: the same metrics."""
    import copy
    lesson = build(method=method, warmup=5)
    train(lesson, 30)
    state = lesson.checkpoint_state()
    rng = copy.deepcopy(lesson.run.rng.bit_generator.state)
    first = train(lesson, 60, first=31)
    assert any("episode_return" in m for m in first)
    lesson.load_checkpoint_state(state)
    lesson.run.rng.bit_generator.state = rng
    again = train(lesson, 60, first=31)
    def timeless(ms):
        return [{k: v for k, v in m.items() if k != "steps_per_s"} for m in ms]
    assert timeless(again) == timeless(first)
    lesson.close()


@pytest.mark.parametrize("method", ["dqn", "reinforce"])
def test_acting_through_numpy_views_matches_the_torch_network(method):
    """On the CPU one-state forward passes use NumPy views of the weights: they must follow every update."""
    lesson = build(method=method, warmup=5)
    train(lesson, 60)
    run = lesson.run
    s = run.ep_states[:1]
    fast = run._values(s)
    layers, run._np_layers = run._np_layers, None                # the torch path (what CUDA runs)
    np.testing.assert_allclose(fast, run._values(s), rtol=1e-5, atol=1e-6)
    run._np_layers = layers
    lesson.close()


def test_the_lesson_runs_the_grid_world_and_refuses_a_map_without_a_reachable_goal():
    lesson = build(env="grid", lr=1.0, eps_end=0.6, eps_decay_steps=200)
    try:
        ms = train(lesson, 300)
        assert all(np.isfinite(m["epsilon"]) for m in ms)
        pictures = lesson.snapshot()
        env = pictures["environment"]
        assert env.editable and env.cells.shape == (7, 7)
        lesson.set_live("grid_edit", "0,1")                      # paints a wall with the default tool
        assert lesson.run.env.cells[0, 1] == 1
    finally:
        lesson.close()
    with pytest.raises(LessonConfigError, match="goal"):
        build(env="grid", grid_map="S.#G")
