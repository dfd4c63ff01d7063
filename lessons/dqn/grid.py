"""The dqn lesson's grid world run: tabular Q-learning (Watkins 1989; Sutton and Barto ch. 6.5) on an
editable grid of walls, pits and a goal, the way Karpathy's REINFORCEjs GridWorld shows it: the table's
V = max_a Q and greedy policy painted on the map while the agent walks it.

The lesson builds a :class:`GridRun` when ``env`` is "grid" and delegates its steps, metrics, pictures,
live settings and checkpoints to it.  NumPy only: no torch here.
"""
from __future__ import annotations

import time
from collections import deque
from typing import Any, Mapping

import numpy as np

from visualizer.core.checkpoint import check_state
from visualizer.core.errors import LessonConfigError
from visualizer.core.lesson import LessonContext
from visualizer.core.plotdata import GRID_ACTIONS, GRID_CELLS, CurvesData, GridWorldData, ImageData, PlotData
from visualizer.data.grid_world import (EMPTY, START, GridWorld, check_goal_reachable, format_grid_map,
                                        optimal_actions, paint, parse_grid_map, reachable_cells)
from visualizer.models.tabular_q import TabularQ

RETURNS_KEPT = 100        # finished episodes whose returns the moving averages use
MAX_FPS = 60.0            # the animation plays at most this many agent positions per second


def _map_error(err: ValueError) -> LessonConfigError:
    return LessonConfigError(f"Grid map: {err}")


