"""The single-layer perceptron on the NumPy scratch engine (Qt-free, no torch).

One Linear layer x (N, D) -> z (N, K) = x W + b, followed by the output rule of the task (Yoon,
*Python raw-coding deep learning*, ch. 1-3):

* regression: ŷ = z (K = 1), loss MSE = mean (ŷ − y)²;
* binary: p = σ(z) (K = 1), loss binary cross-entropy, computed from the logit z;
* multiclass: p = softmax(z) (K classes), loss cross-entropy, computed from the logits.

Initial weights are drawn here from the seed (normal, standard deviation ``INIT_STD``, biases 0) and
copied into the PyTorch twin (``net_torch.py``), so both engines start from the same numbers.  Each
engine's ``trainer`` (a kit NumpyTrainer / TorchTrainer) steps batches (x (B, D), y (B,)) and keeps the
step's train_loss and train_acc (classification) or train_rel_acc (regression) in its window.
"""
from __future__ import annotations

import numpy as np

from visualizer.scratch.layers import Linear, sigmoid
from visualizer.scratch.losses import (
    MSE,
    SigmoidBinaryCrossEntropy,
    SoftmaxCrossEntropy,
    softmax,
)
from lessons.perceptron.metrics import scores
from visualizer.scratch.optimizers import make_optimizer
from visualizer.scratch.trainer import NumpyTrainer

INIT_STD = 0.01
OPTIMIZERS = ("sgd", "momentum", "adam")


def step_metrics(task: str, out: np.ndarray, y: np.ndarray, n_classes: int) -> dict[str, float]:
    """A training step's score from its outputs (B, K) float64 (see ``_outputs``) and targets (B,):
    {"train_rel_acc"} for regression, {"train_acc"} for classification (``metrics.py``)."""
    if task == "regression":
        return {"train_rel_acc": scores(task, out, y, n_classes)["rel_acc"]}
    return {"train_acc": scores(task, out, y, n_classes)["acc"]}


def initial_weights(n_inputs: int, n_outputs: int, seed: int, dtype: str) -> tuple[np.ndarray, np.ndarray]:
    """W (D, K) ~ N(0, INIT_STD²) and b (K,) = 0 in ``dtype``, from ``seed`` alone."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(7,)))
    w = rng.normal(0.0, INIT_STD, size=(n_inputs, n_outputs)).astype(dtype)
    return w, np.zeros(n_outputs, dtype=dtype)


class NumpyPerceptron:
    """Single-layer perceptron on the NumPy engine.  x: (N, D) -> outputs (N, K).

    task: "regression", "binary" or "multiclass"; W0 (D, K), b0 (K,): initial weights (copied);
    optimizer: one of ``OPTIMIZERS``; n_classes: K of the classification accuracy.  ``trainer`` checkpoints
    ``param.W``, ``param.b`` and the optimizer state and sets ``lr`` live.  Raises ValueError for an unknown
    task or optimizer."""

    engine = "numpy"

    def __init__(self, task: str, W0: np.ndarray, b0: np.ndarray, optimizer: str, lr: float,
                 momentum: float = 0.9, n_classes: int = 2) -> None:
        if task not in ("regression", "binary", "multiclass"):
            raise ValueError(f"unknown task {task!r}")
        self.task = task
        self.layer = Linear(W0.copy(), b0.copy())
        self.layer.input_grad = False                  # the input is data: no dx needed
        self.dtype = W0.dtype
        self.loss_fn = {"regression": MSE, "binary": SigmoidBinaryCrossEntropy,
                        "multiclass": SoftmaxCrossEntropy}[task]()
        self.opt = make_optimizer(optimizer, self.layer.params, self.layer.grads, lr, momentum)
        self.n_classes = n_classes
        self.trainer = NumpyTrainer.from_lists(("W", "b"), self.layer.params, self.layer.grads, self.update,
                                               optimizers={"main": self.opt},
                                               hyper={"lr": lambda v: setattr(self.opt, "lr", float(v))})

    def _target(self, y: np.ndarray) -> np.ndarray:
        return y.reshape(-1, 1).astype(self.dtype) if self.task == "regression" else y

    def _outputs(self, z: np.ndarray) -> np.ndarray:
        """Logits z (N, K) -> predictions ŷ (regression), P(class 1) (binary) or probabilities (N, K), float64."""
        z = z.astype(np.float64)
        if self.task == "binary":
            return sigmoid(z)
        if self.task == "multiclass":
            return softmax(z)
        return z

    def update(self, batch: tuple[np.ndarray, np.ndarray], step: int) -> dict[str, float]:
        """The trainer's update on a mini-batch x (B, D), y (B,): train_loss (mean loss) and the score of
        :func:`step_metrics`, both before the update."""
        x, y = batch
        z = self.layer.forward(x)                      # (B, K)
        loss = self.loss_fn.forward(z, self._target(y))
        self.layer.backward(self.loss_fn.backward())
        out = self._outputs(z)
        self.opt.step()
        return {"train_loss": loss, **step_metrics(self.task, out, y, self.n_classes)}

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Outputs (N, K) float64 for x (N, D) (no caching, no update)."""
        W, b = self.layer.params
        return self._outputs(x @ W + b)

    def loss(self, x: np.ndarray, y: np.ndarray) -> float:
        """Mean loss over (x, y) with the current weights."""
        W, b = self.layer.params
        return type(self.loss_fn)().forward(x @ W + b, self._target(y))

    def weights(self) -> tuple[np.ndarray, np.ndarray]:
        """Copies of W (D, K) and b (K,) as float64."""
        return tuple(p.astype(np.float64) for p in self.layer.params)

    def gradient_arrays(self) -> dict[str, np.ndarray]:
        """∂L/∂W (D, K) and ∂L/∂b (K,) of the last training step, float64 copies."""
        return {"W": self.layer.grads[0].astype(np.float64), "b": self.layer.grads[1].astype(np.float64)}

    def load_weights(self, W: np.ndarray, b: np.ndarray) -> None:
        """Overwrite the weights in place (the optimizer keeps its references)."""
        self.layer.params[0][...] = W
        self.layer.params[1][...] = b
