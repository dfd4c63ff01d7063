"""The playground lesson: a small multilayer perceptron classifies 2-D points, TensorFlow-Playground style.

Data (``datasets.py``) -> chosen input features, standardized with training-split statistics ->
an MLP from :func:`visualizer.models.classifier.build_classifier` (the NumPy scratch engine or PyTorch,
same initial weights) trained on mini-batches that the lesson draws itself.  Two classes use one
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

from lessons.playground import datasets
from lessons.playground.narrative import NARRATIVE
from visualizer.core.hyperparams import BoolParam, ChoiceParam, FloatParam, IntParam, PathParam
from visualizer.core.lesson import Lesson, LessonConfigError, LessonInfo
from visualizer.core.plotdata import ImageData, NetworkData, PlotData, PlotSpec, ScatterData
from lessons.playground import INFO

MAX_HIDDEN_LAYERS = 6
MAX_NEURONS = 16
GRID = 80               # decision map resolution (GRID x GRID)
NODE_GRID = 20          # per-neuron map resolution, sampled from the same grid
CHUNK = 1024            # rows per forward pass outside training; see PlaygroundLesson._forward_chunks
ACTIVATIONS = ("tanh", "relu", "leaky_relu", "sigmoid", "linear")
OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam")
REGULARIZATIONS = ("none", "L1", "L2")
BINARY_COLORMAP = "playground"  # the UI's orange (class 0) - grey (P = 0.5) - blue (class 1), as the points
MULTICLASS_COLORMAP = "classes{k}"   # one band per class in the class colours (the UI's banded map)


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
              tooltip="Used when Data set is csv: lines x1,x2,label (header optional, integer labels)."),
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
    PlotSpec("loss", "Loss", "curves", series=("train_loss", "train_loss_full", "test_loss"),
             x_label="step", y_label="cross-entropy",
             tooltip="train_loss: the mini-batch of each step; train_loss_full and test_loss: the whole "
                     "training and test splits, every 25 steps."),
    PlotSpec("accuracy", "Accuracy", "curves", series=("train_acc", "train_acc_full", "test_acc"),
             x_label="step", y_label="accuracy",
             tooltip="Fraction of points classified correctly (mini-batch, whole training split, test split)."),
    PlotSpec("grad_norms", "Gradient norm per layer", "curves",
             series=tuple(f"grad_norm_{k}" for k in range(1, MAX_HIDDEN_LAYERS + 2)),
             x_label="step", y_label="‖∂L/∂W‖", log_y=True,
             tooltip="Euclidean norm of each weight matrix's gradient; grad_norm_1 is the first layer."),
)


def _fit_unit_range(maps: np.ndarray) -> np.ndarray:
    """Divide each map (n, H, W) by its largest |value| when that exceeds 1, so all lie in [-1, 1]."""
    with np.errstate(invalid="ignore"):              # a diverged network's NaN maps stay NaN
        peak = np.abs(maps).reshape(len(maps), -1).max(axis=1) if len(maps) else np.zeros(0)
        scale = np.where(peak > 1.0, peak, 1.0)
        return (maps / scale[:, None, None]).astype(np.float32)


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

    def __init__(self, hp, context=None) -> None:
        super().__init__(hp, context)
        seed = hp["seed"]
        data_rng = np.random.default_rng(seed)
        self.data = self._load_points(hp, data_rng)
        self.n_classes = self.data.n_classes
        self.feature_names = tuple(n for n, _ in datasets.FEATURES if hp[n])
        raw = datasets.feature_matrix(self.data.points, self.feature_names)          # (N, F)
        self.train_idx, self.test_idx = datasets.split_indices(len(self.data), hp["train_percent"] / 100,
                                                                data_rng)
        self.standardize = datasets.Standardizer.fit(raw[self.train_idx])
        x = self.standardize(raw)                                                   # (N, F) float32
        self.x_train, self.y_train = x[self.train_idx], self.data.labels[self.train_idx]
        self.x_test, self.y_test = x[self.test_idx], self.data.labels[self.test_idx]
        self._build_grid()
        self._batch_rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1,)))
        self._order = np.zeros(0, dtype=np.int64)
        self._pos = 0
        self.model = self._build_model(hp)

    # ---- building ---------------------------------------------------------------------------------
    def _load_points(self, hp, rng: np.random.Generator) -> datasets.PointSet:
        name = hp["dataset"]
        if name == "csv":
            path = hp["csv_path"].strip()
            if not path:
                raise LessonConfigError("Data set is csv but no file is chosen: pick a CSV file of x1,x2,label "
                                        "lines with 'CSV file', or choose another data set.")
            points = datasets.load_points_csv(path)
            self.context.notice(f"Loaded {len(points)} points of {points.n_classes} classes from {path}.")
            return points
        k = hp["n_classes"]
        if name not in datasets.MULTICLASS and k != 2:
            self.context.notice(f"The {name} data set has two classes; 'Classes' = {k} applies to spiral and "
                                "gaussians only.")
        return datasets.make_dataset(name, hp["n_points"], hp["noise"] / 100, rng,
                                     k if name in datasets.MULTICLASS else 2)

    def _build_grid(self) -> None:
        pts = self.data.points
        lo, hi = pts.min(axis=0), pts.max(axis=0)
        pad = np.maximum(0.1 * (hi - lo), 0.5)
        lo, hi = lo - pad, hi + pad
        if self.hp["dataset"] != "csv":                  # the synthetic sets live in [-6, 6]²
            lo, hi = np.minimum(lo, -6.0), np.maximum(hi, 6.0)
        self.extent = (float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1]))
        gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], GRID), np.linspace(lo[1], hi[1], GRID))
        grid_points = np.stack([gx.ravel(), gy.ravel()], axis=1)                       # (G², 2), row 0 = y min
        self.grid_x = self.standardize(datasets.feature_matrix(grid_points, self.feature_names))
        sub = np.round(np.linspace(0, GRID - 1, NODE_GRID)).astype(np.int64)
        self._node_idx = (sub[:, None] * GRID + sub[None, :]).ravel()                  # (NODE_GRID²,)

    def _penalties(self) -> tuple[float, float]:
        reg, rate = self.hp["regularization"], self.hp["reg_rate"]
        return (rate if reg == "L1" else 0.0, rate if reg == "L2" else 0.0)

    def _build_model(self, hp):
        from visualizer.models.classifier import MLPConfig, build_classifier

        hidden = tuple(hp[f"neurons_{k}"] for k in range(1, hp["hidden_layers"] + 1))
        activation = hp["activation"]
        config = MLPConfig(n_inputs=len(self.feature_names), hidden=hidden, n_classes=self.n_classes,
                           activation=activation, init="he" if activation in ("relu", "leaky_relu") else "xavier",
                           dtype="float32", seed=hp["seed"])
        l1, l2 = self._penalties()
        return build_classifier(config, engine=hp["engine"], device=hp["device"], optimizer=hp["optimizer"],
                                lr=hp["lr"], l1=l1, l2=l2)

    # ---- training ---------------------------------------------------------------------------------
    def _batch_size(self) -> int:
        return max(1, min(self.hp["batch_size"], len(self.y_train)))

    @property
    def steps_per_epoch(self) -> int:
        """Mini-batches in one pass over the training split (the last one may be smaller)."""
        return math.ceil(len(self.y_train) / self._batch_size())

    def _next_batch(self) -> np.ndarray:
        """Indices (B,) of the next mini-batch: a fresh permutation of the training split each epoch."""
        if self._pos >= len(self._order):
            self._order = self._batch_rng.permutation(len(self.y_train))
            self._pos = 0
        idx = self._order[self._pos:self._pos + self._batch_size()]
        self._pos += len(idx)
        return idx

    def train_step(self) -> dict[str, float]:
        """One update on a mini-batch: train_loss (cross-entropy without the penalty), train_acc and
        grad_norm_1 .. grad_norm_L (one per weight matrix, 1 = first layer)."""
        idx = self._next_batch()
        out = self.model.train_step(self.x_train[idx], self.y_train[idx])
        metrics = {"train_loss": float(out["loss"]), "train_acc": float(out["acc"])}
        for k, g in enumerate(self.model.grad_norms(), start=1):
            metrics[f"grad_norm_{k}"] = float(g)
        return metrics

    def _evaluate(self, x: np.ndarray, y: np.ndarray) -> dict[str, float]:
        """The classifier's mean loss and accuracy over (x, y), computed in chunks of CHUNK rows."""
        loss = acc = 0.0
        for i in range(0, len(y), CHUNK):
            part = self.model.evaluate(x[i:i + CHUNK], y[i:i + CHUNK])
            w = len(y[i:i + CHUNK]) / len(y)
            loss += w * part["loss"]
            acc += w * part["acc"]
        return {"loss": loss, "acc": acc}

    def _forward_chunks(self, x: np.ndarray) -> list[np.ndarray]:
        """``hidden_outputs`` over x (N, F) in chunks of CHUNK rows, concatenated.

        Why chunks: on the 2-core machine OpenBLAS multithreads a float32 product of 2,048 x 16 by
        16 x 16 or more, and waking its threads between training steps cost 8-12 ms per product,
        against 0.02 ms for 1,024 rows (measured); chunking keeps the 80 x 80 grid at a few ms."""
        parts = [self.model.hidden_outputs(x[i:i + CHUNK]) for i in range(0, len(x), CHUNK)]
        return [np.concatenate(layer) for layer in zip(*parts)]

    def evaluate(self) -> dict[str, float]:
        """test_loss, test_acc on the test split and train_loss_full, train_acc_full on the whole
        training split (cross-entropy without the penalty)."""
        test = self._evaluate(self.x_test, self.y_test)
        train = self._evaluate(self.x_train, self.y_train)
        return {"test_loss": float(test["loss"]), "test_acc": float(test["acc"]),
                "train_loss_full": float(train["loss"]), "train_acc_full": float(train["acc"])}

    def set_live(self, name: str, value: Any) -> None:
        """Apply the learning rate, batch size or L1/L2 setting before the next step."""
        super().set_live(name, value)
        if name == "lr":
            self.model.set_hyper(lr=float(value))
        elif name in ("regularization", "reg_rate"):
            l1, l2 = self._penalties()
            self.model.set_hyper(l1=l1, l2=l2)

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
        """``decision``: ImageData (GRID, GRID), row 0 at the bottom, over ``extent``.  Two classes: the
        value is P(class 1) in [0, 1] on a diverging map (0.5 = white = the boundary).  K >= 3 classes:
        the value is k + 0.05 + 0.9·c for the predicted class k, with confidence
        c = (p_max - 1/K) / (1 - 1/K) in [0, 1], levels (0, K): class k owns the colour band [k, k+1] and
        moves from the band's start (c = 0, a toss-up) to its end (c = 1, certain).

        ``network``: NetworkData with per-node maps (n, NODE_GRID, NODE_GRID), row 0 at the bottom,
        in [-1, 1]: inputs are the standardized features, hidden nodes their activations, each divided
        by its largest |value| if that exceeds 1; outputs show 2p - 1 (p = the class probability, so
        0 = undecided).  All from one forward pass over the grid."""
        outputs = self._forward_chunks(self.grid_x)                 # hidden (G², H_l) ..., output prob
        prob = np.asarray(outputs[-1], dtype=np.float64)
        k = self.n_classes
        if k == 2:
            p1 = prob[:, -1]
            image = p1.reshape(GRID, GRID).astype(np.float32)
            decision = ImageData(image, self.extent, (0.0, 1.0), BINARY_COLORMAP, self._overlay(),
                                 "x₁", "x₂", f"P(class {self.data.class_names[1]})")
            out_maps = (2.0 * p1 - 1.0)[:, None]                     # (G², 1)
        else:
            pred = prob.argmax(axis=1)
            conf = (prob.max(axis=1) - 1.0 / k) / (1.0 - 1.0 / k)
            image = (pred + 0.05 + 0.9 * np.clip(conf, 0.0, 1.0)).reshape(GRID, GRID).astype(np.float32)
            decision = ImageData(image, self.extent, (0.0, float(k)), MULTICLASS_COLORMAP.format(k=k), self._overlay(),
                                 "x₁", "x₂", "predicted class + confidence")
            out_maps = 2.0 * prob - 1.0                              # (G², K)

        def maps(a: np.ndarray) -> np.ndarray:                       # (G², n) -> (n, NODE_GRID, NODE_GRID)
            sub = np.asarray(a, dtype=np.float64)[self._node_idx]
            return sub.T.reshape(-1, NODE_GRID, NODE_GRID)

        node_images = [_fit_unit_range(maps(self.grid_x))]
        node_images += [_fit_unit_range(maps(h)) for h in outputs[:-1]]
        node_images.append(maps(out_maps).astype(np.float32))
        hidden_sizes = [h.shape[1] for h in outputs[:-1]]
        n_out = 1 if k == 2 else k
        labels = [[label for name, label in datasets.FEATURES if name in self.feature_names]]
        labels += [[f"h{l}.{j + 1}" for j in range(n)] for l, n in enumerate(hidden_sizes, start=1)]
        labels.append([f"P({self.data.class_names[1]})"] if k == 2 else
                      [f"P({c})" for c in self.data.class_names])
        network = NetworkData([len(self.feature_names)] + hidden_sizes + [n_out],
                              [np.array(w, dtype=np.float64) for w in self.model.weights()],
                              node_images, labels, (-1.0, 1.0))
        return {"decision": decision, "network": network}

    def gradient_arrays(self) -> dict[str, np.ndarray]:
        """The last step's weight gradients, ``layer{i}.W`` -> (D_in, D_out) float64 (both engines)."""
        return {f"layer{i + 1}.W": g for i, g in enumerate(self.model.weight_grads())}

    # ---- checkpoints ------------------------------------------------------------------------------
    def checkpoint_state(self) -> dict:
        """The classifier's weights and optimizer state (name -> NumPy array copies)."""
        return self.model.state_dict()

    def load_checkpoint_state(self, state: dict) -> None:
        """Restore :meth:`checkpoint_state`.  Raises LessonConfigError if the shapes do not fit."""
        self.model.load_state_dict(state)

    def close(self) -> None:
        self.model = None


LESSON = PlaygroundLesson