class GridRun:
    """One grid-world run of the dqn lesson: the environment, the Q table, the ε schedule and the readouts.

    hp: a mapping with "seed", "gamma" (discount, < 1 here), "lr" (the tabular step size α in (0, 1]),
    "eps_start", "eps_end", "eps_decay_steps" (ε falls linearly from start to end over that many environment
    steps), "grid_map" (map text, see :mod:`visualizer.data.grid_world`) and optionally "grid_tool" (a cell
    kind of GRID_CELLS; default "wall") and "grid_method" ("q_learning" or "sarsa"; default Q-learning).
    Raises LessonConfigError for a bad map, a map whose goal the start cannot reach (the message says why
    and names the cells), an ε schedule that ends above its start, α outside (0, 1] or γ >= 1."""

    def __init__(self, hp: Mapping[str, Any], context: LessonContext | None = None) -> None:
        self.context = context or LessonContext()
        try:
            cells, start = parse_grid_map(hp["grid_map"])
            check_goal_reachable(cells, start)
        except ValueError as e:
            raise _map_error(e) from None
        self.alpha, self.gamma = float(hp["lr"]), float(hp["gamma"])
        self.eps = (float(hp["eps_start"]), float(hp["eps_end"]), int(hp["eps_decay_steps"]))
        self.tool = str(hp.get("grid_tool", "wall"))
        method = str(hp.get("grid_method", "q_learning"))
        self._check_schedule(*self.eps)
        self._check_gamma(self.gamma)
        try:
            TabularQ.check(self.alpha, self.gamma, method)
        except ValueError as e:
            raise LessonConfigError(f"Grid world: {e}") from None
        self.rng = np.random.default_rng(int(hp["seed"]))
        self._set_map(cells)
        self.table = TabularQ(self.env.n_states, len(GRID_ACTIONS), self.alpha, self.gamma, method)
        self.steps = 0                # environment steps so far
        self.episodes = 0             # finished (or cut off) episodes
        self.episode_step = 0         # steps into the current episode
        self.episode_return = 0.0
        self.returns = np.zeros(RETURNS_KEPT)       # a ring of the last finished episodes' returns
        self.n_returns = 0
        self._new_episode = True      # the next step resets the environment first
        self._next_action: int | None = None        # SARSA's a' chosen at the last step
        self._acc = np.zeros(3)       # since the last flush: sum |δ|, sum δ², updates
        self._finished_since_flush = False
        self._flush_time = self._pictures_time = time.perf_counter()
        self._flush_steps = 0
        self._positions: deque[tuple[int, int]] = deque(maxlen=1000)
        self._trace: list[np.ndarray] = []          # Q(s_t, ·) along the current episode
        self._last_trace: list[np.ndarray] = []     # ... and along the one before

    # ---- map --------------------------------------------------------------------------------------------
    def _set_map(self, cells: np.ndarray) -> None:
        """Build the environment and the optimal answer (value iteration) for ``cells``, already checked."""
        self.env = GridWorld(cells)
        self.reach = reachable_cells(self.env.cells, self.env.start)
        self.walkable = (self.env.cells == EMPTY) | (self.env.cells == START)
        self._solve()
        self.max_episode_steps = max(100, 4 * self.env.n_states)

    def _solve(self) -> None:
        self.v_star, self.q_star = self.env.value_iteration(self.gamma)
        self.best = optimal_actions(self.q_star)                        # (H, W, 4)

    @property
    def map_text(self) -> str:
        """The current map, edits included, as map text (what "grid_map" would need to rebuild it)."""
        return format_grid_map(self.env.cells)

    # ---- checks -----------------------------------------------------------------------------------------
    @staticmethod
    def _check_schedule(start: float, end: float, decay: int) -> None:
        if not (0.0 <= end <= 1.0 and 0.0 <= start <= 1.0):
            raise LessonConfigError(f"ε must lie in [0, 1]; the schedule runs from {start:g} to {end:g}")
        if end > start:
            raise LessonConfigError(f"The ε schedule ends above its start ({end:g} > {start:g}): exploration "
                                    "would grow as the agent learns. Make the end ε at most the start ε.")
        if decay < 1:
            raise LessonConfigError(f"The ε decay needs at least 1 step, got {decay}")

    @staticmethod
    def _check_gamma(gamma: float) -> None:
        if not 0.0 <= gamma < 1.0:
            raise LessonConfigError(f"The grid world needs a discount γ in [0, 1), got {gamma:g}: with γ = 1 a "
                                    "cell that reaches no goal would have the value -∞.")

    @property
    def epsilon(self) -> float:
        """ε now: linear from eps_start to eps_end over eps_decay_steps environment steps, then flat."""
        start, end, decay = self.eps
        return end + (start - end) * max(0.0, 1.0 - self.steps / decay)

    # ---- training ---------------------------------------------------------------------------------------
    def step(self, step: int) -> None:
        """One environment step with an ε-greedy action and one tabular update of Q(s, a)."""
        env, table = self.env, self.table
        if self._new_episode:
            env.reset()
            self._new_episode = False
            self.episode_step, self.episode_return = 0, 0.0
            self._last_trace, self._trace = (self._trace if len(self._trace) > 1 else self._last_trace), []
            self._positions.append(env.start)
        s = env.state
        a = table.act(s, self.epsilon, self.rng) if self._next_action is None else self._next_action
        self._next_action = None
        self._trace.append(table.q[s].copy())
        s2, r, terminal = env.step(a)
        self.steps += 1
        self.episode_step += 1
        self.episode_return += r
        a2 = None
        if table.method == "sarsa" and not terminal:
            a2 = self._next_action = table.act(s2, self.epsilon, self.rng)
        delta = table.update(s, a, r, s2, terminal, a2)
        self._acc += (abs(delta), delta * delta, 1.0)
        self._positions.append(env.position(s2))
        if terminal or self.episode_step >= self.max_episode_steps:
            self._end_episode(record=True)

    def _end_episode(self, record: bool) -> None:
        if record:
            self.returns[self.n_returns % RETURNS_KEPT] = self.episode_return
            self.n_returns += 1
            self._finished_since_flush = True
        self.episodes += 1
        self._new_episode = True
        self._next_action = None

    def _recent(self, k: int) -> np.ndarray:
        n = min(k, self.n_returns, RETURNS_KEPT)
        idx = (self.n_returns - 1 - np.arange(n)) % RETURNS_KEPT
        return self.returns[idx]

    def flush(self) -> dict[str, float]:
        """Metrics since the last flush: td_error (mean |δ|), loss (mean δ²/2), epsilon, steps_per_s,
        episodes, and, when an episode finished since, episode_return (the last) with return_mean_20 and
        return_mean_100 (means over at most that many finished episodes)."""
        now = time.perf_counter()
        out = {"epsilon": self.epsilon, "episodes": float(self.episodes)}
        if now > self._flush_time and self.steps > self._flush_steps:
            out["steps_per_s"] = (self.steps - self._flush_steps) / (now - self._flush_time)
        if self._acc[2]:
            out["td_error"] = float(self._acc[0] / self._acc[2])
            out["loss"] = float(0.5 * self._acc[1] / self._acc[2])
        if self._finished_since_flush:
            out["episode_return"] = float(self._recent(1)[0])
            out["return_mean_20"] = float(self._recent(20).mean())
            out["return_mean_100"] = float(self._recent(100).mean())
        self._acc[:] = 0.0
        self._finished_since_flush = False
        self._flush_time, self._flush_steps = now, self.steps
        return out

    # ---- readouts ---------------------------------------------------------------------------------------
    def _visited(self) -> np.ndarray:
        """(H, W) bool: cells whose Q row has been updated at least once."""
        return (self.table.visits.sum(axis=1) > 0).reshape(self.env.shape)

    def greedy_policy(self) -> np.ndarray:
        """(H, W) int64 greedy action of each cell; -1 on walls, goals, pits and cells never updated."""
        policy = self.table.greedy().reshape(self.env.shape)
        return np.where(self.walkable & self._visited(), policy, -1)

    def evaluate(self) -> dict[str, float]:
        """policy_optimal: the share of the non-terminal cells the start reaches whose greedy action is
        optimal by value iteration on the same map (ties count as optimal; a cell never updated counts as
        not); value_error: mean |max_a Q - V*| over those cells (reward units)."""
        cells = self.reach & self.walkable                               # (H, W)
        policy = self.greedy_policy()
        rows, cols = np.nonzero(cells)
        act = policy[rows, cols]
        ok = (act >= 0) & self.best[rows, cols, np.maximum(act, 0)]
        v = self.table.values().reshape(self.env.shape)
        return {"policy_optimal": float(ok.mean()),
                "value_error": float(np.abs(v[cells] - self.v_star[cells]).mean())}

    def pictures(self, ids: set[str]) -> dict[str, PlotData]:
        """Plot data for the ids it knows: "environment" (GridWorldData, editable), "q_episode" (CurvesData)
        and "value" (ImageData of V, row 0 of the grid at the top)."""
        out: dict[str, PlotData] = {}
        h, w = self.env.shape
        q = self.table.q.reshape(h, w, len(GRID_ACTIONS)).astype(np.float32)
        v = q.max(axis=2)
        v[~self.walkable] = np.nan
        if "environment" in ids:
            now = time.perf_counter()
            elapsed = max(now - self._pictures_time, 1e-6)
            self._pictures_time = now
            n = len(self._positions)
            fps = float(np.clip(n / elapsed, 1.0, MAX_FPS))
            keep = max(1, min(n, int(np.ceil(fps * elapsed))))  # play for about as long as the wait
            agent = np.array(list(self._positions)[-keep:] if n else [self.env.position(self.env.state)],
                             dtype=np.int64).reshape(-1, 2)
            self._positions.clear()
            share = self.evaluate()["policy_optimal"]
            out["environment"] = GridWorldData(
                episode=self.episodes, step=max(0, self.episode_step - len(agent) + 1),
                episode_return=self.episode_return, fps=fps,
                caption=(f"episode {self.episodes + 1}, step {self.episode_step} · ε = {self.epsilon:.2f} · "
                         f"greedy action optimal in {share:.0%} of reachable cells"),
                cells=self.env.cells.copy(), values=v,
                q_values=np.where(self.walkable[..., None], q, np.nan).astype(np.float32),
                policy=self.greedy_policy(), agent=agent, rewards=self.env.rewards_grid(), editable=True)
        if "q_episode" in ids:
            trace = self._trace if len(self._trace) > 1 else self._last_trace
            t = np.arange(len(trace), dtype=np.float64)
            qs = np.array(trace, dtype=np.float64).reshape(-1, len(GRID_ACTIONS))
            out["q_episode"] = CurvesData({f"Q(s, {a})": (t, qs[:, i]) for i, a in enumerate(GRID_ACTIONS)})
        if "value" in ids:
            out["value"] = ImageData(v[::-1].copy(), extent=(0.0, w - 1.0, 0.0, h - 1.0), levels=(-1.0, 1.0),
                                     colormap="RdBu", x_label="column", y_label="row from the bottom",
                                     colorbar_label="V(s) = max_a Q(s, a)")
        return out

    # ---- live settings ----------------------------------------------------------------------------------
    def set_live(self, name: str, value: Any) -> bool:
        """Apply a live setting; True if it is one of the grid's.  "grid_edit" ("row,col") paints that cell
        with the current tool and forgets the Q rows of the changed cells; an edit the map cannot take
        (the start painted over, the last goal removed, no goal left reachable) is refused with a notice and
        the map kept.  Raises LessonConfigError for an ε schedule that ends above its start, α outside
        (0, 1] or γ >= 1 (nothing changes then)."""
        if name == "grid_edit":
            self._edit(str(value or "").strip())
        elif name == "grid_tool":
            if value not in GRID_CELLS:
                raise LessonConfigError(f"Grid tool: {value!r} is not one of {', '.join(GRID_CELLS)}")
            self.tool = str(value)
        elif name == "lr":
            try:
                TabularQ.check(float(value), self.gamma, self.table.method)
            except ValueError as e:
                raise LessonConfigError(f"Grid world: {e}") from None
            self.alpha = self.table.alpha = float(value)
        elif name == "gamma":
            self._check_gamma(float(value))
            self.gamma = self.table.gamma = float(value)
            self._solve()
        elif name in ("eps_start", "eps_end", "eps_decay_steps"):
            eps = dict(zip(("eps_start", "eps_end", "eps_decay_steps"), self.eps))
            eps[name] = value
            new = (float(eps["eps_start"]), float(eps["eps_end"]), int(eps["eps_decay_steps"]))
            self._check_schedule(*new)
            self.eps = new
        else:
            return False
        return True

    def _edit(self, text: str) -> None:
        if not text:
            return
        try:
            row, col = (int(p) for p in text.split(","))
        except ValueError:
            self.context.notice(f"Grid edit {text!r} ignored: expected \"row,col\"")
            return
        try:
            cells = paint(self.env.cells, row, col, self.tool)
            start = self.env.start if self.tool != "start" else (row, col)
            check_goal_reachable(cells, start)
        except ValueError as e:
            self.context.notice(f"Edit refused, the map is kept: {e}")
            return
        changed = np.flatnonzero((cells != self.env.cells).ravel())
        here = self.env.state
        self._set_map(cells)
        self.table.reset_states(changed)
        stranded = here in changed or not self.reach.ravel()[here]
        if stranded and not self._new_episode:      # the agent's cell changed or was cut off: start over
            self._end_episode(record=False)

    # ---- checkpoints ------------------------------------------------------------------------------------
    def _rng_state(self) -> np.ndarray:
        st = self.rng.bit_generator.state
        mask = (1 << 64) - 1
        s, inc = st["state"]["state"], st["state"]["inc"]
        return np.array([s >> 64, s & mask, inc >> 64, inc & mask, st["has_uint32"], st["uinteger"]],
                        dtype=np.uint64)

    def state_dict(self) -> dict[str, np.ndarray]:
        """NumPy copies: the Q table and visit counts, the map, the random generator, the counters, the
        returns of the last episodes and the metric sums since the last flush."""
        counters = [self.steps, self.episodes, self.episode_step, self.n_returns, self.env.state,
                    int(self._new_episode), -1 if self._next_action is None else self._next_action]
        return {"q": self.table.q.copy(), "visits": self.table.visits.copy(), "cells": self.env.cells.copy(),
                "rng": self._rng_state(), "counters": np.array(counters, dtype=np.int64),
                "episode_return": np.array([self.episode_return]), "returns": self.returns.copy(),
                "flush_sums": self._acc.copy()}

    def load_state_dict(self, d: Mapping[str, np.ndarray]) -> None:
        """Restore :meth:`state_dict` atomically.  Raises LessonConfigError (nothing changes) for other
        shapes, NaN, negative counts, or a map that is not a valid map with a reachable goal."""
        ref = self.state_dict()
        s = check_state(ref, d, nonnegative=frozenset({"visits"}))
        cells = s["cells"]
        try:
            if cells.min() < 0 or cells.max() >= len(GRID_CELLS):
                raise ValueError("cell codes outside 0..4")
            GridWorld(cells)
            check_goal_reachable(cells, tuple(int(x) for x in np.argwhere(cells == START)[0]))
        except ValueError as e:
            raise LessonConfigError(f"The checkpoint's grid map is not usable: {e}") from None
        c = s["counters"]
        if c[:4].min() < 0 or not 0 <= c[4] < cells.size or c[6] >= len(GRID_ACTIONS):
            raise LessonConfigError("The checkpoint's counters are out of range")
        hi_s, lo_s, hi_i, lo_i, has32, uint = (int(x) for x in s["rng"])
        rng_state = {"bit_generator": "PCG64", "state": {"state": (hi_s << 64) | lo_s, "inc": (hi_i << 64) | lo_i},
                     "has_uint32": has32, "uinteger": uint}
        try:
            np.random.PCG64().state = rng_state
        except (ValueError, TypeError) as e:
            raise LessonConfigError(f"The checkpoint's random generator state is not usable: {e}") from None
        self._set_map(cells)
        self.table.load_state_dict({"q": s["q"], "visits": s["visits"]})
        self.rng.bit_generator.state = rng_state
        self.steps, self.episodes, self.episode_step, self.n_returns = (int(x) for x in c[:4])
        self.env.state, self._new_episode = int(c[4]), bool(c[5])
        self._next_action = None if c[6] < 0 else int(c[6])
        self.episode_return = float(s["episode_return"][0])
        self.returns, self._acc = s["returns"].copy(), s["flush_sums"].copy()
        self._positions.clear()
        self._trace, self._last_trace = [], []

    def close(self) -> None:
        """Nothing to release (NumPy only); drops the buffers."""
        self._positions.clear()
        self._trace, self._last_trace = [], []
