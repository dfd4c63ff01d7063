"""The playground lesson: a small multilayer perceptron classifies 2-D points, TensorFlow-Playground style.

Data (``data.py``) -> chosen input features, standardized with training-split statistics ->
an MLP from :func:`visualizer.models.classifier.build_classifier` (the NumPy scratch engine or PyTorch,
same initial weights), stepped by its kit trainer on mini-batches that the lesson draws itself; the
pictures over the plane are in ``maps.py``.  Two classes use one
sigmoid output with binary cross-entropy, more classes a softmax with cross-entropy.

Sources: Buduma et al., *Fundamentals of Deep Learning* 2e, ch. 3-4 (the neural network; training
feed-forward networks); Smilkov & Carter, *TensorFlow Playground* (2016); Goodfellow, Bengio &
Courville, *Deep Learning* (2016), ch. 6-7.  Qt-free;
torch is imported only by the classifier facade when the torch engine is chosen.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from lessons.playground import INFO
from lessons.playground import data as datasets
from lessons.playground.maps import PlaneGrid, evaluate_chunks, plane_views
from lessons.playground.narrative import NARRATIVE
from visualizer.core.hyperparams import BoolParam, ChoiceParam, FloatParam, IntParam, PathParam
from visualizer.core.lesson import Lesson
from visualizer.core.plotdata import PlotData, PlotSpec, ScatterData
from visualizer.models.classifier import MLPConfig, build_classifier

MAX_HIDDEN_LAYERS = 6
MAX_NEURONS = 16
ACTIVATIONS = ("tanh", "relu", "leaky_relu", "sigmoid", "linear")
OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam")
REGULARIZATIONS = ("none", "L1", "L2")


def _feature_params() -> tuple[BoolParam, ...]:
    tips = {
        "x1": "The horizontal coordinate x₁.",
        "x2": "The vertical coordinate x₂.",
        "x1_squared": "x₁²: lets a single neuron draw boundaries symmetric in x₁ (parabolas, circles).",
        "x2_squared": "x₂²: lets a single neuron draw boundaries symmetric in x₂ (parabolas, circles).",
        "x1_times_x2": "x₁·x₂: positive in two opposite quadrants, negative in the others; solves XOR alone.",
        "sin_x1": "sin x₁: a wave along x₁ (period 2π ≈ 6.3 units); helps with the spiral.",
        "sin_x2": "sin x₂: a wave along x₂ (period 2π ≈ 6.3 units); helps with the spiral.",
    }
    return tuple(BoolParam(name, f"Input {label}", name in ("x1", "x2"), live=False,
                           tooltip=tips[name] + " Features are standardized with training-set statistics.")
                 for name, label in datasets.FEATURES)


def _neuron_params() -> tuple[IntParam, ...]:
    return tuple(IntParam(f"neurons_{k}", f"Neurons in layer {k}", 4, 1, MAX_NEURONS, live=False,
                          tooltip=f"Width of hidden layer {k}; counts only when Hidden layers ≥ {k}.")
                 for k in range(1, MAX_HIDDEN_LAYERS + 1))


PARAMS = (
    ChoiceParam("dataset", "Data set", "circle", datasets.DATASETS, live=False,
                tooltip="circle, xor, gaussians, spiral, moons, or csv: your own file of x1,x2,label rows."),
    PathParam("csv_path", "CSV file", "", "CSV files (*.csv *.txt);;All files (*)", live=False,
              tooltip="Used when Data set is csv: lines x1,x2,label (header optional, integer labels).",
              used_when=("dataset", "csv")),
    IntParam("noise", "Noise (%)", 0, 0, 50, live=False,
             tooltip="0-50 %: how far points stray from the clean pattern (labels near the boundary flip)."),
    IntParam("train_percent", "Training data (%)", 50, 10, 90, live=False,
             tooltip="Share of the points used for training; the rest is the test set."),
    IntParam("n_points", "Number of points", 500, 20, 2000, live=False,
             tooltip="Points generated for the synthetic sets (a CSV brings its own)."),
    IntParam("n_classes", "Classes", 2, 2, datasets.MAX_CLASSES, live=False,
             tooltip="2-5 classes for spiral and gaussians; the other synthetic sets have two."),
) + _feature_params() + (
    IntParam("hidden_layers", "Hidden layers", 2, 0, MAX_HIDDEN_LAYERS, live=False,
             tooltip="0 = a single output neuron (logistic or softmax regression) up to 6 hidden layers."),
) + _neuron_params() + (
    ChoiceParam("activation", "Activation", "tanh", ACTIVATIONS, live=False,
                tooltip="Hidden-layer nonlinearity. ReLU and leaky ReLU use He initialization, the others Xavier."),
    ChoiceParam("optimizer", "Optimizer", "adam", OPTIMIZERS, live=False,
                tooltip="sgd, momentum (0.9), nesterov (0.9), adagrad, rmsprop or adam."),
    FloatParam("lr", "Learning rate", 0.03, 1e-4, 10.0, log=True, live=True, decimals=4,
               tooltip="Step size of each update. Too high: the loss jumps or becomes NaN."),
    IntParam("batch_size", "Batch size", 10, 1, 64, live=True,
             tooltip="Points per update; an epoch is one pass over the training points."),
    ChoiceParam("regularization", "Regularization", "none", REGULARIZATIONS, live=True,
                tooltip="L1 adds rate·Σ|w| to the loss (drives weights to exactly 0); L2 adds rate·Σw² (shrinks them)."),
    FloatParam("reg_rate", "Regularization rate", 0.001, 1e-5, 10.0, log=True, live=True, decimals=5,
               tooltip="Strength of the L1/L2 penalty (ignored when Regularization is none)."),
)

PLOTS = (
    PlotSpec("decision", "Decision map (output)", "image", x_label="x₁", y_label="x₂",
             tooltip="The network's output over the plane with the training (●) and test (○) points. Two classes: "
                     "P(class 1) from orange (0) to blue (1). More classes: one colour band per class, from its "
                     "start (unsure) to its end (sure)."),
    PlotSpec("network", "Network", "network",
             tooltip="Inputs, hidden neurons and outputs; each node shows its output over the plane, each edge "
                     "a weight (colour = sign, thickness = magnitude)."),
    PlotSpec("loss", "Loss", "curves", series=("train_loss", "train_loss_full", "val_loss"),
             x_label="step", y_label="cross-entropy",
             tooltip="train_loss: the mini-batch of each step; train_loss_full and val_loss (the test split): the whole "
                     "training and test splits, every 25 steps."),
    PlotSpec("accuracy", "Accuracy", "curves", series=("train_acc", "train_acc_full", "val_acc"),
             x_label="step", y_label="accuracy",
             tooltip="Fraction of points classified correctly (mini-batch, whole training split, test split)."),
    PlotSpec("grad_norms", "Gradient norm per layer", "curves",
             series=tuple(f"grad_norm_{k}" for k in range(1, MAX_HIDDEN_LAYERS + 2)),
             x_label="step", y_label="‖∂L/∂W‖", log_y=True,
             tooltip="Euclidean norm of each weight matrix's gradient; grad_norm_1 is the first layer."),
)


class PlaygroundLesson(Lesson):
    """A neural network playground: an MLP of 0-6 hidden layers classifies 2-D points.

    Hyperparameters: see ``PARAMS`` (data set, noise, split, features, architecture, optimizer,
    live learning rate, batch size and L1/L2 penalty) plus seed, engine and device.  The seed fixes
    the data, the split, the initial weights and the batch order.

    Raises LessonConfigError at build for an unreadable or invalid CSV, csv chosen without a file,
    no input feature selected, or a configuration the classifier rejects (e.g. CUDA without a GPU).
    """

    info = INFO
    params = PARAMS
    plots = PLOTS
    narrative = NARRATIVE
    eval_every = 25
    engine_comparison = True

    def __init__(self, hp, context=None) -> None:
        super().__init__(hp, context)
        seed = hp["seed"]
        data_rng = np.random.default_rng(seed)
        self.data = datasets.load_points(hp, data_rng, self.context)
        self.n_classes = self.data.n_classes
        self.feature_names = tuple(n for n, _ in datasets.FEATURES if hp[n])
        raw = datasets.feature_matrix(self.data.points, self.feature_names)          # (N, F)
        self.train_idx, self.test_idx = datasets.split_indices(len(self.data), hp["train_percent"] / 100,
                                                                data_rng)
        self.standardize = datasets.Standardizer.fit(raw[self.train_idx])
        x = self.standardize(raw)                                                   # (N, F) float32
        self.x_train, self.y_train = x[self.train_idx], self.data.labels[self.train_idx]
        self.x_test, self.y_test = x[self.test_idx], self.data.labels[self.test_idx]
        self.grid = PlaneGrid.around(self.data.points, hp["dataset"] != "csv", self.feature_names, self.standardize)
        self.extent, self.grid_x = self.grid.extent, self.grid.x
        self._batch_rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1,)))
        self._order = np.zeros(0, dtype=np.int64)
        self._pos = 0
        hidden = tuple(hp[f"neurons_{k}"] for k in range(1, hp["hidden_layers"] + 1))
        activation = hp["activation"]
        config = MLPConfig(n_inputs=len(self.feature_names), hidden=hidden, n_classes=self.n_classes,
                           activation=activation, init="he" if activation in ("relu", "leaky_relu") else "xavier",
                           dtype="float32", seed=seed)
        l1, l2 = self._penalties()
        self.model = build_classifier(config, engine=hp["engine"], device=hp["device"], optimizer=hp["optimizer"],
                                      lr=hp["lr"], l1=l1, l2=l2)
        self.trainer = self.model.trainer          # applies lr (and l1, l2 below) live

    def _penalties(self) -> tuple[float, float]:
        reg, rate = self.hp["regularization"], self.hp["reg_rate"]
        return (rate if reg == "L1" else 0.0, rate if reg == "L2" else 0.0)

    # ---- training ---------------------------------------------------------------------------------
    def _batch_size(self) -> int:
        return max(1, min(self.hp["batch_size"], len(self.y_train)))

    @property
    def steps_per_epoch(self) -> int:
        """Mini-batches in one pass over the training split (the last one may be smaller)."""
        return math.ceil(len(self.y_train) / self._batch_size())

    def next_indices(self) -> np.ndarray:
        """Indices (B,) of the next mini-batch: a fresh permutation of the training split each epoch."""
        if self._pos >= len(self._order):
            self._order = self._batch_rng.permutation(len(self.y_train))
            self._pos = 0
        idx = self._order[self._pos:self._pos + self._batch_size()]
        self._pos += len(idx)
        return idx

    def next_batch(self) -> tuple[np.ndarray, np.ndarray]:
        idx = self.next_indices()
        return self.x_train[idx], self.y_train[idx]

    def train_step(self, step: int) -> None:
        """One update on a mini-batch: train_loss (cross-entropy without the penalty), train_acc and
        grad_norm_1 .. grad_norm_L (one per weight matrix, 1 = first layer; on PyTorch reduced on the device)."""
        self.trainer.step(self.next_batch(), step)
        self.trainer.record({f"grad_norm_{k}": g for k, g in enumerate(self.model.layer_grad_norms(), start=1)})

    def evaluate(self) -> dict[str, float]:
        """val_loss, val_acc on the test split and train_loss_full, train_acc_full on the whole
        training split (cross-entropy without the penalty)."""
        test = evaluate_chunks(self.model, self.x_test, self.y_test)
        train = evaluate_chunks(self.model, self.x_train, self.y_train)
        return {"val_loss": float(test["loss"]), "val_acc": float(test["acc"]),
                "train_loss_full": float(train["loss"]), "train_acc_full": float(train["acc"])}

    def set_live(self, name: str, value: Any) -> None:
        """Apply the learning rate, batch size or L1/L2 setting before the next step."""
        super().set_live(name, value)              # lr: the trainer
        if name in ("regularization", "reg_rate"):
            l1, l2 = self._penalties()
            self.trainer.set_hyper(l1=l1, l2=l2)

    def divergence_hint(self) -> str:
        return (f"The learning rate ({self.hp['lr']:g}) is too high for {self.hp['optimizer']} on this network: "
                "the weights overshot until the loss overflowed. Lower it (try a tenth) and press Reset (R).")

    # ---- views ------------------------------------------------------------------------------------
    def _overlay(self) -> ScatterData:
        groups = np.empty(len(self.data), dtype=object)
        groups[self.train_idx] = "train"
        groups[self.test_idx] = "test"
        return ScatterData(self.data.points.copy(), self.data.labels.copy(), groups.astype(str),
                           class_names=self.data.class_names, x_label="x₁", y_label="x₂")

    def snapshot(self) -> dict[str, PlotData]:
        """``decision`` and ``network`` over the plane (see ``maps.plane_views``)."""
        return plane_views(self.model, self.grid, self.data, self.feature_names, self._overlay())

    def gradient_arrays(self) -> dict[str, np.ndarray]:
        """The last step's weight gradients, ``layer{i}.W`` -> (D_in, D_out) float64 (both engines)."""
        return self.model.gradient_arrays()


LESSON = PlaygroundLesson
