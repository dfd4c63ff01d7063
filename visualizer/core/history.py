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
from typing import Callable

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
        self.generation = 0                # compactions so far (a copy's delta restarts after one)

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
            self.generation += 1
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

    _SCALARS = ("capacity", "stride", "_acc_x", "_acc_y", "_acc_n", "last_step", "last_value", "count",
                "generation")

    def delta(self, generation: int, n: int) -> dict:
        """What a copy that holds ``n`` stored points of ``generation`` lacks: the points after its
        ``n`` (all of them if a compaction happened since) and the scalar state.  O(new points)."""
        start = n if generation == self.generation and n <= self._n else 0
        d = {k: getattr(self, k) for k in self._SCALARS}
        d.update(start=start, x=self._x[start: self._n].copy(), y=self._y[start: self._n].copy())
        return d

    def apply_delta(self, d: dict) -> None:
        """Bring this copy up to date with a :meth:`delta` of the original."""
        if d["capacity"] != self.capacity:
            raise ValueError("a delta from a series of another capacity")
        start, m = d["start"], len(d["x"])
        self._x[start: start + m] = d["x"]
        self._y[start: start + m] = d["y"]
        self._n = start + m
        for k in self._SCALARS:
            setattr(self, k, d[k])


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

    _CHANGES_KEY = "\0changes"             # cursor entry of the live changes (not a metric name)

    def __init__(self, capacity: int = 4096, max_changes: int = 10_000) -> None:
        self.capacity = capacity
        self._series: dict[str, DecimatingSeries] = {}
        self._changes: deque[ParamChange] = deque(maxlen=max_changes)
        self._lock = threading.Lock()
        self._changes_added = 0
        self.version = 0
        self._epoch = _EpochSums()           # training metrics of the epoch under way
        self._last_epoch: dict | None = None  # epoch_means() of the last complete epoch
        self._listeners: tuple[Callable[[int, dict[str, float]], None], ...] = ()

    def add_listener(self, fn: Callable[[int, dict[str, float]], None]) -> None:
        """Call ``fn(step, metrics)`` after every :meth:`append` (so after every training flush and
        evaluation), on the appending thread, after the lock is released.  ``fn`` must be quick and must not
        change ``metrics``; a run directory's recorder only queues them."""
        with self._lock:
            self._listeners = (*self._listeners, fn)

    def remove_listener(self, fn: Callable[[int, dict[str, float]], None]) -> None:
        """Stop calling ``fn``; nothing happens if it was not added."""
        with self._lock:
            self._listeners = tuple(f for f in self._listeners if f != fn)

    def append(self, step: int, metrics: dict[str, float]) -> None:
        """Record ``metrics`` (name -> float) at ``step``, then tell the listeners."""
        with self._lock:
            for name, value in metrics.items():
                s = self._series.get(name)
                if s is None:
                    s = self._series[name] = DecimatingSeries(self.capacity)
                s.append(float(step), float(value))
            self.version += 1
        for fn in self._listeners:          # an immutable tuple: adding or removing one never disturbs this
            fn(step, metrics)

    def record_training(self, first_step: int, last_step: int, metrics: dict[str, float]) -> None:
        """Record training ``metrics`` (name -> float: each the mean over steps ``first_step`` ..
        ``last_step``, one step on the CPU, a flush window on a GPU) at ``last_step``, and add them,
        weighted by their step count, to the current epoch's means (see :meth:`epoch_means`)."""
        self.append(last_step, metrics)
        with self._lock:
            self._epoch.add(first_step, last_step, metrics)

    def end_epoch(self, step: int) -> None:
        """The epoch ends at ``step``: its means become :meth:`epoch_means`, and a new epoch starts."""
        with self._lock:
            if self._epoch.steps:
                self._last_epoch = self._epoch.summary(complete=True)
            self._epoch = _EpochSums()
            self.version += 1

    def epoch_means(self) -> dict | None:
        """Means of the training metrics over the last complete epoch, or over every step so far while
        the first epoch is under way: ``{"from_step": a, "to_step": b, "complete_epoch": bool,
        "metrics": {name: mean}}`` (steps a..b inclusive); None before any training metric.  Unlike
        :meth:`last`, not the last (often partial) mini-batch."""
        with self._lock:
            if self._last_epoch is not None:
                return {**self._last_epoch, "metrics": dict(self._last_epoch["metrics"])}
            return self._epoch.summary(complete=False) if self._epoch.steps else None

    def add_change(self, change: ParamChange) -> None:
        with self._lock:
            self._changes.append(change)
            self._changes_added += 1
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

    def last_step(self) -> int:
        """The highest step any metric was recorded at (-1 before any): the steps this run trained,
        as the session records metrics at its step count after the step."""
        with self._lock:
            return int(max((s.last_step for s in self._series.values()), default=-1))

    def last(self) -> dict[str, float]:
        """The most recent raw value of every metric."""
        with self._lock:
            return {n: s.last_value for n, s in self._series.items()}

    def delta(self, cursor: dict) -> tuple[dict, dict]:
        """What a mirror at ``cursor`` lacks, and the mirror's cursor after applying it.

        For a training process that streams its history to the GUI (see process_session.py): each
        update carries only the points appended since the last, plus whole series after a
        compaction.  ``cursor`` starts as ``{}``; apply the result with :meth:`apply_delta`."""
        with self._lock:
            series, new_cursor = {}, {}
            for name, s in self._series.items():
                series[name] = s.delta(*cursor.get(name, (-1, 0)))
                new_cursor[name] = (s.generation, s._n)
            d = {"series": series, "version": self.version, "epoch": self._epoch.copy(),
                 "last_epoch": self._last_epoch}
            if cursor.get(self._CHANGES_KEY) != self._changes_added:
                d["changes"] = list(self._changes)
            new_cursor[self._CHANGES_KEY] = self._changes_added
        return d, new_cursor

    def apply_delta(self, d: dict) -> None:
        """Bring this mirror up to date with a :meth:`delta` of the original."""
        with self._lock:
            for name, sd in d["series"].items():
                s = self._series.get(name)
                if s is None:
                    s = self._series[name] = DecimatingSeries(self.capacity)
                s.apply_delta(sd)
            if "changes" in d:
                self._changes = deque(d["changes"], maxlen=self._changes.maxlen)
            if "epoch" in d:
                self._epoch, self._last_epoch = d["epoch"].copy(), d["last_epoch"]
            self.version = d["version"]

    def nbytes(self) -> int:
        """Bytes held by the series buffers (for the memory benchmark)."""
        with self._lock:
            return sum(s._x.nbytes + s._y.nbytes for s in self._series.values())


class _EpochSums:
    """Step-weighted sums of training metrics over a range of steps (one epoch).  Not thread-safe."""

    def __init__(self) -> None:
        self.first_step = 0
        self.last_step = 0
        self.steps = 0
        self.sums: dict[str, float] = {}
        self.counts: dict[str, int] = {}

    def add(self, first_step: int, last_step: int, metrics: dict[str, float]) -> None:
        weight = max(1, last_step - first_step + 1)
        if not self.steps:
            self.first_step = first_step
        self.last_step = last_step
        self.steps += weight
        for name, value in metrics.items():
            self.sums[name] = self.sums.get(name, 0.0) + float(value) * weight
            self.counts[name] = self.counts.get(name, 0) + weight

    def summary(self, complete: bool) -> dict:
        return {"from_step": self.first_step, "to_step": self.last_step, "complete_epoch": complete,
                "metrics": {n: self.sums[n] / self.counts[n] for n in self.sums}}

    def copy(self) -> "_EpochSums":
        c = _EpochSums()
        c.first_step, c.last_step, c.steps = self.first_step, self.last_step, self.steps
        c.sums, c.counts = dict(self.sums), dict(self.counts)
        return c
