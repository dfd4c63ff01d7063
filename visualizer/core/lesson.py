"""The lesson protocol: what a lesson declares and the methods the training session calls.

A lesson is declarative (metadata, hyperparameter specs, plots, narrative steps) plus a model whose
``train_step`` performs one mini-batch update.  The session builds a lesson from validated
hyperparameters on its worker thread, steps it, asks it for validation metrics every
``eval_every`` steps and for plot snapshots at the redraw rate.  Lessons never import Qt.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Mapping

import numpy as np

from visualizer.core.errors import LessonConfigError
from visualizer.core.hyperparams import BoolParam, ChoiceParam, Hyperparameters, IntParam, ParamSpec
from visualizer.core.plotdata import PlotData, PlotSpec
from visualizer.core.trainer import Trainer

TRACKS = ("Foundations", "Vision", "Sequences & language", "Generative", "Reinforcement")
ENGINES = ("numpy", "torch")
DEVICES = ("cpu", "cuda")
STOP_UNITS = ("steps", "epochs")
SPEED_LIMITS = (1000.0, 300.0, 100.0, 60.0, 30.0, 10.0, 3.0, 1.0)   # steps/s the window's Speed box offers


@dataclass(frozen=True)
class Pacing:
    """How fast a lesson trains in the window and where a run stops by itself, so that its curves develop
    while the learner watches (over some 10-60 s) instead of collapsing into an "L".

    speed: the steps/s limit the window starts at, one of ``SPEED_LIMITS`` (None: as fast as possible); stop: the training step
    (``unit`` "steps") or epoch (``unit`` "epochs") at which Play pauses by itself (None: never).  Only the
    window uses it; a headless run trains the steps it is asked for, at full speed.
    Raises ValueError for a unit not in ``STOP_UNITS``, a speed not in ``SPEED_LIMITS`` or a stop below 1."""

    speed: float | None = None
    stop: int | None = None
    unit: str = "steps"

    def __post_init__(self) -> None:
        if self.unit not in STOP_UNITS:
            raise ValueError(f"Pacing.unit must be one of {STOP_UNITS}, not {self.unit!r}")
        if self.speed is not None and self.speed not in SPEED_LIMITS:
            raise ValueError(f"Pacing.speed must be one of {SPEED_LIMITS} steps/s or None, not {self.speed!r}")
        if self.stop is not None and self.stop < 1:
            raise ValueError(f"Pacing.stop must be at least 1, not {self.stop!r}")


@dataclass(frozen=True)
class LessonInfo:
    """Metadata shown in the lesson browser.  chapter names the book and chapter the lesson follows.

    A lesson package declares it as ``INFO`` in its ``__init__.py``, which imports nothing else, so the
    browser and ``--list`` read every lesson's metadata without importing its model code."""

    id: str
    title: str
    track: str
    chapter: str
    summary: str = ""
    engines: tuple[str, ...] = ENGINES
    order: int = 100          # position within its track in the browser (smaller first)
    pacing: Pacing | None = None   # the window's default speed and stop (None: the lesson's default_speed, no stop)


@dataclass(frozen=True)
class NarrativeStep:
    """One page of a lesson's story (Markdown).  Entering the step applies ``set_params``, locks the
    controls in ``lock``, hides those in ``hide``, shows only ``plots`` (all when None) and, if
    ``run_steps`` > 0, trains that many more steps (then pauses).  A step whose picture needs a trained model
    but adds no training of its own sets ``train_until``: entering it trains up to that step count unless
    the model is already there.  The narrative panel shows the progress and says when the picture is
    ready.

    ``snapshot`` names a pretrained snapshot the lesson ships for this step (``<lesson package>/snapshots/
    <snapshot>.<engine>.npz``, see :mod:`visualizer.core.snapshots`): the narrative panel then offers
    "Skip ahead", which loads it instead of waiting for the training the step describes.

    ``view_settings`` (plot id -> {setting: value}) go to plots that have controls of their own
    (``PlotView.apply_view_settings``): view settings, not hyperparameters, so they never reach training,
    start no run and leave no marker."""

    title: str
    text: str
    set_params: Mapping[str, Any] = field(default_factory=dict)
    lock: tuple[str, ...] = ()
    hide: tuple[str, ...] = ()
    plots: tuple[str, ...] | None = None
    run_steps: int = 0
    train_until: int = 0
    snapshot: str | None = None
    view_settings: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


