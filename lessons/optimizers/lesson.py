"""Lesson ``optimizers``: six optimizers race down a 2-D loss surface (Qt-free).

SGD, Momentum, Nesterov, AdaGrad, RMSProp and Adam start from the same point θ₀ = (x, y) and each
take one update per training step on the chosen surface (Saitoh's x²/20 + y², a quadratic bowl of
condition number κ, Rosenbrock, Beale, a saddle, or a 2-D slice of a real network's loss).  The
NumPy engine uses the scratch optimizers and analytic gradients; the torch engine uses
``torch.optim`` and autograd in float64, and gives the same trajectories.  An optimizer that
diverges is frozen (and reported in a notice) while the others race on.

Follows Saitoh, *Deep Learning from Scratch*, 6.1 (SGD, Momentum, AdaGrad, Adam on x²/20 + y²) and
Buduma, Buduma & Papa, *Fundamentals of Deep Learning* 2e, ch. 6 (Beyond gradient descent); the
update rules match ``torch.optim`` (see ``visualizer/scratch/optimizers.py`` for the papers).
"""
from __future__ import annotations

import math
import uuid
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lessons.optimizers.narrative import NARRATIVE
from lessons.optimizers.racers import ADAPTIVE, LABELS, OPTIMIZERS, Hyper, Racer, finite_and_bounded, make_racer
from lessons.optimizers.surfaces import SURFACES, Surface, contour_levels, contour_segments, make_surface
from visualizer.core.hyperparams import BoolParam, ChoiceParam, FloatParam
from visualizer.core.lesson import Lesson, LessonConfigError, LessonInfo
from visualizer.core.plotdata import PlotData, PlotSpec, Table
from lessons.optimizers import INFO

GAP_FLOOR = 1e-16           # f − f_min is reported at least this large (a log axis shows it)
DIVERGE_FACTOR = 1e3        # |θ| beyond this many map widths counts as diverged
RECENT_POINTS = 2000        # trajectory points kept exactly; older ones are thinned
TRAJECTORY_CAPACITY = 4000

# Saitoh's settings for x²/20 + y² (optimizer_compare_naive.py), the others chosen to race well there.
DEFAULT_LR = {"sgd": 0.95, "momentum": 0.1, "nesterov": 0.1, "adagrad": 1.5, "rmsprop": 0.1, "adam": 0.3}

LR_TOOLTIP = ("Learning rate η of {label}. Changing it restarts the race from the start point, so all "
              "optimizers are compared from the same place.")


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


@dataclass
class SurfaceMap:
    """A surface's colour image, levels and contour segments, computed once per surface."""

    key: str
    image: np.ndarray
    levels: tuple[float, float]
    contours: np.ndarray
    colorbar_label: str


def surface_map(surface: Surface) -> SurfaceMap:
    """The colour field (log10(f − f_min) on valley surfaces, else f), colour levels and iso-lines."""
    xs, ys, z = surface.grid()
    z = np.asarray(z, dtype=np.float64)
    lv = contour_levels(z, surface.f_min, surface.log_levels)
    segments = contour_segments(xs, ys, z, lv)
    if surface.log_levels:
        gap = np.maximum(z - surface.f_min, 0.0)
        floor = max(float(np.percentile(gap, 0.5)), float(np.percentile(gap, 95)) * 1e-5, 1e-12)
        image = np.log10(np.maximum(gap, floor))
        levels = (math.log10(floor), float(np.percentile(image, 99)))
        label = "log₁₀(f − f_min)"
    else:
        image = z
        levels = (float(surface.f_min), float(np.percentile(z, 99)))
        label = "f"
    if not levels[1] > levels[0]:
        levels = (levels[0], levels[0] + 1.0)
    return SurfaceMap(uuid.uuid4().hex, image.astype(np.float32), levels, segments, label)


def _optimizer_params() -> tuple:
    out = []
    for name in OPTIMIZERS:
        label = LABELS[name]
        out.append(BoolParam(f"use_{name}", f"Race {label}", True, live=True,
                             tooltip=f"Include {label} in the race. Turning one on or off restarts the race."))
        out.append(FloatParam(f"lr_{name}", f"{label}: learning rate η", DEFAULT_LR[name], 1e-4, 10.0, log=True,
                              live=True, decimals=4, tooltip=LR_TOOLTIP.format(label=label)))
    return tuple(out)


