"""The MLP classifier the lessons train, on either engine: the NumPy scratch engine or its PyTorch twin.

``build_classifier(MLPConfig(...), engine="numpy" | "torch", ...)`` returns a ``Classifier``: its
``trainer`` (a kit ``NumpyTrainer`` or ``TorchTrainer``) performs the updates on batches ``(x, y)``,
holds the metrics ``train_loss`` and ``train_acc`` until a flush, applies the live settings ``lr``,
``momentum``, ``l1`` and ``l2`` and checkpoints weights with optimizer state; the classifier's own
methods read the model for the views (NumPy arrays and Python floats), so a lesson never touches the
engine.  Given
the same config, seed, data and batches the two engines produce the same losses up to float rounding
(tests/torch_backend/test_classifier.py), dropout included: the PyTorch twin draws its dropout masks from
the NumPy engine's generator (``visualizer.models.mlp_torch.NumpyMaskDropout``).  Two classes use one sigmoid output and binary cross-entropy; three or more use a
softmax output and cross-entropy (Goodfellow, Bengio & Courville, *Deep Learning*, section 6.2.2).
PyTorch is imported only when the torch engine is built.  Qt-free.
"""
from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

import numpy as np

from visualizer.core.checkpoint import check_state
from visualizer.core.lesson import LessonConfigError
from visualizer.core.trainer import Trainer
from visualizer.scratch.init import INITS
from visualizer.scratch.losses import SigmoidBinaryCrossEntropy, SoftmaxCrossEntropy, softmax
from visualizer.scratch.layers import Dropout, sigmoid
from visualizer.models.mlp import ACTIVATIONS, DTYPES, MLP
from visualizer.probes.gradient_norms import layer_norms
from visualizer.scratch.optimizers import OPTIMIZERS, make_optimizer
from visualizer.scratch.trainer import NumpyTrainer
from visualizer.scratch.regularization import add_l1_grad, add_l2_grad, l1_penalty, l2_penalty

ENGINES = ("numpy", "torch")
HYPERS = ("lr", "momentum", "l1", "l2")


@dataclass(frozen=True)
class MLPConfig:
    """Architecture of a fully connected classifier.

    n_inputs: features per sample D; hidden: widths of 0..n hidden layers (none = logistic/softmax
    regression); n_classes K >= 2 (2 -> one sigmoid output with binary cross-entropy, >= 3 -> softmax
    with cross-entropy); activation in "relu" | "leaky_relu" | "sigmoid" | "tanh" | "linear";
    init "he" (He normal) | "xavier" (Glorot uniform); dropout probability in [0, 1) after each hidden
    activation (inverted dropout); batchnorm: BatchNorm1d after each hidden Linear, before the
    activation (those Linear layers then have no bias); dtype "float32" | "float64"; seed for the initial weights and dropout masks."""

    n_inputs: int
    hidden: tuple[int, ...]
    n_classes: int
    activation: str = "relu"
    init: str = "he"
    dropout: float = 0.0
    batchnorm: bool = False
    dtype: str = "float32"
    seed: int = 0


def validate_config(config: MLPConfig) -> None:
    """Raise LessonConfigError with a user-readable message if ``config`` cannot be built."""
    if not isinstance(config.n_inputs, (int, np.integer)) or config.n_inputs < 1:
        raise LessonConfigError(f"The network needs at least one input feature, got {config.n_inputs}.")
    if not isinstance(config.n_classes, (int, np.integer)) or config.n_classes < 2:
        raise LessonConfigError(f"A classifier needs at least 2 classes, got {config.n_classes}.")
    try:
        hidden = tuple(int(h) for h in config.hidden)
    except (TypeError, ValueError):
        raise LessonConfigError(f"Hidden layer widths must be whole numbers, got {config.hidden!r}.") from None
    if any(h < 1 for h in hidden):
        raise LessonConfigError(f"Every hidden layer needs at least one neuron, got widths {hidden}.")
    if config.activation not in ACTIVATIONS:
        raise LessonConfigError(f"Unknown activation {config.activation!r}: choose one of {', '.join(ACTIVATIONS)}.")
    if config.init not in INITS:
        raise LessonConfigError(f"Unknown initialisation {config.init!r}: choose one of {', '.join(INITS)}.")
    if not (0.0 <= config.dropout < 1.0):
        raise LessonConfigError(f"Dropout probability must be at least 0 and below 1, got {config.dropout}.")
    if config.dtype not in DTYPES:
        raise LessonConfigError(f"Unknown dtype {config.dtype!r}: choose one of {', '.join(DTYPES)}.")
    if not isinstance(config.seed, (int, np.integer)) or config.seed < 0:
        raise LessonConfigError(f"The seed must be a whole number >= 0, got {config.seed!r}.")