def common_params(engines: tuple[str, ...]) -> tuple[ParamSpec, ...]:
    """Seed, engine and device: structural parameters every lesson has."""
    return (
        IntParam("seed", "Seed", 0, 0, 2**31 - 1, live=False,
                 tooltip="Random seed for data, initial weights and batch order. Same seed, same curve."),
        ChoiceParam("engine", "Engine", engines[0], engines, live=False,
                    tooltip="numpy: the from-scratch engine. torch: the same model in PyTorch."),
        ChoiceParam("device", "Device", "cpu", DEVICES, live=False,
                    tooltip="Where PyTorch runs. CUDA needs an NVIDIA GPU; the NumPy engine always uses the CPU."),
    )


COMPARE_ENGINES = BoolParam(
    "compare_engines", "Compare engines", False, live=False,
    tooltip="Train a twin of this model on the other engine in lockstep (same seed, same initial weights, "
            "same batches). Its curves are drawn as a wide pale band under these, and the plot 'Engines: "
            "NumPy vs PyTorch' shows how far their gradients and losses differ. Halves the speed.")

ENGINE_COMPARISON_PLOT = PlotSpec(
    "engine_comparison", "Engines: NumPy vs PyTorch", "curves", series=("grad_rel_diff", "loss_abs_diff"),
    x_label="step", y_label="difference", log_y=True,
    tooltip="With 'Compare engines' on: the largest relative difference between the two engines' parameter "
            "gradients at each step (max |a − b| / max(|a| + |b|) over each array, worst array), and the "
            "absolute difference of their training losses. Float32 round-off is about 1e-7, float64 about "
            "1e-16; an exact match is drawn at 1e-17 so the log axis can show it.")


class LessonContext:
    """How a lesson talks to the user while it builds or trains (the session supplies one).

    ``progress(message, fraction)`` reports a long operation such as a download (fraction in [0, 1],
    or None if unknown); ``notice(message)`` shows a one-off message (e.g. "offline: using the
    embedded digits"); ``keyed_notice(key, message)`` and ``clear_notice(key)`` show and withdraw a
    message about a condition that can stop being true; ``request_pause(message)`` stops a running
    session after the current step; ``substituted(name, used)`` says that the value of hyperparameter
    ``name`` could not be honoured and ``used`` stands in for it (MNIST offline: the embedded digits), so
    its control can show it; ``setting_changed(name, value)`` says that the lesson itself changed one of its
    settings (the grid map edited by clicking it), so that a Reset rebuilds with it and its control shows
    it.  The default does nothing, for tests and scripts."""

    def progress(self, message: str, fraction: float | None = None) -> None:
        pass

    def notice(self, message: str) -> None:
        pass

    def keyed_notice(self, key: str, message: str) -> None:
        """A notice about a condition that can stop (mode collapse): it replaces an earlier notice with the
        same ``key`` and stays until :meth:`clear_notice` withdraws it.  The default calls :meth:`notice`."""
        self.notice(message)

    def clear_notice(self, key: str) -> None:
        """Withdraw the notice sent with ``key``, whose condition no longer holds.  The default does nothing."""

    def request_pause(self, message: str) -> None:
        """Pause training after the current step and tell the user why (e.g. early stopping fired).
        The session turns it into a pause and a notice; the default does nothing."""

    def substituted(self, name: str, used: str) -> None:
        """Hyperparameter ``name`` keeps its value, but ``used`` (a short phrase: "the embedded 8×8 digits")
        stands in for it in this build.  The session turns it into a ``substituted`` event for the window's
        controls; the default does nothing."""

    def setting_changed(self, name: str, value: Any) -> None:
        """The lesson changed its own hyperparameter ``name`` to ``value`` while it trains (a click painted a
        cell of the grid world's map: the map text changes with it).  The session records ``value`` as both
        wanted and applied, so a Reset rebuilds with it and no Reset is asked for, and turns it into a
        ``param_synced`` event for the window's control.  Call it only from the lesson's own methods (the
        worker thread).  The default does nothing."""


