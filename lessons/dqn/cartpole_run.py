"""One agent on gymnasium's CartPole-v1 (Barto, Sutton and Anderson 1983): DQN (Mnih et al. 2015; Double DQN,
van Hasselt et al. 2016) or REINFORCE (Williams 1992) with an optional value baseline (Sutton and Barto ch. 13).

A step of the lesson is one environment step.  DQN acts ε-greedily on the online network, stores the transition
in the replay buffer and, every ``train_every`` steps after the warm-up, updates the network on a replayed batch;
every ``target_sync`` steps the target network takes the online one's weights.  REINFORCE samples its actions
from the policy and updates once per episode on the whole episode.  gymnasium's environment runs without its
wrappers: the 500-step time limit is counted here (a time-limit cut is not a terminal state for DQN's target).

The run has the interface the lesson delegates to (see ``lessons/dqn/lesson.py``; the grid world's ``GridRun``
has the same): step, flush, evaluate, pictures, set_live, state_dict / load_state_dict, close.
Imports torch and gymnasium: build only on the lesson's build path.
"""
from __future__ import annotations

import dataclasses
import math
import time
from typing import Any, Mapping

import numpy as np
import torch

from lessons.dqn.animation import EpisodeWatcher
from visualizer.core.checkpoint import check_state
from visualizer.core.errors import LessonConfigError
from visualizer.core.plotdata import CartPoleData, CurvesData, ImageData, PlotData, ScatterData, TableData
from visualizer.core.trainer import MetricWindow
from visualizer.data.replay import ReplayBuffer
from visualizer.models.dqn_torch import QNetConfig, dqn_losses, linear_epsilon, seeded_qnet, sync_target
from visualizer.models.reinforce_torch import (PolicyConfig, PolicyNetwork, ValueNetwork, reinforce_losses,
                                               returns_to_go, seeded)

DIVERGE_FACTOR = 10.0        # |Q| above this many times the return bound 1/(1 - γ): diverged
REPLAY_POINTS = 2000         # stored states drawn in the replay scatter
LOG_ROWS = 1000              # episodes in the episode log's table (newest first)
SLICE = 48                   # grid points per axis of the value slice
THETA_DOT_MAX = 2.0          # rad/s: the slice's angular-velocity range
SPEED_WINDOW = 0.5           # s of wall-clock time per steps/s reading (and at least SPEED_MIN_STEPS steps)
SPEED_MIN_STEPS = 50
FPS = 50.0                   # CartPole's τ = 0.02 s: 50 frames/s is real time
LOG_COLUMNS = ("episode", "return", "length", "epsilon", "env_steps", "seconds")


class TrainerRun:
    """What a network-trained run (CartPole, Atari) answers alike to the session: its TorchTrainer ``trainer``
    keeps the losses (on the device under CUDA, read at a flush) and its MetricWindow ``window`` the episode
    metrics."""

    trainer: Any
    window: MetricWindow
    hp: Any
    env_steps: int

    def epsilon(self) -> float:
        """ε of the ε-greedy policy after ``env_steps`` steps: the linear schedule of the lesson's settings."""
        hp = self.hp
        return linear_epsilon(self.env_steps, float(hp["eps_start"]), float(hp["eps_end"]),
                              int(hp["eps_decay_steps"]))

    @property
    def metrics_on_device(self) -> bool:
        return self.trainer.device_type != "cpu"

    def flush(self) -> dict[str, float]:
        return self.trainer.flush() | self.window.flush()

    def evaluate(self) -> dict[str, float]:
        return {}

    def set_live(self, name: str, value: Any) -> bool:
        """Apply a live setting the run itself holds; True if handled (the lesson stores every value in hp)."""
        if name in self.trainer.hyper_names:
            self.trainer.set_hyper(**{name: value})
            return True
        return False


