"""Lesson ``perceptron``: a single-layer network for regression, binary and multiclass classification.

Follows Yoon, *Python raw-coding deep learning*, ch. 1-3 (the single-layer perceptron: abalone regression, pulsar
binary classification, steel-plate multiclass classification) with scikit-learn's embedded diabetes, breast cancer
and wine sets in their place, or a user's CSV (``data.py``). One Linear layer with the task's output rule and loss
(``net.py``; the torch twin in ``net_torch.py``, imported only for the torch engine), stepped by the engine's kit
trainer on mini-batches the lesson draws from its own seeded NumPy generator, so both engines see the same batches.
The pictures are built in ``snapshots.py``. Qt-free.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from lessons.perceptron import INFO
from lessons.perceptron import data as tabular
from lessons.perceptron.metrics import SaturationWatch, scores
from lessons.perceptron.narrative import NARRATIVE
from lessons.perceptron.net import OPTIMIZERS, NumpyPerceptron, initial_weights
from lessons.perceptron.snapshots import GRID, decision_map, results, sample_rows, weights_bars  # noqa: F401
from visualizer.core.hyperparams import BoolParam, ChoiceParam, FloatParam, IntParam, PathParam, TextParam
from visualizer.core.lesson import Lesson, LessonConfigError
from visualizer.core.plotdata import PlotData, PlotSpec
from visualizer.data.batches import EpochBatches

MAX_FEATURES = 200        # range of the feature_x / feature_y controls
MAX_POINTS = 1500         # points drawn over the decision map
AXIS_AUTO = 0

PARAMS = (
    ChoiceParam("dataset", "Data set", "diabetes", tabular.DATASETS,
                tooltip="diabetes: 442 patients, 10 features, a disease-progression score (regression). "
                        "breast_cancer: 569 tumours, 30 features, malignant or benign (binary). wine: 178 wines, "
                        "13 features, three cultivars (multiclass). csv: your own file (with a header line). "
                        "All embedded: no download."),
    PathParam("csv_path", "CSV file", "", "CSV files (*.csv *.txt);;All files (*)",
              tooltip="Used when Data set is csv: a header line naming the columns, then one row per example. "
                      "Text columns are one-hot encoded; rows with empty cells are dropped.",
              used_when=("dataset", "csv")),
    TextParam("target", "Target column(s)", "", placeholder="last column",
              tooltip="For a CSV: the name of the target column (empty = the last column), or several "
                      "comma-separated one-hot columns for a multiclass target."),
    ChoiceParam("task", "Task", "auto", tabular.TASKS,
                tooltip="auto: inferred from the target (text or a few integer values: classification; other "
                        "numbers: regression). regression: identity output + MSE. binary: sigmoid + binary "
                        "cross-entropy. multiclass: softmax + cross-entropy."),
    BoolParam("standardize", "Standardize features", True,
              tooltip="Rescale every feature to mean 0 and standard deviation 1, with statistics of the training "
                      "split only. Off: the raw numbers, whose different scales make gradient descent slow or "
                      "unstable."),
    FloatParam("val_fraction", "Validation fraction", 0.2, 0.1, 0.5, live=False, decimals=2,
               tooltip="Share of the rows held out to measure generalization (stratified by class)."),
    ChoiceParam("optimizer", "Optimizer", "sgd", OPTIMIZERS,
                tooltip="sgd: w ← w − η ∂L/∂w, as in Yoon. momentum: SGD with momentum 0.9. adam: Adam "
                        "(β₁ = 0.9, β₂ = 0.999)."),
    FloatParam("lr", "Learning rate", 0.01, 1e-5, 3.0, log=True, live=True, decimals=5,
               tooltip="Step size η of each update. Applies at the next step."),
    IntParam("batch_size", "Batch size", 10, 1, 256, live=True, log=True,
             tooltip="Rows per update (Yoon uses 10). Applies at the next step."),
    ChoiceParam("dtype", "Precision", "float32", ("float32", "float64"),
                tooltip="Floating-point type of data, weights and gradients."),
    IntParam("feature_x", "Boundary: x feature", AXIS_AUTO, 0, MAX_FEATURES, live=True,
             tooltip="Feature on the horizontal axis of the decision map (1 = the first feature; 0 = auto, "
                     "the one most related to the target)."),
    IntParam("feature_y", "Boundary: y feature", AXIS_AUTO, 0, MAX_FEATURES, live=True,
             tooltip="Feature on the vertical axis of the decision map (0 = auto, the second most related)."),
    IntParam("weight_class", "Weights of class", 1, 1, tabular.MAX_CLASSES, live=True,
             tooltip="Multiclass only: whose output neuron's weights the bars show (1 = the first class)."),
)

PLOTS = (
    PlotSpec("loss", "Loss (and MAE for regression)", "curves",
             series=("train_loss", "val_loss", "train_mae", "val_mae"), x_label="step", log_y=True,
             y_label="loss",
             tooltip="train_loss: the mini-batch loss of each step; val_loss: the validation split. The loss is "
                     "MSE for regression, cross-entropy for classification. Regression also shows the mean "
                     "absolute error |ŷ − y| of both splits (same units as the target)."),
    PlotSpec("accuracy", "Accuracy", "curves", series=("train_acc", "val_acc", "train_rel_acc", "val_rel_acc"),
             x_label="step", y_label="accuracy",
             tooltip="Classification: the share of rows classified correctly (train: the mini-batch). "
                     "Regression: Yoon's mean relative-error accuracy (ch. 1), 1 − mean(|ŷ − y| / |y|)."),
    PlotSpec("scores", "Precision / recall / F1 (or R²)", "curves",
             series=("val_precision", "val_recall", "val_f1", "train_f1", "train_r2", "val_r2"),
             x_label="step", y_label="score",
             tooltip="Binary: precision, recall and F1 of the positive class. Multiclass: their macro averages "
                     "(the plain mean over the classes). Regression: the coefficient of determination "
                     "R² = 1 − Σ(y − ŷ)² / Σ(y − ȳ)² of both splits (1 = perfect, 0 = no better than the "
                     "mean)."),
    PlotSpec("weights", "Weights", "bars", y_label="weight",
             tooltip="One bar per input feature: its weight w in z = Σ wᵢ xᵢ + b (for multiclass, the weights of "
                     "the class chosen with 'Weights of class'). With standardized inputs, long bars mark the "
                     "features the neuron relies on. Above 10 features the bars are numbered like 'Boundary: x "
                     "feature' (the feature names are on the decision map's axes)."),
    PlotSpec("boundary", "Decision map on two features", "image",
             tooltip="The model restricted to two features (the others held at their training mean), with the "
                     "training (●) and validation (■) rows on top. Binary: P(positive) from orange to blue, the "
                     "boundary at 0.5. Multiclass: one colour band per class. Regression: the predicted value; "
                     "points coloured by whether their true value is below or above the median. Points differ "
                     "in the hidden features too, so some sit on the 'wrong' side."),
    PlotSpec("results", "Validation results", "results",
             tooltip="Classification: the confusion matrix of the validation split (rows: true class, columns: "
                     "predicted). Regression: predicted against true value for every row, with the line ŷ = y."),
)


class PerceptronLesson(Lesson):
    """Single-layer perceptron: x (N, D) -> z = x W + b (N, K) -> identity / sigmoid / softmax.

    Hyperparameters: ``PARAMS`` plus seed, engine and device.  The seed fixes the split, the initial weights and
    the batch order.  Raises LessonConfigError at build for an unusable CSV (see ``data.load_csv``), csv without a
    file, a forced task the target cannot have, or CUDA without a GPU."""

    info = INFO
    params = PARAMS
    plots = PLOTS
    narrative = NARRATIVE
    eval_every = 10
    engine_comparison = True

    def __init__(self, hp, context=None) -> None:
        super().__init__(hp, context)
        table = tabular.load_table(hp, self.context)
        for note in table.notes:
            self.context.notice(note)
        seed = hp["seed"]
        self.table = table
        self.task = table.task
        self.split = tabular.split_table(table, hp["val_fraction"], np.random.default_rng(seed), hp["standardize"],
                                         hp["dtype"])
        s = self.split
        self.n_features = table.x.shape[1]
        self.rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1,)))
        self.batches = EpochBatches(len(self.split.y_train), self.rng, lazy=True)
        W0, b0 = initial_weights(self.n_features, table.n_outputs, seed, hp["dtype"])
        if hp["engine"] == "torch":
            from lessons.perceptron.net_torch import TorchPerceptron
            self.model = TorchPerceptron(self.task, W0, b0, hp["optimizer"], hp["lr"], device=hp["device"])
        else:
            self.model = NumpyPerceptron(self.task, W0, b0, hp["optimizer"], hp["lr"], n_classes=table.n_classes)
        self.trainer = self.model.trainer          # applies lr live; checkpoints W, b and the optimizer state
        self.eval_every = self._eval_interval()
        self._auto_axes = tabular.most_informative_pair(table.x[s.train_idx], table.y[s.train_idx], self.task)
        self.axes = self._resolve_axes(hp["feature_x"], hp["feature_y"], strict=False)
        self.weight_class = self._resolve_class(hp["weight_class"], strict=False)
        self._raw_mean = table.x[s.train_idx].mean(axis=0)                  # (D,) the held values
        self._point_rows = sample_rows(len(table.y), MAX_POINTS, seed)      # drawn over the decision map
        self.saturation = SaturationWatch(self.context.notice)               # tells once a run

    # ---- live settings ---------------------------------------------------------------------------
    def _resolve_axes(self, fx: int, fy: int, strict: bool) -> tuple[int, int]:
        """0-based feature indices of the decision map.  strict (a live change): raise LessonConfigError
        for an index beyond the features or two equal features; at build: fall back to auto."""
        d = self.n_features
        if d == 1:
            return 0, 0
        ax, ay = self._auto_axes
        bad = [v for v in (fx, fy) if v > d]
        if bad:
            if strict:
                raise LessonConfigError(f"This data has {d} input features: choose 1 to {d}, or 0 for auto.")
            self.context.notice(f"This data has {d} input features; the decision map uses the automatic choice.")
            return ax, ay
        x = fx - 1 if fx else None
        y = fy - 1 if fy else None
        if x is not None and x == y:
            if strict:
                raise LessonConfigError("The x and y features of the decision map are the same: choose two "
                                        "different features.")
            y = None
        if x is None:
            x = ax if ax != y else ay
        if y is None:
            y = ay if ay != x else ax
        return x, y

    def _resolve_class(self, k: int, strict: bool) -> int:
        n_out = self.table.n_outputs
        if k > n_out and self.task == "multiclass":
            if strict:
                raise LessonConfigError(f"This data has {n_out} classes: choose 1 to {n_out}.")
            return 0
        return min(k, n_out) - 1

    def set_live(self, name: str, value: Any) -> None:
        """Apply the learning rate, batch size, decision-map features or the weights' class.  Raises
        LessonConfigError for a feature or class number the data does not have."""
        if name in ("feature_x", "feature_y"):
            fx = value if name == "feature_x" else self.hp["feature_x"]
            fy = value if name == "feature_y" else self.hp["feature_y"]
            self.axes = self._resolve_axes(fx, fy, strict=True)
        elif name == "weight_class":
            self.weight_class = self._resolve_class(value, strict=True)
        super().set_live(name, value)              # lr: the trainer
        if name == "batch_size":
            self.eval_every = self._eval_interval()

    # ---- training --------------------------------------------------------------------------------
    def _batch_size(self) -> int:
        return max(1, min(self.hp["batch_size"], len(self.split.y_train)))

    @property
    def steps_per_epoch(self) -> int:
        return math.ceil(len(self.split.y_train) / self._batch_size())

    def _eval_interval(self) -> int:
        return max(1, min(10, round(self.steps_per_epoch / 4)))

    def next_indices(self) -> np.ndarray:
        """Indices (B,) of the next mini-batch: consecutive slices of a permutation redrawn each epoch."""
        return self.batches.next(self._batch_size())

    def next_batch(self) -> tuple[np.ndarray, np.ndarray]:
        """Rows x (B, D) and targets y (B,): the trainer's step records train_loss (before the update) and
        train_acc (classification) or train_rel_acc (regression) of the same batch."""
        idx = self.next_indices()
        return self.split.x_train[idx], self.split.y_train[idx]

    def evaluate(self) -> dict[str, float]:
        """Validation loss and metrics, and the whole training split's MAE and R² (regression) or F1."""
        s = self.split
        k = self.table.n_classes
        val = scores(self.task, self.model.predict(s.x_val), s.y_val, k)
        train = scores(self.task, self.model.predict(s.x_train), s.y_train, k)
        out = {"val_loss": self.model.loss(s.x_val, s.y_val)}
        self.saturation.check(self.task, s.x_val, s.y_val, *self.model.weights())
        if self.task == "regression":
            out.update(val_rel_acc=val["rel_acc"], val_mae=val["mae"], val_r2=val["r2"],
                       train_mae=train["mae"], train_r2=train["r2"])
        else:
            out.update(val_acc=val["acc"], val_precision=val["precision"], val_recall=val["recall"],
                       val_f1=val["f1"], train_f1=train["f1"])
        return {k: float(v) for k, v in out.items()}

    def gradient_arrays(self) -> dict[str, np.ndarray]:
        """∂L/∂W (D, K) and ∂L/∂b (K,) of the last step, float64 copies (same keys on both engines)."""
        return self.model.gradient_arrays()

    def divergence_hint(self) -> str:
        if not self.hp["standardize"]:
            return (f"With raw features on different scales, the learning rate ({self.hp['lr']:g}) is too high for "
                    "the largest of them: the weights overshot until the loss overflowed. Turn on 'Standardize "
                    "features' or lower the learning rate, and press Reset (R).")
        return super().divergence_hint()

    def snapshot(self) -> dict[str, PlotData]:
        return {"weights": weights_bars(self), "boundary": decision_map(self), "results": results(self)}

LESSON = PerceptronLesson
