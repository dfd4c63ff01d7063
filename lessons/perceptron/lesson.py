"""Lesson ``perceptron``: a single-layer network for regression, binary and multiclass classification.

Follows Yoon, *Python raw-coding deep learning*, ch. 1-3 (the single-layer perceptron: abalone
regression, pulsar binary classification, steel-plate multiclass classification) with
scikit-learn's embedded diabetes, breast cancer and wine sets in their place, or a user's CSV
(``data.py``).  One Linear layer with the task's output rule and loss (``network.py``; the torch twin
in ``torch_network.py``, imported only for the torch engine), trained on mini-batches the lesson
draws from its own seeded NumPy generator, so both engines see the same batches.  Qt-free.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from lessons.perceptron import data as tabular
from lessons.perceptron.metrics import (
    classification_metrics,
    confusion_matrix,
    regression_metrics,
)
from lessons.perceptron.narrative import NARRATIVE
from lessons.perceptron.network import OPTIMIZERS, NumpyPerceptron, initial_weights
from visualizer.data.batches import EpochBatches
from visualizer.core.hyperparams import (
    BoolParam,
    ChoiceParam,
    FloatParam,
    IntParam,
    PathParam,
    TextParam,
)
from visualizer.core.lesson import Lesson, LessonConfigError, LessonInfo
from visualizer.core.plotdata import (
    BarsData,
    ImageData,
    MatrixData,
    PlotData,
    PlotSpec,
    ScatterData,
)
from lessons.perceptron import INFO

GRID = 60                 # decision-map resolution (GRID x GRID)
MAX_FEATURES = 200        # range of the feature_x / feature_y controls
MAX_POINTS = 1500         # points drawn over the decision map
AXIS_AUTO = 0
MAX_NAMED_BARS = 10       # more features: the weight bars are labelled 1..D instead of by name

PARAMS = (
    ChoiceParam("dataset", "Data set", "diabetes", tabular.DATASETS,
                tooltip="diabetes: 442 patients, 10 features, a disease-progression score (regression). "
                        "breast_cancer: 569 tumours, 30 features, malignant or benign (binary). wine: 178 wines, "
                        "13 features, three cultivars (multiclass). csv: your own file (with a header line). "
                        "All embedded: no download."),
    PathParam("csv_path", "CSV file", "", "CSV files (*.csv *.txt);;All files (*)",
              tooltip="Used when Data set is csv: a header line naming the columns, then one row per example. "
                      "Text columns are one-hot encoded; rows with empty cells are dropped."),
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

    Hyperparameters: ``PARAMS`` plus seed, engine and device.  The seed fixes the split, the initial
    weights and the batch order.  Raises LessonConfigError at build for an unusable CSV (see
    :func:`lessons.perceptron.data.load_csv`), csv without a file, a forced task the target cannot
    have, or CUDA without a GPU."""

    info = INFO
    params = PARAMS
    plots = PLOTS
    narrative = NARRATIVE
    eval_every = 10

    def __init__(self, hp, context=None) -> None:
        super().__init__(hp, context)
        table = self._load_table()
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
        self.t = 0
        W0, b0 = initial_weights(self.n_features, table.n_outputs, seed, hp["dtype"])
        if hp["engine"] == "torch":
            from lessons.perceptron.torch_network import TorchPerceptron
            self.model = TorchPerceptron(self.task, W0, b0, hp["optimizer"], hp["lr"], device=hp["device"])
        else:
            self.model = NumpyPerceptron(self.task, W0, b0, hp["optimizer"], hp["lr"])
        self.eval_every = self._eval_interval()
        self._auto_axes = tabular.most_informative_pair(table.x[s.train_idx], table.y[s.train_idx], self.task)
        self.axes = self._resolve_axes(hp["feature_x"], hp["feature_y"], strict=False)
        self.weight_class = self._resolve_class(hp["weight_class"], strict=False)
        self._raw_mean = table.x[s.train_idx].mean(axis=0)                  # (D,) the held values
        self._point_rows = self._sample_points()

    # ---- data ------------------------------------------------------------------------------------
    def _load_table(self) -> tabular.Table:
        hp = self.hp
        if hp["dataset"] == "csv":
            path = hp["csv_path"].strip()
            if not path:
                raise LessonConfigError("Data set is csv but no file is chosen: pick a CSV file with 'CSV file', "
                                        "or choose another data set.")
            table = tabular.load_csv(path, hp["target"], hp["task"])
            self.context.notice(f"Loaded {len(table.y)} rows from {table.name}: {table.x.shape[1]} input "
                                f"features, target {table.target_name} ({table.task}).")
            return table
        return tabular.apply_task(tabular.load_embedded(hp["dataset"]), hp["task"])

    def _sample_points(self) -> np.ndarray:
        """Rows of the table drawn over the decision map (all, or MAX_POINTS of them)."""
        n = len(self.table.y)
        if n <= MAX_POINTS:
            return np.arange(n)
        return np.sort(np.random.default_rng(self.hp["seed"]).choice(n, MAX_POINTS, replace=False))

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
        """Apply the learning rate, batch size, decision-map features or the weights' class.

        Raises LessonConfigError for a feature or class number the data does not have."""
        if name in ("feature_x", "feature_y"):
            fx = value if name == "feature_x" else self.hp["feature_x"]
            fy = value if name == "feature_y" else self.hp["feature_y"]
            self.axes = self._resolve_axes(fx, fy, strict=True)
        elif name == "weight_class":
            self.weight_class = self._resolve_class(value, strict=True)
        super().set_live(name, value)
        if name == "lr":
            self.model.set_lr(float(value))
        elif name == "batch_size":
            self.eval_every = self._eval_interval()

    # ---- training --------------------------------------------------------------------------------
    def _batch_size(self) -> int:
        return max(1, min(self.hp["batch_size"], len(self.split.y_train)))

    @property
    def steps_per_epoch(self) -> int:
        return math.ceil(len(self.split.y_train) / self._batch_size())

    def _eval_interval(self) -> int:
        return max(1, min(10, round(self.steps_per_epoch / 4)))

    def _next_batch(self) -> np.ndarray:
        """Indices (B,) of the next mini-batch: consecutive slices of a permutation redrawn each epoch."""
        return self.batches.next(self._batch_size())

    def _scores(self, out: np.ndarray, y: np.ndarray) -> dict[str, float]:
        """Metrics of outputs (N, K) against targets (N,): see ``metrics.py``."""
        if self.task == "regression":
            return regression_metrics(out[:, 0], y)
        return classification_metrics(self._classes(out), y, self.table.n_classes)

    def _classes(self, out: np.ndarray) -> np.ndarray:
        """Predicted class ids (N,) from outputs: P(class 1) > 0.5 for binary, argmax for multiclass."""
        if self.task == "binary":
            return (out[:, 0] > 0.5).astype(np.int64)
        return out.argmax(axis=1)

    def train_step(self) -> dict[str, float]:
        """One update.  Returns train_loss (the mini-batch loss before the update) and train_acc
        (classification) or train_rel_acc (regression) of the same batch."""
        idx = self._next_batch()
        y = self.split.y_train[idx]
        loss, out = self.model.train_step(self.split.x_train[idx], y)
        self.t += 1
        s = self._scores(out, y)
        if self.task == "regression":
            return {"train_loss": float(loss), "train_rel_acc": s["rel_acc"]}
        return {"train_loss": float(loss), "train_acc": s["acc"]}

    def evaluate(self) -> dict[str, float]:
        """Validation loss and metrics, and the whole training split's MAE and R² (regression) or F1."""
        s = self.split
        val = self._scores(self.model.predict(s.x_val), s.y_val)
        train = self._scores(self.model.predict(s.x_train), s.y_train)
        out = {"val_loss": self.model.loss(s.x_val, s.y_val)}
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

    # ---- views -----------------------------------------------------------------------------------
    def snapshot(self) -> dict[str, PlotData]:
        return {"weights": self._weights_bars(), "boundary": self._decision_map(), "results": self._results()}

    def _weights_bars(self) -> BarsData:
        W, b = self.model.weights()                                          # (D, K), (K,)
        k = self.weight_class
        names = list(self.table.feature_names)
        if len(names) > MAX_NAMED_BARS:                 # names would overlap: number them as the map's controls do
            names = [str(i + 1) for i in range(len(names))]
        if self.task == "multiclass":
            label = f"weight of {self.table.class_names[k]} (bias {b[k]:.3g})"
        else:
            label = f"weight (bias {b[0]:.3g})"
        return BarsData(names, W[:, k].copy(), label)

    def _axis_grid(self, j: int) -> np.ndarray:
        v = self.table.x[:, j]
        lo, hi = float(v.min()), float(v.max())
        pad = 0.05 * (hi - lo) if hi > lo else 0.5
        return np.linspace(lo - pad, hi + pad, GRID)

    def _decision_map(self) -> ImageData:
        """ImageData (GRID, GRID), row 0 at the bottom: the model's output over two raw features, the
        other features at their training mean.  Binary: P(positive) in [0, 1]; multiclass: predicted
        class k + 0.05 + 0.9·confidence on levels (0, K) (as in the playground); regression: ŷ."""
        ix, iy = self.axes
        gx, gy = self._axis_grid(ix), self._axis_grid(iy)
        raw = np.tile(self._raw_mean, (GRID * GRID, 1))                      # (G², D)
        mx, my = np.meshgrid(gx, gy)                                         # row 0 = smallest y
        raw[:, ix] = mx.ravel()
        raw[:, iy] = my.ravel()
        out = self.model.predict(self.split.transform(raw))                  # (G², K)
        names = self.table.feature_names
        rows = self._point_rows
        groups = np.where(np.isin(rows, self.split.val_idx), "val", "train")
        points = np.stack([self.table.x[rows, ix], self.table.x[rows, iy]], axis=1)
        extent = (float(gx[0]), float(gx[-1]), float(gy[0]), float(gy[-1]))
        if self.task == "regression":
            y_train = self.table.y[self.split.train_idx]
            med = float(np.median(y_train))
            half = float(max(np.percentile(y_train, 98) - med, med - np.percentile(y_train, 2))) or 1.0
            labels = (self.table.y[rows] >= med).astype(np.int64)
            classes = (f"below the median ({med:.4g})", f"median ({med:.4g}) or above")    # no '<': legends are HTML
            overlay = ScatterData(points, labels, groups, classes, names[ix], names[iy])
            image = out[:, 0].reshape(GRID, GRID).astype(np.float32)
            return ImageData(image, extent, (med - half, med + half), "playground", overlay, names[ix], names[iy],
                             f"predicted {self.table.target_name}")
        overlay = ScatterData(points, self.table.y[rows].copy(), groups, self.table.class_names, names[ix], names[iy])
        if self.task == "binary":
            image = out[:, 0].reshape(GRID, GRID).astype(np.float32)
            return ImageData(image, extent, (0.0, 1.0), "playground", overlay, names[ix], names[iy],
                             f"P({self.table.class_names[1]})")
        k = out.shape[1]
        conf = (out.max(axis=1) - 1.0 / k) / (1.0 - 1.0 / k)
        image = (out.argmax(axis=1) + 0.05 + 0.9 * np.clip(conf, 0.0, 1.0)).reshape(GRID, GRID).astype(np.float32)
        return ImageData(image, extent, (0.0, float(k)), f"classes{k}", overlay, names[ix], names[iy],
                         "predicted class + confidence")

    def _results(self) -> MatrixData | ScatterData:
        s = self.split
        if self.task == "regression":
            pred_t = self.model.predict(s.x_train)[:, 0]
            pred_v = self.model.predict(s.x_val)[:, 0]
            true = np.concatenate([s.y_train, s.y_val]).astype(np.float64)
            pred = np.concatenate([pred_t, pred_v])
            groups = np.array(["train"] * len(pred_t) + ["val"] * len(pred_v))
            return ScatterData(np.stack([true, pred], axis=1), np.zeros(len(true), dtype=np.int64), groups,
                               ("rows",), f"true {self.table.target_name}", "predicted")
        k = self.table.n_classes
        cm = confusion_matrix(s.y_val, self._classes(self.model.predict(s.x_val)), k).astype(np.float64)
        names = list(self.table.class_names)
        return MatrixData(cm, names, names, row_title="true", col_title="predicted", colormap="blues")

    # ---- checkpoints -----------------------------------------------------------------------------
    def checkpoint_state(self) -> dict[str, np.ndarray]:
        """The weights W (D, K) and b (K,) (the optimizer's state is not saved: it restarts)."""
        W, b = self.model.weights()
        return {"W": W, "b": b}

    def load_checkpoint_state(self, state: dict) -> None:
        W, b = self.model.weights()
        try:
            new_w, new_b = np.asarray(state["W"]), np.asarray(state["b"])
        except KeyError as e:
            raise LessonConfigError(f"The checkpoint has no {e.args[0]!r} array: it is not from this lesson.") from None
        if new_w.shape != W.shape or new_b.shape != b.shape:
            raise LessonConfigError(f"The checkpoint's weights have shape {new_w.shape}, this model's {W.shape}: "
                                    "it was saved with other data or another task.")
        self.model.load_weights(new_w, new_b)


LESSON = PerceptronLesson
