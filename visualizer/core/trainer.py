"""The Trainer interface every lesson's model is stepped through, on either engine (Qt-free, engine-free).

A trainer owns a model, its optimizer(s) and where its metrics accumulate.  The session counts the steps and
passes the step number in; it calls :meth:`Trainer.flush` at the rate it redraws or evaluates, never per step
on a GPU, so metrics may stay on the device between flushes.  Two implementations:
``visualizer.scratch.trainer.NumpyTrainer`` (the from-scratch engine) and
``visualizer.torch_backend.trainer.TorchTrainer`` (PyTorch on the CPU or CUDA).  A lesson writes its loss
once per engine and declares which hyperparameters the trainer applies live (:attr:`Trainer.hyper_names`).
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from visualizer.core.errors import LessonConfigError


class MetricWindow:
    """Sums of Python-float metrics since the last :meth:`flush`; the host-side twin of TorchTrainer's device
    accumulator.  A metric absent from some steps is averaged over the steps that reported it."""

    def __init__(self) -> None:
        self._sums: dict[str, float] = {}
        self._counts: dict[str, int] = {}

    def add(self, metrics: Mapping[str, float]) -> None:
        """Add one step's metrics (name -> float; NaN and Inf are kept, so a diverged step shows)."""
        for k, v in metrics.items():
            self._sums[k] = self._sums.get(k, 0.0) + float(v)
            self._counts[k] = self._counts.get(k, 0) + 1

    def flush(self) -> dict[str, float]:
        """Means since the last flush (exact for a window of one step), then start a new window."""
        out = {k: (s if self._counts[k] == 1 else s / self._counts[k]) for k, s in self._sums.items()}
        self._sums.clear()
        self._counts.clear()
        return out

    def __len__(self) -> int:
        return max(self._counts.values(), default=0)


class Trainer:
    """One model, its optimizer(s) and its metric window, stepped by the session.

    Subclasses implement :meth:`step`, :meth:`flush`, :meth:`state_dict`, :meth:`load_state_dict` and
    :meth:`gradient_arrays`; :meth:`set_hyper` applies live optimizer settings (learning rate, momentum,
    β₁, weight decay) named in :attr:`hyper_names`.  ``device_type`` is ``"cpu"`` or ``"cuda"``: on
    ``"cuda"`` the session flushes at its redraw rate instead of after every step."""

    device_type: str = "cpu"
    hyper_names: frozenset[str] = frozenset()

    def step(self, batch: Any, step: int) -> None:
        """One update on ``batch`` (whatever the lesson's ``next_batch`` gave); ``step`` counts from 1.
        Metrics go into the window; nothing is copied to the host."""
        raise NotImplementedError

    def flush(self) -> dict[str, float]:
        """Means of the metrics over the steps since the last flush, as Python floats ({} if none)."""
        raise NotImplementedError

    def set_hyper(self, **values: Any) -> None:
        """Apply live settings (names in :attr:`hyper_names`) before the next step.  Raises
        LessonConfigError for a value that cannot apply (nothing changes then)."""
        raise NotImplementedError

    def check_hyper(self, values: Mapping[str, Any]) -> None:
        """Raise LessonConfigError unless every name in ``values`` is a live setting of this trainer."""
        unknown = set(values) - self.hyper_names
        if unknown:
            raise LessonConfigError(f"these settings cannot change while training: {', '.join(sorted(unknown))}")

    def state_dict(self) -> dict[str, np.ndarray]:
        """Weights, buffers and optimizer state: name -> NumPy copy."""
        raise NotImplementedError

    def load_state_dict(self, state: Mapping[str, np.ndarray]) -> None:
        """Restore :meth:`state_dict` atomically: every array is checked (see
        ``visualizer.core.checkpoint.check_state``) before any is assigned.  Raises LessonConfigError."""
        raise NotImplementedError

    def gradient_arrays(self) -> dict[str, np.ndarray]:
        """The last step's parameter gradients, name -> float64 NumPy copy; the same names and shapes on both
        engines, so "Compare engines" can match them."""
        raise NotImplementedError

    def close(self) -> None:
        """Release device memory and restore process settings (thread counts)."""



def relative_error(a: np.ndarray, b: np.ndarray, floor: float = 1e-12) -> float:
    """max |a - b| / max(|a| + |b|), elementwise maximum over the arrays, with a small floor: how far two
    engines' gradients (or an analytic and a numerical gradient) differ.  Below about 1e-7 in float64 an
    analytic gradient is taken as correct.  Raises ValueError on shape mismatch."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"shapes differ: {a.shape} vs {b.shape}")
    return float(np.max(np.abs(a - b)) / max(float(np.max(np.abs(a) + np.abs(b))), floor)) if a.size else 0.0
