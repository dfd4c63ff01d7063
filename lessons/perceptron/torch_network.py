"""The single-layer perceptron in PyTorch: the twin of ``network.NumpyPerceptron``.

``nn.Linear`` with the NumPy engine's initial weights (W transposed into ``weight``), the same loss
(``F.mse_loss``, ``F.binary_cross_entropy_with_logits``, ``F.cross_entropy``) and the same
``torch.optim`` rule the scratch optimizers reproduce; with the same batches both engines give the
same numbers.  Imported only when the torch engine is chosen.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from visualizer.models.classifier_torch import make_torch_optimizer
from visualizer.torch_backend.device import resolve_device
from visualizer.models.mlp_torch import TORCH_DTYPES


class TorchPerceptron:
    """Single-layer perceptron in PyTorch on "cpu" or "cuda".  x: (N, D) -> outputs (N, K).

    Raises LessonConfigError for CUDA without a GPU (from ``resolve_device``)."""

    engine = "torch"

    def __init__(self, task: str, W0: np.ndarray, b0: np.ndarray, optimizer: str, lr: float,
                 momentum: float = 0.9, device: str = "cpu") -> None:
        self.task = task
        self.device = resolve_device(device)
        self.tdtype = TORCH_DTYPES[str(W0.dtype)]
        d, k = W0.shape
        self.linear = torch.nn.Linear(d, k).to(self.device, self.tdtype)
        with torch.no_grad():
            self.linear.weight.copy_(torch.as_tensor(W0.T.copy()))      # (K, D)
            self.linear.bias.copy_(torch.as_tensor(b0))
        self.opt = make_torch_optimizer(optimizer, list(self.linear.parameters()), lr, momentum)

    def _x(self, x: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(x).to(self.device, self.tdtype)             # (N, D)

    def _loss(self, z: torch.Tensor, y: np.ndarray) -> torch.Tensor:
        if self.task == "regression":
            return F.mse_loss(z, torch.as_tensor(y).to(self.device, self.tdtype).reshape(-1, 1))
        if self.task == "binary":
            return F.binary_cross_entropy_with_logits(z[:, 0], torch.as_tensor(y).to(self.device, self.tdtype))
        return F.cross_entropy(z, torch.as_tensor(y).to(self.device, torch.int64))

    def _outputs(self, z: torch.Tensor) -> np.ndarray:
        z = z.detach().to(torch.float64)
        if self.task == "binary":
            z = torch.sigmoid(z)
        elif self.task == "multiclass":
            z = torch.softmax(z, dim=1)
        return z.cpu().numpy()

    def train_step(self, x: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
        """One update on x (B, D), y (B,); returns (loss, outputs (B, K) float64), both before the update."""
        self.opt.zero_grad(set_to_none=True)
        z = self.linear(self._x(x))                                      # (B, K)
        loss = self._loss(z, y)
        loss.backward()
        out = self._outputs(z)
        self.opt.step()
        return float(loss.item()), out

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

    def set_lr(self, lr: float) -> None:
        for group in self.opt.param_groups:
            group["lr"] = float(lr)

    @torch.no_grad()
    def load_weights(self, W: np.ndarray, b: np.ndarray) -> None:
        self.linear.weight.copy_(torch.as_tensor(np.ascontiguousarray(W.T)))
        self.linear.bias.copy_(torch.as_tensor(b))