def validate_hypers(optimizer: str | None = None, **hypers: float) -> None:
    """Check optimizer name and lr (> 0), momentum ([0, 1)), l1, l2 (>= 0), all finite.

    Raises LessonConfigError with a user-readable message; TypeError for an unknown keyword."""
    if optimizer is not None and optimizer not in OPTIMIZERS:
        raise LessonConfigError(f"Unknown optimizer {optimizer!r}: choose one of {', '.join(OPTIMIZERS)}.")
    for name, value in hypers.items():
        if name not in HYPERS:
            raise TypeError(f"unknown hyperparameter {name!r}; live ones are {', '.join(HYPERS)}")
        try:
            v = float(value)
        except (TypeError, ValueError):
            raise LessonConfigError(f"{name} must be a number, got {value!r}.") from None
        if not math.isfinite(v):
            raise LessonConfigError(f"{name} must be a finite number, got {value!r}.")
        if name == "lr" and v <= 0:
            raise LessonConfigError(f"The learning rate must be positive, got {v}.")
        if name == "momentum" and not (0.0 <= v < 1.0):
            raise LessonConfigError(f"Momentum must be at least 0 and below 1, got {v}.")
        if name in ("l1", "l2") and v < 0:
            raise LessonConfigError(f"The {name.upper()} strength must be 0 or more, got {v}.")


