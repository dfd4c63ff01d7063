"""The lesson's CNN on PyTorch: ``TorchCNN`` copied from the scratch CNN's initial weights, trained by the kit's
``TorchTrainer`` with the ``torch.optim`` rule that matches the scratch optimizer.  Imports torch: import only
when the torch engine is chosen.
"""
from __future__ import annotations

import copy
from typing import Callable

import numpy as np
import torch

from visualizer.models.classifier_torch import make_torch_optimizer
from visualizer.models.cnn import CNN
from visualizer.models.cnn_torch import TorchCNN
from visualizer.models.mlp_torch import TORCH_DTYPES
from visualizer.torch_backend.device import resolve_device
from visualizer.torch_backend.trainer import TorchTrainer


class CNNTrainer(TorchTrainer):
    """A TorchTrainer of one ``TorchCNN`` ("model") whose gradients carry the scratch CNN's names and layouts
    (``conv0.W``, ``linear0.W`` (D_in, D_out), ...), so "Compare engines" matches them with the NumPy engine's.

    cnn: the scratch CNN whose initial weights are copied; x_train (N, C, H, W), y_train (N,): the training
    set, moved to the device once (``batch`` indexes it there).  optimizer: a name of
    ``visualizer.scratch.optimizers.OPTIMIZERS``; losses(batch, step) -> named tensors.  Raises
    LessonConfigError for CUDA without a GPU or an unknown optimizer."""

    def __init__(self, cnn: CNN, x_train: np.ndarray, y_train: np.ndarray, *, device: str, optimizer: str,
                 lr: float, seed: int, losses: Callable) -> None:
        dev = resolve_device(device)
        self.dtype = TORCH_DTYPES[cnn.dtype.name]
        model = TorchCNN(cnn, dev, seed)
        super().__init__(model, lambda m: make_torch_optimizer(optimizer, list(m["model"].parameters()), lr, 0.9),
                         device=dev, seed=seed, losses=losses,
                         hyper={"lr": TorchTrainer.param_group_setter("main", "lr", lambda old, v: float(v))})
        self.x_train = torch.as_tensor(x_train).to(self.device, self.dtype)       # (N, C, H, W)
        self.y_train = torch.as_tensor(y_train).to(self.device, torch.int64)      # (N,)
        self._copy = copy.deepcopy(cnn)            # a scratch CNN to receive the weights, for the views

    def batch(self, idx: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        """Images (B, C, H, W) and labels (B,) of the training rows ``idx`` (B,), on the device."""
        ii = torch.as_tensor(idx).to(self.device)
        return self.x_train[ii], self.y_train[ii]

    @torch.no_grad()
    def logits(self, x: np.ndarray) -> np.ndarray:
        """Evaluation-mode logits (N, K) float64 of images x (N, C, H, W)."""
        model = self.modules["model"]
        model.train(False)
        return model(torch.as_tensor(x).to(self.device, self.dtype)).to(torch.float64).cpu().numpy()

    def numpy_state(self) -> dict[str, np.ndarray]:
        """The weights named and laid out as ``CNN.state()`` (NumPy copies)."""
        return self.modules["model"].numpy_state()

    def scratch_copy(self) -> CNN:
        """A scratch CNN (always the same object) holding NumPy copies of the current weights, in
        evaluation mode: what the lesson's probes read."""
        state = self.numpy_state()
        for name, ref in self._copy.state().items():
            ref[...] = state[name]
        self._copy.set_train(False)
        return self._copy

    def gradient_arrays(self) -> dict[str, np.ndarray]:
        return self.modules["model"].gradient_arrays()
