"""Lesson ``mlp_digits``: a multilayer perceptron classifies handwritten digits (Qt-free).

The model is the shared MLP classifier (softmax + cross-entropy over 10 classes) on the NumPy
scratch engine or PyTorch; the data is scikit-learn's embedded 8×8 digits, or MNIST / Fashion-MNIST
downloaded once and cached (offline: a notice and the embedded digits).  Follows Chollet, *Deep
Learning with Python* 2e, ch. 2 (a first dense network on MNIST), with background from Goodfellow,
Bengio & Courville, *Deep Learning* (2016), ch. 6-7; the data is LeCun et al. (1998) and Xiao et
al. (2017).
"""
from __future__ import annotations

import math

import numpy as np

from lessons.mlp_digits import INFO
from lessons.mlp_digits.narrative import NARRATIVE
from visualizer.core.hyperparams import BoolParam, ChoiceParam, FloatParam, IntParam
from visualizer.core.lesson import Lesson
from visualizer.core.plotdata import ImageGridData, MatrixData, PlotData, PlotSpec
from visualizer.data.batches import EpochBatches
from visualizer.data.digits import load_digits_split
from visualizer.data.fallback import load_with_fallback
from visualizer.data.mnist import SOURCES, load_idx_split
from visualizer.data.split import DataSplit
from visualizer.models.classifier import MLPConfig, build_classifier
from visualizer.probes.histograms import HistogramHistory

DATASETS = ("digits", "mnist", "fashion_mnist")
MAX_WEIGHT_TILES = 64
MAX_MISCLASSIFIED = 24


