"""The MLP of ``net.py`` in PyTorch (autograd) in one precision on the CPU or CUDA: ``NumpyRun``'s twin.
torch is imported when a TorchRun is built (``net.make_run`` imports this module only for PyTorch configurations).

Source: Micikevicius et al., "Mixed Precision Training", ICLR 2018 (loss scaling, float32 master weights).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from lessons.precision_speed.net import PrecisionConfig, StepResult


class TorchRun:
    """The same MLP in PyTorch (autograd) on ``config.device`` in ``config.dtype``; interface as
    :class:`NumpyRun`.  Cross-entropy is summed in the run's dtype and the backward seed S/B applied in
    float32 (float64 for a float64 run), so the gradient reaching the logits is S·(softmax − onehot)/B
    as in the NumPy run.  Raises RuntimeError if the device is "cuda" and PyTorch sees no GPU."""

    def __init__(self, config: PrecisionConfig, params64: Sequence[np.ndarray], x_train: np.ndarray,
                 y_train: np.ndarray, x_val: np.ndarray, y_val: np.ndarray, master: bool = False) -> None:
        import torch                              # lazy: importing torch takes seconds

        if config.device == "cuda" and not torch.cuda.is_available():
            raise RuntimeError("PyTorch sees no CUDA GPU")
        self.torch = torch
        self.config = config
        self.device = torch.device(config.device)
        self.dtype = getattr(torch, config.dtype)
        self.acc_dtype = torch.float64 if config.dtype == "float64" else torch.float32
        dev, dt = self.device, self.dtype
        self.x_train = torch.tensor(x_train, dtype=dt, device=dev)            # (N, D)
        self.y_train = torch.tensor(y_train, dtype=torch.int64, device=dev)   # (N,)
        self.x_val = torch.tensor(x_val, dtype=dt, device=dev)                # (M, D)
        self.y_val = torch.tensor(y_val, dtype=torch.int64, device=dev)
        self.params = [torch.tensor(p, dtype=dt, device=dev).requires_grad_() for p in params64]
        self.master = None
        self.set_master(master)
        self._grad_scale = 1.0

    def synchronize(self) -> None:
        """Wait for queued GPU work (no-op on the CPU): call before reading a clock."""
        if self.device.type == "cuda":
            self.torch.cuda.synchronize()

    def set_master(self, on: bool) -> None:
        if on and self.config.half:
            if self.master is None:
                self.master = [p.detach().float().clone() for p in self.params]
        else:
            self.master = None

    def _forward(self, x):
        n_layers = len(self.params) // 2
        for i in range(n_layers):
            x = x @ self.params[2 * i] + self.params[2 * i + 1]
            if i < n_layers - 1:
                x = self.torch.relu(x)
        return x                                   # logits (B, K)

    def step(self, idx: np.ndarray, lr: float, loss_scale: float = 1.0) -> StepResult:
        torch = self.torch
        scale = float(loss_scale) if self.config.half else 1.0
        ii = torch.from_numpy(np.asarray(idx, dtype=np.int64)).to(self.device)
        x, y = self.x_train[ii], self.y_train[ii]
        for p in self.params:
            p.grad = None
        loss_sum = torch.nn.functional.cross_entropy(self._forward(x), y, reduction="sum")
        (loss_sum.to(self.acc_dtype) * (scale / len(idx))).backward()
        grads = [p.grad for p in self.params]
        finite_t = torch.isfinite(loss_sum)
        for g in grads:
            finite_t = finite_t & torch.isfinite(g).all()
        finite = bool(finite_t.item())            # one device-to-host sync per step
        loss = float(loss_sum.item()) / len(idx)
        self._grad_scale = scale
        if not finite:
            return StepResult(loss, False)
        with torch.no_grad():
            if self.master is not None:
                for m, p, g in zip(self.master, self.params, grads):
                    m.sub_(g.float() * (lr / scale))
                    p.copy_(m)
            else:
                for p, g in zip(self.params, grads):
                    if scale != 1.0:
                        g.mul_(1.0 / scale)
                    p.sub_(g * lr)
                self._grad_scale = 1.0
        return StepResult(loss, True)

    def accuracy(self) -> float:
        with self.torch.no_grad():
            pred = self._forward(self.x_val).argmax(dim=1)
            return float((pred == self.y_val).double().mean().item())

    def params64(self) -> list[np.ndarray]:
        src = self.master if self.master is not None else self.params
        return [p.detach().double().cpu().numpy() for p in src]

    def load_params64(self, values: Sequence[np.ndarray]) -> None:
        torch = self.torch
        with torch.no_grad():
            for p, v in zip(self.params, values):
                p.copy_(torch.from_numpy(np.asarray(v, dtype=np.float64)))
            if self.master is not None:
                for m, v in zip(self.master, values):
                    m.copy_(torch.from_numpy(np.asarray(v, dtype=np.float64)))

    def lost_update_fraction(self, lr: float) -> float:
        torch = self.torch
        target = self.master if self.master is not None else self.params
        hit = total = 0
        with torch.no_grad():
            for w, p in zip(target, self.params):
                if p.grad is None:
                    return 0.0
                g = p.grad.to(w.dtype) / self._grad_scale
                nz = g != 0
                new = w - g * lr
                hit += int(((new == w) & nz).sum().item())
                total += int(nz.sum().item())
        return hit / total if total else 0.0
