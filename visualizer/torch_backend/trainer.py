"""TorchTrainer: PyTorch models behind the kit's Trainer interface (``visualizer.core.trainer``).

A lesson gives its modules, optimizer factories and one ``losses(batch, step) -> dict[str, Tensor]``
function per phase (a classifier has one phase; a GAN has a D phase and a G phase, each with its own
optimizer).  The trainer zeroes gradients, runs the phase under autocast when AMP is on (CUDA only),
back-propagates the phase's loss (through a GradScaler on CUDA), steps the optimizer and adds every returned
tensor, detached, to a device-side sum.  Nothing is copied to the host until :meth:`TorchTrainer.flush`,
which the session calls at its redraw rate: one ``.tolist()`` per flush, no host sync per step.

Under torchrun (``visualizer.torch_backend.distributed``) every module is also wrapped in
DistributedDataParallel (``trainer.synced``), the generator is seeded per process, and :meth:`TorchTrainer.flush`
averages the window over the processes with one all_reduce, at the steps ``trainer.flush_every`` names.

Imports torch: import only on a lesson's build path.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

import numpy as np
import torch
from torch import nn

from visualizer.core.checkpoint import check_state
from visualizer.core.errors import LessonConfigError
from visualizer.core.threads import training_threads
from visualizer.core.trainer import MetricWindow, Trainer
from visualizer.torch_backend import distributed
from visualizer.torch_backend.device import resolve_device

LossFn = Callable[[Any, int], Mapping[str, "torch.Tensor | float"]]
# torch.optim state entries that cannot be negative: step counts and averages of squared gradients (a
# negative one gives NaN at the next step: 1 - beta**0 = 0 in Adam's bias correction, the root of a negative).
NONNEGATIVE_ENTRIES = frozenset({"step", "exp_avg_sq", "max_exp_avg_sq", "square_avg", "sum"})


@dataclass
class Phase:
    """One optimizer step inside a training step: ``fn(batch, step)`` returns named tensors; ``loss`` names
    the one back-propagated; ``optimizer`` names the optimizer stepped; ``clip``: max gradient norm over
    that optimizer's parameters (None: no clipping); ``every``: run this phase only when step % every == 0
    (e.g. a generator updated every k discriminator steps)."""

    fn: LossFn
    loss: str = "train_loss"
    optimizer: str = "main"
    clip: float | None = None
    every: int = 1


class TorchTrainer(Trainer):
    """Steps PyTorch modules on one device.

    modules: name -> nn.Module (one model, or "G"/"D", or "online"/"target"), moved to ``device``.
    optimizers: name -> factory(module dict) -> torch.optim.Optimizer, built after the move.
    phases: the steps of one training step, in order (default: one Phase(losses)).  device: "cpu" or "cuda"
    (LessonConfigError without a GPU).  amp: autocast (float16 with a GradScaler) on CUDA; ignored on the CPU,
    where it does not speed these models up.  seed: seeds ``self.generator`` (on the device) for batches and
    noise the lesson draws there.  cpu_threads: torch's intra-op threads on the CPU, pinned while this trainer
    lives; "auto": the count chosen for this training process (visualizer.core.threads: 1 per process unless
    ``--threads`` says otherwise).  hyper: live setting name -> setter(trainer, value); see
    :meth:`param_group_setter`.

    Distributed (a process of a torchrun job, :func:`visualizer.torch_backend.distributed.placement`):
    ``synced`` maps each name to its module under DistributedDataParallel (gradients averaged over the
    processes in ``backward``), on ``cuda:LOCAL_RANK`` on CUDA; ``modules`` keep the plain modules (checkpoints,
    hooks and pictures use them; a forward through a plain module is not synchronized).  A lesson runs its
    training forwards through ``synced`` and draws batches with :meth:`shard` and :meth:`local_batch`.
    ``flush_every``: steps between flushes every process must agree on (None: a single process).

    ``last_inputs``: module name -> (args, kwargs) of its last forward call, kept by a forward pre-hook as
    references (no copy, no device sync), the example input of an ONNX export (``onnx_export``)."""

    def __init__(self, modules: Mapping[str, nn.Module] | nn.Module,
                 optimizers: Mapping[str, Callable[[Mapping[str, nn.Module]], torch.optim.Optimizer]] | Callable,
                 *, device: str | torch.device = "cpu", amp: bool = False, seed: int = 0,
                 losses: LossFn | None = None, phases: list[Phase] | None = None,
                 hyper: Mapping[str, Callable[["TorchTrainer", Any], None]] | None = None,
                 cpu_threads: int | str | None = "auto") -> None:
        self.device = device if isinstance(device, torch.device) else resolve_device(device)
        self.placement = distributed.placement()
        ddp = self.placement.world_size > 1 or distributed.group_ready()
        if ddp and self.device.type == "cuda" and self.device.index is None:
            self.device = torch.device("cuda", self.placement.local_rank)
        self.device_type = self.device.type
        if cpu_threads == "auto":
            cpu_threads = training_threads()
        self.cpu_threads = cpu_threads if self.device_type == "cpu" else None
        self._old_threads = torch.get_num_threads()
        self._pin_threads()
        if isinstance(modules, nn.Module):
            modules = {"model": modules}
        self.modules = {k: m.to(self.device) for k, m in modules.items()}
        # under torchrun: DDP wrappers (their construction broadcasts rank 0's weights and buffers)
        self.ddp = distributed.group_ready()
        self.synced: dict[str, nn.Module] = ({k: distributed.wrap(m, self.device) for k, m in self.modules.items()}
                                             if self.ddp else dict(self.modules))
        self.flush_every: int | None = self.placement.flush_every if self.ddp else None
        self._step = 0
        # the arguments of each module's last forward call (references, no copy): an export's example input
        self.last_inputs: dict[str, tuple[tuple, dict]] = {}
        for k, m in self.modules.items():
            m.register_forward_pre_hook(_InputRecorder(self.last_inputs, k), with_kwargs=True)
        if callable(optimizers) and not isinstance(optimizers, Mapping):
            optimizers = {"main": optimizers}
        self.optimizers = {k: make(self.modules) for k, make in optimizers.items()}
        if phases is None:
            if losses is None:
                raise ValueError("give losses or phases")
            phases = [Phase(losses, optimizer=next(iter(self.optimizers)))]
        self.phases = phases
        self.amp = bool(amp) and self.device_type == "cuda"
        self.scaler = torch.amp.GradScaler("cuda") if self.amp else None
        self.generator = torch.Generator(device=self.device).manual_seed(self.placement.generator_seed(int(seed)))
        self._hyper = dict(hyper or {})
        self.hyper_names = frozenset(self._hyper)
        self._sums: dict[str, torch.Tensor] = {}
        self._counts: dict[str, int] = {}
        self.host = MetricWindow()           # metrics summed on the host: floats, and every metric on the CPU
        # Sum tensor metrics on the device (no sync per step) on a GPU; on the CPU reading a value is no sync
        # and costs less than tensor arithmetic.  Tests set it to exercise the GPU path on the CPU.
        self.device_metrics = self.device_type != "cpu"

    # ---- stepping ------------------------------------------------------------------------------------
    def _pin_threads(self) -> None:
        if self.cpu_threads is not None and torch.get_num_threads() != self.cpu_threads:
            torch.set_num_threads(self.cpu_threads)

    def train(self, mode: bool = True) -> None:
        """Put every module in training (or evaluation) mode; a module already there is left alone (the
        recursive ``nn.Module.train`` costs more than a small CPU step's arithmetic)."""
        for m in self.modules.values():
            if m.training != mode:
                m.train(mode)

    # ---- distributed -----------------------------------------------------------------------------------
    def shard(self, rows: "torch.Tensor | np.ndarray", seed: int) -> "torch.Tensor | np.ndarray":
        """This process's disjoint share of a training set ``rows`` (N, ...): ``N // world_size`` rows chosen
        by ``seed`` (``Placement.shard``); all of ``rows`` in a single process."""
        if self.placement.world_size == 1:
            return rows
        idx = self.placement.shard(len(rows), seed)
        return rows[torch.as_tensor(idx, device=rows.device)] if isinstance(rows, torch.Tensor) else rows[idx]

    def local_batch(self, global_batch: int) -> int:
        """Rows this process draws of a global batch (``global_batch / world_size``).  Raises LessonConfigError
        when it does not split evenly."""
        return self.placement.local_batch(int(global_batch))

    def step(self, batch: Any, step: int) -> None:
        """Run every due phase on ``batch``; add the returned tensors to the device sums (no host sync).
        Under torchrun a failed gradient all-reduce raises ProcessGroupFailed."""
        self._step = step
        if not self.ddp:
            self._step_phases(batch, step)
            return
        self.placement.before_step(step)
        try:
            self._step_phases(batch, step)
        except (RuntimeError, torch.distributed.DistError) as e:
            if distributed.is_collective_error(e):
                raise distributed.record_failure(step, e) from e
            raise

    def _step_phases(self, batch: Any, step: int) -> None:
        self._pin_threads()
        self.train(True)
        for phase in self.phases:
            if step % phase.every:
                continue
            opt = self.optimizers[phase.optimizer]
            opt.zero_grad(set_to_none=True)
            if self.amp:
                with torch.autocast(self.device_type, dtype=torch.float16):
                    out = phase.fn(batch, step)
            else:
                out = phase.fn(batch, step)
            loss = out[phase.loss]
            if self.scaler is not None:
                self.scaler.scale(loss).backward()
                if phase.clip is not None:
                    self.scaler.unscale_(opt)
            else:
                loss.backward()
            if phase.clip is not None:
                params = [p for g in opt.param_groups for p in g["params"]]
                torch.nn.utils.clip_grad_norm_(params, phase.clip)
            if self.scaler is not None:
                self.scaler.step(opt)
                self.scaler.update()
            else:
                opt.step()
            self.record(out)

    def record(self, metrics: Mapping[str, "torch.Tensor | float"]) -> None:
        """Add named values to the window: on a GPU tensors stay on the device (summed there); on the CPU, and
        for Python floats, they are summed on the host."""
        for k, v in metrics.items():
            if isinstance(v, torch.Tensor) and not self.device_metrics:
                self.host.add({k: (v.detach().mean() if v.ndim else v.detach()).item()})
            elif isinstance(v, torch.Tensor):
                v = v.detach()
                if v.dtype != torch.float64:      # a float64 model's metrics keep their precision
                    v = v.float()
                if v.ndim:
                    v = v.mean()
                if k in self._sums:
                    self._sums[k] += v
                else:
                    self._sums[k] = v.clone()
                self._counts[k] = self._counts.get(k, 0) + 1
            else:
                self.host.add({k: v})

    def flush(self) -> dict[str, float]:
        """Means since the last flush: one device-to-host copy for all device metrics.  Under torchrun the means
        of every process, averaged with one all_reduce (every process has the same steps in its window, so this
        is the mean over the global batch); raises ProcessGroupFailed if it fails, and gives this process's own
        means after that."""
        if self.ddp:
            return self._flush_averaged()
        out = self.host.flush()
        if self._sums:
            names = list(self._sums)
            means = torch.stack([(self._sums[k] / self._counts[k]).double() for k in names]).tolist()
            out.update(zip(names, means))
            self._sums.clear()
            self._counts.clear()
        return out

    def _flush_averaged(self) -> dict[str, float]:
        host = self.host.flush()
        names = sorted(set(host) | set(self._sums))            # the same names, in the same order, everywhere
        if not names:
            return {}
        parts = []
        for k in names:
            if k in self._sums:
                parts.append((self._sums[k] / self._counts[k]).double().reshape(()))
            else:
                parts.append(torch.tensor(float(host[k]), dtype=torch.float64, device=self.device))
        self._sums.clear()
        self._counts.clear()
        means = distributed.all_reduce_mean(torch.stack(parts), self._step)
        return dict(zip(names, means.tolist()))

    # ---- live settings -------------------------------------------------------------------------------
    def set_hyper(self, **values: Any) -> None:
        self.check_hyper(values)
        for name, value in values.items():
            self._hyper[name](self, value)

    @staticmethod
    def param_group_setter(optimizer: str, key: str = "lr",
                           transform: Callable[[Any, Any], Any] | None = None) -> Callable[["TorchTrainer", Any], None]:
        """A ``hyper`` setter that writes ``value`` into ``key`` of every param group of ``optimizer``;
        ``transform(old, value)`` builds the stored value (e.g. new β₁ with the old β₂)."""
        def set_(trainer: "TorchTrainer", value: Any) -> None:
            for group in trainer.optimizers[optimizer].param_groups:
                group[key] = transform(group[key], value) if transform else value
        return set_

    # ---- state ---------------------------------------------------------------------------------------
    def _module_arrays(self) -> dict[str, torch.Tensor]:
        return {f"{m}.{k}": v for m, mod in self.modules.items() for k, v in mod.state_dict().items()}

    def _optimizer_arrays(self) -> dict[str, torch.Tensor]:
        out = {}
        for name, opt in self.optimizers.items():
            for idx, st in opt.state_dict()["state"].items():
                for key, value in st.items():
                    if value is not None:          # e.g. SGD's momentum_buffer while momentum is 0
                        out[f"opt.{name}.{idx}.{key}"] = torch.as_tensor(value)
        return out

    def state_dict(self) -> dict[str, np.ndarray]:
        arrays = self._module_arrays() | self._optimizer_arrays()
        return {k: v.detach().cpu().numpy().copy() for k, v in arrays.items()}

    def _expected_optimizer_state(self, state: Mapping[str, np.ndarray]) -> dict[str, tuple]:
        """What the optimizer entries of ``state`` must be: name -> (shape, dtype).  An optimizer the checkpoint
        holds no entry for starts afresh (saved before its first step); one it holds entries for needs
        ``opt.<optimizer>.<i>.<entry>`` for every parameter index ``i`` it trains, with every entry that optimizer
        keeps per parameter (:func:`_state_layout`): moments shaped as parameter ``i``, scalars (step counts)
        0-d.  check_state then names a missing or extra entry.  Raises LessonConfigError for an entry of an
        optimizer or parameter index this model does not have."""
        indices: dict[str, set[int]] = {name: set() for name in self.optimizers}
        given: dict[str, set[str]] = {name: set() for name in self.optimizers}
        for key in state:
            if not key.startswith("opt."):
                continue
            parts = key.split(".", 3)
            opt = self.optimizers.get(parts[1]) if len(parts) == 4 else None
            n_params = sum(len(g["params"]) for g in opt.param_groups) if opt is not None else 0
            if opt is None or not parts[2].isdigit() or int(parts[2]) >= n_params:
                raise LessonConfigError(f"The checkpoint's array {key!r} belongs to no optimizer of this model. "
                                        "It was saved with other settings or by another lesson.")
            indices[parts[1]].add(int(parts[2]))
            given[parts[1]].add(parts[3])
        expected: dict[str, tuple] = {}
        for name, opt in self.optimizers.items():
            if not indices[name]:
                continue
            params = [p for g in opt.param_groups for p in g["params"]]
            trained = {i for i, p in enumerate(params) if p.requires_grad}
            layout = _state_layout(opt)
            if layout is None:       # unknown (an optimizer that cannot be probed): the entries the file has
                layout = {e: (e == "step", None) for e in given[name]}
            for i in sorted(indices[name] | trained):
                p = params[i]
                for entry, (scalar, dtype) in layout.items():
                    key = f"opt.{name}.{i}.{entry}"
                    value = np.asarray(state[key]) if key in state else None
                    if dtype is None:
                        dtype = value.dtype if value is not None and value.dtype.kind in "fiub" else np.float32
                    expected[key] = (() if scalar else tuple(p.shape),
                                     dtype if scalar else torch.empty(0, dtype=p.dtype).numpy().dtype)
        return expected

    def load_state_dict(self, state: Mapping[str, np.ndarray]) -> None:
        model_ref = {k: v.detach().cpu().numpy() for k, v in self._module_arrays().items()}
        model_state = {k: v for k, v in state.items() if not k.startswith("opt.")}
        opt_state = {k: v for k, v in state.items() if k.startswith("opt.")}
        checked = check_state(model_ref, model_state) | check_state(
            self._expected_optimizer_state(opt_state), opt_state,
            nonnegative=frozenset(k for k in opt_state if k.rsplit(".", 1)[-1] in NONNEGATIVE_ENTRIES))
        # every array fits: assign
        for m, mod in self.modules.items():
            own = mod.state_dict()
            mod.load_state_dict({k: torch.as_tensor(checked[f"{m}.{k}"]).to(v.device, v.dtype)
                                 for k, v in own.items()})
        for name, opt in self.optimizers.items():
            sd = opt.state_dict()
            new_state: dict[int, dict[str, torch.Tensor]] = {}
            prefix = f"opt.{name}."
            for key, value in checked.items():
                if key.startswith(prefix):
                    idx, entry = key[len(prefix):].split(".", 1)
                    new_state.setdefault(int(idx), {})[entry] = torch.as_tensor(value)
            sd["state"] = new_state
            opt.load_state_dict(sd)

    def gradient_arrays(self) -> dict[str, np.ndarray]:
        return {f"{m}.{k}": p.grad.detach().double().cpu().numpy()
                for m, mod in self.modules.items() for k, p in mod.named_parameters() if p.grad is not None}

    def close(self) -> None:
        if self.cpu_threads is not None:
            torch.set_num_threads(self._old_threads)
        if self.device_type == "cuda":
            torch.cuda.empty_cache()


class _InputRecorder:
    """A forward pre-hook that keeps the arguments of a module's last call in ``store[name]`` as (args, kwargs),
    for an export that needs an example input (``onnx_export``): tensors detached (no autograd graph is kept
    alive), not copied, no device sync."""

    def __init__(self, store: dict[str, tuple[tuple, dict]], name: str) -> None:
        self.store, self.name = store, name

    def __call__(self, module, args: tuple, kwargs: dict) -> None:
        self.store[self.name] = (tuple(a.detach() if isinstance(a, torch.Tensor) else a for a in args),
                                 {k: v.detach() if isinstance(v, torch.Tensor) else v for k, v in kwargs.items()})

    def __deepcopy__(self, memo: dict) -> "_InputRecorder":
        return _InputRecorder({}, self.name)        # a copied module (a DQN target) records for nobody

    def __reduce__(self):
        return (_InputRecorder, ({}, self.name))    # a pickled module carries no recorded tensors


def _state_layout(opt) -> dict[str, tuple[bool, np.dtype]] | None:
    """The entries ``opt`` keeps per parameter: entry -> (0-d?, dtype of a 0-d entry), e.g. Adam's
    {"step": (True, float32), "exp_avg": (False, ...), "exp_avg_sq": (False, ...)}; {} for an optimizer that
    keeps none (SGD without momentum).  Read from the optimizer's state if it has stepped, else from a probe:
    the same class with the same settings stepped once on a one-element parameter.  None if the probe fails
    (e.g. SparseAdam, which needs sparse gradients)."""
    def layout(st: Mapping[str, Any]) -> dict[str, tuple[bool, np.dtype]]:
        out = {}
        for k, v in st.items():
            if v is None:
                continue
            t = torch.as_tensor(v)
            out[k] = (t.ndim == 0, t.detach().cpu().numpy().dtype)
        return out

    for st in opt.state_dict()["state"].values():
        if st:
            return layout(st)
    try:
        q = torch.zeros(1, requires_grad=True)
        defaults = dict(getattr(opt, "defaults", {}))
        defaults.pop("fused", None)                       # fused kernels need CUDA; the layout is the same
        try:
            probe = type(opt)([q], **defaults)
        except TypeError:
            probe = type(opt)([q])
        q.grad = torch.zeros_like(q)
        probe.step()
        states = list(probe.state_dict()["state"].values())
    except Exception:                                      # noqa: BLE001 - any optimizer we cannot probe
        return None
    return layout(states[0]) if states else {}

