"""``Classifier`` on the PyTorch engine: ``TorchMLP`` trained with ``torch.optim``.

Built through ``visualizer.models.classifier.build_classifier(..., engine="torch")``.  The initial
weights are copied from the NumPy engine's model for the same config and seed.  The L1 and L2 penalty
gradients are added to the weight matrices' ``.grad`` before ``optimizer.step()`` (for L2 exactly what
``weight_decay`` does inside ``torch.optim``, restricted to weights), so ``.grad`` holds the gradient the
update used, identical in meaning to the NumPy engine's.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from visualizer.models.classifier import Classifier, MLPConfig, validate_hypers
from visualizer.core.lesson import LessonConfigError
from visualizer.models.mlp import MLP
from visualizer.torch_backend.device import resolve_device
from visualizer.models.mlp_torch import TORCH_DTYPES, TorchMLP


def make_torch_optimizer(name: str, params: list[torch.nn.Parameter], lr: float,
                         momentum: float) -> torch.optim.Optimizer:
    """The ``torch.optim`` optimizer matching ``visualizer.scratch.optimizers.make_optimizer(name, ...)``."""
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr)
    if name == "momentum":
        return torch.optim.SGD(params, lr=lr, momentum=momentum)
    if name == "nesterov":
        return torch.optim.SGD(params, lr=lr, momentum=momentum, nesterov=True)
    if name == "adagrad":
        return torch.optim.Adagrad(params, lr=lr, eps=1e-10)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, alpha=0.99, eps=1e-8)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, betas=(0.9, 0.999), eps=1e-8)
    raise LessonConfigError(f"Unknown optimizer {name!r}.")


class TorchClassifier(Classifier):
    """``Classifier`` in PyTorch on "cpu" or "cuda".  Losses: ``F.binary_cross_entropy_with_logits``
    (2 classes, one output) or ``F.cross_entropy``.  Raises LessonConfigError for CUDA without a GPU."""

    engine = "torch"

    def __init__(self, config: MLPConfig, device: str = "cpu", optimizer: str = "adam", lr: float = 1e-3,
                 momentum: float = 0.9, l1: float = 0.0, l2: float = 0.0) -> None:
        super().__init__(config, optimizer, l1, l2)
        self._device = resolve_device(device)
        self.device = device
        self._dtype = TORCH_DTYPES[config.dtype]
        source = MLP(config.n_inputs, config.hidden, 1 if self.binary else config.n_classes,
                     activation=config.activation, init=config.init, dropout=config.dropout,
                     batchnorm=config.batchnorm, dtype=config.dtype, seed=int(config.seed))
        self.model = TorchMLP(source, config.dropout, self._device, seed=int(config.seed))
        self._weights = [lin.weight for lin in self.model.linears]   # (D_out, D_in) each
        self.opt = make_torch_optimizer(optimizer, list(self.model.parameters()), lr, momentum)
        self._training: bool | None = None

    def _mode(self, train: bool) -> None:
        if self._training is not train:
            self.model.train(train)
            self._training = train

    def _tensors(self, x: np.ndarray, y: np.ndarray | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
        xt = torch.as_tensor(x).to(self._device, self._dtype)       # (N, D)
        yt = None if y is None else torch.as_tensor(y).to(self._device, torch.int64)  # (N,)
        return xt, yt

    def _loss_correct(self, logits: torch.Tensor, yt: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean loss and the number of correct predictions (a count, exact in float32 up to 2**24,
        so that accuracy = count / N is computed in Python floats exactly as the NumPy engine does)."""
        if self.binary:
            z = logits[:, 0]                                          # (N,)
            loss = F.binary_cross_entropy_with_logits(z, yt.to(z.dtype))
            correct = ((z > 0) == (yt == 1)).to(z.dtype).sum()
        else:
            loss = F.cross_entropy(logits, yt)
            correct = (logits.argmax(dim=1) == yt).to(logits.dtype).sum()
        return loss, correct

    def train_step(self, x: np.ndarray, y: np.ndarray) -> dict[str, float]:
        x, y = self._check_train_batch(x, y)
        xt, yt = self._tensors(x, y)
        self._mode(True)
        self.opt.zero_grad(set_to_none=True)
        logits = self.model(xt)                                       # (N, K) or (N, 1)
        loss, correct = self._loss_correct(logits, yt)
        loss.backward()
        with torch.no_grad():
            penalty = None
            if self.l1 or self.l2:
                penalty = torch.zeros((), dtype=self._dtype, device=self._device)
                for w in self._weights:
                    if self.l1:
                        penalty += self.l1 * w.abs().sum()
                        w.grad.add_(torch.sign(w), alpha=self.l1)
                    if self.l2:
                        penalty += 0.5 * self.l2 * (w * w).sum()
                        w.grad.add_(w, alpha=self.l2)
            values = [loss.detach(), correct] + ([penalty] if penalty is not None else [])
            numbers = torch.stack(values).tolist()                    # one device sync
        self.opt.step()
        return {"loss": numbers[0], "penalty": numbers[2] if penalty is not None else 0.0,
                "acc": numbers[1] / len(x)}

    @torch.no_grad()
    def _logits(self, x: np.ndarray) -> torch.Tensor:
        self._mode(False)
        return self.model(self._tensors(x)[0])

    @torch.no_grad()
    def evaluate(self, x: np.ndarray, y: np.ndarray) -> dict[str, float]:
        x, y = self._check_xy(x, y)
        logits = self._logits(x)
        loss, correct = self._loss_correct(logits, self._tensors(x, y)[1])
        loss_v, correct_v = torch.stack([loss, correct]).tolist()
        return {"loss": loss_v, "acc": correct_v / len(x)}

    def _output_proba(self, logits: torch.Tensor) -> np.ndarray:
        logits = logits.to(torch.float64)
        p = torch.sigmoid(logits) if self.binary else torch.softmax(logits, dim=1)
        return p.cpu().numpy()

    @torch.no_grad()
    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        p = self._output_proba(self._logits(self._check_x(x)))
        return np.column_stack([1 - p[:, 0], p[:, 0]]) if self.binary else p

    @torch.no_grad()
    def hidden_outputs(self, x: np.ndarray) -> list[np.ndarray]:
        xt = self._tensors(self._check_x(x))[0]
        self._mode(False)
        logits, hidden = self.model.forward_hidden(xt)
        return [h.to(torch.float64).cpu().numpy() for h in hidden] + [self._output_proba(logits)]

    def weights(self) -> list[np.ndarray]:
        return [w.detach().T.to(torch.float64).cpu().numpy() for w in self._weights]

    def biases(self) -> list[np.ndarray]:
        return [np.zeros(lin.out_features) if lin.bias is None
                else lin.bias.detach().to(torch.float64).cpu().numpy() for lin in self.model.linears]

    def weight_grads(self) -> list[np.ndarray]:
        return [np.zeros(tuple(reversed(w.shape))) if w.grad is None
                else w.grad.detach().T.to(torch.float64).cpu().numpy() for w in self._weights]

    def set_hyper(self, **kw: float) -> None:
        validate_hypers(**kw)
        for group in self.opt.param_groups:
            if "lr" in kw:
                group["lr"] = float(kw["lr"])
            if "momentum" in kw and self.optimizer in ("momentum", "nesterov"):
                group["momentum"] = float(kw["momentum"])
        if "l1" in kw:
            self.l1 = float(kw["l1"])
        if "l2" in kw:
            self.l2 = float(kw["l2"])

    def state_dict(self) -> dict[str, np.ndarray]:
        return self.model.numpy_state()

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        checked = self._check_state(self.model.numpy_state(), state)
        self.model.load_numpy_state(checked)
