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

from visualizer.probes.gradient_norms import GradientNormHistory
from lessons.deep_nets.inception import BRANCHES, InceptionDemo
from lessons.deep_nets.narrative import NARRATIVE
from lessons.deep_nets.network import (
    ACTIVATIONS,
    INITS,
    OPTIMIZERS,
    DeepNetConfig,
    NumpyTrainer,
)
from visualizer.data.batches import EpochBatches
from visualizer.data.digits import load_digits_split
from visualizer.core.hyperparams import BoolParam, ChoiceParam, FloatParam, IntParam
from visualizer.core.lesson import Lesson, LessonConfigError, LessonInfo
from visualizer.core.plotdata import (
    BarsData,
    ImageData,
    ImageGridData,
    PlotData,
    PlotSpec,
)
from lessons.deep_nets import INFO

PROBE_SIZE = 256          # training images whose activations the histograms show (fixed per run)
BINS = 41                 # activation histogram bins (odd: 0.5 and 0 fall mid-bin)
SHARE_FLOOR = -3.0        # log10 share of an empty histogram bin
INCEPTION_MAPS = 4        # feature maps shown per Inception branch
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
             tooltip="log₁₀ ‖∂L/∂W_l‖ per weight layer at the last step; −3 means a thousandth."),
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


def _trainer(config: DeepNetConfig, hp) -> Any:
    if hp["engine"] == "torch":
        from lessons.deep_nets.torch_net import TorchTrainer
        return TorchTrainer(config, hp["optimizer"], hp["lr"], hp["device"])
    return NumpyTrainer(config, hp["optimizer"], hp["lr"])


