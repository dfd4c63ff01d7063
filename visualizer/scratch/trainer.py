"""NumpyTrainer: the scratch engine behind the kit's Trainer interface (``visualizer.core.trainer``).

The lesson's NumPy model keeps its arrays in parallel ``params``/``grads`` lists (STYLE.md); the trainer sees
them by name, steps them with the lesson's ``update`` function, averages the metrics it returns over the flush
window, checkpoints weights and optimizer state, and hands gradients to "Compare engines".  Qt-free.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

import numpy as np

from visualizer.core.checkpoint import check_state
from visualizer.core.errors import LessonConfigError
from visualizer.core.trainer import MetricWindow, Trainer
from visualizer.scratch.optimizers import Adam, AdaGrad, Optimizer, RMSProp

# The scratch optimizers' averages of squared gradients (a negative one gives NaN at the next step).
_SQUARED_STATE = ((Adam, "_v"), (AdaGrad, "_h"), (RMSProp, "_s"))


class NumpyTrainer(Trainer):
    """Steps a NumPy model.

    params / grads: name -> array, the model's own arrays (updated in place, so the layers' lists stay
    valid); both dicts have the same names and shapes.  update(batch, step) -> dict[str, float]: one
    training step (forward, backward filling ``grads``, optimizer step), returning the step's metrics.
    optimizers: name -> scratch Optimizer, checkpointed as ``opt.<name>.<array>``.  hyper: live setting
    name -> setter(value) (e.g. ``{"lr": lambda v: setattr(opt, "lr", v)}``); a setter raising ValueError
    becomes LessonConfigError.  extra_state: more name -> array entries to checkpoint (e.g. BatchNorm
    running statistics), loaded in place like the parameters."""

    device_type = "cpu"

    def __init__(self, params: Mapping[str, np.ndarray], grads: Mapping[str, np.ndarray],
                 update: Callable[[Any, int], Mapping[str, float]], *,
                 optimizers: Mapping[str, Optimizer] | None = None,
                 hyper: Mapping[str, Callable[[Any], None]] | None = None,
                 extra_state: Mapping[str, np.ndarray] | None = None) -> None:
        if set(params) != set(grads):
            raise ValueError(f"params and grads name different arrays: {sorted(set(params) ^ set(grads))[:4]}")
        self.params = dict(params)
        self.grads = dict(grads)
        self.update = update
        self.optimizers = dict(optimizers or {})
        self._hyper = dict(hyper or {})
        self.hyper_names = frozenset(self._hyper)
        self.extra_state = dict(extra_state or {})
        self.window = MetricWindow()

    @classmethod
    def from_lists(cls, names: Sequence[str], params: Sequence[np.ndarray], grads: Sequence[np.ndarray],
                   update: Callable[[Any, int], Mapping[str, float]], **kw) -> "NumpyTrainer":
        """Build from a model's parallel ``params``/``grads`` lists and one name per array."""
        if not len(names) == len(params) == len(grads):
            raise ValueError("names, params and grads must have the same length")
        return cls(dict(zip(names, params)), dict(zip(names, grads)), update, **kw)

    def step(self, batch: Any, step: int) -> None:
        self.window.add(self.update(batch, step))

    def record(self, metrics: Mapping[str, float]) -> None:
        """Add metrics computed outside ``update`` (e.g. a probe's reading) to the current window."""
        self.window.add(metrics)

    def flush(self) -> dict[str, float]:
        return self.window.flush()

    def set_hyper(self, **values: Any) -> None:
        self.check_hyper(values)
        for name, value in values.items():
            try:
                self._hyper[name](value)
            except ValueError as e:
                raise LessonConfigError(str(e)) from None

    def _arrays(self) -> dict[str, np.ndarray]:
        out = {f"param.{k}": v for k, v in self.params.items()}
        out.update({f"state.{k}": v for k, v in self.extra_state.items()})
        for name, opt in self.optimizers.items():
            out.update({f"opt.{name}.{k}": v for k, v in opt.state_arrays().items()})
        return out

    def state_dict(self) -> dict[str, np.ndarray]:
        return {k: np.array(v, copy=True) for k, v in self._arrays().items()}

    def _nonnegative(self) -> frozenset[str]:
        """Optimizer arrays that cannot be negative: step counts and averages of squared gradients."""
        out = set()
        for name, opt in self.optimizers.items():
            squares = next((attr for cls, attr in _SQUARED_STATE if isinstance(opt, cls)), None)
            for key in opt.state_arrays():
                if key == "t" or key.rpartition(".")[0] == squares:
                    out.add(f"opt.{name}.{key}")
        return frozenset(out)

    def load_state_dict(self, state: Mapping[str, np.ndarray]) -> None:
        checked = check_state(self._arrays(), state,        # raises before anything changes
                              nonnegative=self._nonnegative())
        for key, value in checked.items():
            kind, _, rest = key.partition(".")
            if kind == "param":
                self.params[rest][...] = value
            elif kind == "state":
                self.extra_state[rest][...] = value
            else:
                opt_name, _, arr = rest.partition(".")
                self.optimizers[opt_name].load_state_arrays({arr: value})

    def gradient_arrays(self) -> dict[str, np.ndarray]:
        return {k: g.astype(np.float64) for k, g in self.grads.items()}
