"""Lesson ``regularization``: an oversized MLP overfits a few hundred digits, and the cures (Qt-free).

A deep, wide MLP (the shared classifier, NumPy scratch engine or PyTorch) trains on a small subset
of scikit-learn's embedded 8×8 digits and is validated on all the others.  It memorizes the training
set (training accuracy 100 %) while the validation accuracy stalls: the generalization gap.  The
toggles are the classic cures: L1 and L2 penalties (weight decay), dropout, batch normalization,
Gaussian input noise (data augmentation in its simplest form) and early stopping.

Follows Chollet, *Deep Learning with Python* 2e, ch. 5 (Generalization; improving generalization:
regularizing your model) and Saitoh, *Deep Learning from Scratch*, 6.4 (overfitting with 300 MNIST
images and a 7-layer net, weight decay, dropout); Goodfellow, Bengio & Courville, *Deep Learning*,
ch. 7 (7.1 parameter norm penalties, 7.5 noise robustness, 7.8 early stopping, 7.12 dropout);
Srivastava et al., JMLR 15 (2014) for dropout; Ioffe & Szegedy (2015) for batch normalization.
"""
from __future__ import annotations

import numpy as np

from lessons.mlp_digits.histograms import HistogramHistory
from lessons.regularization.narrative import NARRATIVE
from visualizer.data.batches import EpochBatches
from visualizer.models.classifier import MLPConfig, build_classifier
from visualizer.data.digits import load_digits_split
from visualizer.data.split import DataSplit
from visualizer.core.hyperparams import BoolParam, FloatParam, IntParam
from visualizer.core.lesson import Lesson, LessonConfigError, LessonInfo
from visualizer.core.plotdata import MatrixData, PlotData, PlotSpec
from visualizer.scratch.layers import Dropout
from lessons.regularization import INFO

N_DIGITS = 1797                 # images in scikit-learn's digits
MIN_VAL = 100                   # validation images the lesson keeps at least
SPARSE_EPS = 0.01               # |w| below this counts as "near zero" for the sparsity curve


