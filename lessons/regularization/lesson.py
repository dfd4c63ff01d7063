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

from lessons.regularization import INFO
from lessons.regularization.data import MIN_VAL, N_DIGITS, check_sizes, load_data
from lessons.regularization.generalization import SPARSE_EPS, measure, public, summary_matrix
from lessons.regularization.narrative import NARRATIVE
from visualizer.core.hyperparams import BoolParam, FloatParam, IntParam
from visualizer.core.lesson import Lesson
from visualizer.core.plotdata import PlotData, PlotSpec
from visualizer.data.batches import EpochBatches
from visualizer.models.classifier import MLPConfig, build_classifier
from visualizer.probes.histograms import HistogramHistory



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
        PlotSpec("summary", "Summary: now vs best validation loss", "table",
                 tooltip="Training accuracy (whole training set, evaluation mode), validation accuracy and "
                         "their gap, for the current weights and for the evaluation with the lowest "
                         "validation loss (the weights early stopping restores)."),
    )
    narrative = NARRATIVE
    engine_comparison = True

    def __init__(self, hp, context=None) -> None:
        super().__init__(hp, context)
        check_sizes(hp["train_size"], hp["batch_size"], hp["batchnorm"])
        self.data = load_data(hp["train_size"], hp["seed"])
        seeds = np.random.SeedSequence(hp["seed"]).spawn(3)    # batch order, input noise, dropout masks
        self.rng, self.noise_rng, self.mask_rng = (np.random.default_rng(s) for s in seeds)
        self.batches = EpochBatches(len(self.data.y_train), self.rng, full_only=True)
        self.step = 0                        # the session's step number of the last update
        config = MLPConfig(n_inputs=self.data.n_features, hidden=(hp["hidden_units"],) * hp["hidden_layers"],
                           n_classes=self.data.n_classes, activation="relu", init="he",
                           dropout=hp["dropout"], batchnorm=hp["batchnorm"], dtype="float32", seed=hp["seed"])
        self.model = build_classifier(config, engine=hp["engine"], device=hp["device"], optimizer="adam",
                                      lr=hp["lr"], l1=hp["l1"], l2=hp["l2"])
        self.trainer = self.model.trainer    # applies lr live; checkpoints weights and Adam's moments
        if hp["dropout"] > 0:           # both engines draw the same masks from mask_rng
            self.model.share_dropout_rng(self.mask_rng)
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

    @property
    def steps_per_epoch(self) -> int:
        """Full mini-batches per pass over the training set (a partial last batch is dropped)."""
        return max(1, len(self.data.y_train) // self.hp["batch_size"])

    def next_indices(self) -> np.ndarray:
        """Indices of the next mini-batch (B,): consecutive full slices of a permutation redrawn each epoch."""
        return self.batches.next(self.hp["batch_size"])

    def next_batch(self) -> tuple[np.ndarray, np.ndarray]:
        """Images (B, 64) with fresh Gaussian input noise (if σ > 0) and their labels (B,)."""
        idx = self.next_indices()
        x = self.data.x_train[idx]                                             # (B, 64)
        sigma = self.hp["input_noise"]
        if sigma > 0:
            x = x + np.float32(sigma) * self.noise_rng.standard_normal(x.shape, dtype=np.float32)
        return x, self.data.y_train[idx]

    # ---- training --------------------------------------------------------------------------------
    def train_step(self, step: int) -> None:
        if self.stopped:                     # early stopping fired: the restored model, unchanged
            self.context.request_pause("Early stopping holds the restored weights: switch Early stopping off "
                                       "or raise Patience to train on.")
            self.trainer.record(self._frozen_metrics)
            return
        self.step = step
        self.trainer.step(self.next_batch(), step)

    def flush(self) -> dict[str, float]:
        """The trainer's metrics; the histogram reads the chosen layer here, at the flush rate."""
        metrics = super().flush()
        if self.weight_hist.due(self.step):
            self.weight_hist.record(self.step, self.model.weights()[self.hist_layer - 1])
        return metrics

    def evaluate(self) -> dict[str, float]:
        if self.stopped and self.last_eval is not None:
            return public(self.last_eval)
        m = measure(self.model, self.data)
        self.last_eval = m
        if self.best_eval is None or m["val_loss"] < self.best_eval["val_loss"]:
            self.best_eval, self.best_step = m, self.step
            self.best_state = self.model.model_state()
            self.evals_since_best = 0
        else:
            self.evals_since_best += 1
            if self.hp["early_stopping"] and self.evals_since_best >= self.hp["patience"]:
                self._stop_early()
        return public(self.last_eval)

    def _stop_early(self) -> None:
        """Restore the best weights, freeze training and tell the user."""
        self.model.load_model_state(self.best_state)       # the weights; Adam keeps its moments
        self.last_eval = measure(self.model, self.data)
        self.stopped = True
        self._frozen_metrics = {"train_loss": self.last_eval["_train_loss"],
                                "train_acc": self.last_eval["_train_acc"]}
        self.context.request_pause(
            f"Early stopping at step {self.step}: the validation loss has not improved for "
            f"{self.evals_since_best} evaluations. Restored the weights of step {self.best_step} (validation "
            f"loss {self.best_eval['val_loss']:.4f}, accuracy {self.best_eval['val_acc']:.1%}) and paused. "
            "Switch Early stopping off or raise Patience to train on.")

    def _resume(self) -> None:
        self.stopped, self.evals_since_best = False, 0
        self.context.notice(f"Training resumes from the restored weights of step {self.best_step}.")

    def set_live(self, name, value) -> None:
        if name == "batch_size":
            check_sizes(len(self.data.y_train), value, self.hp["batchnorm"])
        super().set_live(name, value)                  # lr: the trainer
        if name == "batch_size":
            self.eval_every = self.steps_per_epoch
        elif name in ("early_stopping", "patience") and self.stopped:
            if not self.hp["early_stopping"] or self.hp["patience"] > self.evals_since_best:
                self._resume()
        elif name == "histogram_layer":
            layer = self._clamp_layer(value, notify=True)
            if layer != self.hist_layer:
                self.hist_layer = layer
                self.weight_hist.clear()
                self.weight_hist.record(self.step, self.model.weights()[layer - 1])

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
        summary = summary_matrix(self.last_eval, self.step, self.best_eval, self.best_step)
        return {"weight_hist": self.weight_hist.image(f"layer {self.hist_layer} weight"), "summary": summary}

    def gradient_arrays(self) -> dict[str, np.ndarray]:
        """The last step's weight gradients (data loss + L1/L2 penalty), float64, ``layer{i}.W`` (D_in, D_out)."""
        return self.model.gradient_arrays()


LESSON = RegularizationLesson
