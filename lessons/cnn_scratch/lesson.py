"""Lesson ``cnn_scratch``: convolutions from scratch, then a small CNN trained live on digits (Qt-free).

Part one is the convolution explainer (``explainer.py``, drawn by ``view.py``): a kernel slides over a
digit, a photo or a test pattern, one output cell per step, with every number of the current value
shown.  The lesson only sends it the images and the first layer's current filters; its animation and
its settings (kernel, size, stride, padding) belong to the view and never touch training.
Part two trains conv → ReLU → pool → conv → ReLU → pool → linear → ReLU → linear on scikit-learn's
embedded 8×8 digits (or MNIST or the colour photos of CIFAR-10 when they can be downloaded) on the
NumPy engine (im2col) or PyTorch, from the same initial weights and batches, and shows what it
learns: first-layer filters, feature maps and their gradients, saliency and filter patterns by
gradient ascent (``visualizer/probes``).

Follows Saitoh, *Deep Learning from Scratch*, ch. 7 (convolutional neural networks), with
background from Chollet, *Deep Learning with Python* 2e, ch. 8-9, and Buduma et al., *Fundamentals
of Deep Learning* 2e, ch. 6; the data is Alpaydin & Kaynak (1998), LeCun et al. (1998) and
Krizhevsky (2009).
"""
from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from lessons.cnn_scratch import INFO, explainer
from lessons.cnn_scratch.data import DATASETS, load_data
from lessons.cnn_scratch.explainer import ConvExplainerData
from lessons.cnn_scratch.narrative import NARRATIVE
from lessons.cnn_scratch.net import (PUBLISH_EVERY_S, architecture, build_cnn, named_arrays, numpy_logits,
                                    publish_cnn, validation_metrics)
from lessons.cnn_scratch.pictures import ASCENT_STEPS, CNNPictures
from visualizer.core.hyperparams import ChoiceParam, FloatParam, IntParam
from visualizer.core.lesson import Lesson
from visualizer.core.plotdata import PlotData, PlotSpec
from visualizer.data.batches import EpochBatches
from visualizer.models.cnn import CNN
from visualizer.scratch.losses import SoftmaxCrossEntropy
from visualizer.scratch.optimizers import OPTIMIZERS, make_optimizer
from visualizer.scratch.trainer import NumpyTrainer

EVAL_CHUNK = 500            # validation images per forward pass (im2col of 2,500 CIFAR-10 images is ~0.3 GB)


