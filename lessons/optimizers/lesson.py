"""Lesson ``optimizers``: six optimizers race down a 2-D loss surface (Qt-free).

SGD, Momentum, Nesterov, AdaGrad, RMSProp and Adam start from the same point θ₀ = (x, y) and each
take one update per training step on the chosen surface (Saitoh's x²/20 + y², a quadratic bowl of
condition number κ, Rosenbrock, Beale, a saddle, or a 2-D slice of a real network's loss).  The
NumPy engine uses the scratch optimizers and analytic gradients; the torch engine uses
``torch.optim`` and autograd in float64, and gives the same trajectories.  An optimizer that
diverges is frozen (and reported in a notice) while the others race on.  The racers (``point_optimizers.py``)
are stepped together behind one kit Trainer, ``race.RaceTrainer``; the surfaces are in ``surfaces.py``.

Follows Saitoh, *Deep Learning from Scratch*, 6.1 (SGD, Momentum, AdaGrad, Adam on x²/20 + y²) and
Buduma, Buduma & Papa, *Fundamentals of Deep Learning* 2e, ch. 6 (Beyond gradient descent); the
update rules match ``torch.optim`` (see ``visualizer/scratch/optimizers.py`` for the papers).
"""
from __future__ import annotations

import numpy as np

from lessons.optimizers import INFO
from lessons.optimizers.narrative import NARRATIVE
from lessons.optimizers.point_optimizers import ADAPTIVE, LABELS, OPTIMIZERS
from lessons.optimizers.race import RaceData, RaceTrainer
from lessons.optimizers.surfaces import SURFACES, make_surface, surface_map
from visualizer.core.hyperparams import BoolParam, ChoiceParam, FloatParam
from visualizer.core.lesson import Lesson, LessonConfigError
from visualizer.core.plotdata import PlotData, PlotSpec

# Saitoh's settings for x²/20 + y² (optimizer_compare_naive.py), the others chosen to race well there.
DEFAULT_LR = {"sgd": 0.95, "momentum": 0.1, "nesterov": 0.1, "adagrad": 1.5, "rmsprop": 0.1, "adam": 0.3}

LR_TOOLTIP = ("Learning rate η of {label}. Changing it restarts the race from the start point, so all "
              "optimizers are compared from the same place.")


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
    redraw_hz = 60.0
    snapshot_hz = 60.0
    snapshot_budget = 0.3
    engine_comparison = True

    def __init__(self, hp, context=None) -> None:
        super().__init__(hp, context)
        device = None
        if hp["engine"] == "torch":
            from visualizer.torch_backend.device import resolve_device
            device = resolve_device(hp["device"])
        elif hp["device"] == "cuda":
            raise LessonConfigError("The NumPy engine runs on the CPU only: choose the torch engine for CUDA, "
                                    "or the cpu device.")
        self.surface = make_surface(hp["surface"], hp["kappa"], hp["rotation"], hp["seed"])
        self.map = surface_map(self.surface)
        x0, x1, y0, y1 = self.surface.extent
        start = (hp["start_x"], hp["start_y"])
        if not self.surface.contains(*start):
            self.context.notice(
                f"The start ({start[0]:g}, {start[1]:g}) lies outside the map of {self.surface.title} "
                f"[{x0:g}, {x1:g}] × [{y0:g}, {y1:g}]: the race starts from ({self.surface.start[0]:g}, "
                f"{self.surface.start[1]:g}) instead. Drag the target to move it.")
            start = self.surface.start
            self.hp.set("start_x", start[0])
            self.hp.set("start_y", start[1])
        self.trainer = RaceTrainer(hp["engine"], self.surface, np.array(start, dtype=np.float64), hp, device,
                                   on_diverge=self._frozen)

    def _frozen(self, name: str, step: int) -> None:
        lr = self.hp[f"lr_{name}"]
        self.context.notice(
            f"{LABELS[name]} diverged at step {step} (θ or f grew without bound with η = {lr:g}). "
            f"It is frozen at its last finite point while the others race on; lower lr_{name} "
            f"(try {lr / 3:.3g}) to restart the race.")

    def divergence_hint(self) -> str:
        return ("An optimizer's step was too large for this surface: lower its learning rate "
                "(the race restarts).")

    def snapshot(self) -> dict[str, PlotData]:
        """``race``: :class:`RaceData` of the surface and every racer's path and arrows."""
        s, m, t = self.surface, self.map, self.trainer
        data = RaceData(s.name, s.title, s.formula, m.key, m.image, s.extent, m.levels, s.log_levels,
                        m.contours, s.minimum, (float(t.start[0]), float(t.start[1])),
                        show_arrows=bool(self.hp["show_arrows"]), step=t.last_step,
                        colorbar_label=m.colorbar_label, x_label=s.axis_labels[0], y_label=s.axis_labels[1],
                        description=s.description)
        for name, r in t.racers.items():
            rows = t.trajectories[name].rows()
            data.trajectories[name] = rows[:, 1:3]
            data.steps[name] = rows[:, 0].astype(np.int64)
            data.values[name] = rows[:, 3]
            if name in t.diverged:
                continue
            data.gradients[name] = r.grad.copy()
            data.updates[name] = r.update.copy()
            if name in ADAPTIVE:
                scale = r.adaptive_scale()
                if scale is not None and np.all(np.isfinite(scale)):
                    data.scales[name] = scale
        data.diverged = tuple(t.diverged)
        return {"race": data}


LESSON = OptimizerRace
