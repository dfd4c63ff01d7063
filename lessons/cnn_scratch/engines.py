"""The digits CNN on either engine behind one small interface: NumPy arrays in, Python floats out.

``NumpyEngine`` trains ``visualizer.models.cnn.CNN`` with the scratch optimizers;
``TorchEngine`` (in ``torch_engine.py``, imported only when chosen) trains its PyTorch twin
``TorchCNN`` built from the same initial weights with the matching ``torch.optim`` rule.  Given the
same batches both give the same losses up to float rounding.  Qt-free.
"""
from __future__ import annotations

import numpy as np

from visualizer.models.cnn import CNN
from visualizer.scratch.losses import SoftmaxCrossEntropy
from visualizer.scratch.optimizers import make_optimizer


class NumpyEngine:
    """The scratch CNN with a scratch optimizer.  x: (N, C, H, W) float, y: (N,) int64."""

    name = "numpy"

    def __init__(self, cnn: CNN, optimizer: str, lr: float, momentum: float = 0.9) -> None:
        self.cnn = cnn
        self.opt = make_optimizer(optimizer, cnn.params, cnn.grads, lr, momentum)
        self.loss = SoftmaxCrossEntropy()
        self._training: bool | None = None

    def _mode(self, train: bool) -> None:
        if self._training is not train:
            self.cnn.set_train(train)
            self._training = train

    def train_step(self, x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
        """One update.  Returns (mean cross-entropy, batch accuracy), measured before the update."""
        self._mode(True)
        with np.errstate(over="ignore", invalid="ignore", under="ignore"):
            logits = self.cnn.forward(x)                                  # (N, K)
            loss = self.loss.forward(logits, y)
            self.cnn.backward(self.loss.backward())
            self.opt.step()
        return loss, float(np.mean(logits.argmax(axis=1) == y))

    def logits(self, x: np.ndarray) -> np.ndarray:
        """Evaluation-mode logits (N, K) float64."""
        self._mode(False)
        with np.errstate(over="ignore", invalid="ignore", under="ignore"):
            return self.cnn.forward(x).astype(np.float64)

    def set_lr(self, lr: float) -> None:
        self.opt.lr = float(lr)

    def state(self) -> dict[str, np.ndarray]:
        """Copies of the weights, named as ``CNN.state()``."""
        return {k: np.array(v, copy=True) for k, v in self.cnn.state().items()}

    def gradients(self) -> dict[str, np.ndarray]:
        """The last step's parameter gradients as float64 copies, named as the weights."""
        return self.cnn.gradient_arrays()

    def load_state(self, state: dict[str, np.ndarray]) -> None:
        """Write weights in place (the optimizer keeps its references)."""
        for name, ref in self.cnn.state().items():
            ref[...] = state[name]
