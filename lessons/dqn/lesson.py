"""Lesson ``dqn``: deep Q-learning and policy gradients on CartPole, tabular Q-learning on a grid world (Qt-free).

The lesson declares its settings and plots (``specs.py``) and its story (``narrative.py``), and delegates the
agent to a run object with one interface (step, flush, evaluate, pictures, set_live, state_dict /
load_state_dict, close):
- ``CartpoleRun`` (``cartpole_run.py``): gymnasium's CartPole-v1 with DQN (replay buffer, target network,
  ε-greedy, Double DQN and Huber toggles; Mnih et al. 2015, van Hasselt et al. 2016) or REINFORCE with or
  without a value baseline (Williams 1992; Sutton and Barto ch. 13);
- ``GridRun`` (``grid.py``): tabular Q-learning on a grid world edited by clicking (Sutton and Barto ch. 6;
  Karpathy's REINFORCEjs GridWorld), imported only when the grid is chosen;
- ``AtariRun`` (``atari_run.py``): DQN on Pong or Breakout through ale-py with the Nature DQN network, for CUDA
  machines (refused on the CPU unless ``DLVIS_ATARI_ON_CPU=1``), imported only when Atari is chosen.
A lesson step is one environment step.  Follows Buduma et al., *Fundamentals of Deep Learning* 2e, ch. 13.
"""
from __future__ import annotations

from typing import Any

from lessons.dqn import INFO
from lessons.dqn.narrative import NARRATIVE
from lessons.dqn.specs import PARAMS, PLOTS, VIEW_PARAMS
from visualizer.core.lesson import Lesson, LessonConfigError
from visualizer.core.plotdata import PLOT_KINDS, CurvesData, PlotData

OWN_KINDS = {"episode_curves": CurvesData}      # the lesson's own plot kinds (view.py) -> the data they draw


def check_epsilon(start: float, end: float) -> None:
    """Raises LessonConfigError when the ε schedule would end above its start."""
    if end > start:
        raise LessonConfigError(f"The ε schedule ends above its start: ε end = {end:g} > ε start = {start:g}. "
                                "Exploration should fall as the agent learns: lower ε end or raise ε start.")


def grid_run(hp, context):
    """The grid world's run (``lessons/dqn/grid.py``), imported only when it is chosen.  Raises
    LessonConfigError for a map it refuses."""
    from lessons.dqn.grid import GridRun

    return GridRun(hp, context)


class DQNLesson(Lesson):
    """One agent per run: DQN or REINFORCE on CartPole, or tabular Q-learning on the grid world.

    Metrics (flushed after every step on the CPU): epsilon, episode_return, episode_length, return_mean_20,
    return_mean_100 (at each episode's end), steps_per_s (every half second); DQN updates add loss, td_error,
    q_mean, q_max; REINFORCE updates policy_loss, value_loss, entropy.  Raises LessonConfigError for an ε
    schedule that ends above its start, the grid world where it is missing, a grid map without a reachable
    goal, and Atari with REINFORCE, on the CPU (unless DLVIS_ATARI_ON_CPU=1) or without ale-py; pauses (with an explanation) when the Q-values diverge."""

    info = INFO
    params = PARAMS
    plots = PLOTS
    narrative = NARRATIVE
    view_params = VIEW_PARAMS
    runs_comparable_by = ("env",)           # CartPole's returns reach 500, the grid world's 1: never on one axis
    eval_every = 1000
    # The environment view plays frames in real time: snapshots at 20 Hz, and they are cheap (one small
    # forward pass over the value slice and the replay sample, recomputed only after an update).
    snapshot_hz = 20.0
    snapshot_budget = 0.15

    def __init__(self, hp, context=None) -> None:
        super().__init__(hp, context)
        check_epsilon(float(hp["eps_start"]), float(hp["eps_end"]))
        if hp["env"] == "grid":
            self.run = grid_run(hp, self.context)
        elif hp["env"] == "atari":
            from lessons.dqn.atari_run import AtariRun              # lazy: torch, gymnasium, ale-py, OpenCV
            self.run = AtariRun(hp, self.context)
        else:
            from lessons.dqn.cartpole_run import CartpoleRun        # lazy: torch and gymnasium
            self.run = CartpoleRun(hp, self.context)
        self._plot_ids = frozenset(spec.id for spec in self.plots)
        self._kinds = {spec.id: OWN_KINDS.get(spec.kind) or PLOT_KINDS.get(spec.kind) for spec in self.plots}

    @property
    def metrics_on_device(self) -> bool:
        return bool(getattr(self.run, "metrics_on_device", False))

    def train_step(self, step: int) -> None:
        self.run.step(step)

    def flush(self) -> dict[str, float]:
        return self.run.flush()

    def evaluate(self) -> dict[str, float]:
        return self.run.evaluate()

    def set_live(self, name: str, value: Any) -> None:
        """Live settings go to the run first (it may refuse with LessonConfigError: the old value stays)."""
        if name in ("eps_start", "eps_end"):
            start = value if name == "eps_start" else self.hp["eps_start"]
            end = value if name == "eps_end" else self.hp["eps_end"]
            check_epsilon(float(start), float(end))
        self.run.set_live(name, value)
        self.hp.set(name, value)
        if name == "grid_edit":
            self._sync_grid_map()

    def _sync_grid_map(self) -> None:
        """A click edited the grid world's map (or a checkpoint brought another one): the "grid_map" setting
        takes the map as it is now, so a Reset rebuilds the edited map rather than the one typed before."""
        text = getattr(self.run, "map_text", None)          # the grid run's property; CartPole has none
        if isinstance(text, str) and text != self.hp["grid_map"]:
            self.hp.set("grid_map", text)
            self.context.setting_changed("grid_map", text)

    def snapshot(self) -> dict[str, PlotData]:
        """The run's pictures, keeping only data of the class each plot draws (a grid run's picture for a
        CartPole-only plot is left out rather than shown by the wrong view)."""
        out = self.run.pictures(self._plot_ids)
        return {k: v for k, v in out.items() if self._kinds.get(k) is not None and isinstance(v, self._kinds[k])}

    def divergence_hint(self) -> str:
        lr = self.hp["lr"]
        return (f"The updates blew up (NaN or infinite values). The learning rate ({lr:g}) is probably too high: "
                "each Q-learning update bootstraps from the network's own estimates, so an overshoot feeds on "
                "itself. Lower it (5e-4 works for DQN on CartPole) and press Reset (R).")

    def checkpoint_state(self) -> dict:
        return self.run.state_dict()

    def load_checkpoint_state(self, state: dict) -> None:
        self.run.load_state_dict(state)
        self._sync_grid_map()

    def close(self) -> None:
        self.run.close()


LESSON = DQNLesson
