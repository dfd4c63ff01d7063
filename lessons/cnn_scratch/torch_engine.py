"""The lesson's CNN on PyTorch: ``TorchCNN`` copied from the scratch CNN's initial weights, trained with
the ``torch.optim`` rule that matches the scratch optimizer.  Imports torch: import only when the
torch engine is chosen.  Same interface as ``engines.NumpyEngine``.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from visualizer.models.cnn import CNN
from visualizer.models.classifier_torch import make_torch_optimizer
from visualizer.models.cnn_torch import TorchCNN
from visualizer.torch_backend.device import resolve_device
from visualizer.models.mlp_torch import TORCH_DTYPES


class TorchEngine:
    """PyTorch twin of ``NumpyEngine``.  x: (N, C, H, W) float, y: (N,) int64.

    Raises LessonConfigError for CUDA without a usable GPU (``resolve_device``)."""

    name = "torch"

    def __init__(self, cnn: CNN, device: str, optimizer: str, lr: float, momentum: float = 0.9,
                 seed: int = 0) -> None:
        self.device = resolve_device(device)
        self.dtype = TORCH_DTYPES[cnn.dtype.name]
        self.model = TorchCNN(cnn, self.device, seed)
        self.opt = make_torch_optimizer(optimizer, list(self.model.parameters()), lr, momentum)
        self._training: bool | None = None

    def _mode(self, train: bool) -> None:
        if self._training is not train:
            self.model.train(train)
            self._training = train

    def train_step(self, x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
        """One update.  Returns (mean cross-entropy, batch accuracy), measured before the update."""
        self._mode(True)
        xt = torch.as_tensor(x).to(self.device, self.dtype)               # (N, C, H, W)
        yt = torch.as_tensor(y).to(self.device, torch.int64)              # (N,)
        self.opt.zero_grad(set_to_none=True)
        logits = self.model(xt)                                           # (N, K)
        loss = F.cross_entropy(logits, yt)
        loss.backward()
        self.opt.step()
        correct = (logits.detach().argmax(dim=1) == yt).to(logits.dtype).sum()
        loss_v, correct_v = torch.stack([loss.detach(), correct]).tolist()   # one device sync
        return loss_v, correct_v / len(y)

    @torch.no_grad()
    def logits(self, x: np.ndarray) -> np.ndarray:
        """Evaluation-mode logits (N, K) float64."""
        self._mode(False)
        return self.model(torch.as_tensor(x).to(self.device, self.dtype)).to(torch.float64).cpu().numpy()

    def set_lr(self, lr: float) -> None:
        for group in self.opt.param_groups:
            group["lr"] = float(lr)

    def state(self) -> dict[str, np.ndarray]:
        return self.model.numpy_state()

    def gradients(self) -> dict[str, np.ndarray]:
        return self.model.gradient_arrays()

    def load_state(self, state: dict[str, np.ndarray]) -> None:
        self.model.load_numpy_state(state)