class DigitsMLP(Lesson):
    """An MLP on handwritten digits: x (N, D) pixels in [0, 1] -> logits (N, 10) -> softmax."""

    info = INFO
    params = (
        ChoiceParam("dataset", "Data set", "digits", DATASETS,
                    tooltip="digits: 1,797 embedded 8×8 images (no download). mnist / fashion_mnist: 28×28 "
                            "images, downloaded once (about 30 MB) and cached; offline, the embedded digits."),
        IntParam("hidden_layers", "Hidden layers", 1, 1, 3, tooltip="Number of hidden layers."),
        IntParam("hidden_units", "Units per layer", 128, 16, 512, log=True,
                 tooltip="Neurons in each hidden layer."),
        ChoiceParam("activation", "Activation", "relu", ("relu", "leaky_relu", "sigmoid", "tanh", "linear"),
                    tooltip="The nonlinearity after each hidden layer. 'linear' makes the whole network a "
                            "linear classifier."),
        ChoiceParam("init", "Initialization", "he", ("he", "xavier"),
                    tooltip="He: variance 2/fan_in (for ReLU). Xavier: variance 2/(fan_in + fan_out) "
                            "(for tanh and sigmoid)."),
        FloatParam("dropout", "Dropout", 0.0, 0.0, 0.5, live=False, decimals=2,
                   tooltip="Probability of zeroing each hidden unit during training (inverted dropout)."),
        BoolParam("batchnorm", "Batch normalization", False,
                  tooltip="Normalize each hidden layer's pre-activations over the mini-batch."),
        ChoiceParam("optimizer", "Optimizer", "adam", ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"),
                    tooltip="The update rule. Changing it restarts training (its state is per rule)."),
        FloatParam("lr", "Learning rate", 3e-3, 1e-5, 1.0, log=True, live=True, decimals=5,
                   tooltip="Step size of each update. Applies at the next step."),
        FloatParam("momentum", "Momentum", 0.9, 0.0, 0.99, live=True, decimals=3,
                   tooltip="For the momentum and Nesterov optimizers: the share of the previous update kept "
                           "at each step."),
        FloatParam("l2", "L2 penalty", 0.0, 0.0, 0.01, live=True, decimals=5,
                   tooltip="Adds (λ/2)·Σw² over the weight matrices to the loss (gradient λ·w). 0 turns it off. "
                           "Applies at the next step."),
        IntParam("batch_size", "Batch size", 32, 1, 512, live=True, log=True,
                 tooltip="Images per update. Applies at the next step."),
        ChoiceParam("dtype", "Precision", "float32", ("float32", "float64"),
                    tooltip="Floating-point type of data, weights and gradients."),
        FloatParam("val_fraction", "Validation fraction", 0.2, 0.1, 0.5, live=False, decimals=2,
                   tooltip="Share of the images held out to measure generalization (for MNIST taken from "
                           "its official test set)."),
        IntParam("max_train", "Training images (MNIST)", 10_000, 1_000, 60_000, log=True,
                 tooltip="How many of the 60,000 MNIST / Fashion-MNIST training images to use (fewer is "
                         "faster). Not used for the 8×8 digits."),
        IntParam("histogram_layer", "Histogram layer", 1, 1, 4, live=True,
                 tooltip="Which weight layer the histograms show (1 = first; the last is the output layer)."),
    )
    plots = (
        PlotSpec("loss", "Loss", "curves", series=("train_loss", "val_loss"), x_label="step",
                 y_label="cross-entropy", log_y=True, tooltip="Mean cross-entropy of each mini-batch and of "
                 "the validation set."),
        PlotSpec("accuracy", "Accuracy", "curves", series=("train_acc", "val_acc"), x_label="step",
                 y_label="accuracy", tooltip="Share of correctly classified images."),
        PlotSpec("confusion", "Confusion matrix (validation)", "matrix",
                 tooltip="Rows: the true class; columns: the predicted class. The diagonal is correct."),
        PlotSpec("weights", "First-layer weights", "image_grid",
                 tooltip="Each tile is one hidden unit's weights over the input pixels (red positive, blue "
                         "negative): the pattern that excites it."),
        PlotSpec("misclassified", "Misclassified (validation)", "image_grid",
                 tooltip="Validation images the network gets wrong, with its prediction and the truth."),
        PlotSpec("weight_hist", "Weight histogram over time", "image", x_label="step", y_label="weight",
                 tooltip="Distribution of the chosen layer's weights at each recorded step (brighter: more)."),
        PlotSpec("grad_hist", "Gradient histogram over time", "image", x_label="step", y_label="dL/dW",
                 tooltip="Distribution of the chosen layer's weight gradients (last mini-batch) over time."),
    )
    narrative = NARRATIVE
    eval_every = 10
    engine_comparison = True

    def __init__(self, hp, context=None) -> None:
        super().__init__(hp, context)
        self.data = self._load_data()
        n_train = len(self.data.y_train)
        self.rng = np.random.default_rng(hp["seed"])
        self.batches = EpochBatches(n_train, self.rng)
        self.step = 0                        # the session's step number of the last update
        config = MLPConfig(
            n_inputs=self.data.n_features, hidden=(hp["hidden_units"],) * hp["hidden_layers"],
            n_classes=self.data.n_classes, activation=hp["activation"], init=hp["init"],
            dropout=hp["dropout"], batchnorm=hp["batchnorm"], dtype=hp["dtype"], seed=hp["seed"])
        self.model = build_classifier(config, engine=hp["engine"], device=hp["device"], optimizer=hp["optimizer"],
                                      lr=hp["lr"], momentum=hp["momentum"], l2=hp["l2"])
        self.trainer = self.model.trainer    # applies lr, momentum and l2 live
        self.n_layers = hp["hidden_layers"] + 1
        self.eval_every = self._eval_interval()
        self._pred_cache: tuple[int, np.ndarray] | None = None
        self.weight_hist = HistogramHistory(seed=hp["seed"])
        self.grad_hist = HistogramHistory(seed=hp["seed"] + 1)
        self.hist_layer = self._clamp_layer(hp["histogram_layer"], notify=False)
        self.weight_hist.record(0, self.model.weights()[self.hist_layer - 1])

    # ---- data ------------------------------------------------------------------------------------
    def _load_data(self) -> DataSplit:
        hp = self.hp

        def digits() -> DataSplit:
            return load_digits_split(hp["val_fraction"], hp["seed"], hp["dtype"])

        name = hp["dataset"]
        if name == "digits":
            return digits()
        return load_with_fallback(
            self.context, lambda: load_idx_split(name, hp["val_fraction"], hp["seed"], hp["dtype"], hp["max_train"],
                                                 progress=self.context.progress),
            digits, what=SOURCES[name].title, instead="the embedded 8×8 digits", param="dataset")

    @property
    def steps_per_epoch(self) -> int:
        return math.ceil(len(self.data.y_train) / self.hp["batch_size"])

    def _eval_interval(self) -> int:
        return max(1, round(self.steps_per_epoch / 4))

    def next_indices(self) -> np.ndarray:
        """Indices of the next mini-batch (B,): consecutive slices of a permutation redrawn each epoch."""
        return self.batches.next(self.hp["batch_size"])

    # ---- training --------------------------------------------------------------------------------
    def next_batch(self) -> tuple[np.ndarray, np.ndarray]:
        idx = self.next_indices()
        return self.data.x_train[idx], self.data.y_train[idx]

    def train_step(self, step: int) -> None:
        self.step = step
        self.trainer.step(self.next_batch(), step)

    def flush(self) -> dict[str, float]:
        """The trainer's metrics; the histograms read the chosen layer here, at the flush rate (after every
        step on the CPU, at the redraw rate on a GPU), so no step waits for a copy to the host."""
        metrics = super().flush()
        if self.weight_hist.due(self.step):
            layer = self.hist_layer - 1
            self.weight_hist.record(self.step, self.model.weights()[layer])
            self.grad_hist.record(self.step, self.model.weight_grads()[layer])
        return metrics

    def evaluate(self) -> dict[str, float]:
        out = self.model.evaluate(self.data.x_val, self.data.y_val)
        return {"val_loss": float(out["loss"]), "val_acc": float(out["acc"])}

    def set_live(self, name, value) -> None:
        super().set_live(name, value)                  # lr, momentum, l2: the trainer
        if name == "batch_size":
            self.eval_every = self._eval_interval()
        elif name == "histogram_layer":
            layer = self._clamp_layer(value, notify=True)
            if layer != self.hist_layer:
                self.hist_layer = layer
                self.weight_hist.clear()
                self.grad_hist.clear()
                self.weight_hist.record(self.step, self.model.weights()[layer - 1])

    def _clamp_layer(self, layer: int, notify: bool) -> int:
        if layer > self.n_layers:
            if notify:
                self.context.notice(f"This network has {self.n_layers} weight layers: the histograms show "
                                    f"layer {self.n_layers} (the output layer).")
            return self.n_layers
        return layer

    # ---- views -----------------------------------------------------------------------------------
    def _val_predictions(self) -> np.ndarray:
        """Predicted class of every validation image (M,) int64, cached per training step."""
        if self._pred_cache is None or self._pred_cache[0] != self.step:
            proba = self.model.predict_proba(self.data.x_val)                      # (M, K)
            self._pred_cache = (self.step, np.argmax(proba, axis=1))
        return self._pred_cache[1]

    def _caption_name(self, k: int) -> str:
        return self.data.class_names[int(k)]

    def snapshot(self) -> dict[str, PlotData]:
        d = self.data
        h, w = d.image_shape
        k = d.n_classes
        pred = self._val_predictions()
        true = d.y_val
        confusion = np.bincount(true * k + pred, minlength=k * k).reshape(k, k).astype(np.float64)  # (K, K)
        names = list(d.class_names)

        w0 = self.model.weights()[0]                                               # (D, H1)
        n_tiles = min(MAX_WEIGHT_TILES, w0.shape[1])
        tiles = w0[:, :n_tiles].T.reshape(n_tiles, h, w).astype(np.float32)        # (n, H, W)
        m = float(np.abs(tiles).max()) or 1.0

        wrong = np.flatnonzero(pred != true)[:MAX_MISCLASSIFIED]
        wrong_images = d.x_val[wrong].reshape(len(wrong), h, w).astype(np.float32)  # (n, H, W)
        captions = [f"pred {self._caption_name(pred[i])} / true {self._caption_name(true[i])}" for i in wrong]

        layer = f"layer {self.hist_layer}"
        return {
            "confusion": MatrixData(confusion, names, names, row_title="true", col_title="predicted"),
            "weights": ImageGridData(tiles, [f"unit {j + 1}" for j in range(n_tiles)], (-m, m), "CET-D1",
                                     ncols=8),
            "misclassified": ImageGridData(wrong_images, captions, (0.0, 1.0), "gray", ncols=6),
            "weight_hist": self.weight_hist.image(f"{layer} weight"),
            "grad_hist": self.grad_hist.image(f"{layer} dL/dW"),
        }

    def gradient_arrays(self) -> dict[str, np.ndarray]:
        """The last step's weight gradients, ``layer{i}.W`` -> (D_in, D_out) float64 (both engines)."""
        return self.model.gradient_arrays()

    def load_checkpoint_state(self, state: dict[str, np.ndarray]) -> None:
        super().load_checkpoint_state(state)          # weights and optimizer state, checked, atomic
        self._pred_cache = None

    def close(self) -> None:
        super().close()
        self._pred_cache = None


LESSON = DigitsMLP