class ConvolutionLesson(Lesson):
    """Convolution explainer plus a CNN on digits or photos: x (N, C, H, W) in [0, 1] -> logits (N, 10),
    C = 1 for the digits and MNIST, 3 (R, G, B) for CIFAR-10."""

    info = INFO
    params = (
        ChoiceParam("dataset", "Data set", "digits", DATASETS,
                    tooltip="digits: 1,797 embedded 8×8 images (no download). mnist: 28×28 images, downloaded "
                            "once (about 12 MB) and cached; offline, the embedded digits. cifar10: CIFAR-10, "
                            "32×32 colour photos of 10 classes (airplane … truck), 10,000 of them for training, "
                            "downloaded once (about 163 MB) and cached; offline, the embedded digits."),
        IntParam("filters1", "Filters, conv 1", 16, 1, 64, log=True,
                 tooltip="Number of filters F in the first convolution: one feature map each."),
        IntParam("filters2", "Filters, conv 2", 32, 1, 128, log=True,
                 tooltip="Number of filters in the second convolution; each looks at all maps of the first."),
        IntParam("kernel", "Kernel size", 3, 1, 5,
                 tooltip="K×K filters in both convolutions, with 'same' padding P = ⌊K/2⌋."),
        ChoiceParam("pooling", "Pooling", "max", ("max", "avg"),
                    tooltip="2×2 pooling after each convolution: the maximum or the mean of each window."),
        IntParam("hidden", "Hidden units", 64, 8, 512, log=True,
                 tooltip="Width of the fully connected layer before the output."),
        ChoiceParam("optimizer", "Optimizer", "adam", OPTIMIZERS,
                    tooltip="The update rule (identical on both engines)."),
        FloatParam("lr", "Learning rate", 3e-3, 1e-5, 1.0, log=True, live=True, decimals=5,
                   tooltip="Step size of each update. Applies at the next step."),
        IntParam("batch_size", "Batch size", 32, 1, 512, live=True, log=True,
                 tooltip="Images per update. Applies at the next step."),
        ChoiceParam("dtype", "Precision", "float32", ("float32", "float64"),
                    tooltip="Floating-point type of data, weights and gradients."),
        FloatParam("val_fraction", "Validation fraction", 0.2, 0.1, 0.5, live=False, decimals=2,
                   tooltip="Share of the images held out to measure generalization."),
        IntParam("sample_index", "Validation image", 0, 0, 9999, live=True,
                 tooltip="Which validation image the feature maps, gradients and saliency show (also the "
                         "explainer's input 'digit')."),
        IntParam("filter_layer", "Conv layer to inspect", 2, 1, 2, live=True,
                 tooltip="Which convolution the activation and gradient maps and the gradient ascent look at."),
        IntParam("filter_index", "Filter to visualize", 0, 0, 127, live=True,
                 tooltip="Which filter of that layer gradient ascent visualizes."),
    )
    plots = (
        PlotSpec("explainer", "Convolution explainer", "conv_explainer",
                 tooltip="The kernel slides over the zero-padded input (its window in red), one output cell "
                         "per step: the kernel, the window times the kernel elementwise, their sum plus the "
                         "bias, and the output map computed so far. Its own Play, Step, Reset and speed, and "
                         "its settings (input, kernel, K, S, P), change only this picture, never training."),
        PlotSpec("loss", "Loss", "curves", series=("train_loss", "val_loss"), x_label="step",
                 y_label="cross-entropy", log_y=True,
                 tooltip="Mean cross-entropy of each mini-batch and of the validation set."),
        PlotSpec("accuracy", "Accuracy", "curves", series=("train_acc", "val_acc"), x_label="step",
                 y_label="accuracy", tooltip="Share of correctly classified images."),
        PlotSpec("filters", "First-layer filters", "image_grid",
                 tooltip="The K×K weights of every filter of the first convolution (red positive, blue "
                         "negative). On colour images the weights for R, G and B are drawn as one colour, "
                         "each filter scaled to its largest weight: grey is 0, red means 'more red here', "
                         "cyan 'less red'."),
        PlotSpec("feature_maps", "Feature maps (chosen image)", "image_grid",
                 tooltip="One row per layer: the first maps after each convolution + ReLU and after each "
                         "pooling, for the chosen validation image (each row scaled to its maximum)."),
        PlotSpec("activations", "Activation maps (inspected layer)", "image_grid",
                 tooltip="All feature maps of the inspected convolution (after ReLU) for the chosen image."),
        PlotSpec("gradients", "Gradient maps dL/d(feature map)", "image_grid",
                 tooltip="How the loss of the chosen image changes with each pixel of each map of the "
                         "inspected convolution (red: raising it raises the loss)."),
        PlotSpec("saliency", "Saliency |∂z_c/∂x|", "image_grid",
                 tooltip="The chosen image and the gradient magnitude of its predicted class score with "
                         "respect to each pixel, the largest of its R, G, B channels for colour images "
                         "(Simonyan et al. 2014)."),
        PlotSpec("ascent", "Filter pattern by gradient ascent", "image_grid",
                 tooltip="The input that maximizes the mean activation of the chosen filter, found by "
                         f"{ASCENT_STEPS} steps of gradient ascent from grey (Erhan et al. 2009)."),
    )
    narrative = NARRATIVE
    # What the pictures show, not how the network trains: no marker on the curves, not in run labels.
    view_params = frozenset({"sample_index", "filter_layer", "filter_index"})
    eval_every = 10
    engine_comparison = True

    def __init__(self, hp, context=None) -> None:
        super().__init__(hp, context)
        self.data = load_data(hp["dataset"], hp["val_fraction"], hp["seed"], hp["dtype"], self.context)
        self.x_train = self.data.train_images()                           # (N, C, H, W)
        self.x_val = self.data.val_images()                               # (M, C, H, W)
        self.batches = EpochBatches(len(self.x_train), np.random.default_rng(hp["seed"]))
        self.spec = architecture(hp["filters1"], hp["filters2"], hp["kernel"], hp["pooling"], hp["hidden"],
                                 self.data.n_classes)
        self.cnn = build_cnn((self.data.channels, *self.data.image_shape), self.spec, hp["dtype"], hp["seed"])
        self.conv_layers = [i for i, s in enumerate(self.spec) if s[0] == "conv"]  # indices in cnn.layers
        if hp["engine"] == "torch":
            from lessons.cnn_scratch.net_torch import CNNTrainer   # lazy: importing torch is slow
            self.trainer = CNNTrainer(self.cnn, self.x_train, self.data.y_train, device=hp["device"],
                                      optimizer=hp["optimizer"], lr=hp["lr"], seed=hp["seed"], losses=self.losses)
        else:
            params, grads, extra = named_arrays(self.cnn)
            opt = make_optimizer(hp["optimizer"], self.cnn.params, self.cnn.grads, hp["lr"], 0.9)
            self.loss = SoftmaxCrossEntropy()
            self.trainer = NumpyTrainer(params, grads, self.update, optimizers={hp["optimizer"]: opt},
                                        hyper={"lr": lambda v: setattr(opt, "lr", float(v))}, extra_state=extra)
        self._views_step = 0                   # the training step the weights are at (the views' cache key)
        self._mirror: CNN | None = None        # the torch engine's weights in a scratch CNN, for the views
        self._mirror_step = -1
        self._published = -math.inf            # when the model last went to the shelf
        self.pictures = CNNPictures(self.spec, self.conv_layers, self.x_val, self.data.y_val,
                                    self.data.class_names, hp["seed"])
        self.eval_every = self._eval_interval()

    @property
    def steps_per_epoch(self) -> int:
        return math.ceil(len(self.x_train) / self.hp["batch_size"])

    def _eval_interval(self) -> int:                 # four evaluations per epoch
        return max(1, round(self.steps_per_epoch / 4))

    # ---- training: one loss per engine ------------------------------------------------------------
    def next_batch(self) -> np.ndarray:
        """Indices (B,) of the next mini-batch: consecutive slices of a permutation redrawn each epoch."""
        return self.batches.next(self.hp["batch_size"])

    def update(self, idx: np.ndarray, step: int) -> dict[str, float]:
        """NumPy engine: one update on the training rows idx (B,); loss and accuracy before the update."""
        x, y = self.x_train[idx], self.data.y_train[idx]
        self.cnn.set_train(True)
        with np.errstate(over="ignore", invalid="ignore", under="ignore"):
            logits = self.cnn.forward(x)                                  # (B, K)
            loss = self.loss.forward(logits, y)
            self.cnn.backward(self.loss.backward())
            self.trainer.optimizers[self.hp["optimizer"]].step()
        return {"train_loss": float(loss), "train_acc": float(np.mean(logits.argmax(axis=1) == y))}

    def losses(self, idx: np.ndarray, step: int) -> dict:
        """Torch engine: cross-entropy and accuracy of the rows idx (B,), as device tensors."""
        import torch.nn.functional as F
        x, y = self.trainer.batch(idx)
        logits = self.trainer.modules["model"](x)                         # (B, K)
        return {"train_loss": F.cross_entropy(logits, y),
                "train_acc": (logits.detach().argmax(dim=1) == y).to(logits.dtype).mean()}

    def train_step(self, step: int) -> None:
        super().train_step(step)
        self._views_step = step

    def evaluate(self) -> dict[str, float]:
        logits_of = self.trainer.logits if self.hp["engine"] == "torch" else (lambda x: numpy_logits(self.cnn, x))
        logits = np.concatenate([logits_of(self.x_val[s:s + EVAL_CHUNK])          # (M, K) float64
                                 for s in range(0, len(self.x_val), EVAL_CHUNK)])
        metrics = validation_metrics(logits, self.data.y_val)
        if time.monotonic() - self._published >= PUBLISH_EVERY_S:    # for 'interpretability', throttled
            publish_cnn(self._analysis_net(), self.data.class_names, self._views_step, metrics)
            self._published = time.monotonic()
        return metrics

    def set_live(self, name: str, value: Any) -> None:
        super().set_live(name, value)
        if name == "batch_size":
            self.eval_every = self._eval_interval()

    def load_checkpoint_state(self, state: dict[str, np.ndarray]) -> None:
        super().load_checkpoint_state(state)
        self._mirror_step = -1
        self.pictures.clear()

    # ---- views -----------------------------------------------------------------------------------
    def _explainer(self) -> ConvExplainerData:
        """The explainer's material: the chosen validation image, the photo, the pattern and the first
        convolution's current filters and biases (what it shows of them is the view's own setting)."""
        i = self._sample()
        conv = self._analysis_net().layers[self.conv_layers[0]]
        name = f"validation image {i} (a {self.data.class_names[int(self.data.y_val[i])]})"
        return explainer.explainer_data(self.x_val[i], name, conv.params[0],                # (F, C, K, K)
                                        conv.params[1] if len(conv.params) > 1 else None)

    def _sample(self, hp=None) -> int:
        return (hp or self.hp)["sample_index"] % len(self.x_val)

    def _analysis_net(self) -> CNN:
        """A scratch CNN holding the current weights, in evaluation mode: the trained network itself on
        the NumPy engine, a NumPy copy of the PyTorch weights on the torch engine (made once per step)."""
        if self.hp["engine"] == "numpy":
            self.cnn.set_train(False)
            return self.cnn
        if self._mirror_step != self._views_step:
            self._mirror, self._mirror_step = self.trainer.scratch_copy(), self._views_step
        return self._mirror

    def snapshot(self) -> dict[str, PlotData]:
        grids = self.pictures.grids(self._analysis_net(), self._views_step, self._sample(),
                                    self.hp["filter_layer"], self.hp["filter_index"])
        return {"explainer": self._explainer(), **grids}

    def divergence_hint(self) -> str:
        return (f"The learning rate ({self.hp['lr']:g}) is probably too high for this CNN: lower it (Adam works "
                "well near 0.003) and press Reset (R).")

    def close(self) -> None:
        self.pictures.clear()
        super().close()


LESSON = ConvolutionLesson
