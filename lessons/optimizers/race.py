"""The race: every optimizer taking part, stepped together behind one kit Trainer, and what the race view draws.

:class:`RaceTrainer` holds one racer per included optimizer (``point_optimizers.py``), all starting from the same
θ₀ on one surface; each training step advances every racer that has not diverged, appends its point to its
:class:`Trajectory` and adds ``loss_<name>`` = f(θ) − f_min to the metric window.  A racer whose θ or f becomes
NaN/Inf or leaves the map by far is frozen.  Changing a learning rate, β, ρ, β₁, β₂, the racing set or the
start restarts the race, so all optimizers are compared from the same place.  Qt-free.

Follows Saitoh, *Deep Learning from Scratch*, 6.1 (SGD, Momentum, AdaGrad, Adam on x²/20 + y²).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import numpy as np

from lessons.optimizers.point_optimizers import LABELS, OPTIMIZERS, Hyper, Racer, finite_and_bounded, make_racer
from lessons.optimizers.surfaces import Surface
from visualizer.core.checkpoint import check_state
from visualizer.core.errors import LessonConfigError
from visualizer.core.plotdata import Table
from visualizer.core.trainer import MetricWindow, Trainer

GAP_FLOOR = 1e-16           # f − f_min is reported at least this large (a log axis shows it)
DIVERGE_FACTOR = 1e3        # |θ| beyond this many map widths counts as diverged
RECENT_POINTS = 2000        # trajectory points kept exactly; older ones are thinned
TRAJECTORY_CAPACITY = 4000
#: Live settings that restart the race: learning rates, the racing set, β, ρ, β₁, β₂ and the start point.
RESTART = frozenset({f"lr_{n}" for n in OPTIMIZERS} | {f"use_{n}" for n in OPTIMIZERS}
                    | {"momentum", "rho", "beta1", "beta2", "start_x", "start_y"})


class Trajectory:
    """The points an optimizer visited: rows (step, x, y, f), float64.

    The newest ``recent`` rows are kept exactly; when the buffer (``capacity`` rows) is full, the
    older rows are thinned to every second one (the start row is always kept), so a long run stays
    bounded while its recent path stays exact."""

    def __init__(self, recent: int = RECENT_POINTS, capacity: int = TRAJECTORY_CAPACITY) -> None:
        if capacity < recent + 2:
            raise ValueError("capacity must exceed recent by at least 2")
        self.recent = recent
        self.buf = np.empty((capacity, 4))
        self.n = 0

    def append(self, step: int, p: np.ndarray, f: float) -> None:
        if self.n == len(self.buf):
            old = self.buf[:self.n - self.recent]
            kept = old[::2]
            m = len(kept)
            self.buf[:m] = kept
            self.buf[m:m + self.recent] = self.buf[self.n - self.recent:self.n]
            self.n = m + self.recent
        self.buf[self.n] = (step, p[0], p[1], f)
        self.n += 1

    def rows(self) -> np.ndarray:
        """(T, 4) copy: step, x, y, f."""
        return self.buf[:self.n].copy()

    def load(self, rows: np.ndarray) -> None:
        rows = np.asarray(rows, dtype=np.float64)
        if rows.ndim != 2 or rows.shape[1] != 4 or len(rows) > len(self.buf):
            raise ValueError(f"a trajectory must be (T, 4) with T <= {len(self.buf)}, got {rows.shape}")
        self.buf[:len(rows)] = rows
        self.n = len(rows)


@dataclass
class RaceData:
    """What the race view draws (Qt-free, picklable).

    surface_key: changes whenever the surface or its grid changes (the view re-uploads the image only
    then); image: (H, W) float32 colour field, row 0 at the bottom (y = extent[2]); extent: (x_min,
    x_max, y_min, y_max); levels: (low, high) of the colour map; log_scale: image is log10(f − f_min);
    contours: (2S, 2) float32 iso-line segments as point pairs; minimum: (x*, y*) or None;
    start: (x₀, y₀); trajectories: name -> (T, 2) float64 points visited (bounded, see
    :class:`Trajectory`); steps, values: name -> (T,) step index and f of each point; gradients:
    name -> (2,) ∇f at the current point; updates: name -> (2,) last Δθ; scales: name -> (2,)
    per-coordinate step multiplier lr/(√v + ε) of the adaptive methods; diverged: names frozen
    after diverging; labels: name -> display name; order: every optimizer name in colour order;
    x_label, y_label: the axes' names; description: a note on the surface for the tooltip."""

    surface: str
    title: str
    formula: str
    surface_key: str
    image: np.ndarray
    extent: tuple[float, float, float, float]
    levels: tuple[float, float]
    log_scale: bool
    contours: np.ndarray
    minimum: tuple[float, float] | None
    start: tuple[float, float]
    trajectories: dict[str, np.ndarray] = field(default_factory=dict)
    steps: dict[str, np.ndarray] = field(default_factory=dict)
    values: dict[str, np.ndarray] = field(default_factory=dict)
    gradients: dict[str, np.ndarray] = field(default_factory=dict)
    updates: dict[str, np.ndarray] = field(default_factory=dict)
    scales: dict[str, np.ndarray] = field(default_factory=dict)
    diverged: tuple[str, ...] = ()
    show_arrows: bool = True
    step: int = 0
    labels: dict[str, str] = field(default_factory=lambda: dict(LABELS))
    order: tuple[str, ...] = OPTIMIZERS
    colorbar_label: str = "f"
    x_label: str = "x"
    y_label: str = "y"
    description: str = ""

    def table(self) -> Table:
        """Trajectories as rows: optimizer, step, x, y, f."""
        rows = []
        for name, pts in self.trajectories.items():
            steps, values = self.steps[name], self.values[name]
            for i in range(len(pts)):
                rows.append([name, int(steps[i]), float(pts[i, 0]), float(pts[i, 1]), float(values[i])])
        return ["optimizer", "step", "x", "y", "f"], rows