class DeepNetsLesson(Lesson):
    """A deep fully connected digit classifier, plain or residual: x (N, 64) pixels -> logits (N, 10).

    Raises LessonConfigError for batch normalization with a batch size of 1, or CUDA without a GPU."""

    info = INFO
    params = PARAMS
    plots = PLOTS
    narrative = NARRATIVE
    eval_every = 25

    def __init__(self, hp, context=None) -> None:
        super().__init__(hp, context)
        if hp["batchnorm"] and hp["batch_size"] < 2:
            raise LessonConfigError("Batch normalization needs at least 2 images per batch (the variance of one "
                                    "image is undefined): set Batch size to 2 or more, or switch it off.")
        self.data = load_digits_split(VAL_FRACTION, hp["seed"])
        self.rng = np.random.default_rng(hp["seed"])
        self.batches = EpochBatches(len(self.data.y_train), self.rng)
        self.t = 0
        self.probe_x = self.data.x_train[np.sort(self.rng.choice(len(self.data.y_train), PROBE_SIZE, replace=False))]
        config = DeepNetConfig(self.data.n_features, hp["width"], hp["depth"], self.data.n_classes,
                               residual=hp["residual"], batchnorm=hp["batchnorm"], activation=hp["activation"],
                               init=hp["init"], seed=hp["seed"])
        self.config = config
        self.model = _trainer(config, hp)
        self.twin = None
        if hp["train_twin"]:
            twin_config = DeepNetConfig(**{**config.__dict__, "residual": not config.residual})
            self.twin = _trainer(twin_config, hp)
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

    def _next_batch(self) -> np.ndarray:
        """Indices (B,) of the next mini-batch: consecutive slices of a permutation redrawn each epoch."""
        idx = self.batches.next(self.hp["batch_size"])
        if self.hp["batchnorm"] and len(idx) < 2:        # an epoch's last slice of 1 image: take the next epoch's
            idx = self.batches.next(self.hp["batch_size"])
        return idx

    def _probe_gradients(self) -> None:
        """Record the gradient norms at initialization (step 0) from the first batch, without an update."""
        idx = self.batches.order[: self.hp["batch_size"]]
        if len(idx) < 2 and self.hp["batchnorm"]:
            return
        self._norms = self.model.probe_gradients(self.data.x_train[idx], self.data.y_train[idx])
        self.history.record(0, self._norms)

    def train_step(self) -> dict[str, float]:
        idx = self._next_batch()
        x, y = self.data.x_train[idx], self.data.y_train[idx]
        loss, acc = self.model.train_step(x, y)
        self.t += 1
        self._norms = self.model.grad_norms()
        if self.history.due(self.t):
            self.history.record(self.t, self._norms)
        name = "loss_residual" if self.config.residual else "loss_plain"
        out = {"train_loss": float(loss), "train_acc": float(acc), name: float(loss)}
        if self.twin is not None:
            twin_loss, _ = self.twin.train_step(x, y)
            out["loss_plain" if self.config.residual else "loss_residual"] = float(twin_loss)
        return out

    def evaluate(self) -> dict[str, float]:
        loss, acc = self.model.evaluate(self.data.x_val, self.data.y_val)
        return {"val_loss": float(loss), "val_acc": float(acc)}

    def set_live(self, name: str, value: Any) -> None:
        if name == "batch_size" and self.hp["batchnorm"] and int(value) < 2:
            raise LessonConfigError("Batch normalization needs at least 2 images per batch: keep Batch size at "
                                    "2 or more, or switch batch normalization off and press Reset.")
        super().set_live(name, value)
        if name == "lr":
            self.model.set_lr(value)
            if self.twin is not None:
                self.twin.set_lr(value)

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
        """Histograms of each hidden layer's activations on the probe images: image (BINS, n_hidden)
        float32 of log10(share of values per bin), floor SHARE_FLOOR; row 0 = lowest values."""
        if self._act_cache is not None and self._act_cache[0] == self.t:
            return self._act_cache[1]
        acts = self.model.activations(self.probe_x)                    # [(P, H)] * n_hidden
        act = self.hp["activation"]
        if act == "sigmoid":
            lo, hi = 0.0, 1.0
        elif act == "tanh":
            lo, hi = -1.0, 1.0
        else:
            finite = np.concatenate([a[np.isfinite(a)] for a in acts])
            lo, hi = 0.0, max(1.0, float(np.quantile(finite, 0.99)) if finite.size else 1.0)
        edges = np.linspace(lo, hi, BINS + 1)
        image = np.empty((BINS, len(acts)), dtype=np.float64)
        for j, a in enumerate(acts):
            v = np.clip(np.nan_to_num(a.ravel(), nan=lo, posinf=hi, neginf=lo), lo, hi)
            counts = np.histogram(v, bins=edges)[0]
            share = counts / max(1, v.size)
            with np.errstate(divide="ignore"):
                image[:, j] = np.maximum(np.log10(share), SHARE_FLOOR)
        half = (hi - lo) / BINS / 2
        data = ImageData(image.astype(np.float32), (1.0, float(len(acts)), lo + half, hi - half),
                         (SHARE_FLOOR, 0.0), "viridis", x_label="hidden layer", y_label=f"{act} output",
                         colorbar_label="log₁₀ share of values")
        self._act_cache = (self.t, data)
        return data

    def _inception_grid(self) -> ImageGridData:
        index = min(self.hp["inception_image"], len(self.data.y_val) - 1)
        if self._inception_cache is not None and self._inception_cache[0] == index:
            return self._inception_cache[1]
        image = self.data.x_val[index].reshape(self.data.image_shape)              # (8, 8)
        engine = "torch" if self.hp["engine"] == "torch" else "numpy"
        stem, branches, concat = self.inception.run(image, engine)

        def unit(m: np.ndarray) -> np.ndarray:
            peak = float(np.max(m))
            return m / peak if peak > 0 else m

        blank = np.full_like(image, np.nan, dtype=np.float64)
        tiles = [image.astype(np.float64), unit(stem.mean(axis=0)), unit(concat.mean(axis=0))]
        sizes = "+".join(str(b.shape[0]) for b in branches)
        captions = [f"digit {self.data.y_val[index]}", f"stem: {stem.shape[0]} maps",
                    f"concat: {sizes}={concat.shape[0]} ch"]
        tiles += [blank] * (INCEPTION_MAPS - 3)
        captions += [""] * (INCEPTION_MAPS - 3)
        for name, maps in zip(BRANCHES, branches):
            for k in range(INCEPTION_MAPS):
                tiles.append(unit(maps[k]) if k < len(maps) else blank)
                captions.append(f"{name} #{k + 1}" if k < len(maps) else "")
        data = ImageGridData(np.stack(tiles).astype(np.float32), captions, (0.0, 1.0), "viridis",
                             ncols=INCEPTION_MAPS)
        self._inception_cache = (index, data)
        return data

    def snapshot(self) -> dict[str, PlotData]:
        labels = [str(l) for l in range(1, self.config.depth + 1)]
        return {
            "grad_heatmap": self.history.image(),
            "grad_bars": BarsData(labels, self._norms.copy(), y_label="‖∂L/∂W‖"),
            "activations": self._activation_image(),
            "inception": self._inception_grid(),
        }

    # ---- checkpoints -----------------------------------------------------------------------------
    def checkpoint_state(self) -> dict[str, np.ndarray]:
        return self.model.state_dict()

    def load_checkpoint_state(self, state: dict) -> None:
        try:
            self.model.load_state_dict(state)
        except (KeyError, ValueError, RuntimeError) as e:
            raise LessonConfigError(f"The checkpoint does not fit this network ({e}): build the same depth, width, "
                                    "residual and batch-normalization settings it was saved with.") from None
        self._act_cache = None

    def close(self) -> None:
        self._act_cache = self._inception_cache = None


LESSON = DeepNetsLesson
