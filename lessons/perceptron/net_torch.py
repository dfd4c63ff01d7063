"""The single-layer perceptron in PyTorch: the twin of ``net.NumpyPerceptron``.

``nn.Linear`` with the NumPy engine's initial weights (W transposed into ``weight``), the same loss
(``F.mse_loss``, ``F.binary_cross_entropy_with_logits``, ``F.cross_entropy``) and the same
``torch.optim`` rule the scratch optimizers reproduce; with the same batches both engines give the
same numbers.  Its ``trainer`` (a kit TorchTrainer) keeps the step's loss and score on the device until a
flush.  Imported only when the torch engine is chosen.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from visualizer.models.classifier_torch import make_torch_optimizer
from visualizer.models.mlp_torch import TORCH_DTYPES
from visualizer.torch_backend.device import resolve_device
from visualizer.torch_backend.trainer import TorchTrainer


class TorchPerceptron:
    """Single-layer perceptron in PyTorch on "cpu" or "cuda".  x: (N, D) -> outputs (N, K).

    Raises LessonConfigError for CUDA without a GPU (from ``resolve_device``)."""

    engine = "torch"

    def __init__(self, task: str, W0: np.ndarray, b0: np.ndarray, optimizer: str, lr: float,
                 momentum: float = 0.9, device: str = "cpu", n_classes: int = 2) -> None:
        self.task = task
        self.device = resolve_device(device)
        self.tdtype = TORCH_DTYPES[str(W0.dtype)]
        d, k = W0.shape
        self.linear = torch.nn.Linear(d, k).to(self.device, self.tdtype)
        with torch.no_grad():
            self.linear.weight.copy_(torch.as_tensor(W0.T.copy()))      # (K, D)
            self.linear.bias.copy_(torch.as_tensor(b0))
        self.trainer = TorchTrainer({"model": self.linear},
                                    lambda m: make_torch_optimizer(optimizer, list(m["model"].parameters()), lr, momentum),
                                    device=self.device, losses=self.losses,
                                    hyper={"lr": TorchTrainer.param_group_setter("main", "lr")})
        self.opt = self.trainer.optimizers["main"]

    def _x(self, x: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(x).to(self.device, self.tdtype, non_blocking=True)   # (N, D)

    def _loss(self, z: torch.Tensor, y) -> torch.Tensor:
        y = torch.as_tensor(y).to(self.device, non_blocking=True)
        if self.task == "regression":
            return F.mse_loss(z, y.to(self.tdtype).reshape(-1, 1))
        if self.task == "binary":
            return F.binary_cross_entropy_with_logits(z[:, 0], y.to(self.tdtype))
        return F.cross_entropy(z, y.to(torch.int64))

    def _score(self, z: torch.Tensor, y) -> dict[str, torch.Tensor]:
        """``net.step_metrics`` on the device, in float64: train_rel_acc = 1 − mean(|ŷ − y| / |y|) over the
        rows with y ≠ 0 (0 if none), or train_acc."""
        out = z.detach().to(torch.float64)
        y = torch.as_tensor(y).to(self.device, non_blocking=True)
        if self.task == "regression":
            y = y.to(torch.float64)
            nz = y != 0
            ratio = torch.where(nz, (out[:, 0] - y).abs() / torch.where(nz, y.abs(), 1.0), 0.0)
            count = nz.sum()
            rel = torch.where(count > 0, ratio.sum() / count.clamp_min(1), 1.0)
            return {"train_rel_acc": 1.0 - rel}
        if self.task == "binary":
            pred = (torch.sigmoid(out[:, 0]) > 0.5).to(torch.int64)
        else:
            pred = torch.softmax(out, dim=1).argmax(dim=1)
        return {"train_acc": (pred == y.to(torch.int64)).to(torch.float64).mean()}

    def losses(self, batch, step: int) -> dict[str, torch.Tensor]:
        """The trainer's loss on batch = (x (B, D), y (B,)): train_loss and the step's score, on the device."""
        x, y = batch
        z = self.linear(self._x(x))                                      # (B, K)
        return {"train_loss": self._loss(z, y), **self._score(z, y)}

    def _outputs(self, z: torch.Tensor) -> np.ndarray:
        z = z.detach().to(torch.float64)
        if self.task == "binary":
            z = torch.sigmoid(z)
        elif self.task == "multiclass":
            z = torch.softmax(z, dim=1)
        return z.cpu().numpy()

    @torch.no_grad()
    def predict(self, x: np.ndarray) -> np.ndarray:
        return self._outputs(self.linear(self._x(x)))

    @torch.no_grad()
    def loss(self, x: np.ndarray, y: np.ndarray) -> float:
        return float(self._loss(self.linear(self._x(x)), y).item())

    def weights(self) -> tuple[np.ndarray, np.ndarray]:
        return (self.linear.weight.detach().T.to(torch.float64).cpu().numpy(),
                self.linear.bias.detach().to(torch.float64).cpu().numpy())

    def gradient_arrays(self) -> dict[str, np.ndarray]:
        w, b = self.linear.weight, self.linear.bias
        if w.grad is None:
            return {"W": np.zeros(tuple(reversed(w.shape))), "b": np.zeros(b.shape[0])}
        return {"W": w.grad.detach().T.to(torch.float64).cpu().numpy(),
                "b": b.grad.detach().to(torch.float64).cpu().numpy()}

    @torch.no_grad()
    def load_weights(self, W: np.ndarray, b: np.ndarray) -> None:
        self.linear.weight.copy_(torch.as_tensor(np.ascontiguousarray(W.T)))
        self.linear.bias.copy_(torch.as_tensor(b))
