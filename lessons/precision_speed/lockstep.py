"""The configurations trained in lockstep behind one kit Trainer: timing, overflow freezing, the readouts.

:class:`LockstepTrainer` steps every configuration's run (``net.NumpyRun`` / ``net_torch.TorchRun``) on the same
mini-batch, times each step with ``time.perf_counter`` (on CUDA between ``torch.cuda.synchronize()`` calls: the
lesson measures each step, so it waits for the GPU), keeps moving averages, and freezes a configuration whose
loss or gradients overflow to inf/NaN while the others go on.  Only when every shown configuration has diverged
does a step report NaN, which pauses the session.  Qt-free; torch is imported only for PyTorch configurations.

Follows Saitoh, *Deep Learning from Scratch 2*, section 1.5 and *Deep Learning from Scratch*, section 8.3;
Micikevicius et al., "Mixed Precision Training", ICLR 2018.
"""
from __future__ import annotations

import math
import time
from typing import Any, Callable, Mapping

import numpy as np

from lessons.precision_speed.net import PrecisionConfig
from visualizer.core.checkpoint import check_state
from visualizer.core.plotdata import TableData
from visualizer.core.trainer import MetricWindow, Trainer

TABLE_COLUMNS = ("steps/s", "ms/step", "val acc", "final loss", "rel. speed")   # rel. speed: vs NumPy f64
TABLE_UNITS = ("", "", "share", "nats", "× f64")      # shown in the table's header
EMA = 0.05                 # weight of the newest step in the moving averages (about 20 steps)
MAX_DIGITS = 16.0          # agreement with float64 is capped here (identical weights)


class Slot:
    """Book-keeping of one configuration: its run (None when unavailable), timing and loss averages,
    the step it froze at (0: running) and its last validation accuracy."""

    def __init__(self, config: PrecisionConfig, run, note: str = "", shown: bool = True) -> None:
        self.config = config
        self.run = run
        self.shown = shown                # False: the float64 reference trains but is not reported
        self.note = note                  # why it is not running ("not available", ...)
        self.sec_per_step: float | None = None
        self.timed_steps = 0
        self.loss_avg: float | None = None
        self.frozen_at = 0
        self.val_acc = math.nan

    @property
    def active(self) -> bool:
        return self.run is not None and not self.frozen_at

    def record_time(self, seconds: float) -> None:
        """Moving average of seconds per step; the first step (warm-up: caches, lazy kernels) is
        replaced by the second."""
        self.timed_steps += 1
        if self.sec_per_step is None or self.timed_steps == 2:
            self.sec_per_step = seconds
        else:
            self.sec_per_step += EMA * (seconds - self.sec_per_step)

    def record_loss(self, loss: float) -> None:
        self.loss_avg = loss if self.loss_avg is None else self.loss_avg + EMA * (loss - self.loss_avg)

    @property
    def steps_per_s(self) -> float:
        return 1.0 / self.sec_per_step if self.sec_per_step else math.nan


def overflow_message(c: PrecisionConfig, step: int, lr: float, scale: float) -> str:
    """The notice when configuration ``c`` overflows at ``step`` with learning rate ``lr`` and loss scale."""
    if c.dtype == "float16":
        return (f"{c.label} overflowed at step {step}: values above 65504 become inf; lower the loss scale "
                f"(now {scale:g}) or the learning rate, or use mixed precision. Its weights stay at step "
                f"{step - 1}; the other configurations keep training. (Mixed-precision trainers skip such a "
                "step and halve the scale: dynamic loss scaling.)")
    return (f"{c.label} diverged at step {step}: the loss or a gradient became inf or NaN. {c.dtype} reaches "
            f"about {'1.8e308' if c.dtype == 'float64' else '3.4e38'}, so the learning rate "
            f"({lr:g}) is too high rather than the range too small. Its weights stay at step "
            f"{step - 1}; the others keep training.")


