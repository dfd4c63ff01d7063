"""A bounded history of fixed-size snapshots that halves its resolution when full (Qt-free, engine-free).

Each record is one row of numbers taken at a training step (a sample of a layer's weights, the gradient
norm of every layer).  When ``capacity`` records are held, the records off the doubled stride are dropped
(every second one when the steps are irregular) and from then on a record is due half as often: the
history always spans the whole run, at a resolution that halves as the run grows, in O(capacity) memory.
TensorBoard's histogram dashboard keeps a bounded reservoir for the same reason.

``visualizer.core.history.DecimatingSeries`` bounds a scalar metric curve the same way but *averages*
neighbouring points; a snapshot (a histogram, a vector of norms) is kept as taken, since the mean of two
histograms is not a histogram of the run at either step.
"""
from __future__ import annotations

import numpy as np


class SnapshotHistory:
    """At most ``capacity`` rows of ``width`` numbers (dtype ``dtype``), each with the step it was taken at.

    stride: steps between records at the start (doubles on every compaction).  Raises ValueError unless
    capacity is an even number >= 2 and width >= 1."""

    def __init__(self, capacity: int, width: int, dtype: np.dtype | str = np.float64, stride: int = 1) -> None:
        if capacity < 2 or capacity % 2:
            raise ValueError(f"capacity must be an even number >= 2, got {capacity}")
        if width < 1:
            raise ValueError(f"width must be at least 1, got {width}")
        self.capacity = int(capacity)
        self.width = int(width)
        self.initial_stride = int(stride)
        self._rows = np.zeros((self.capacity, self.width), dtype=dtype)      # (capacity, width)
        self._steps = np.zeros(self.capacity, dtype=np.int64)
        self.clear()

    def clear(self) -> None:
        """Forget every record; the stride starts again at its initial value."""
        self.stride = self.initial_stride
        self._n = 0
        self._last: int | None = None

    def __len__(self) -> int:
        return self._n

    def due(self, step: int) -> bool:
        """True if a record belongs at ``step``: a multiple of the stride lies in (last recorded step, step].
        Called after every step this is ``step % stride == 0``; called at a slower rate (a GPU flushing at
        its redraw rate) it still records once per stride."""
        if self._last is None:
            return True
        return step // self.stride > self._last // self.stride

    def record(self, step: int, row: np.ndarray) -> np.ndarray | None:
        """Store ``row`` (width,) taken at ``step``.  Returns the indices of the rows a compaction kept (so a
        caller can compact per-record data of its own the same way), or None when none happened."""
        kept = None
        if self._n == self.capacity:                 # full: keep the records on the doubled stride
            self.stride *= 2
            kept = np.flatnonzero(self._steps % self.stride == 0)
            if len(kept) == 0 or len(kept) == self.capacity:
                kept = np.arange(0, self.capacity, 2)
            self._rows[: len(kept)] = self._rows[kept]
            self._steps[: len(kept)] = self._steps[kept]
            self._n = len(kept)
        self._rows[self._n] = row
        self._steps[self._n] = step
        self._n += 1
        self._last = int(step)
        return kept

    @property
    def steps(self) -> np.ndarray:
        """The steps of the kept records, oldest first: (n,) int64 copy."""
        return self._steps[: self._n].copy()

    @property
    def rows(self) -> np.ndarray:
        """The kept records, oldest first: (n, width), a read-only view (copy it to keep it)."""
        view = self._rows[: self._n]
        view.flags.writeable = False
        return view

    def extent_x(self) -> tuple[float, float]:
        """(first step, last step) of the records for an image's extent; one record spans one step."""
        steps = self._steps[: self._n]
        if self._n == 0:
            return 0.0, 1.0
        return float(steps[0]), float(steps[-1]) if self._n > 1 else float(steps[0]) + 1.0
