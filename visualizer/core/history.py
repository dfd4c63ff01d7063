"""Bounded metric history: memory stays flat however long a run trains.

Each metric is a :class:`DecimatingSeries`: a fixed-capacity buffer that, when full, merges
neighbouring points pairwise (mean of step and value) and from then on averages incoming points in
groups twice as large.  The whole run stays visible at a resolution of at least ``capacity / 2``
points, and memory is O(capacity) per metric.  Thread-safe: the training worker appends, the GUI
copies.  Qt-free.
"""
from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass

import numpy as np


class DecimatingSeries:
    """A (step, value) series of at most ``capacity`` points; old points are merged pairwise.

    Not thread-safe on its own; :class:`MetricHistory` guards it."""

    def __init__(self, capacity: int = 4096) -> None:
        if capacity < 4 or capacity % 2:
            raise ValueError("capacity must be an even number >= 4")
        self.capacity = capacity
        self._x = np.empty(capacity, dtype=np.float64)
        self._y = np.empty(capacity, dtype=np.float64)
        self._n = 0
        self.stride = 1                    # raw points per stored point
        self._acc_x = 0.0
        self._acc_y = 0.0
        self._acc_n = 0
        self.last_step = -1
        self.last_value = float("nan")
        self.count = 0                     # raw points ever appended

    def append(self, step: float, value: float) -> None:
        self.last_step, self.last_value = step, value
        self.count += 1
        self._acc_x += step
        self._acc_y += value
        self._acc_n += 1
        if self._acc_n < self.stride:
            return
        if self._n == self.capacity:
            half = self.capacity // 2
            self._x[:half] = 0.5 * (self._x[0::2] + self._x[1::2])
            self._y[:half] = 0.5 * (self._y[0::2] + self._y[1::2])
            self._n = half
            self.stride *= 2
        self._x[self._n] = self._acc_x / self._acc_n
        self._y[self._n] = self._acc_y / self._acc_n
        self._n += 1
        self._acc_x = self._acc_y = 0.0
        self._acc_n = 0

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """Copies of (steps (N,), values (N,)), including the last raw point if it is not yet merged."""
        x, y = self._x[: self._n].copy(), self._y[: self._n].copy()
        if self._acc_n:
            x = np.append(x, self._acc_x / self._acc_n)
            y = np.append(y, self._acc_y / self._acc_n)
        return x, y

    def __len__(self) -> int:
        return self._n + (1 if self._acc_n else 0)

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()             # pickle only the filled part of the buffers
        state["_x"], state["_y"] = self._x[: self._n].copy(), self._y[: self._n].copy()
        return state

    def __setstate__(self, state: dict) -> None:
        x, y = state.pop("_x"), state.pop("_y")
        self.__dict__.update(state)
        self._x = np.empty(self.capacity, dtype=np.float64)
        self._y = np.empty(self.capacity, dtype=np.float64)
        self._x[: len(x)], self._y[: len(y)] = x, y


@dataclass(frozen=True)
class ParamChange:
    """A live hyperparameter change: applied before training step ``step``."""

    step: int
    name: str
    old: object
    new: object

    def as_dict(self) -> dict:
        return {"step": self.step, "name": self.name, "old": self.old, "new": self.new}


class MetricHistory:
    """All metric series of one run plus the live changes made during it.  Thread-safe.

    ``version`` increases on every append, so a view redraws only what changed."""

    def __init__(self, capacity: int = 4096, max_changes: int = 10_000) -> None:
        self.capacity = capacity
        self._series: dict[str, DecimatingSeries] = {}
        self._changes: deque[ParamChange] = deque(maxlen=max_changes)
        self._lock = threading.Lock()
        self.version = 0

    def append(self, step: int, metrics: dict[str, float]) -> None:
        """Record ``metrics`` (name -> float) at ``step``."""
        with self._lock:
            for name, value in metrics.items():
                s = self._series.get(name)
                if s is None:
                    s = self._series[name] = DecimatingSeries(self.capacity)
                s.append(float(step), float(value))
            self.version += 1

    def add_change(self, change: ParamChange) -> None:
        with self._lock:
            self._changes.append(change)
            self.version += 1

    def series(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """Copies of (steps, values) for ``name``; empty arrays if the metric was never recorded."""
        with self._lock:
            s = self._series.get(name)
            if s is None:
                return np.empty(0), np.empty(0)
            return s.arrays()

    def names(self) -> list[str]:
        with self._lock:
            return list(self._series)

    def changes(self) -> list[ParamChange]:
        with self._lock:
            return list(self._changes)

    def last(self) -> dict[str, float]:
        """The most recent raw value of every metric."""
        with self._lock:
            return {n: s.last_value for n, s in self._series.items()}

    def __getstate__(self) -> dict:
        """Pickled consistently under the lock (a training thread may be appending)."""
        with self._lock:
            state = {k: v for k, v in self.__dict__.items() if k != "_lock"}
            state["_series"] = {name: s.__getstate__() for name, s in self._series.items()}
            state["_changes"] = list(self._changes)
            state["max_changes"] = self._changes.maxlen
        return state

    def __setstate__(self, state: dict) -> None:
        series, changes, max_changes = state.pop("_series"), state.pop("_changes"), state.pop("max_changes")
        self.__dict__.update(state)
        self._lock = threading.Lock()
        self._series = {}
        for name, s_state in series.items():
            s = DecimatingSeries.__new__(DecimatingSeries)
            s.__setstate__(s_state)
            self._series[name] = s
        self._changes = deque(changes, maxlen=max_changes)

    def nbytes(self) -> int:
        """Bytes held by the series buffers (for the memory benchmark)."""
        with self._lock:
            return sum(s._x.nbytes + s._y.nbytes for s in self._series.values())