class Lesson:
    """Base class of every lesson.  Subclasses set the class attributes and implement the methods.

    Construction receives validated :class:`Hyperparameters` (the lesson's specs plus seed, engine
    and device) and a :class:`LessonContext`, and builds data and model; it raises :class:`LessonConfigError` for settings that
    cannot work.  All methods run on the session's worker thread.
    """

    info: ClassVar[LessonInfo]
    params: ClassVar[tuple[ParamSpec, ...]] = ()
    plots: ClassVar[tuple[PlotSpec, ...]] = ()
    narrative: ClassVar[tuple[NarrativeStep, ...]] = ()
    eval_every: ClassVar[int] = 50          # steps between evaluate() calls (also at each epoch end)
    # Animation rates (Hz) of the window: a lesson whose pictures move fast and cost little to compute
    # (an optimizer race) raises them.  snapshot_budget: the share of training time snapshots may take
    # (None: the app's default, which protects training speed).
    redraw_hz: ClassVar[float] = 30.0
    # steps/s the window starts at (None: as fast as possible) when ``info.pacing`` does not say: see pacing()
    default_speed: ClassVar[float | None] = None
    snapshot_hz: ClassVar[float] = 20.0
    snapshot_budget: ClassVar[float | None] = None
    # Live parameters that change only what the views show (a query word, the sample a plot picks, a 3-D
    # view angle), not training: changing one leaves no marker on the curves.
    view_params: ClassVar[frozenset[str]] = frozenset()
    # Settings that change what the curves measure (dqn's environment: CartPole's returns reach 500, the grid
    # world's 1): an earlier run is drawn over the current one only where these settings agree.
    runs_comparable_by: ClassVar[tuple[str, ...]] = ()
    # True where both engines train the same model with matching gradient names (the "Compare engines" switch).
    engine_comparison: ClassVar[bool] = False
    # True where the torch model trains under torchrun (DistributedDataParallel): the lesson runs its training
    # forwards through ``trainer.synced`` and draws its batches with ``trainer.shard`` / ``trainer.local_batch``
    # (visualizer.torch_backend.distributed).
    supports_ddp: ClassVar[bool] = False

    # The kit: most lessons set ``self.trainer`` in __init__ (a NumpyTrainer or a TorchTrainer) and write only
    # ``next_batch``; training, live optimizer settings, checkpoints and gradients delegate to it.
    trainer: Trainer | None = None

    @classmethod
    def all_params(cls) -> tuple[ParamSpec, ...]:
        """The lesson's own specs followed by seed, engine, device and, for lessons that support it,
        the engine comparison switch."""
        extra = (COMPARE_ENGINES,) if cls.supports_engine_comparison() else ()
        return tuple(cls.params) + common_params(cls.info.engines) + extra

    @classmethod
    def pacing(cls) -> Pacing:
        """The window's default speed and stop: ``info.pacing`` where the lesson declares it, else
        ``default_speed`` and no stop."""
        return cls.info.pacing or Pacing(cls.default_speed)

    @classmethod
    def supports_engine_comparison(cls) -> bool:
        """True if the lesson runs on both engines and implements :meth:`gradient_arrays`."""
        return set(ENGINES) <= set(cls.info.engines) and cls.engine_comparison

    @classmethod
    def all_plots(cls) -> tuple[PlotSpec, ...]:
        """The lesson's plots, plus the engine comparison plot for lessons that support it."""
        return tuple(cls.plots) + ((ENGINE_COMPARISON_PLOT,) if cls.supports_engine_comparison() else ())

    @classmethod
    def hyperparameters(cls, values: Mapping[str, Any] | None = None) -> Hyperparameters:
        """Validated hyperparameters with defaults filled in.  Raises HyperparameterError."""
        return Hyperparameters(cls.all_params(), dict(values or {}))

    def __init__(self, hp: Hyperparameters, context: LessonContext | None = None) -> None:
        self.hp = hp
        self.context = context or LessonContext()

    @property
    def steps_per_epoch(self) -> int:
        """Mini-batch steps in one pass over the training set."""
        return 1

    @property
    def metrics_on_device(self) -> bool:
        """True when metrics accumulate on a GPU: the session then flushes at its redraw rate, not per step."""
        return isinstance(self.trainer, Trainer) and self.trainer.device_type != "cpu"

    @property
    def flush_every(self) -> int | None:
        """Steps between metric flushes when every process of a distributed run must flush at the same steps
        (the flush all-reduces): the trainer's ``flush_every``; None: the session's own schedule."""
        return getattr(self.trainer, "flush_every", None)

    def next_batch(self) -> Any:
        """The next training batch for the trainer (None when the trainer draws its own, e.g. on the device)."""
        return None

    def train_step(self, step: int) -> None:
        """One update; ``step`` is the session's count, from 1.  Metrics go into the trainer's window and
        are read by :meth:`flush`.  The default steps ``self.trainer`` on :meth:`next_batch`."""
        self.trainer.step(self.next_batch(), step)

    def flush(self) -> dict[str, float]:
        """Training metrics averaged since the last flush, as Python floats (a NaN or Inf pauses the run as
        diverged), e.g. ``{"train_loss": 0.3}``.  The session calls it after every step on the CPU and at the
        redraw rate on a GPU.  The default reads the trainer."""
        return self.trainer.flush() if self.trainer is not None else {}

    def evaluate(self) -> dict[str, float]:
        """Validation metrics, e.g. ``{"val_loss": ..., "val_acc": ...}``."""
        return {}

    def gradient_arrays(self) -> dict[str, np.ndarray]:
        """The last training step's parameter gradients: name -> float64 NumPy copy.  Names and shapes
        are the same on both engines, so the session's engine comparison can match them."""
        if self.trainer is None:
            raise NotImplementedError
        return self.trainer.gradient_arrays()

    def set_live(self, name: str, value: Any) -> None:
        """Apply a live hyperparameter (already validated) before the next step: the trainer's optimizer
        settings go to ``trainer.set_hyper``.  Raises LessonConfigError if this value cannot apply now (the
        session keeps the previous value and tells the user why)."""
        if isinstance(self.trainer, Trainer) and name in self.trainer.hyper_names:
            self.trainer.set_hyper(**{name: value})
        self.hp.set(name, value)

    def snapshot(self) -> dict[str, PlotData]:
        """Plot data for every non-curve plot, as NumPy copies: plot id -> data."""
        return {}

    def run_facts(self) -> dict[str, Any]:
        """Facts about the built model that ``run.json`` records under ``"facts"`` (JSON-ready values, e.g.
        ``{"default_boxes": 8732}``); the default has none."""
        return {}

    def divergence_hint(self) -> str:
        """A sentence on the likely cause when a metric turns NaN or Inf."""
        lr = self.hp.get("lr")
        if lr is not None:
            return (f"The learning rate ({lr:g}) is probably too high for this model: lower it and press "
                    "Reset (R).")
        return "The updates grew without bound: lower the step size and press Reset (R)."

    def checkpoint_state(self) -> dict:
        """The model's weights and optimizer state as ``name -> np.ndarray`` (NumPy copies); the default
        is the trainer's ``state_dict``.  Raises NotImplementedError if the lesson has no checkpoints."""
        if self.trainer is None:
            raise NotImplementedError(f"{self.info.title} does not save checkpoints")
        return self.trainer.state_dict()

    def load_checkpoint_state(self, state: dict) -> None:
        """Restore what :meth:`checkpoint_state` returned, atomically.  Raises LessonConfigError if the arrays
        do not fit this model (other layer sizes, other lesson, NaN); nothing changes then."""
        if self.trainer is None:
            raise NotImplementedError(f"{self.info.title} does not load checkpoints")
        self.trainer.load_state_dict(state)

    def close(self) -> None:
        """Release resources (GPU memory, files, thread settings).  Called when the lesson is reset or
        closed; the default closes the trainer."""
        if self.trainer is not None:
            self.trainer.close()


__all__ = ["COMPARE_ENGINES", "ENGINES", "ENGINE_COMPARISON_PLOT", "DEVICES", "TRACKS", "Lesson", "LessonConfigError",
           "LessonContext", "LessonInfo", "NarrativeStep", "Pacing", "SPEED_LIMITS", "STOP_UNITS", "common_params"]
