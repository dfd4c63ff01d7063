"""DQN on an Atari game (Mnih et al., "Human-level control through deep reinforcement learning", Nature 2015)
through ``ale-py`` (the Arcade Learning Environment, Bellemare et al. 2013; its ROMs ship with the package) and
gymnasium's Atari wrappers.

The environment is ``ALE/Pong-v5`` or ``ALE/Breakout-v5`` made with ``frameskip=1`` (v5's sticky actions, 25 %,
kept), wrapped in ``AtariPreprocessing`` (4 frames skipped per step with a max over the last two, up to 30 no-op
starts, grey 84 x 84 frames, no terminal on a life lost) and ``FrameStackObservation(4)``: a state is a
(4, 84, 84) uint8 stack.  A lesson step is one agent step (4 emulator frames).  The agent is the CartPole run's
DQN (``visualizer.models.dqn_torch``: Double DQN and Huber toggles, target sync, linear ε) on the Nature network
(``visualizer.models.atari_dqn_torch``) and a frame replay buffer in bytes (``FrameReplayBuffer``).  Rewards
are clipped to their sign for the TD target, as Mnih et al. did; the episode log holds the game's own score.

For CUDA machines: on the CPU a build is refused unless the environment variable ``DLVIS_ATARI_ON_CPU=1`` is
set (for tests and the curious; expect a few hundred steps per second at best).  On CUDA the update's metrics
stay on the device until a flush; the one host sync per step is reading Q(s, ·) of the state acted on (the
argmax of acting, also drawn).  Batches are copied to the device from pinned host memory without blocking.

The run has the interface of ``CartpoleRun`` (see ``lessons/dqn/lesson.py``).  Checkpoints hold the networks,
Adam's moments, the counters and the episode log; the replay buffer (up to gigabytes) and the episode in
progress are not saved: after a load the buffer refills and a new episode starts.
Imports torch, gymnasium, ale-py and OpenCV: build only on the lesson's build path.
"""
from __future__ import annotations

import os
import time
from typing import Any, Mapping

import numpy as np
import torch

from lessons.dqn.animation import ClipWatcher
from lessons.dqn.cartpole_run import (LOG_COLUMNS, SPEED_MIN_STEPS, SPEED_WINDOW, DivergenceWatch, TrainerRun,
                                      _check_log, episode_table)
from visualizer.core.checkpoint import check_state
from visualizer.core.errors import LessonConfigError
from visualizer.core.plotdata import AtariFrameData, CurvesData, PlotData
from visualizer.core.trainer import MetricWindow
from visualizer.data.replay import FrameReplayBuffer
from visualizer.models.atari_dqn_torch import NatureQNetConfig, seeded_nature_qnet
from visualizer.models.dqn_torch import dqn_losses, sync_target

GAMES = {"pong": "ALE/Pong-v5", "breakout": "ALE/Breakout-v5"}
ON_CPU_VARIABLE = "DLVIS_ATARI_ON_CPU"
MAX_EPISODE_STEPS = 27_000     # agent steps: v5's 108,000 frames / 4 (a cut here is not terminal for the target)
FPS = 15.0                     # agent steps per second at real time: 60 Hz screens, 4 frames per step
CLIP_FRAMES = 48               # frames of a watched clip (about 3 s at real time)
Q_STEPS = 1000                 # latest steps of the episode in the Q-values plot
INSTALL = 'pip install -e ".[atari]"'


def make_env(game: str):
    """The preprocessed environment of ``game`` (a key of GAMES) and its action meanings.  Raises
    LessonConfigError naming the install command when ale-py or OpenCV is missing."""
    try:
        import ale_py
        import cv2  # noqa: F401  (AtariPreprocessing resizes with it)
    except ImportError as e:
        raise LessonConfigError(f"Atari needs ale-py and OpenCV ({e.name or e} is missing): {INSTALL} installs "
                                "both (ale-py brings the game ROMs with it).") from e
    import gymnasium as gym
    from gymnasium.wrappers import AtariPreprocessing, FrameStackObservation

    gym.register_envs(ale_py)
    env = gym.make(GAMES[game], frameskip=1)
    env = AtariPreprocessing(env, noop_max=30, frame_skip=4, screen_size=84, terminal_on_life_loss=False,
                             grayscale_obs=True)
    env = FrameStackObservation(env, 4)
    return env, tuple(env.unwrapped.get_action_meanings())