class CartpoleRun(TrainerRun):
    """DQN or REINFORCE on CartPole-v1.  hp: the lesson's Hyperparameters; context: its LessonContext.
    Raises LessonConfigError for CUDA without a GPU."""

    def __init__(self, hp, context) -> None:
        import gymnasium as gym
        from visualizer.torch_backend.adam import Adam            # torch.optim would import torch._dynamo
        from visualizer.torch_backend.trainer import Phase, TorchTrainer

        self.hp, self.context = hp, context
        self.method = hp["method"]
        seed = int(hp["seed"])
        self.rng = np.random.default_rng(np.random.SeedSequence([seed, 18]))   # ε, actions, batches, resets
        self.env = gym.make("CartPole-v1").unwrapped                # the time limit is counted here
        self.max_steps = int(gym.spec("CartPole-v1").max_episode_steps or 500)
        hidden = (int(hp["hidden"]),) * 2
        lr = float(hp["lr"])
        hyper = {"lr": TorchTrainer.param_group_setter("main", "lr")}
        if self.method == "dqn":
            cfg = QNetConfig(4, 2, hidden)
            online, target = seeded_qnet(cfg, seed), seeded_qnet(cfg, seed)
            target.requires_grad_(False)
            self.trainer = TorchTrainer({"online": online, "target": target},
                                        lambda m: Adam(m["online"].parameters(), lr=lr), device=hp["device"],
                                        seed=seed, phases=[Phase(self._dqn_losses, loss="loss")], hyper=hyper)
            self.net, self.target = self.trainer.modules["online"], self.trainer.modules["target"]
            self.replay: ReplayBuffer | None = ReplayBuffer(int(hp["buffer_size"]), 4)
            self.value_net = None
        else:
            cfg = PolicyConfig(4, 2, hidden)
            modules = {"policy": seeded(PolicyNetwork, cfg, seed)}
            if hp["baseline"]:
                modules["value"] = seeded(ValueNetwork, cfg, seed + 1)
            self.trainer = TorchTrainer(modules, lambda m: Adam([p for k in m for p in m[k].parameters()], lr=lr),
                                        device=hp["device"], seed=seed,
                                        phases=[Phase(self._reinforce_losses, loss="total_loss")], hyper=hyper)
            self.net = self.trainer.modules["policy"]
            self.value_net = self.trainer.modules.get("value")
            self.replay = None
        self.device = self.trainer.device
        # On the CPU, NumPy views of the network's weights (same storage: every in-place update of Adam, a sync or
        # a checkpoint load shows through) for the one-state forward pass of acting.
        self._np_layers = None
        if self.device.type == "cpu":
            self._np_layers = [(m.weight.detach().numpy(), m.bias.detach().numpy())
                               for m in self.net.modules() if isinstance(m, torch.nn.Linear)]
        self.window = MetricWindow()
        n = self.max_steps + 1                                       # frames 0..T of an episode
        self.ep_states = np.zeros((n, 4), dtype=np.float32)          # s_t
        self.ep_actions = np.full(n, -1, dtype=np.int64)             # a_t (-1: none)
        self.ep_rewards = np.zeros(n, dtype=np.float32)              # r_{t+1}
        self.ep_q = np.zeros((n, 2), dtype=np.float32)               # Q(s_t, ·) (DQN) or π(·|s_t)
        self.prev_q = np.zeros((0, 2), dtype=np.float32)             # the last finished episode's
        self.prev_states = np.zeros((0, 4), dtype=np.float32)
        self.env_steps = self.episode = self.ep_len = self.updates = 0
        self.log = np.zeros((64, len(LOG_COLUMNS)))                  # one row per finished episode
        self.n_log = 0
        self.watcher = EpisodeWatcher(n, every=10, fps=FPS)
        self.t_start: float | None = None
        self._win_t, self._win_steps = 0.0, 0
        self.divergence = DivergenceWatch(context)
        self._cache: dict[str, PlotData] = {}
        self._cache_key: tuple | None = None
        self._reset_env()

    # ---- acting ------------------------------------------------------------------------------------------
    def _reset_env(self) -> None:
        obs, _ = self.env.reset(seed=int(self.rng.integers(2**31 - 1)))   # seeded from the run's generator
        self.ep_states[0] = obs
        self.ep_len = 0
        self.watcher.episode_started(self.episode)

    @torch.no_grad()
    def _values(self, states: np.ndarray) -> np.ndarray:
        """states (N, 4) -> (N, 2): Q(s, ·) for DQN, π(·|s) for REINFORCE (float32 NumPy)."""
        if self._np_layers is not None and len(states) <= 8:     # acting: one state, NumPy beats torch's overhead
            x = np.asarray(states, dtype=np.float32)
            for i, (w, b) in enumerate(self._np_layers):
                x = x @ w.T + b
                if i < len(self._np_layers) - 1:
                    np.maximum(x, 0.0, out=x)
            if self.method != "dqn":
                x = np.exp(x - x.max(axis=1, keepdims=True))
                x /= x.sum(axis=1, keepdims=True)
            return x.astype(np.float32, copy=False)
        out = self.net(torch.from_numpy(np.ascontiguousarray(states)).to(self.device))
        if self.method != "dqn":
            out = torch.softmax(out, dim=1)
        return out.cpu().numpy()

    def step(self, step: int) -> None:
        """One environment step (and, when due, one update)."""
        now = time.perf_counter()
        if self.t_start is None:
            self.t_start = self._win_t = now
        t = self.ep_len
        s = self.ep_states[t]
        q = self._values(s[None])[0]
        self.ep_q[t] = q
        if self.method == "dqn":
            eps = self.epsilon()
            a = int(self.rng.integers(2)) if self.rng.random() < eps else int(np.argmax(q))
            self.window.add({"epsilon": eps})
            self._check_q(q)
        else:
            a = int(self.rng.random() < q[1])                        # sample a ~ π(·|s)
        obs, r, terminated, _, _ = self.env.step(a)
        self.ep_actions[t], self.ep_rewards[t] = a, r
        self.ep_states[t + 1], self.ep_q[t + 1] = obs, q
        self.ep_len = t + 1
        self.env_steps += 1
        if self.replay is not None:
            self.replay.add(s, a, r, obs, terminated)
            self._dqn_update()
        if terminated or self.ep_len >= self.max_steps:
            self._end_episode()
        self._win_steps += 1
        if now - self._win_t >= SPEED_WINDOW and self._win_steps >= SPEED_MIN_STEPS:
            self.window.add({"steps_per_s": self._win_steps / (now - self._win_t)})
            self._win_t, self._win_steps = now, 0

    def _check_q(self, q: np.ndarray) -> None:
        self.divergence.check(q, float(self.hp["gamma"]), float(self.hp["lr"]))

    def _end_episode(self) -> None:
        L = self.ep_len
        ret = float(self.ep_rewards[:L].sum())
        if self.method != "dqn":
            self._reinforce_update(L)
        self.watcher.episode_ended(self.episode, self.ep_states, self.ep_actions, self.ep_q, self.ep_rewards, L)
        if self.n_log == len(self.log):
            self.log = np.concatenate([self.log, np.zeros_like(self.log)])
        eps = self.epsilon() if self.method == "dqn" else 0.0          # REINFORCE: no ε (shown empty)
        self.log[self.n_log] = (self.episode, ret, L, eps, self.env_steps, time.perf_counter() - self.t_start)
        self.n_log += 1
        returns = self.log[:self.n_log, 1]
        self.window.add({"episode_return": ret, "episode_length": L, "return_mean_20": returns[-20:].mean(),
                         "return_mean_100": returns[-100:].mean()})
        self.prev_q, self.prev_states = self.ep_q[:L].copy(), self.ep_states[:L + 1].copy()
        self.episode += 1
        self._reset_env()

    # ---- learning ----------------------------------------------------------------------------------------
    def _dqn_update(self) -> None:
        """An update when one is due, then (every ``target_sync`` steps) θ⁻ ← θ."""
        hp = self.hp
        if self.env_steps >= max(int(hp["warmup"]), 1) and self.env_steps % int(hp["train_every"]) == 0:
            b = self.replay.sample(int(hp["batch_size"]), self.rng)
            self.trainer.step({k: torch.from_numpy(v).to(self.device) for k, v in b.items()}, self.env_steps)
            self.updates += 1
        if self.env_steps % int(hp["target_sync"]) == 0:
            sync_target(self.net, self.target)

    def _dqn_losses(self, batch, step: int) -> dict:
        return dqn_losses(self.net, self.target, batch, float(self.hp["gamma"]), bool(self.hp["double_dqn"]),
                          bool(self.hp["huber"]))

    def _reinforce_update(self, L: int) -> None:
        g = returns_to_go(self.ep_rewards[:L], float(self.hp["gamma"]))
        batch = (torch.from_numpy(self.ep_states[:L].copy()).to(self.device),
                 torch.from_numpy(self.ep_actions[:L].copy()).to(self.device), torch.from_numpy(g).to(self.device))
        self.trainer.step(batch, self.env_steps)
        self.updates += 1

    def _reinforce_losses(self, batch, step: int) -> dict:
        out = reinforce_losses(self.net, self.value_net, *batch, float(self.hp["gamma"]))
        metrics = {"total_loss": out["policy_loss"] + out["value_loss"], "policy_loss": out["policy_loss"],
                   "entropy": out["entropy"]}
        if self.value_net is not None:
            metrics["value_loss"] = out["value_loss"]
        return metrics

    # ---- pictures ----------------------------------------------------------------------------------------
    def pictures(self, ids) -> dict[str, PlotData]:
        """Plot id -> data for the ids among environment, q_episode, replay, value, episodes."""
        out: dict[str, PlotData] = {}
        if "environment" in ids:
            f = self.watcher.take(self.hp["animation"], time.perf_counter(), self.episode, self.ep_states,
                                  self.ep_actions, self.ep_q, self.ep_rewards, self.ep_len)
            if f:
                out["environment"] = CartPoleData(
                    episode=f["episode"], step=f["step"], episode_return=f["ret"], fps=FPS, caption=f["caption"],
                    states=f["states"], actions=f["actions"], q_values=f["q"] if self.method == "dqn" else None,
                    x_threshold=float(self.env.x_threshold), theta_threshold=float(self.env.theta_threshold_radians),
                    pole_half_length=float(self.env.length))
        if "q_episode" in ids:
            out["q_episode"] = self._episode_curves()
        # the replay scatter and the value slice cost a forward pass over thousands of states: recomputed
        # every update at first, then every 100 updates (a few times a second at full speed), so the
        # pictures do not slow the training they show (bench_gui: 0.83x of headless before)
        key = (min(self.updates, 100) + self.updates // 100, float(self.hp["gamma"]))
        if key != self._cache_key:
            self._cache_key, self._cache = key, {}
        for pid, make in (("replay", self._replay_scatter), ("value", self._value_slice)):
            if pid in ids and pid not in self._cache:
                data = make()
                if data is not None:
                    self._cache[pid] = data
            if pid in ids and pid in self._cache:
                out[pid] = self._cache[pid]
        if "value" in out:                                           # a new object: the cached one may be in use
            out["value"] = dataclasses.replace(out["value"], overlay=self._trajectory())
        if "episodes" in ids:
            out["episodes"] = self._episode_table()
        return out

    def _episode_curves(self) -> CurvesData:
        L = self.ep_len
        q = self.ep_q[:L] if L else self.prev_q
        if not len(q):
            q = self._values(self.ep_states[:1])
        names = ("Q(s, left)", "Q(s, right)") if self.method == "dqn" else ("π(left | s)", "π(right | s)")
        t = np.arange(len(q), dtype=np.float64)
        return CurvesData({names[0]: (t, q[:, 0].astype(np.float64)), names[1]: (t, q[:, 1].astype(np.float64))},
                          x_range=(0.0, float(self.max_steps)))     # the whole episode a learner hopes for

    def _replay_scatter(self) -> ScatterData | None:
        if self.replay is None or not len(self.replay):
            return None
        size = len(self.replay)
        idx = np.unique(np.linspace(0, size - 1, min(size, REPLAY_POINTS)).astype(np.int64))
        states = self.replay.states[idx]
        values = self._values(states).max(axis=1).astype(np.float32)
        return ScatterData(states[:, 2:4].copy(), np.zeros(len(idx), dtype=np.int64), values=values,
                           x_label="pole angle θ (rad)", y_label="angular velocity θ̇ (rad/s)",
                           colorbar_label="max_a Q(s, a)", colormap="viridis",
                           title=f"{len(idx):,} of {size:,} stored states (buffer holds {self.replay.capacity:,})")

    def _value_slice(self) -> ImageData:
        th_max = float(self.env.theta_threshold_radians)
        th = np.linspace(-th_max, th_max, SLICE)
        thd = np.linspace(-THETA_DOT_MAX, THETA_DOT_MAX, SLICE)
        TH, THD = np.meshgrid(th, thd)                               # (H = θ̇, W = θ), row 0 at the bottom
        s = np.zeros((SLICE * SLICE, 4), dtype=np.float32)
        s[:, 2], s[:, 3] = TH.ravel(), THD.ravel()
        if self.method == "dqn":
            img, label = self._values(s).max(axis=1), "max_a Q(s, a)"
        elif self.value_net is not None:
            with torch.no_grad():
                v = self.value_net(torch.from_numpy(s).to(self.device)).cpu().numpy()
            img, label = v / max(1.0 - float(self.hp["gamma"]), 1e-3), "V(s) (baseline)"
        else:
            img, label = self._values(s)[:, 1], "π(right | s)"
        img = img.reshape(SLICE, SLICE).astype(np.float32)
        lo, hi = (0.0, 1.0) if label.startswith("π") else (float(img.min()), float(img.max()))
        if not (math.isfinite(lo) and math.isfinite(hi)):
            lo, hi = 0.0, 1.0
        if hi - lo < 1e-6:
            hi = lo + 1.0
        return ImageData(img, (-th_max, th_max, -THETA_DOT_MAX, THETA_DOT_MAX), (lo, hi), "viridis",
                         x_label="pole angle θ (rad), x = ẋ = 0", y_label="angular velocity θ̇ (rad/s)",
                         colorbar_label=label)

    def _trajectory(self) -> ScatterData:
        pts = self.ep_states[:self.ep_len + 1] if self.ep_len else self.prev_states
        if not len(pts):
            pts = self.ep_states[:1]
        return ScatterData(pts[:, 2:4].copy(), np.zeros(len(pts), dtype=np.int64), class_names=("this episode",))

    def _episode_table(self) -> TableData:
        eps = self.epsilon() if self.method == "dqn" else float("nan")
        return episode_table(self.log[:self.n_log], self.episode, float(self.ep_rewards[:self.ep_len].sum()),
                             self.ep_len, eps, self.env_steps, self.t_start)

    # ---- checkpoints -------------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, np.ndarray]:
        """The networks and Adam's moments, the replay buffer, the episode in progress (environment state and
        its frames), the counters and the episode log: NumPy copies."""
        out = self.trainer.state_dict()
        if self.replay is not None:
            out |= self.replay.state_dict("replay.")
        out |= {"run.counters": np.array([self.env_steps, self.episode, self.ep_len, self.updates], dtype=np.int64),
                "run.env_state": np.asarray(self.env.unwrapped.state, dtype=np.float64).copy(),
                "run.ep_states": self.ep_states.copy(), "run.ep_actions": self.ep_actions.copy(),
                "run.ep_rewards": self.ep_rewards.copy(), "run.ep_q": self.ep_q.copy(),
                "run.episode_log": self.log[:self.n_log].copy()}
        return out

    def load_state_dict(self, state: Mapping[str, np.ndarray]) -> None:
        """Restore :meth:`state_dict`, atomically: everything is checked before anything is assigned.
        Raises LessonConfigError naming the offending array."""
        mine = {k: v for k, v in state.items() if k.startswith("run.")}
        log = mine.pop("run.episode_log", None)
        ref = self.state_dict()
        run_ref = {k: v for k, v in ref.items() if k.startswith("run.") and k != "run.episode_log"}
        checked = check_state(run_ref, mine, nonnegative=frozenset({"run.counters"}))
        log = _check_log(log)
        env_steps, episode, ep_len, updates = (int(v) for v in checked["run.counters"])
        if ep_len > self.max_steps:
            raise LessonConfigError(f"The checkpoint's array 'run.counters' has an episode of {ep_len} steps, "
                                    f"longer than CartPole's {self.max_steps}: the file is damaged.")
        replay = None
        if self.replay is not None:
            replay = self.replay.check_state_dict(state, "replay.")
        rest = {k: v for k, v in state.items() if not k.startswith(("run.", "replay."))}
        self.trainer.load_state_dict(rest)                           # checks its own arrays before assigning
        if replay is not None:
            self.replay.load_checked(replay, "replay.")
        self.env_steps, self.episode, self.ep_len, self.updates = env_steps, episode, ep_len, updates
        self.env.unwrapped.state = checked["run.env_state"].copy()
        self.env.unwrapped.steps_beyond_terminated = None
        for name in ("ep_states", "ep_actions", "ep_rewards", "ep_q"):
            getattr(self, name)[...] = checked[f"run.{name}"]
        self.log = np.concatenate([log, np.zeros((64, len(LOG_COLUMNS)))])
        self.n_log = len(log)
        self.prev_q = np.zeros((0, 2), dtype=np.float32)
        self.prev_states = np.zeros((0, 4), dtype=np.float32)
        self._cache_key = None
        self.watcher = EpisodeWatcher(self.max_steps + 1, every=10, fps=FPS)

    def close(self) -> None:
        self.trainer.close()
        self.env.close()


def _check_log(log) -> np.ndarray:
    """The episode log of a checkpoint: (n, 6) finite numbers.  Raises
    LessonConfigError naming 'run.episode_log'."""
    what = "The checkpoint's array 'run.episode_log'"
    if log is None:
        raise LessonConfigError(f"The checkpoint does not fit this model: it lacks 'run.episode_log'. It was "
                                "saved with other settings or by another lesson.")
    arr = np.asarray(log)
    if arr.dtype.kind not in "fiu":
        raise LessonConfigError(f"{what} does not hold numbers.")
    if arr.ndim != 2 or arr.shape[1] != len(LOG_COLUMNS):
        raise LessonConfigError(f"{what} has shape {arr.shape}; it needs (episodes, {len(LOG_COLUMNS)}).")
    arr = arr.astype(np.float64)
    if not np.isfinite(arr).all():
        raise LessonConfigError(f"{what} contains NaN or infinite values: the file is damaged.")
    return arr


def divergence_message(q_abs: float, bound: float, lr: float, where: str = "on CartPole",
                       works: str = "5e-4") -> str:
    """Why the run paused when the Q-values diverged (``where``: the environment, ``works``: a learning rate
    that works there)."""
    shown = "not a number" if not math.isfinite(q_abs) else f"{q_abs:,.0f}"
    return (f"The Q-values diverged: |Q| reached {shown}, while no return {where} can exceed 1/(1 − γ) = "
            f"{bound:,.0f}. Each update bootstraps from the network's own estimates, so an overshoot feeds on "
            f"itself. The learning rate ({lr:g}) is probably too high: lower it ({works} works) and press Reset "
            "(R); a Huber loss and a longer target sync period also damp it. The run so far is kept.")


class DivergenceWatch:
    """Pauses the run once (with :func:`divergence_message`) when Q leaves every possible return: non-finite or
    above DIVERGE_FACTOR / (1 − γ) for rewards of at most 1 per step; armed again once |Q| is back under twice
    the bound.  context: the lesson's LessonContext (its ``request_pause``)."""

    def __init__(self, context, where: str = "on CartPole", works: str = "5e-4") -> None:
        self.context, self.where, self.works = context, where, works
        self.warned = False

    def check(self, q: np.ndarray, gamma: float, lr: float) -> None:
        """q: Q(s, ·) (A,) float of the state acted on."""
        bound = 1.0 / max(1.0 - gamma, 1e-3)
        big = float(np.abs(q).max())
        if not math.isfinite(big) or big > DIVERGE_FACTOR * bound:
            if not self.warned:
                self.warned = True
                self.context.request_pause(divergence_message(big, bound, lr, self.where, self.works))
        elif big < 2 * bound:
            self.warned = False


def episode_table(log: np.ndarray, episode: int, running_return: float, ep_len: int, eps: float, env_steps: int,
                  t_start: float | None) -> TableData:
    """The episode log as a table, newest first: the running episode, then the rows of ``log`` (n, 6) in
    LOG_COLUMNS order (the last LOG_ROWS - 1).  eps: NaN for a method without ε (an empty cell)."""
    rows = log[::-1][:LOG_ROWS - 1]
    running = np.array([[running_return, ep_len, eps, env_steps,
                         0.0 if t_start is None else time.perf_counter() - t_start]])
    values = np.concatenate([running, rows[:, 1:]])
    if not math.isfinite(eps):
        values[:, 2] = np.nan
    labels = [f"{episode} (running)"] + [str(int(e)) for e in rows[:, 0]]
    return TableData(values, labels, ["return", "length", "ε at end", "steps at end", "time"],
                     row_title="episode", fmt="{:.4g}", units=("", "steps", "", "steps", "s"))