class Classifier(ABC):
    """An MLP classifier on one engine, stepped by its kit ``trainer``; the methods here read the model
    (NumPy arrays and Python floats out) and never update it.

    Inputs: x (N, D) float (converted to the model dtype), y (N,) integer labels in [0, K).  A training
    batch for ``trainer.step`` is the pair ``(x, y)``; with batchnorm it needs at least 2 samples.  Bad
    shapes or labels raise LessonConfigError with a readable message (at the step that receives them)."""

    config: MLPConfig
    engine: str
    device: str
    optimizer: str
    trainer: Trainer

    def __init__(self, config: MLPConfig, optimizer: str, l1: float, l2: float) -> None:
        self.config = config
        self.optimizer = optimizer
        self.l1 = float(l1)
        self.l2 = float(l2)
        self.binary = config.n_classes == 2

    @abstractmethod
    def evaluate(self, x: np.ndarray, y: np.ndarray) -> dict[str, float]:
        """{"loss", "acc"} in evaluation mode (no dropout, BatchNorm running statistics), no update."""

    @abstractmethod
    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """Class probabilities (N, K) float64 in evaluation mode (binary: columns [1 - p, p])."""

    @abstractmethod
    def hidden_outputs(self, x: np.ndarray) -> list[np.ndarray]:
        """Evaluation mode: each hidden layer's output after its activation (N, H_l) float64, then the
        output probability: (N, 1) p(class 1) when binary, else the softmax (N, K)."""

    @abstractmethod
    def weights(self) -> list[np.ndarray]:
        """Float64 copies of every Linear layer's weight matrix, (D_in, D_out) each."""

    @abstractmethod
    def biases(self) -> list[np.ndarray]:
        """Float64 copies of every Linear layer's bias, (D_out,) each; zeros for the hidden layers of a
        batchnorm network, which have no bias (BatchNorm's beta plays its part)."""

    @abstractmethod
    def weight_grads(self) -> list[np.ndarray]:
        """Float64 copies of the gradient each Linear weight matrix received in the last step,
        (D_in, D_out): the data loss gradient plus the L1/L2 penalty gradient, i.e. what the update
        used.  Zeros before the first step."""

    def grad_norms(self) -> list[float]:
        """L2 (Frobenius) norm of each Linear layer's weight gradient from the last step
        (``visualizer.probes.gradient_norms.layer_norms``)."""
        return layer_norms(self.weight_grads())

    def layer_grad_norms(self) -> list:
        """The norms of :meth:`grad_norms` in the engine's own form, for a metric window: Python floats on
        NumPy, 0-d float64 tensors left on the device on PyTorch (no host copy)."""
        return self.grad_norms()

    def gradient_arrays(self) -> dict[str, np.ndarray]:
        """The last step's weight gradients, ``layer{i}.W`` -> (D_in, D_out) float64, i from 1: the same
        names and layouts on both engines (for "Compare engines")."""
        return {f"layer{i + 1}.W": g for i, g in enumerate(self.weight_grads())}

    def penalty(self) -> float:
        """The L1 + L2 penalty of the current weights, l1·Σ|w| + (l2/2)·Σw² over the weight matrices."""
        weights = self.weights()
        return l1_penalty(weights, self.l1) + l2_penalty(weights, self.l2)

    @abstractmethod
    def share_dropout_rng(self, rng: np.random.Generator) -> None:
        """Draw every dropout mask from ``rng`` from now on (both engines draw them with NumPy in the same
        order, so two classifiers given generators in the same state drop the same units)."""

    def _set_penalty(self, name: str, value: float) -> None:
        validate_hypers(**{name: value})
        setattr(self, name, float(value))

    @abstractmethod
    def model_state(self) -> dict[str, np.ndarray]:
        """Copies of the arrays that define the model, in its dtype: ``linear{i}.W`` (D_in, D_out),
        ``linear{i}.b`` (not for hidden layers followed by BatchNorm), and with BatchNorm
        ``bn{i}.gamma|beta|running_mean|running_var``.  The same names and layouts on both engines;
        no optimizer state (``trainer.state_dict`` has it), e.g. the weights early stopping restores."""

    @abstractmethod
    def load_model_state(self, state: dict[str, np.ndarray]) -> None:
        """Load arrays named as in ``model_state`` (from either engine), checked by
        ``visualizer.core.checkpoint.check_state`` first: raises LessonConfigError if a name is missing or
        extra, a shape differs, or a value is not finite; the model is then unchanged.  The optimizer
        state is kept."""

    # shared input checks -------------------------------------------------------------------------
    def _check_x(self, x: Any) -> np.ndarray:
        try:
            x = np.asarray(x, dtype=self.config.dtype)
        except (TypeError, ValueError):
            raise LessonConfigError("The inputs must be numbers.") from None
        if x.ndim != 2 or x.shape[1] != self.config.n_inputs:
            raise LessonConfigError(
                f"The inputs must have shape (N, {self.config.n_inputs}), got {x.shape}.")
        return x

    def _check_xy(self, x: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
        x = self._check_x(x)
        y = np.asarray(y)
        if y.shape != (x.shape[0],):
            raise LessonConfigError(f"The labels must have shape ({x.shape[0]},), got {y.shape}.")
        if y.dtype.kind not in "iu":
            raise LessonConfigError(f"The labels must be whole numbers, got dtype {y.dtype}.")
        if y.size == 0:
            raise LessonConfigError("The batch is empty.")
        k = self.config.n_classes
        lo, hi = int(y.min()), int(y.max())
        if lo < 0 or hi >= k:
            raise LessonConfigError(f"The labels must lie in 0..{k - 1}, got values from {lo} to {hi}.")
        return x, y

    def _check_train_batch(self, x: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
        x, y = self._check_xy(x, y)
        if self.config.batchnorm and x.shape[0] < 2:
            raise LessonConfigError("Batch normalisation needs training batches of at least 2 samples: "
                                    "raise the batch size or switch batch normalisation off.")
        return x, y


def _param_names(model: MLP) -> tuple[list[str], list[np.ndarray], list[np.ndarray]]:
    """Names (as ``MLP.state``), parameters and gradients of ``model``, for a NumpyTrainer."""
    names, params, grads = [], [], []
    for prefix, layers, keys in (("linear", model.linears, ("W", "b")), ("bn", model.batchnorms, ("gamma", "beta"))):
        for i, layer in enumerate(layers):
            for key, p, g in zip(keys, layer.params, layer.grads):
                names.append(f"{prefix}{i}.{key}")
                params.append(p)
                grads.append(g)
    return names, params, grads


class NumpyClassifier(Classifier):
    """``Classifier`` on the NumPy scratch engine (``visualizer.scratch``); always on the CPU.  Its
    ``trainer`` is a NumpyTrainer checkpointing ``param.linear{i}.W`` etc., the BatchNorm running statistics
    as ``state.bn{i}.running_mean|running_var`` and the optimizer's state as ``opt.main.*``."""

    engine = "numpy"
    device = "cpu"

    def __init__(self, config: MLPConfig, optimizer: str = "adam", lr: float = 1e-3, momentum: float = 0.9,
                 l1: float = 0.0, l2: float = 0.0) -> None:
        super().__init__(config, optimizer, l1, l2)
        self.model = MLP(config.n_inputs, config.hidden, 1 if self.binary else config.n_classes,
                         activation=config.activation, init=config.init, dropout=config.dropout,
                         batchnorm=config.batchnorm, dtype=config.dtype, seed=int(config.seed))
        self.opt = make_optimizer(optimizer, self.model.params, self.model.grads, lr, momentum)
        self.loss = SigmoidBinaryCrossEntropy() if self.binary else SoftmaxCrossEntropy()
        self._weights = self.model.weights         # live references, updated in place
        self._wgrads = self.model.weight_grads
        self._training: bool | None = None
        names, params, grads = _param_names(self.model)
        running = {f"bn{i}.{k}": getattr(bn, k) for i, bn in enumerate(self.model.batchnorms)
                   for k in ("running_mean", "running_var")}
        self.trainer = NumpyTrainer.from_lists(names, params, grads, self.update, optimizers={"main": self.opt},
                                               hyper={"lr": self._set_lr, "momentum": self._set_momentum,
                                                      "l1": lambda v: self._set_penalty("l1", v),
                                                      "l2": lambda v: self._set_penalty("l2", v)},
                                               extra_state=running)

    def _set_lr(self, value: float) -> None:
        validate_hypers(lr=value)
        self.opt.lr = float(value)

    def _set_momentum(self, value: float) -> None:
        validate_hypers(momentum=value)
        if hasattr(self.opt, "momentum"):
            self.opt.momentum = float(value)

    def _mode(self, train: bool) -> None:
        if self._training is not train:
            self.model.set_train(train)
            self._training = train

    def _accuracy(self, logits: np.ndarray, y: np.ndarray) -> float:
        pred = (logits[:, 0] > 0) if self.binary else logits.argmax(axis=1)
        return float(np.mean(pred == y))

    def update(self, batch: tuple[np.ndarray, np.ndarray], step: int) -> dict[str, float]:
        """The trainer's update: one step on ``batch`` = (x (B, D), y (B,)).  Returns train_loss (mean data
        cross-entropy, without the penalty) and train_acc, both measured before the update."""
        x, y = self._check_train_batch(*batch)
        self._mode(True)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            logits = self.model.forward(x)         # (N, K) or (N, 1)
            loss = self.loss.forward(logits, y)
            acc = self._accuracy(logits, y)
            self.model.backward(self.loss.backward())
            add_l1_grad(self._weights, self._wgrads, self.l1)
            add_l2_grad(self._weights, self._wgrads, self.l2)
            self.opt.step()
        return {"train_loss": loss, "train_acc": acc}

    def _logits(self, x: np.ndarray) -> np.ndarray:
        self._mode(False)
        with np.errstate(over="ignore", invalid="ignore", under="ignore"):
            return self.model.forward(x)

    def evaluate(self, x: np.ndarray, y: np.ndarray) -> dict[str, float]:
        x, y = self._check_xy(x, y)
        logits = self._logits(x)
        loss_fn = SigmoidBinaryCrossEntropy() if self.binary else SoftmaxCrossEntropy()
        with np.errstate(over="ignore", invalid="ignore", under="ignore"):
            loss = loss_fn.forward(logits, y)
        return {"loss": loss, "acc": self._accuracy(logits, y)}

    def _output_proba(self, logits: np.ndarray) -> np.ndarray:
        logits = logits.astype(np.float64)
        return sigmoid(logits) if self.binary else softmax(logits)

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        p = self._output_proba(self._logits(self._check_x(x)))
        return np.column_stack([1 - p[:, 0], p[:, 0]]) if self.binary else p

    def hidden_outputs(self, x: np.ndarray) -> list[np.ndarray]:
        x = self._check_x(x)
        self._mode(False)
        with np.errstate(over="ignore", invalid="ignore", under="ignore"):
            logits, hidden = self.model.forward_hidden(x)
        return [h.astype(np.float64) for h in hidden] + [self._output_proba(logits)]

    def weights(self) -> list[np.ndarray]:
        return [w.astype(np.float64) for w in self._weights]

    def biases(self) -> list[np.ndarray]:
        return [lin.params[1].astype(np.float64) if len(lin.params) == 2
                else np.zeros(lin.params[0].shape[1]) for lin in self.model.linears]

    def weight_grads(self) -> list[np.ndarray]:
        return [g.astype(np.float64) for g in self._wgrads]

    def share_dropout_rng(self, rng: np.random.Generator) -> None:
        for layer in self.model.layers:
            if isinstance(layer, Dropout):
                layer.rng = rng

    def model_state(self) -> dict[str, np.ndarray]:
        return {k: v.copy() for k, v in self.model.state().items()}

    def load_model_state(self, state: dict[str, np.ndarray]) -> None:
        current = self.model.state()
        checked = check_state(current, state)
        for name, ref in current.items():
            ref[...] = checked[name]               # in place: the optimizer keeps its references


def build_classifier(config: MLPConfig, engine: str = "numpy", device: str = "cpu", optimizer: str = "adam",
                     lr: float = 1e-3, momentum: float = 0.9, l1: float = 0.0, l2: float = 0.0) -> Classifier:
    """An MLP classifier on ``engine`` ("numpy" or "torch"); ``device`` ("cpu" | "cuda") matters for torch
    only, the NumPy engine always runs on the CPU.  optimizer in "sgd" | "momentum" | "nesterov" |
    "adagrad" | "rmsprop" | "adam" (update rules as ``torch.optim``); lr > 0; momentum in [0, 1) for
    "momentum"/"nesterov" (Nesterov needs momentum > 0); l1, l2 >= 0 penalty strengths on the weights.

    Both engines start from the same initial weights, drawn by the NumPy engine from ``config.seed``.
    Raises LessonConfigError for an invalid combination, or for CUDA without a usable GPU."""
    validate_config(config)
    validate_hypers(optimizer, lr=lr, momentum=momentum, l1=l1, l2=l2)
    if optimizer == "nesterov" and momentum <= 0:
        raise LessonConfigError("Nesterov momentum needs a momentum above 0.")
    if device not in ("cpu", "cuda"):
        raise LessonConfigError(f"Unknown device {device!r}: choose cpu or cuda.")
    if engine == "numpy":
        return NumpyClassifier(config, optimizer, lr, momentum, l1, l2)
    if engine == "torch":
        from visualizer.models.classifier_torch import TorchClassifier   # lazy: importing torch is slow
        return TorchClassifier(config, device, optimizer, lr, momentum, l1, l2)
    raise LessonConfigError(f"Unknown engine {engine!r}: choose one of {', '.join(ENGINES)}.")