class LockstepTrainer(Trainer):
    """Every configuration's run stepped on the same batch, behind the kit's Trainer interface.

    slots: one per configuration (the first, NumPy float64, is the reference); lr, loss_scale, master_weights:
    the live settings (``hyper_names``); one_thread: limit BLAS/OpenMP (threadpoolctl) and PyTorch to one
    thread until :meth:`close`; notice(message): tells the user a configuration froze.  Metrics per step:
    ``loss_<key>`` for each shown configuration still running.  Checkpoints: float64 copies of every run's
    weights, ``<key>.W<i>`` (D_in, D_out) and ``<key>.b<i>`` (D_out,) (exact for every precision here)."""

    hyper_names = frozenset({"lr", "loss_scale", "master_weights"})

    def __init__(self, slots: list[Slot], *, lr: float, loss_scale: float, master_weights: bool,
                 one_thread: bool, notice: Callable[[str], None]) -> None:
        self.slots = slots
        self.ref = slots[0]
        self.lr, self.loss_scale, self.master_weights = lr, loss_scale, master_weights
        self.notice = notice
        self.window = MetricWindow()
        self.last_diverged: str | None = None     # key of the configuration that diverged last
        self._thread_limits: list[Callable[[], None]] = []        # callables that undo the thread limits
        if one_thread:
            self._limit_threads()
        for s in self.slots:
            if s.run is not None:
                s.val_acc = s.run.accuracy()

    def _limit_threads(self) -> None:
        """One thread for BLAS/OpenMP (threadpoolctl) and PyTorch until :meth:`close` restores them."""
        from threadpoolctl import threadpool_limits

        self._thread_limits.append(threadpool_limits(limits=1).restore_original_limits)
        if any(s.run is not None and s.config.engine == "torch" for s in self.slots):
            import torch

            old = torch.get_num_threads()
            torch.set_num_threads(1)
            self._thread_limits.append(lambda: torch.set_num_threads(old))

    @property
    def shown_slots(self) -> list[Slot]:
        """The selected configurations, in order."""
        return [s for s in self.slots if s.shown]

    def step(self, idx: np.ndarray, step: int) -> None:
        """One SGD step of every running configuration on the training rows idx (B,), each timed."""
        out: dict[str, float] = {}
        for s in self.slots:
            if not s.active:
                continue
            run = s.run
            torch_run = s.config.engine == "torch"
            if torch_run:
                run.synchronize()
            t0 = time.perf_counter()
            result = run.step(idx, self.lr, self.loss_scale)
            if torch_run:
                run.synchronize()
            seconds = time.perf_counter() - t0
            if not result.finite:
                s.frozen_at = step
                if s.shown:
                    self.last_diverged = s.config.key
                    self.notice(overflow_message(s.config, step, self.lr, self.loss_scale))
                continue
            s.record_time(seconds)
            s.record_loss(result.loss)
            if s.shown:
                out[f"loss_{s.config.key}"] = float(result.loss)
        if not out:                              # every shown configuration has diverged: pause the session
            out = {f"loss_{self.last_diverged or self.ref.config.key}": math.nan}
        self.window.add(out)

    def flush(self) -> dict[str, float]:
        return self.window.flush()

    def set_hyper(self, **values: Any) -> None:
        self.check_hyper(values)
        for name, value in values.items():
            setattr(self, name, value)
            if name == "master_weights":
                for s in self.slots:
                    if s.run is not None:
                        s.run.set_master(bool(value))

    def accuracies(self) -> dict[str, float]:
        """``val_acc_<key>`` of every shown configuration still running (each slot keeps its last value)."""
        out = {}
        for s in self.slots:
            if s.active:
                s.val_acc = s.run.accuracy()
                if s.shown:
                    out[f"val_acc_{s.config.key}"] = s.val_acc
        return out

    def state_dict(self) -> dict[str, np.ndarray]:
        state = {}
        for s in self.slots:
            if s.run is None:
                continue
            for i, p in enumerate(s.run.params64()):
                state[f"{s.config.key}.{'W' if i % 2 == 0 else 'b'}{i // 2}"] = p
        return state

    def load_state_dict(self, state: Mapping[str, np.ndarray]) -> None:
        """Every configuration's weights, saved as float64; each must also fit its run's own precision (1e6 is
        inf in float16).  Raises LessonConfigError before anything changes."""
        checked = check_state(self.state_dict(), state)
        own = {k: (v.shape, _range_dtype(k.split(".", 1)[0], self.slots)) for k, v in checked.items()}
        check_state(own, checked)
        for s in self.slots:
            if s.run is not None:
                n = len(s.run.params64())
                s.run.load_params64([checked[f"{s.config.key}.{'W' if i % 2 == 0 else 'b'}{i // 2}"]
                                     for i in range(n)])
                s.val_acc = s.run.accuracy()

    def gradient_arrays(self) -> dict[str, np.ndarray]:
        raise NotImplementedError("the configurations train in lockstep; there is no other engine to compare")

    def close(self) -> None:
        for undo in reversed(self._thread_limits):
            undo()
        self._thread_limits = []
        self.slots = []

    # ---- readouts --------------------------------------------------------------------------------
    def table(self) -> TableData:
        """One row per selected configuration: steps/s, ms/step, val acc, final loss, rel. speed (steps/s
        over NumPy float64's), each rounded to 3 significant digits; NaN where there is no value yet or
        the configuration is unavailable."""
        ref_sps = self.ref.steps_per_s
        rows, labels = [], []
        for s in self.shown_slots:
            label = s.config.row
            if s.note:
                label += " (n/a)" if s.note == "not available" else f" ({s.note})"
            elif s.frozen_at:
                label += f" (stopped @ {s.frozen_at})"
            labels.append(label)
            if s.run is None:
                rows.append([math.nan] * len(TABLE_COLUMNS))
                continue
            sps = s.steps_per_s
            rows.append([sps, 1000.0 / sps if sps > 0 else math.nan, s.val_acc,
                         math.nan if s.loss_avg is None else s.loss_avg, sps / ref_sps])
        values = np.array(rows, dtype=np.float64).reshape(len(rows), len(TABLE_COLUMNS))
        values = np.array([[float(f"{v:.3g}") for v in row] for row in values]).reshape(values.shape)
        return TableData(values, labels, list(TABLE_COLUMNS), "configuration", fmt="{:.5g}", units=TABLE_UNITS)

    def agreement(self) -> np.ndarray:
        """Decimal digits of every selected configuration's weights that agree with NumPy float64 (K,):
        −log₁₀(max|w − w_f64| / max|w_f64|), capped to [0, 16]; NaN for unavailable ones."""
        ref = self.ref.run.params64()
        ref_flat = np.concatenate([p.ravel() for p in ref])
        norm = float(np.abs(ref_flat).max()) or 1.0
        out = []
        for s in self.shown_slots:
            if s.run is None:
                out.append(math.nan)
                continue
            flat = np.concatenate([p.ravel() for p in s.run.params64()])
            err = float(np.abs(flat - ref_flat).max()) / norm
            out.append(MAX_DIGITS if err == 0 else float(np.clip(-math.log10(err), 0.0, MAX_DIGITS)))
        return np.array(out)


def _range_dtype(key: str, slots) -> np.dtype:
    """A NumPy dtype with the value range of configuration ``key``'s weights (bfloat16: float32's range)."""
    dtype = next(s.config.dtype for s in slots if s.config.key == key)
    return np.dtype(np.float32 if dtype == "bfloat16" else dtype)