class RegularizationLesson(Lesson):
    """Overfitting and regularization: x (N, 64) pixels in [0, 1] -> MLP -> logits (N, 10) -> softmax.

    Every evaluation (once per epoch) measures the validation set and, in evaluation mode, the whole
    training set, so the generalization gap compares like with like.  Raises LessonConfigError for
    a training set too large to leave validation images, a batch larger than the training set, or
    batch normalization with batches of fewer than 2 images."""

    info = INFO
    params = (
        IntParam("train_size", "Training images", 200, 10, N_DIGITS, log=True,
                 tooltip=f"How many of the 1,797 digits the network trains on (stratified by class); all "
                         f"the others are the validation set. At most {N_DIGITS - MIN_VAL}. Fewer images: "
                         "more overfitting."),
        IntParam("hidden_layers", "Hidden layers", 5, 1, 6,
                 tooltip="Depth of the network. Saitoh's overfitting example uses 6 hidden layers of 100."),
        IntParam("hidden_units", "Units per layer", 100, 16, 512, log=True,
                 tooltip="Neurons in each hidden layer. More units: more capacity to memorize."),
        FloatParam("dropout", "Dropout", 0.0, 0.0, 0.8, live=False, decimals=2,
                   tooltip="Probability p of zeroing each hidden unit during training (inverted dropout: "
                           "survivors are scaled by 1/(1 − p)); evaluation uses the whole network."),
        BoolParam("batchnorm", "Batch normalization", False,
                  tooltip="Normalize each hidden layer's pre-activations over the mini-batch (mean 0, "
                          "variance 1, then a learned scale γ and shift β)."),
        FloatParam("l1", "L1 penalty", 0.0, 0.0, 0.01, live=False, decimals=5,
                   tooltip="Adds λ₁·Σ|w| over the weight matrices to the loss (gradient λ₁·sign(w)): pushes "
                           "weights to exactly 0, a sparse network. Press Reset: each setting is a new run from the "
                           "same start, drawn over the previous ones."),
        FloatParam("l2", "L2 penalty (weight decay)", 0.0, 0.0, 0.05, live=False, decimals=5,
                   tooltip="Adds (λ₂/2)·Σw² over the weight matrices to the loss (gradient λ₂·w): shrinks "
                           "every weight in proportion to its size. Press Reset to compare runs."),
        FloatParam("input_noise", "Input noise σ", 0.0, 0.0, 1.0, live=False, decimals=3,
                   tooltip="Standard deviation of Gaussian noise added to every pixel of each training "
                           "batch (pixels lie in [0, 1]); a new draw every step, none at validation. Press Reset "
                           "to compare runs."),
        BoolParam("early_stopping", "Early stopping", False, live=True,
                  tooltip="Stop when the validation loss has not improved for 'Patience' evaluations, "
                          "and restore the weights of the best evaluation. Switch off to train on."),
        IntParam("patience", "Patience (evaluations)", 10, 1, 100, live=True,
                 tooltip="Evaluations (one per epoch) without a new lowest validation loss before early "
                         "stopping halts training."),
        FloatParam("lr", "Learning rate", 1e-3, 1e-5, 0.1, log=True, live=True, decimals=5,
                   tooltip="Adam's step size. Applies at the next step."),
        IntParam("batch_size", "Batch size", 32, 2, 512, live=True, log=True,
                 tooltip="Images per update (at most the training set). Each epoch uses full batches of "
                         "a fresh shuffle. Applies at the next step."),
        IntParam("histogram_layer", "Histogram layer", 2, 1, 7, live=True,
                 tooltip="Which weight layer the histogram shows (1 = first; the last is the output layer)."),
    )
    plots = (
        PlotSpec("loss", "Loss: training vs validation", "curves", series=("train_loss", "val_loss"),
                 x_label="step", y_label="cross-entropy", log_y=True,
                 tooltip="Mean cross-entropy of each training mini-batch (without the penalty; with dropout "
                         "and noise switched on) and of the validation set. Overfitting: the validation "
                         "loss turns upward while the training loss keeps falling."),
        PlotSpec("accuracy", "Accuracy: training vs validation", "curves", series=("train_acc", "val_acc"),
                 x_label="step", y_label="accuracy",
                 tooltip="Share of correctly classified images: each training mini-batch, and the "
                         "validation set once per epoch."),
        PlotSpec("gap", "Generalization gap", "curves", series=("gap_acc", "gap_loss"),
                 x_label="step", y_label="gap",
                 tooltip="gap_acc = training accuracy − validation accuracy; gap_loss = validation loss − "
                         "training loss. Both on the whole training set in evaluation mode (no dropout, "
                         "no noise), once per epoch. 0 means the network does as well on new images as "
                         "on the ones it learned."),
        PlotSpec("weight_hist", "Weight histogram over time", "image", x_label="step", y_label="weight",
                 tooltip="Distribution of the chosen layer's weights at each recorded step (brighter: "
                         "more weights). L2 narrows it; L1 piles weights up at exactly 0."),
        PlotSpec("norm", "Weight norm ‖W‖", "curves", series=("weight_norm",), x_label="step",
                 y_label="√Σw²", tooltip="Euclidean norm of all weight matrices together, once per epoch. "
                 "L2 and L1 keep it small; an unregularized network grows it while it memorizes."),
        PlotSpec("sparsity", "Near-zero weights", "curves", series=("sparsity",), x_label="step",
                 y_label=f"share with |w| < {SPARSE_EPS:g}",
                 tooltip=f"Share of all weights with |w| < {SPARSE_EPS:g}, once per epoch. L1 drives it up "
                         "(a sparse network); L2 hardly does."),
        PlotSpec("summary", "Summary: now vs best validation loss", "matrix",
                 tooltip="Training accuracy (whole training set, evaluation mode), validation accuracy and "
                         "their gap, for the current weights and for the evaluation with the lowest "
                         "validation loss (the weights early stopping restores)."),
    )
    narrative = NARRATIVE

    def __init__(self, hp, context=None) -> None:
        super().__init__(hp, context)
        self._check_sizes(hp["train_size"], hp["batch_size"], hp["batchnorm"])
        self.data = self._load_data(hp["train_size"], hp["seed"])
        batch_seq, noise_seq, mask_seq = np.random.SeedSequence(hp["seed"]).spawn(3)
        self.rng = np.random.default_rng(batch_seq)          # batch order
        self.noise_rng = np.random.default_rng(noise_seq)    # input noise
        self.mask_rng = np.random.default_rng(mask_seq)      # dropout masks, shared by both engines
        self.batches = EpochBatches(len(self.data.y_train), self.rng, full_only=True)
        self.t = 0
        config = MLPConfig(n_inputs=self.data.n_features, hidden=(hp["hidden_units"],) * hp["hidden_layers"],
                           n_classes=self.data.n_classes, activation="relu", init="he",
                           dropout=hp["dropout"], batchnorm=hp["batchnorm"], dtype="float32", seed=hp["seed"])
        self.model = build_classifier(config, engine=hp["engine"], device=hp["device"], optimizer="adam",
                                      lr=hp["lr"], l1=hp["l1"], l2=hp["l2"])
        self._share_dropout_masks()
        self.n_layers = hp["hidden_layers"] + 1
        self.eval_every = self.steps_per_epoch
        self.hist_layer = self._clamp_layer(hp["histogram_layer"], notify=False)
        self.weight_hist = HistogramHistory(seed=hp["seed"])
        self.weight_hist.record(0, self.model.weights()[self.hist_layer - 1])
        # evaluation record: the latest and the best (lowest validation loss) evaluation
        self.last_eval: dict[str, float] | None = None
        self.best_eval: dict[str, float] | None = None
        self.best_step = 0
        self.best_state: dict[str, np.ndarray] | None = None
        self.evals_since_best = 0
        self.stopped = False                 # early stopping fired: train_step is frozen
        self._frozen_metrics: dict[str, float] = {}

    # ---- data ------------------------------------------------------------------------------------
    @staticmethod
    def _check_sizes(train_size: int, batch_size: int, batchnorm: bool) -> None:
        if train_size > N_DIGITS - MIN_VAL:
            raise LessonConfigError(
                f"{train_size} training images leave fewer than {MIN_VAL} of the {N_DIGITS} digits for "
                f"validation: choose at most {N_DIGITS - MIN_VAL} training images.")
        if train_size < 10:
            raise LessonConfigError(f"{train_size} training images cannot hold one of each of the 10 "
                                    "digits: choose at least 10.")
        if batch_size > train_size:
            raise LessonConfigError(f"The batch size ({batch_size}) is larger than the training set "
                                    f"({train_size} images): lower the batch size or raise Training images.")
        if batchnorm and batch_size < 2:
            raise LessonConfigError("Batch normalization needs batches of at least 2 images: raise the batch "
                                    "size or switch batch normalization off.")

    @staticmethod
    def _load_data(train_size: int, seed: int) -> DataSplit:
        """``train_size`` digits for training (stratified, seeded), the rest for validation."""
        # scikit-learn takes ceil(val_fraction * N) validation images: aim half an image low.
        val_fraction = (N_DIGITS - train_size - 0.5) / N_DIGITS
        data = load_digits_split(val_fraction, seed, "float32")
        assert len(data.y_train) == train_size, (len(data.y_train), train_size)
        return data

    @property
    def steps_per_epoch(self) -> int:
        """Full mini-batches per pass over the training set (a partial last batch is dropped)."""
        return max(1, len(self.data.y_train) // self.hp["batch_size"])

    def _next_batch(self) -> np.ndarray:
        """Indices of the next mini-batch (B,): consecutive full slices of a permutation redrawn each epoch."""
        return self.batches.next(self.hp["batch_size"])

    def _share_dropout_masks(self) -> None:
        """Make both engines draw dropout masks from ``self.mask_rng`` in the same order, so a seed gives
        the same masks (and curves) on NumPy and PyTorch."""
        if self.hp["dropout"] == 0.0:
            return
        if self.model.engine == "numpy":
            for layer in self.model.model.layers:
                if isinstance(layer, Dropout):
                    layer.rng = self.mask_rng
        else:
            from visualizer.models.mlp_torch import NumpyMaskDropout          # imports torch
            for module in self.model.model.net:
                if isinstance(module, NumpyMaskDropout):
                    module.rng = self.mask_rng

    # ---- training --------------------------------------------------------------------------------
    def train_step(self) -> dict[str, float]:
        if self.stopped:                     # early stopping fired: the restored model, unchanged
            self.context.request_pause("Early stopping holds the restored weights: switch Early stopping off "
                                       "or raise Patience to train on.")
            return dict(self._frozen_metrics)
        idx = self._next_batch()
        x = self.data.x_train[idx]                                             # (B, 64)
        sigma = self.hp["input_noise"]
        if sigma > 0:
            x = x + np.float32(sigma) * self.noise_rng.standard_normal(x.shape, dtype=np.float32)
        out = self.model.train_step(x, self.data.y_train[idx])
        self.t += 1
        if self.weight_hist.due(self.t):
            self.weight_hist.record(self.t, self.model.weights()[self.hist_layer - 1])
        return {"train_loss": float(out["loss"]), "train_acc": float(out["acc"])}

    def _measure(self) -> dict[str, float]:
        """Validation and whole-training-set metrics of the current weights (evaluation mode), the
        gaps, the weight norm and the near-zero share."""
        val = self.model.evaluate(self.data.x_val, self.data.y_val)
        tr = self.model.evaluate(self.data.x_train, self.data.y_train)
        weights = self.model.weights()
        n = sum(w.size for w in weights)
        norm = float(np.sqrt(sum(float(np.vdot(w, w)) for w in weights)))
        near_zero = sum(int(np.count_nonzero(np.abs(w) < SPARSE_EPS)) for w in weights)
        return {"val_loss": float(val["loss"]), "val_acc": float(val["acc"]),
                "gap_acc": float(tr["acc"] - val["acc"]), "gap_loss": float(val["loss"] - tr["loss"]),
                "weight_norm": norm, "sparsity": near_zero / n,
                "_train_loss": float(tr["loss"]), "_train_acc": float(tr["acc"])}

    def evaluate(self) -> dict[str, float]:
        if self.stopped and self.last_eval is not None:
            return self._public(self.last_eval)
        m = self._measure()
        self.last_eval = m
        if self.best_eval is None or m["val_loss"] < self.best_eval["val_loss"]:
            self.best_eval, self.best_step = m, self.t
            self.best_state = self.model.state_dict()
            self.evals_since_best = 0
        else:
            self.evals_since_best += 1
            if self.hp["early_stopping"] and self.evals_since_best >= self.hp["patience"]:
                self._stop_early()
        return self._public(self.last_eval)

    @staticmethod
    def _public(m: dict[str, float]) -> dict[str, float]:
        return {k: v for k, v in m.items() if not k.startswith("_")}

    def _stop_early(self) -> None:
        """Restore the best weights, freeze training and tell the user."""
        self.model.load_state_dict(self.best_state)
        self.last_eval = self._measure()
        self.stopped = True
        self._frozen_metrics = {"train_loss": self.last_eval["_train_loss"],
                                "train_acc": self.last_eval["_train_acc"]}
        self.context.request_pause(
            f"Early stopping at step {self.t}: the validation loss has not improved for "
            f"{self.evals_since_best} evaluations. Restored the weights of step {self.best_step} (validation "
            f"loss {self.best_eval['val_loss']:.4f}, accuracy {self.best_eval['val_acc']:.1%}) and paused. "
            "Switch Early stopping off or raise Patience to train on.")

    def _resume(self) -> None:
        self.stopped = False
        self.evals_since_best = 0
        self.context.notice(f"Training resumes from the restored weights of step {self.best_step}.")

    def set_live(self, name, value) -> None:
        if name == "batch_size":
            self._check_sizes(len(self.data.y_train), value, self.hp["batchnorm"])
        super().set_live(name, value)
        if name == "lr":
            self.model.set_hyper(**{name: value})
        elif name == "batch_size":
            self.eval_every = self.steps_per_epoch
        elif name in ("early_stopping", "patience") and self.stopped:
            if not self.hp["early_stopping"] or self.hp["patience"] > self.evals_since_best:
                self._resume()
        elif name == "histogram_layer":
            layer = self._clamp_layer(value, notify=True)
            if layer != self.hist_layer:
                self.hist_layer = layer
                self.weight_hist.clear()
                self.weight_hist.record(self.t, self.model.weights()[layer - 1])

    def _clamp_layer(self, layer: int, notify: bool) -> int:
        if layer > self.n_layers:
            if notify:
                self.context.notice(f"This network has {self.n_layers} weight layers: the histogram shows "
                                    f"layer {self.n_layers} (the output layer).")
            return self.n_layers
        return layer

    def divergence_hint(self) -> str:
        return (f"The updates grew without bound: lower the learning rate ({self.hp['lr']:g}) or the L1/L2 "
                "strengths and press Reset (R).")

    # ---- views -----------------------------------------------------------------------------------
    def snapshot(self) -> dict[str, PlotData]:
        rows, labels = [], []
        for tag, m, step in (("now", self.last_eval, self.t), ("best val loss", self.best_eval, self.best_step)):
            if m is not None:
                rows.append([m["_train_acc"], m["val_acc"], m["gap_acc"]])
                labels.append(f"{tag} (step {step})")
        values = np.array(rows, dtype=np.float64) if rows else np.full((1, 3), np.nan)
        summary = MatrixData(values, labels or ["not evaluated yet"], ["train acc", "val acc", "gap"],
                             colormap="viridis", fmt="{:.3f}")
        return {"weight_hist": self.weight_hist.image(f"layer {self.hist_layer} weight"), "summary": summary}

    def gradient_arrays(self) -> dict[str, np.ndarray]:
        """The last step's weight gradients (data loss + L1/L2 penalty), float64, ``layer{i}.W`` (D_in, D_out)."""
        return {f"layer{i + 1}.W": g for i, g in enumerate(self.model.weight_grads())}

    # ---- checkpoints -----------------------------------------------------------------------------
    def checkpoint_state(self) -> dict[str, np.ndarray]:
        return self.model.state_dict()

    def load_checkpoint_state(self, state: dict[str, np.ndarray]) -> None:
        self.model.load_state_dict(state)


LESSON = RegularizationLesson
