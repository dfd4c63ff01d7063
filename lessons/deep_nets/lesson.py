"""Lesson ``deep_nets``: why depth is hard and what fixes it (Qt-free).

A fully connected network of 4-40 weight layers classifies scikit-learn's embedded 8×8 digits.  Its
variants are chosen by parameters: plain or residual (y = x + F(x)), with or without batch
normalization, sigmoid / tanh / ReLU, and four weight initializations (N(0, 1), N(0, 0.01²), Xavier,
He).  The views show what goes wrong in a deep plain network and why the fixes work: the gradient
norm of every layer over time (vanishing and exploding gradients as colour bands), the activation
histograms of every layer (Saitoh's initialization experiment), and, optionally, a plain and a
residual network trained side by side on the same batches.  A separate view runs an Inception module
on a digit and shows each branch's feature maps.

Sources: Buduma et al., *Fundamentals of Deep Learning* 2e, ch. 7 (ResNet, Inception); Saitoh, *Deep
Learning from Scratch*, §6.2 (weight initialization) and ch. 8; Glorot & Bengio, AISTATS 2010; Ioffe
& Szegedy, ICML 2015; He et al., CVPR 2016; Szegedy et al., CVPR 2015.  Torch is imported only when
the torch engine is built or the Inception view runs on it.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from lessons.deep_nets import INFO
from lessons.deep_nets.activations import activation_image
from lessons.deep_nets.inception import InceptionDemo, inception_grid
from lessons.deep_nets.narrative import NARRATIVE
from lessons.deep_nets.net import ACTIVATIONS, INITS, OPTIMIZERS, DeepNetConfig, NumpyDeepNet
from visualizer.core.hyperparams import BoolParam, ChoiceParam, FloatParam, IntParam
from visualizer.core.lesson import Lesson, LessonConfigError
from visualizer.core.plotdata import BarsData, ImageData, ImageGridData, PlotData, PlotSpec
from visualizer.data.batches import EpochBatches
from visualizer.data.digits import load_digits_split
from visualizer.probes.gradient_norms import GradientNormHistory

PROBE_SIZE = 256          # training images whose activations the histograms show (fixed per run)
VAL_FRACTION = 0.2

PARAMS = (
    IntParam("depth", "Depth (weight layers)", 20, 4, 40,
             tooltip="Number of weight layers L, counted as in 'ResNet-20': L - 1 hidden layers and the output "
                     "layer. Residual: one plain hidden layer (two when L is odd), then (L - 2) / 2 blocks of "
                     "two layers each."),
    IntParam("width", "Units per layer", 64, 16, 256, log=True,
             tooltip="Neurons in every hidden layer (Saitoh's experiment uses 100)."),
    BoolParam("residual", "Residual connections", False,
              tooltip="Wrap pairs of layers in residual blocks y = x + F(x), F = Linear → (BN) → act → Linear "
                      "(He et al. 2016): the identity shortcut carries the gradient past F."),
    BoolParam("batchnorm", "Batch normalization", False,
              tooltip="Normalize every hidden pre-activation over the mini-batch, then scale by γ and shift by β "
                      "(Ioffe & Szegedy 2015). Needs at least 2 images per batch."),
    ChoiceParam("activation", "Activation", "sigmoid", ACTIVATIONS,
                tooltip="Hidden nonlinearity. sigmoid' ≤ 1/4 shrinks every backward step; tanh' ≤ 1; ReLU' is 0 or 1."),
    ChoiceParam("init", "Initialization", "xavier", INITS,
                tooltip="std_1: w ~ N(0, 1). std_0.01: w ~ N(0, 0.01²). xavier: Var w = 2/(n_in + n_out) "
                        "(Glorot & Bengio 2010, for sigmoid/tanh). he: Var w = 2/n_in (He et al. 2015, for ReLU)."),
    ChoiceParam("optimizer", "Optimizer", "momentum", OPTIMIZERS,
                tooltip="sgd, momentum (μ = 0.9) or adam. Changing it restarts training."),
    FloatParam("lr", "Learning rate", 0.01, 1e-4, 1.0, log=True, live=True, decimals=5,
               tooltip="Step size of each update. Applies at the next step."),
    IntParam("batch_size", "Batch size", 64, 1, 256, live=True, log=True,
             tooltip="Images per update (batch normalization needs at least 2). Applies at the next step."),
    BoolParam("train_twin", "Train plain and residual side by side", False,
              tooltip="Also build the same network with residual connections switched the other way and train "
                      "both in lockstep on the same batches: the comparison plot shows both losses."),
    IntParam("inception_image", "Inception input (validation image)", 0, 0, 359, live=True,
             tooltip="Which validation digit the Inception module view processes."),
)

PLOTS = (
    PlotSpec("loss", "Loss", "curves", series=("train_loss", "val_loss"), x_label="step", y_label="cross-entropy",
             log_y=True, tooltip="Mean cross-entropy of each mini-batch and of the validation set. A 20-layer "
             "plain sigmoid network stays at log 10 ≈ 2.30: it does not learn."),
    PlotSpec("accuracy", "Accuracy", "curves", series=("train_acc", "val_acc"), x_label="step", y_label="accuracy",
             tooltip="Share of correctly classified digits (chance: 0.1)."),
    PlotSpec("grad_heatmap", "Gradient norm per layer over time", "image", x_label="step",
             y_label="layer (1 = input side)",
             tooltip="Colour: log₁₀ ‖∂L/∂W_l‖ of weight layer l (rows, 1 = first) at each step (columns). "
                     "A dark band at the bottom: vanishing gradients; the first layers barely learn."),
    PlotSpec("grad_bars", "Gradient norm per layer (last step)", "bars", x_label="layer", y_label="‖∂L/∂W‖",
             log_y=True,
             tooltip="‖∂L/∂W_l‖ per weight layer at the last step (log axis): longer bar, larger gradient."),
    PlotSpec("activations", "Activation histograms per layer", "image", x_label="hidden layer",
             y_label="activation",
             tooltip="Saitoh fig. 6-10 style: each column is one hidden layer's activation values on 256 fixed "
                     "training images (batch statistics), colour = log₁₀ share of values in the bin. "
                     "σ = 1 sigmoid piles up at 0 and 1, σ = 0.01 collapses to one value."),
    PlotSpec("compare", "Plain vs residual (same batches)", "curves", series=("loss_plain", "loss_residual"),
             x_label="step", y_label="cross-entropy", log_y=True,
             tooltip="Mini-batch loss of the plain and of the residual network. Both curves appear when "
                     "'Train plain and residual side by side' is on; otherwise only the current network's."),
    PlotSpec("inception", "Inception module: branch feature maps", "image_grid",
             tooltip="Top row: the input digit, the mean of the 8 stem feature maps and the mean of the "
                     "concatenated output. Then one row per branch (1×1; 1×1→3×3; 1×1→5×5; 3×3 max pool→1×1), "
                     "its first feature maps, each scaled to its own maximum. Random He weights (untrained)."),
)


def _model(config: DeepNetConfig, hp, primary: bool = True) -> Any:
    """The network with its kit trainer on the chosen engine (``primary``: the lesson's own, else the twin)."""
    if hp["engine"] == "torch":
        from lessons.deep_nets.net_torch import TorchDeepNetModel
        return TorchDeepNetModel(config, hp["optimizer"], hp["lr"], hp["device"], primary=primary)
    return NumpyDeepNet(config, hp["optimizer"], hp["lr"], primary=primary)


class DeepNetsLesson(Lesson):
    """A deep fully connected digit classifier, plain or residual: x (N, 64) pixels -> logits (N, 10).

    Raises LessonConfigError for batch normalization with a batch size of 1, or CUDA without a GPU."""

    info = INFO
    params = PARAMS
    plots = PLOTS
    narrative = NARRATIVE
    eval_every = 25
    engine_comparison = True

    def __init__(self, hp, context=None) -> None:
        super().__init__(hp, context)
        if hp["batchnorm"] and hp["batch_size"] < 2:
            raise LessonConfigError("Batch normalization needs at least 2 images per batch (the variance of one "
                                    "image is undefined): set Batch size to 2 or more, or switch it off.")
        self.data = load_digits_split(VAL_FRACTION, hp["seed"])
        self.rng = np.random.default_rng(hp["seed"])
        self.batches = EpochBatches(len(self.data.y_train), self.rng)
        self.step = 0                        # the session's step number of the last update
        self.probe_x = self.data.x_train[np.sort(self.rng.choice(len(self.data.y_train), PROBE_SIZE, replace=False))]
        config = DeepNetConfig(self.data.n_features, hp["width"], hp["depth"], self.data.n_classes,
                               residual=hp["residual"], batchnorm=hp["batchnorm"], activation=hp["activation"],
                               init=hp["init"], seed=hp["seed"])
        self.config = config
        self.model = _model(config, hp)
        self.trainer = self.model.trainer
        self.twin = None                     # the same network with residual switched, on the same batches
        if hp["train_twin"]:
            self.twin = _model(DeepNetConfig(**{**config.__dict__, "residual": not config.residual}), hp, False)
        self.history = GradientNormHistory(config.depth)
        self._norms = np.zeros(config.depth)
        self._probe_gradients()
        self.inception = InceptionDemo(seed=hp["seed"])
        self._inception_cache: tuple[int, ImageGridData] | None = None
        self._act_cache: tuple[int, ImageData] | None = None

    # ---- training --------------------------------------------------------------------------------
    @property
    def steps_per_epoch(self) -> int:
        return math.ceil(len(self.data.y_train) / self.hp["batch_size"])

    def next_batch(self) -> tuple[np.ndarray, np.ndarray]:
        """The next mini-batch (x (B, 64), y (B,)): consecutive slices of a permutation redrawn each epoch."""
        idx = self.batches.next(self.hp["batch_size"])
        if self.hp["batchnorm"] and len(idx) < 2:        # an epoch's last slice of 1 image: take the next epoch's
            idx = self.batches.next(self.hp["batch_size"])
        return self.data.x_train[idx], self.data.y_train[idx]

    def _probe_gradients(self) -> None:
        """Record the gradient norms at initialization (step 0) from the first batch, without an update."""
        idx = self.batches.order[: self.hp["batch_size"]]
        if len(idx) < 2 and self.hp["batchnorm"]:
            return
        self._norms = self.model.probe_gradients(self.data.x_train[idx], self.data.y_train[idx])
        self.history.record(0, self._norms)

    def train_step(self, step: int) -> None:
        """One update of the network (and of the twin, on the same batch)."""
        self.step = step
        batch = self.next_batch()
        self.trainer.step(batch, step)
        if self.twin is not None:
            self.twin.trainer.step(batch, step)

    def flush(self) -> dict[str, float]:
        """Both networks' metrics; the gradient norms per layer are read here, at the flush rate (after every
        step on the CPU, at the redraw rate on a GPU), so no step waits for a copy to the host."""
        metrics = super().flush()
        if self.twin is not None:
            metrics.update(self.twin.trainer.flush())
        if self.step:
            self._norms = self.model.grad_norms()
            if self.history.due(self.step):
                self.history.record(self.step, self._norms)
        return metrics

    def evaluate(self) -> dict[str, float]:
        loss, acc = self.model.evaluate(self.data.x_val, self.data.y_val)
        return {"val_loss": float(loss), "val_acc": float(acc)}

    def set_live(self, name: str, value: Any) -> None:
        if name == "batch_size" and self.hp["batchnorm"] and int(value) < 2:
            raise LessonConfigError("Batch normalization needs at least 2 images per batch: keep Batch size at "
                                    "2 or more, or switch batch normalization off and press Reset.")
        super().set_live(name, value)              # lr: the trainer
        if name == "lr" and self.twin is not None:
            self.twin.trainer.set_hyper(lr=value)

    def gradient_arrays(self) -> dict[str, np.ndarray]:
        """The last step's parameter gradients as float64 copies: ``layer{l}.W`` (D_in, D_out),
        ``layer{l}.b``, ``bn{k}.gamma|beta``; the same keys on both engines."""
        return self.model.gradient_arrays()

    def divergence_hint(self) -> str:
        if self.hp["init"] == "std_1":
            return ("Weights drawn from N(0, 1) make every layer multiply its input's scale by about √n: the "
                    "activations or gradients overflowed. Choose Xavier or He initialization and press Reset (R).")
        if self.hp["residual"] and not self.hp["batchnorm"]:
            return ("Each residual block adds F(x) to its input, so without batch normalization the signal grows "
                    f"block by block; at learning rate {self.hp['lr']:g} the updates overshot. Lower the learning "
                    "rate or switch batch normalization on, and press Reset (R).")
        return super().divergence_hint()

    # ---- views -----------------------------------------------------------------------------------
    def _activation_image(self) -> ImageData:
        if self._act_cache is None or self._act_cache[0] != self.step:
            acts = self.model.activations(self.probe_x)                # [(P, H)] * n_hidden
            self._act_cache = (self.step, activation_image(acts, self.hp["activation"]))
        return self._act_cache[1]

    def _inception_grid(self) -> ImageGridData:
        index = min(self.hp["inception_image"], len(self.data.y_val) - 1)
        if self._inception_cache is None or self._inception_cache[0] != index:
            image = self.data.x_val[index].reshape(self.data.image_shape)          # (8, 8)
            grid = inception_grid(self.inception, image, f"digit {self.data.y_val[index]}", self.hp["engine"])
            self._inception_cache = (index, grid)
        return self._inception_cache[1]

    def snapshot(self) -> dict[str, PlotData]:
        labels = [str(l) for l in range(1, self.config.depth + 1)]
        return {
            "grad_heatmap": self.history.image(),
            "grad_bars": BarsData(labels, self._norms.copy(), y_label="‖∂L/∂W‖"),
            "activations": self._activation_image(),
            "inception": self._inception_grid(),
        }

    def load_checkpoint_state(self, state: dict) -> None:
        super().load_checkpoint_state(state)      # checked by check_state, atomic; optimizer state included
        self._act_cache = None

    def close(self) -> None:
        super().close()
        if self.twin is not None:
            self.twin.trainer.close()
        self._act_cache = self._inception_cache = None


LESSON = DeepNetsLesson
