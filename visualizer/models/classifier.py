"""The MLP classifier the lessons train, on either engine: the NumPy scratch engine or its PyTorch twin.

``build_classifier(MLPConfig(...), engine="numpy" | "torch", ...)`` returns a ``Classifier`` whose
methods take and return NumPy arrays and Python floats, so a lesson never touches the engine.  Given
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

from visualizer.core.lesson import LessonConfigError
from visualizer.scratch.init import INITS
from visualizer.scratch.losses import SigmoidBinaryCrossEntropy, SoftmaxCrossEntropy, softmax
from visualizer.scratch.layers import sigmoid
from visualizer.models.mlp import ACTIVATIONS, DTYPES, MLP
from visualizer.scratch.optimizers import OPTIMIZERS, make_optimizer
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
    """An MLP classifier on one engine; NumPy arrays in, NumPy arrays and Python floats out.

    Inputs: x (N, D) float (converted to the model dtype), y (N,) integer labels in [0, K).
    Bad shapes or labels raise LessonConfigError with a readable message."""

    config: MLPConfig
    engine: str
    device: str
    optimizer: str

    def __init__(self, config: MLPConfig, optimizer: str, l1: float, l2: float) -> None:
        self.config = config
        self.optimizer = optimizer
        self.l1 = float(l1)
        self.l2 = float(l2)
        self.binary = config.n_classes == 2

    @abstractmethod
    def train_step(self, x: np.ndarray, y: np.ndarray) -> dict[str, float]:
        """One update on the batch.  Returns {"loss": mean data cross-entropy, "penalty": L1 + L2 penalty
        value, "acc": batch accuracy in [0, 1]}, all measured before the update.  With batchnorm a batch
        needs at least 2 samples (else LessonConfigError)."""

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
        """Float64 copies of the gradient each Linear weight matrix received in the last train_step,
        (D_in, D_out): the data loss gradient plus the L1/L2 penalty gradient, i.e. what the update
        used.  Zeros before the first step."""

    def grad_norms(self) -> list[float]:
        """L2 (Frobenius) norm of each Linear layer's weight gradient from the last train_step."""
        return [float(np.linalg.norm(g)) for g in self.weight_grads()]

    @abstractmethod
    def set_hyper(self, **kw: float) -> None:
        """Change lr, momentum, l1 or l2; applies at the next train_step.  Momentum only affects the
        "momentum" and "nesterov" optimizers.  Raises LessonConfigError for invalid values."""

    @abstractmethod
    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of the arrays that define the model, in its dtype: ``linear{i}.W`` (D_in, D_out),
        ``linear{i}.b`` (not for hidden layers followed by BatchNorm), and with BatchNorm ``bn{i}.gamma|beta|running_mean|running_var``.  The same names
        and layouts on both engines.  Optimizer state is not included."""

    @abstractmethod
    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Load arrays named as in ``state_dict`` (from either engine).  Raises LessonConfigError if a
        name is missing or extra, a shape differs, or a value is not finite; the model is then unchanged.
        Optimizer state is kept."""

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

    def _check_state(self, current: dict[str, np.ndarray], state: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        missing = sorted(set(current) - set(state))
        extra = sorted(set(state) - set(current))
        if missing or extra:
            raise LessonConfigError(
                "The saved model does not match this network: "
                + (f"missing {', '.join(missing)}" if missing else "")
                + ("; " if missing and extra else "")
                + (f"unexpected {', '.join(extra)}" if extra else "") + ".")
        out = {}
        for name, ref in current.items():
            a = np.asarray(state[name])
            if a.shape != ref.shape:
                raise LessonConfigError(
                    f"The saved model does not match this network: {name} expected shape {ref.shape}, "
                    f"got {a.shape}.")
            if a.dtype.kind not in "fiu" or not np.all(np.isfinite(a)):
                raise LessonConfigError(f"The saved model's {name} holds values that are not finite numbers.")
            out[name] = a.astype(ref.dtype)
        return out


class NumpyClassifier(Classifier):
    """``Classifier`` on the NumPy scratch engine (``visualizer.scratch``); always on the CPU."""

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

    def _mode(self, train: bool) -> None:
        if self._training is not train:
            self.model.set_train(train)
            self._training = train

    def _accuracy(self, logits: np.ndarray, y: np.ndarray) -> float:
        pred = (logits[:, 0] > 0) if self.binary else logits.argmax(axis=1)
        return float(np.mean(pred == y))

    def train_step(self, x: np.ndarray, y: np.ndarray) -> dict[str, float]:
        x, y = self._check_train_batch(x, y)
        self._mode(True)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            logits = self.model.forward(x)         # (N, K) or (N, 1)
            loss = self.loss.forward(logits, y)
            acc = self._accuracy(logits, y)
            self.model.backward(self.loss.backward())
            penalty = l1_penalty(self._weights, self.l1) + l2_penalty(self._weights, self.l2)
            add_l1_grad(self._weights, self._wgrads, self.l1)
            add_l2_grad(self._weights, self._wgrads, self.l2)
            self.opt.step()
        return {"loss": loss, "penalty": penalty, "acc": acc}

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

    def set_hyper(self, **kw: float) -> None:
        validate_hypers(**kw)
        if "lr" in kw:
            self.opt.lr = float(kw["lr"])
        if "momentum" in kw and hasattr(self.opt, "momentum"):
            self.opt.momentum = float(kw["momentum"])
        if "l1" in kw:
            self.l1 = float(kw["l1"])
        if "l2" in kw:
            self.l2 = float(kw["l2"])

    def state_dict(self) -> dict[str, np.ndarray]:
        return {k: v.copy() for k, v in self.model.state().items()}

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        current = self.model.state()
        checked = self._check_state(current, state)
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