class RaceTrainer(Trainer):
    """Every included optimizer on one surface, one update each per step, behind the kit's Trainer interface.

    engine: "numpy" or "torch"; surface: the loss surface; start: θ₀ (2,); settings: the lesson's values of
    ``lr_<name>``, ``use_<name>``, ``momentum``, ``rho``, ``beta1``, ``beta2``; device: a ``torch.device`` for
    the torch engine; on_diverge(name, step): called once when a racer is frozen.  Metrics: ``loss_<name>`` =
    max(f − f_min, 1e-16) per racer not frozen.  Checkpoints hold every racer's position, optimizer buffers and
    trajectory, engine-neutral (``<name>.<key>``), plus ``start`` and ``step``."""

    device_type = "cpu"             # f and ∇f are read on the host every step (the trajectory needs them)
    hyper_names = RESTART

    def __init__(self, engine: str, surface: Surface, start: np.ndarray, settings: Mapping[str, Any],
                 device=None, on_diverge: Callable[[str, int], None] | None = None) -> None:
        self.engine, self.surface, self.device = engine, surface, device
        self.settings = {k: settings[k] for k in RESTART - {"start_x", "start_y"}}
        self.start = np.array(start, dtype=np.float64)
        x0, x1, y0, y1 = surface.extent
        self.limit = DIVERGE_FACTOR * max(abs(x0), abs(x1), abs(y0), abs(y1))
        self.on_diverge = on_diverge or (lambda name, step: None)
        self.window = MetricWindow()
        self.last_step = 0          # the step number of the last update (labels the trajectory points)
        self.restart()

    def hyper(self, name: str) -> Hyper:
        s = self.settings
        return Hyper(s[f"lr_{name}"], s["momentum"], s["rho"], s["beta1"], s["beta2"])

    def restart(self) -> None:
        """Every included optimizer back to the start point with fresh state and an empty path."""
        self.racers: dict[str, Racer] = {
            n: make_racer(self.engine, n, self.surface, self.start, self.hyper(n), self.device)
            for n in OPTIMIZERS if self.settings[f"use_{n}"]}
        self.trajectories = {n: Trajectory() for n in self.racers}
        for n, r in self.racers.items():
            self.trajectories[n].append(self.last_step, r.position, r.value)
        self.diverged: dict[str, int] = {}
        self._last_grads: dict[str, np.ndarray] = {}

    def step(self, batch: Any, step: int) -> None:
        """One update of every racing optimizer; a racer that diverges is frozen and reported."""
        self.last_step = step
        metrics = {}
        f_min = self.surface.f_min
        for name, r in self.racers.items():
            if name in self.diverged:
                continue
            self._last_grads[name] = r.grad.copy()
            r.advance()
            p = r.position
            if not finite_and_bounded(p, r.value, self.limit):
                self.diverged[name] = step
                self.on_diverge(name, step)
                continue
            self.trajectories[name].append(step, p, r.value)
            metrics[f"loss_{name}"] = max(float(r.value) - f_min, GAP_FLOOR)
        self.window.add(metrics)

    def flush(self) -> dict[str, float]:
        return self.window.flush()

    def set_hyper(self, **values: Any) -> None:
        """Apply new settings (names in RESTART) and restart the race."""
        self.check_hyper(values)
        for name, value in values.items():
            if name in ("start_x", "start_y"):
                self.start[0 if name == "start_x" else 1] = float(value)
            else:
                self.settings[name] = value
        self.restart()

    def gradient_arrays(self) -> dict[str, np.ndarray]:
        """∇f each racing optimizer used in the last step: ``<name>.grad`` (2,) float64."""
        return {f"{n}.grad": g.copy() for n, g in self._last_grads.items()}

    def state_dict(self) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {"start": self.start.copy(), "step": np.array(self.last_step)}
        for name, r in self.racers.items():
            for k, v in r.state().items():
                out[f"{name}.{k}"] = np.asarray(v)
            out[f"{name}.trajectory"] = self.trajectories[name].rows()
            out[f"{name}.diverged"] = np.array(self.diverged.get(name, -1))
        return out

    def load_state_dict(self, state: Mapping[str, np.ndarray]) -> None:
        """Restore :meth:`state_dict` atomically.  Raises LessonConfigError if it holds other optimizers or
        misshapen arrays (a frozen racer's own arrays may hold NaN/Inf: it diverged)."""
        names = sorted({k.split(".", 1)[0] for k in state if "." in k})
        if names != sorted(self.racers):
            raise LessonConfigError(f"The checkpoint holds the optimizers {', '.join(names) or 'none'}, "
                                    f"this race has {', '.join(self.racers)}: include the same ones.")
        expected: dict[str, Any] = {}
        for key, ref in self.state_dict().items():
            got = np.shape(state[key]) if key in state else ref.shape
            if key.endswith(".trajectory") and len(got) == 2 and got[1] == 4 and 1 <= got[0] <= TRAJECTORY_CAPACITY:
                expected[key] = (got, np.float64)          # a path of any length the buffer holds
            elif key.endswith(".velocity") and got in ((0,), (2,)):
                expected[key] = (got, np.float64)          # (0,): no velocity yet
            else:
                expected[key] = ref
        frozen = {n for n in names if _diverged_step(state.get(f"{n}.diverged")) >= 0}
        checked = check_state(expected, state, allow_nonfinite=frozenset(
            k for k in expected if k.split(".", 1)[0] in frozen and not k.endswith(".trajectory")))
        self.start[...] = checked["start"]
        for name, r in self.racers.items():
            sub = {k.split(".", 1)[1]: v for k, v in checked.items() if k.startswith(name + ".")}
            r.load_state(sub)
            self.trajectories[name].load(sub["trajectory"])
        self.diverged = {n: int(checked[f"{n}.diverged"]) for n in self.racers if int(checked[f"{n}.diverged"]) >= 0}
        self.last_step = int(checked["step"])


def _diverged_step(value: Any) -> int:
    """The step a checkpoint says a racer diverged at (-1: it did not, or the entry is no integer scalar, which
    check_state then rejects by name)."""
    arr = np.asarray(value) if value is not None else np.asarray(-1)
    return int(arr.reshape(-1)[0]) if arr.size == 1 and arr.dtype.kind in "iu" else -1

