"""``Classifier`` on the PyTorch engine: ``TorchMLP`` trained with ``torch.optim`` through a kit TorchTrainer.

Built through ``visualizer.models.classifier.build_classifier(..., engine="torch")``.  The initial
weights are copied from the NumPy engine's model for the same config and seed.  The L1 and L2 penalty
gradients are added to the weight matrices' ``.grad`` by an optimizer step pre-hook, i.e. after the
backward pass and before ``optimizer.step()`` (for L2 exactly what ``weight_decay`` does inside
``torch.optim``, restricted to weights), so ``.grad`` holds the gradient the update used, identical in
meaning to the NumPy engine's.  The step's metrics stay on the device until the trainer's flush.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from visualizer.core.checkpoint import check_state
from visualizer.models.classifier import Classifier, MLPConfig, validate_hypers
from visualizer.core.lesson import LessonConfigError
from visualizer.models.mlp import MLP
from visualizer.torch_backend.device import resolve_device
from visualizer.probes.gradient_norms import layer_norms
from visualizer.models.mlp_torch import TORCH_DTYPES, NumpyMaskDropout, TorchMLP
from visualizer.torch_backend.trainer import TorchTrainer


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
    (2 classes, one output) or ``F.cross_entropy``.  Its ``trainer`` is a TorchTrainer of the one module
    ``model`` and the optimizer ``main``; a batch is (x, y) as NumPy arrays (checked, then copied to the
    device without waiting for it) or as tensors already on the device.  Raises LessonConfigError for
    CUDA without a GPU."""

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

        def make(modules):
            opt = make_torch_optimizer(optimizer, list(modules["model"].parameters()), lr, momentum)
            opt.register_step_pre_hook(lambda _opt, _args, _kwargs: self._add_penalty_grads())
            return opt

        self.trainer = TorchTrainer({"model": self.model}, {"main": make}, device=self._device,
                                    seed=int(config.seed), losses=self.losses,
                                    hyper={"lr": self._set_lr, "momentum": self._set_momentum,
                                           "l1": lambda _t, v: self._set_penalty("l1", v),
                                           "l2": lambda _t, v: self._set_penalty("l2", v)})
        self.opt = self.trainer.optimizers["main"]

    def _set_lr(self, trainer: TorchTrainer, value: float) -> None:
        validate_hypers(lr=value)
        for group in self.opt.param_groups:
            group["lr"] = float(value)

    def _set_momentum(self, trainer: TorchTrainer, value: float) -> None:
        validate_hypers(momentum=value)
        if self.optimizer in ("momentum", "nesterov"):
            for group in self.opt.param_groups:
                group["momentum"] = float(value)

    def _tensors(self, x, y=None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """x (N, D) and y (N,) on the device; NumPy inputs are copied without waiting for the device."""
        xt = torch.as_tensor(x).to(self._device, self._dtype, non_blocking=True)                  # (N, D)
        yt = None if y is None else torch.as_tensor(y).to(self._device, torch.int64, non_blocking=True)  # (N,)
        return xt, yt

    def _loss_correct(self, logits: torch.Tensor, yt: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean loss and the number of correct predictions (a count, exact in float32 up to 2**24)."""
        if self.binary:
            z = logits[:, 0]                                          # (N,)
            loss = F.binary_cross_entropy_with_logits(z, yt.to(z.dtype))
            correct = ((z > 0) == (yt == 1)).to(z.dtype).sum()
        else:
            loss = F.cross_entropy(logits, yt)
            correct = (logits.argmax(dim=1) == yt).to(logits.dtype).sum()
        return loss, correct

    def losses(self, batch, step: int) -> dict[str, torch.Tensor]:
        """The trainer's loss: ``batch`` = (x, y); train_loss (mean data cross-entropy, without the
        penalty, back-propagated) and train_acc, as device tensors."""
        x, y = batch
        if not isinstance(x, torch.Tensor):
            x, y = self._check_train_batch(x, y)
        xt, yt = self._tensors(x, y)
        logits = self.model(xt)                                       # (N, K) or (N, 1)
        loss, correct = self._loss_correct(logits, yt)
        return {"train_loss": loss, "train_acc": correct.detach() / len(yt)}

    @torch.no_grad()
    def _add_penalty_grads(self) -> None:
        """Add l1·sign(W) and l2·W to each weight matrix's gradient (before the optimizer step)."""
        for w in self._weights:
            if w.grad is None:
                continue
            if self.l1:
                w.grad.add_(torch.sign(w), alpha=self.l1)
            if self.l2:
                w.grad.add_(w, alpha=self.l2)

    @torch.no_grad()
    def _logits(self, x: np.ndarray) -> torch.Tensor:
        self.model.train(False)
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
        self.model.train(False)
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

    def weight_grad_tensors(self) -> list[torch.Tensor]:
        """The weight gradients of the last step as device tensors (D_out, D_in) (zeros before the first
        step), for norms reduced on the device (``visualizer.probes.gradient_norms.layer_norms``)."""
        return [torch.zeros_like(w) if w.grad is None else w.grad for w in self._weights]

    def share_dropout_rng(self, rng: np.random.Generator) -> None:
        for module in self.model.net:
            if isinstance(module, NumpyMaskDropout):
                module.rng = rng

    def layer_grad_norms(self) -> list[torch.Tensor]:
        return layer_norms(self.weight_grad_tensors())

    def model_state(self) -> dict[str, np.ndarray]:
        return self.model.numpy_state()

    def load_model_state(self, state: dict[str, np.ndarray]) -> None:
        checked = check_state(self.model.numpy_state(), state)
        self.model.load_numpy_state(checked)