class AtariRun(TrainerRun):
    """DQN on ``hp["atari_game"]``.  hp: the lesson's Hyperparameters; context: its LessonContext.  Raises
    LessonConfigError for REINFORCE, for the CPU without ``DLVIS_ATARI_ON_CPU=1``, for CUDA without a GPU and
    when ale-py or OpenCV is missing."""

    def __init__(self, hp, context) -> None:
        if hp["method"] != "dqn":
            raise LessonConfigError("Atari is learned with DQN only here: REINFORCE's one update per episode of "
                                    "thousands of frames is too slow to watch. Set Method to dqn, or use CartPole "
                                    "for REINFORCE.")
        if hp["device"] == "cpu" and os.environ.get(ON_CPU_VARIABLE) != "1":
            raise LessonConfigError("Atari is for CUDA machines: the Nature DQN needs millions of frames, days on "
                                    "a CPU. Set Device to cuda; on this CPU use CartPole (or set the environment "
                                    f"variable {ON_CPU_VARIABLE}=1 to try it anyway).")
        from visualizer.torch_backend.adam import Adam            # torch.optim would import torch._dynamo
        from visualizer.torch_backend.trainer import Phase, TorchTrainer

        self.hp, self.context = hp, context
        self.game = hp["atari_game"]
        seed = int(hp["seed"])
        self.rng = np.random.default_rng(np.random.SeedSequence([seed, 26]))   # ε, actions, batches, resets
        self.env, self.action_names = make_env(self.game)
        self.n_actions = len(self.action_names)
        cfg = NatureQNetConfig(self.n_actions)
        online, target = seeded_nature_qnet(cfg, seed), seeded_nature_qnet(cfg, seed)
        target.requires_grad_(False)
        lr = float(hp["lr"])
        self.trainer = TorchTrainer({"online": online, "target": target},
                                    lambda m: Adam(m["online"].parameters(), lr=lr), device=hp["device"], seed=seed,
                                    phases=[Phase(self._losses, loss="loss")],
                                    hyper={"lr": TorchTrainer.param_group_setter("main", "lr")})
        self.net, self.target = self.trainer.modules["online"], self.trainer.modules["target"]
        self.device = self.trainer.device
        self.replay = FrameReplayBuffer(int(hp["buffer_size"]))
        self._pinned: dict[str, torch.Tensor] | None = None      # CUDA: host staging of batches (pinned)
        self._copied: torch.cuda.Event | None = None
        self.window = MetricWindow()
        self.divergence = DivergenceWatch(context, "with rewards clipped to ±1", "1e-4")
        self.ep_q = np.zeros((MAX_EPISODE_STEPS + 1, self.n_actions), dtype=np.float32)   # Q(s_t, ·)
        self.prev_q = np.zeros((0, self.n_actions), dtype=np.float32)                     # the last episode's
        self.env_steps = self.episode = self.ep_len = self.updates = 0
        self.ep_return = 0.0                                         # the game's score so far (unclipped)
        self.log = np.zeros((64, len(LOG_COLUMNS)))
        self.n_log = 0
        self.watcher = ClipWatcher(CLIP_FRAMES, self.n_actions, fps=FPS)
        self._fast: tuple[int, AtariFrameData] | None = None
        self.t_start: float | None = None
        self._win_t, self._win_steps = 0.0, 0
        self._reset_env()

    # ---- acting ------------------------------------------------------------------------------------------
    def _reset_env(self) -> None:
        self.state, _ = self.env.reset(seed=int(self.rng.integers(2**31 - 1)))   # (4, 84, 84) uint8
        self.ep_len, self.ep_return = 0, 0.0

    @torch.no_grad()
    def _q(self, state: np.ndarray) -> np.ndarray:
        """Q(s, ·) (A,) float32 of one stack (4, 84, 84) uint8: the one host sync of a step on CUDA."""
        x = torch.from_numpy(state)[None]
        if self.device.type == "cuda":
            x = x.pin_memory().to(self.device, non_blocking=True)
        return self.net(x)[0].float().cpu().numpy()

    def step(self, step: int) -> None:
        """One agent step (and, when due, one update on a replayed batch, and the target sync)."""
        now = time.perf_counter()
        if self.t_start is None:
            self.t_start = self._win_t = now
        t, s = self.ep_len, self.state
        q = self._q(s)
        eps = self.epsilon()
        a = int(self.rng.integers(self.n_actions)) if self.rng.random() < eps else int(np.argmax(q))
        self.window.add({"epsilon": eps})
        self.divergence.check(q, float(self.hp["gamma"]), float(self.hp["lr"]))
        self.ep_q[t] = q
        if self.watcher.recording:                                   # the screen the agent sees at s_t
            self.watcher.record(self.episode, t, self.env.unwrapped.ale.getScreenRGB(), a, q, self.ep_return)
        obs, r, terminated, truncated, _ = self.env.step(a)
        self.replay.add(s, a, float(np.sign(r)), obs, terminated)   # the TD target sees the clipped reward
        self.state = obs
        self.ep_return += float(r)
        self.ep_len = t + 1
        self.env_steps += 1
        self._update()
        if terminated or truncated or self.ep_len >= MAX_EPISODE_STEPS:
            self._end_episode()
        self._win_steps += 1
        if now - self._win_t >= SPEED_WINDOW and self._win_steps >= SPEED_MIN_STEPS:
            self.window.add({"steps_per_s": self._win_steps / (now - self._win_t)})
            self._win_t, self._win_steps = now, 0

    def _end_episode(self) -> None:
        L, ret = self.ep_len, self.ep_return
        if self.n_log == len(self.log):
            self.log = np.concatenate([self.log, np.zeros_like(self.log)])
        self.log[self.n_log] = (self.episode, ret, L, self.epsilon(), self.env_steps,
                                time.perf_counter() - self.t_start)
        self.n_log += 1
        returns = self.log[:self.n_log, 1]
        self.window.add({"episode_return": ret, "episode_length": L, "return_mean_20": returns[-20:].mean(),
                         "return_mean_100": returns[-100:].mean()})
        self.prev_q = self.ep_q[max(0, L - Q_STEPS):L].copy()
        self.episode += 1
        self._reset_env()

    # ---- learning ----------------------------------------------------------------------------------------
    def _update(self) -> None:
        hp = self.hp
        if self.env_steps >= max(int(hp["warmup"]), 1) and self.env_steps % int(hp["train_every"]) == 0:
            self.trainer.step(self._batch(int(hp["batch_size"])), self.env_steps)
            self.updates += 1
        if self.env_steps % int(hp["target_sync"]) == 0:
            sync_target(self.net, self.target)

    def _batch(self, size: int) -> dict[str, torch.Tensor]:
        """A replayed batch on the device.  On CUDA it is sampled into pinned host memory and copied without
        blocking; the staging arrays are rewritten only after the last copy's event (in practice long done:
        acting reads Q back every step)."""
        if self.device.type != "cuda":
            return {k: torch.from_numpy(v) for k, v in self.replay.sample(size, self.rng).items()}
        if self._pinned is None or len(self._pinned["actions"]) != size:
            shapes = self.replay.sample(size, self.rng)
            self._pinned = {k: torch.from_numpy(v).pin_memory() for k, v in shapes.items()}
        elif self._copied is not None:
            self._copied.synchronize()
        self.replay.sample(size, self.rng, out={k: v.numpy() for k, v in self._pinned.items()})
        batch = {k: v.to(self.device, non_blocking=True) for k, v in self._pinned.items()}
        self._copied = torch.cuda.Event()
        self._copied.record()
        return batch

    def _losses(self, batch, step: int) -> dict:
        return dqn_losses(self.net, self.target, batch, float(self.hp["gamma"]), bool(self.hp["double_dqn"]),
                          bool(self.hp["huber"]))

    # ---- pictures ----------------------------------------------------------------------------------------
    def pictures(self, ids) -> dict[str, PlotData]:
        """Plot id -> data for the ids among environment, q_episode, episodes (the replay scatter and the value
        slice are CartPole's: left out)."""
        out: dict[str, PlotData] = {}
        if "environment" in ids:
            frame = self._frames()
            if frame is not None:
                out["environment"] = frame
        if "q_episode" in ids:
            L = self.ep_len
            q = self.ep_q[max(0, L - Q_STEPS):L] if L else self.prev_q
            t0 = max(0, L - Q_STEPS) if L else 0
            t = np.arange(t0, t0 + len(q), dtype=np.float64)
            out["q_episode"] = CurvesData({f"Q(s, {name})": (t, q[:, i].astype(np.float64))
                                           for i, name in enumerate(self.action_names)})
        if "episodes" in ids:
            out["episodes"] = episode_table(self.log[:self.n_log], self.episode, self.ep_return, self.ep_len,
                                            self.epsilon(), self.env_steps, self.t_start)
        return out

    def _frames(self) -> AtariFrameData | None:
        """watch: the clip due now; fast: the screen now with Q of the stack the agent is about to act on
        (one forward pass, once per step)."""
        common = {"fps": FPS, "action_names": self.action_names, "game": self.game}
        if self.hp["animation"] == "fast":
            if self._fast is None or self._fast[0] != self.env_steps:
                q = self._q(self.state)[None]
                screen = self.env.unwrapped.ale.getScreenRGB()[None]
                self._fast = (self.env_steps, AtariFrameData(
                    episode=self.episode, step=self.ep_len, episode_return=self.ep_return,
                    caption=f"{GAMES[self.game]}, the latest frame (Q of the state about to be acted on)",
                    frames=screen, actions=np.full(1, -1, dtype=np.int64), q_values=q,
                    returns=np.array([self.ep_return]), **common))
            return self._fast[1]
        f = self.watcher.take(time.perf_counter())
        if not f:
            return None
        ahead = self.env_steps - (f["step"] if f["episode"] == self.episode else 0)
        return AtariFrameData(
            episode=f["episode"], step=f["step"], episode_return=float(f["returns"][-1]),
            caption=f"{GAMES[self.game]}: {CLIP_FRAMES} steps at a time, at real time, while training runs on "
                    f"(at episode {self.episode}, step {self.ep_len})" if ahead else GAMES[self.game],
            frames=f["frames"], actions=f["actions"], q_values=f["q"], returns=f["returns"], **common)

    # ---- checkpoints -------------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, np.ndarray]:
        """The networks, Adam's moments, the counters and the episode log: NumPy copies.  Not the replay buffer
        (up to gigabytes of frames) nor the episode in progress."""
        out = self.trainer.state_dict()
        out |= {"run.counters": np.array([self.env_steps, self.episode, self.updates], dtype=np.int64),
                "run.episode_log": self.log[:self.n_log].copy()}
        return out

    def load_state_dict(self, state: Mapping[str, np.ndarray]) -> None:
        """Restore :meth:`state_dict`, atomically: everything is checked before anything is assigned; then a new
        episode starts and the replay buffer refills from it.  Raises LessonConfigError naming the offending
        array."""
        counters = check_state({"run.counters": np.zeros(3, dtype=np.int64)},
                               {k: v for k, v in state.items() if k == "run.counters"},
                               nonnegative=frozenset({"run.counters"}))["run.counters"]
        log = _check_log(state.get("run.episode_log"))
        self.trainer.load_state_dict({k: v for k, v in state.items() if not k.startswith("run.")})
        self.env_steps, self.episode, self.updates = (int(v) for v in counters)
        self.log = np.concatenate([log, np.zeros((64, len(LOG_COLUMNS)))])
        self.n_log = len(log)
        self.prev_q = np.zeros((0, self.n_actions), dtype=np.float32)
        self.watcher = ClipWatcher(CLIP_FRAMES, self.n_actions, fps=FPS)
        self._fast = None
        self._reset_env()

    def close(self) -> None:
        self.trainer.close()
        self.env.close()