class OptimizerRace(Lesson):
    """Six optimizers on one 2-D surface: θ (2,) per optimizer, one update each per training step.

    Metrics per step: ``loss_<name>`` = f(θ) − f_min (at least 1e-16) for every racing optimizer
    that has not diverged.  Raises LessonConfigError for a CUDA device that is absent."""

    info = INFO
    params = (
        ChoiceParam("surface", "Loss surface", "saitoh", SURFACES,
                    tooltip="saitoh: x²/20 + y² (Saitoh 6.1). bowl: ½(u² + κv²), condition number κ. "
                            "rosenbrock: a curved narrow valley. beale: plateaus and steep walls. "
                            "saddle: x² − y² + y⁴/4. network: a 2-D slice through a trained MLP's loss."),
        FloatParam("kappa", "Condition number κ (bowl)", 10.0, 1.0, 1000.0, log=True, live=False, decimals=1,
                   tooltip="Ratio of the largest to the smallest curvature of the bowl. Gradient descent "
                           "needs η < 2/κ to be stable and then about κ steps per e-fold along the flat "
                           "direction."),
        FloatParam("rotation", "Rotation φ of the bowl (°)", 0.0, 0.0, 90.0, live=False, decimals=1,
                   tooltip="Rotates the bowl's axes away from x and y. AdaGrad, RMSProp and Adam rescale "
                           "each coordinate separately, which helps most when the valley is axis-aligned."),
        FloatParam("start_x", "Start x", -7.0, -10.0, 10.0, live=True, decimals=3,
                   tooltip="x of the common start point θ₀ (or drag the target in the race plot). "
                           "Changing it restarts the race."),
        FloatParam("start_y", "Start y", 2.0, -10.0, 10.0, live=True, decimals=3,
                   tooltip="y of the common start point θ₀ (or drag the target in the race plot). "
                           "Changing it restarts the race."),
        BoolParam("show_arrows", "Show arrows", True, live=True,
                  tooltip="At each optimizer's current point: −∇f (black), its last update Δθ (its colour) "
                          "and, for AdaGrad, RMSProp and Adam, an ellipse whose axes are the per-coordinate "
                          "step multipliers η/(√v + ε)."),
    ) + _optimizer_params() + (
        FloatParam("momentum", "Momentum β (Momentum, Nesterov)", 0.9, 0.0, 0.99, live=True, decimals=3,
                   tooltip="v ← βv + g: the share of the previous velocity kept each step. Restarts the race."),
        FloatParam("rho", "RMSProp decay ρ", 0.99, 0.0, 0.999, live=True, decimals=3,
                   tooltip="s ← ρs + (1 − ρ)g²: how slowly RMSProp forgets old squared gradients. "
                           "Restarts the race."),
        FloatParam("beta1", "Adam β₁", 0.9, 0.0, 0.999, live=True, decimals=3,
                   tooltip="Decay of Adam's first moment m (its momentum). Restarts the race."),
        FloatParam("beta2", "Adam β₂", 0.999, 0.0, 0.9999, live=True, decimals=4,
                   tooltip="Decay of Adam's second moment v (its RMSProp part). Restarts the race."),
    )
    plots = (
        PlotSpec("race", "The race", "race", x_label="x", y_label="y",
                 tooltip="The loss surface (colour and iso-lines) with every optimizer's path from the common "
                         "start (drag the target to move it). Arrows at each current point: −∇f (black), the "
                         "last update Δθ (colour), adaptive step scale (ellipse). Arrow lengths are scaled to "
                         "the map per kind: compare them between optimizers, not over time."),
        PlotSpec("gap", "f − f_min per optimizer", "curves", series=tuple(f"loss_{n}" for n in OPTIMIZERS),
                 x_label="step", y_label="f − f_min", log_y=True,
                 tooltip="How far each optimizer's loss is above the surface's minimum f_min, on a log axis "
                         "(0 for the bowls, Rosenbrock and Beale; −1 for the saddle's valleys; the lowest "
                         "point found near θ* for the network slice). Values below 1e-16 are shown as 1e-16. "
                         "A diverged optimizer's curve stops."),
    )
    narrative = NARRATIVE
    eval_every = 10**9
    # The race is cheap to step and to draw: animate it faster than the app's defaults (30 Hz redraw,
    # 20 Hz snapshots, 5 % of training time for snapshots), and pace it so it can be watched.
    default_speed = 60.0
    redraw_hz = 60.0
    snapshot_hz = 60.0
    snapshot_budget = 0.3

    def __init__(self, hp, context=None) -> None:
        super().__init__(hp, context)
        self.engine = hp["engine"]
        self.device = None
        if self.engine == "torch":
            from visualizer.torch_backend.device import resolve_device
            self.device = resolve_device(hp["device"])
        elif hp["device"] == "cuda":
            raise LessonConfigError("The NumPy engine runs on the CPU only: choose the torch engine for CUDA, "
                                    "or the cpu device.")
        self.surface = make_surface(hp["surface"], hp["kappa"], hp["rotation"], hp["seed"])
        self.map = surface_map(self.surface)
        x0, x1, y0, y1 = self.surface.extent
        self.limit = DIVERGE_FACTOR * max(abs(x0), abs(x1), abs(y0), abs(y1))
        start = (hp["start_x"], hp["start_y"])
        if not self.surface.contains(*start):
            self.context.notice(
                f"The start ({start[0]:g}, {start[1]:g}) lies outside the map of {self.surface.title} "
                f"[{x0:g}, {x1:g}] × [{y0:g}, {y1:g}]: the race starts from ({self.surface.start[0]:g}, "
                f"{self.surface.start[1]:g}) instead. Drag the target to move it.")
            start = self.surface.start
            self.hp.set("start_x", start[0])
            self.hp.set("start_y", start[1])
        self.start = np.array(start, dtype=np.float64)
        self.step_count = 0
        self._last_grads: dict[str, np.ndarray] = {}
        self.restart()

    # ---- the race ---------------------------------------------------------------------------------
    def hyper(self, name: str) -> Hyper:
        hp = self.hp
        return Hyper(hp[f"lr_{name}"], hp["momentum"], hp["rho"], hp["beta1"], hp["beta2"])

    def included(self) -> list[str]:
        """The optimizers taking part, in OPTIMIZERS order."""
        return [n for n in OPTIMIZERS if self.hp[f"use_{n}"]]

    def restart(self) -> None:
        """Every included optimizer back to the start point with fresh state and an empty path."""
        self.racers: dict[str, Racer] = {
            n: make_racer(self.engine, n, self.surface, self.start, self.hyper(n), self.device)
            for n in self.included()}
        self.trajectories = {n: Trajectory() for n in self.racers}
        for n, r in self.racers.items():
            self.trajectories[n].append(self.step_count, r.position, r.value)
        self.diverged: dict[str, int] = {}
        self._last_grads = {}

    def _freeze(self, name: str, racer: Racer) -> None:
        self.diverged[name] = self.step_count
        lr = self.hp[f"lr_{name}"]
        self.context.notice(
            f"{LABELS[name]} diverged at step {self.step_count} (θ or f grew without bound with η = {lr:g}). "
            f"It is frozen at its last finite point while the others race on; lower lr_{name} "
            f"(try {lr / 3:.3g}) to restart the race.")

    def train_step(self) -> dict[str, float]:
        """One update of every racing optimizer.  Returns ``loss_<name>`` = max(f − f_min, 1e-16) for
        those that have not diverged (diverged ones are frozen and omitted)."""
        self.step_count += 1
        metrics = {}
        f_min = self.surface.f_min
        for name, r in self.racers.items():
            if name in self.diverged:
                continue
            self._last_grads[name] = r.grad.copy()
            r.advance()
            p = r.position
            if not finite_and_bounded(p, r.value, self.limit):
                self._freeze(name, r)
                continue
            self.trajectories[name].append(self.step_count, p, r.value)
            metrics[f"loss_{name}"] = max(float(r.value) - f_min, GAP_FLOOR)
        return metrics

    def gradient_arrays(self) -> dict[str, np.ndarray]:
        """∇f each racing optimizer used in the last step: ``<name>.grad`` (2,) float64."""
        return {f"{n}.grad": g.copy() for n, g in self._last_grads.items()}

    # ---- live settings ----------------------------------------------------------------------------
    def set_live(self, name: str, value: Any) -> None:
        """Start point, learning rates, β, ρ, β₁, β₂ and the racing set restart the race; arrows and
        speed apply at once.  A start off the map is allowed (the view widens to show it): a narrative
        step moves the start before the Reset that switches the surface."""
        super().set_live(name, value)
        if name in ("start_x", "start_y"):
            self.start = np.array([self.hp["start_x"], self.hp["start_y"]], dtype=np.float64)
            self.restart()
        elif name.startswith(("lr_", "use_")) or name in ("momentum", "rho", "beta1", "beta2"):
            self.restart()

    def divergence_hint(self) -> str:
        return ("An optimizer's step was too large for this surface: lower its learning rate "
                "(the race restarts).")

    # ---- views ------------------------------------------------------------------------------------
    def snapshot(self) -> dict[str, PlotData]:
        """``race``: :class:`RaceData` of the surface and every racer's path and arrows."""
        s, m = self.surface, self.map
        data = RaceData(s.name, s.title, s.formula, m.key, m.image, s.extent, m.levels, s.log_levels,
                        m.contours, s.minimum, (float(self.start[0]), float(self.start[1])),
                        show_arrows=bool(self.hp["show_arrows"]), step=self.step_count,
                        colorbar_label=m.colorbar_label, x_label=s.axis_labels[0], y_label=s.axis_labels[1],
                        description=s.description)
        for name, r in self.racers.items():
            rows = self.trajectories[name].rows()
            data.trajectories[name] = rows[:, 1:3]
            data.steps[name] = rows[:, 0].astype(np.int64)
            data.values[name] = rows[:, 3]
            if name in self.diverged:
                continue
            data.gradients[name] = r.grad.copy()
            data.updates[name] = r.update.copy()
            if name in ADAPTIVE:
                scale = r.adaptive_scale()
                if scale is not None and np.all(np.isfinite(scale)):
                    data.scales[name] = scale
        data.diverged = tuple(self.diverged)
        return {"race": data}

    # ---- checkpoints ------------------------------------------------------------------------------
    def checkpoint_state(self) -> dict:
        """Each racer's position, optimizer buffers and path (``<name>.<key>``), the start and the step."""
        out: dict[str, np.ndarray] = {"start": self.start.copy(), "step": np.array(self.step_count)}
        for name, r in self.racers.items():
            for k, v in r.state().items():
                out[f"{name}.{k}"] = np.asarray(v)
            out[f"{name}.trajectory"] = self.trajectories[name].rows()
            out[f"{name}.diverged"] = np.array(self.diverged.get(name, -1))
        return out

    def load_checkpoint_state(self, state: dict) -> None:
        """Restore :meth:`checkpoint_state`.  Raises LessonConfigError if it holds other optimizers or
        malformed arrays."""
        names = sorted({k.split(".", 1)[0] for k in state if "." in k})
        if names != sorted(self.racers):
            raise LessonConfigError(f"The checkpoint holds the optimizers {', '.join(names) or 'none'}, "
                                    f"this race has {', '.join(self.racers)}: include the same ones.")
        try:
            start = np.asarray(state["start"], dtype=np.float64).reshape(2)
            for name, r in self.racers.items():
                sub = {k.split(".", 1)[1]: v for k, v in state.items() if k.startswith(name + ".")}
                r.load_state(sub)
                self.trajectories[name].load(sub["trajectory"])
            self.diverged = {n: int(state[f"{n}.diverged"]) for n in self.racers if int(state[f"{n}.diverged"]) >= 0}
            self.step_count = int(state["step"])
        except (KeyError, ValueError) as e:
            raise LessonConfigError(f"The checkpoint does not fit this race: {e}") from None
        self.start = start


LESSON = OptimizerRace
