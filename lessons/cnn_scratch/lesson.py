"""Lesson ``cnn_scratch``: convolutions from scratch, then a small CNN trained live on digits (Qt-free).

Part one is the convolution explainer (``explainer.py``): a kernel slides over a digit, a photo or a
test pattern with a chosen size, stride and padding, and every number of one output value is shown.
Part two trains conv → ReLU → pool → conv → ReLU → pool → linear → ReLU → linear on scikit-learn's
embedded 8×8 digits (or MNIST or the colour photos of CIFAR-10 when they can be downloaded) on the
NumPy engine (im2col) or PyTorch, from the same initial weights and batches, and shows what it
learns: first-layer filters, feature maps and their gradients, saliency and filter patterns by
gradient ascent (``attribution.py``).

Follows Saitoh, *Deep Learning from Scratch*, ch. 7 (convolutional neural networks), with
background from Chollet, *Deep Learning with Python* 2e, ch. 8-9, and Buduma et al., *Fundamentals
of Deep Learning* 2e, ch. 6; the data is Alpaydin & Kaynak (1998), LeCun et al. (1998) and
Krizhevsky (2009).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from lessons.cnn_scratch import explainer
from lessons.cnn_scratch.attribution import gradient_ascent, maps_and_gradients, saliency
from lessons.cnn_scratch.engines import NumpyEngine
from lessons.cnn_scratch.explainer import ConvExplainerData, explain_convolution, kernel_preset
from lessons.cnn_scratch.narrative import NARRATIVE
from visualizer.data import cifar10
from visualizer.data.batches import EpochBatches
from visualizer.data.digits import load_digits_split
from visualizer.data.download import DownloadError
from visualizer.data.idx import DataFormatError
from visualizer.data.mnist import SOURCES, load_idx_split
from visualizer.data.split import DataSplit
from visualizer.core.hyperparams import BoolParam, ChoiceParam, FloatParam, IntParam
from visualizer.core.lesson import Lesson, LessonConfigError, LessonInfo
from visualizer.core.plotdata import ImageGridData, PlotData, PlotSpec
from visualizer.models.cnn import CNN
from lessons.cnn_scratch import INFO

DATASETS = ("digits", "mnist", "cifar10")
MAX_TRAIN = 10_000          # training images taken from MNIST or CIFAR-10: what 2 CPU cores train in minutes
EVAL_CHUNK = 500            # validation images per forward pass (im2col of 2,500 CIFAR-10 images is ~0.3 GB)
OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam")
MAPS_PER_LAYER = 8          # feature-map tiles per layer in the "feature_maps" grid
ASCENT_EVERY = 50           # training steps between two gradient-ascent recomputations (~10-30 ms each)
ASCENT_STEPS = 30
EXPLAIN = ("explain_input", "explain_kernel", "explain_kernel_size", "explain_stride", "explain_padding",
           "explain_position")
DIVERGING = "CET-D1"


def architecture(filters1: int, filters2: int, kernel: int, pooling: str, hidden: int,
                 n_classes: int) -> list[tuple]:
    """The CNN's layer spec: two conv blocks with "same" padding (P = ⌊K/2⌋), each followed by ReLU and
    2×2 pooling, then a hidden fully connected layer and the logits."""
    pool = "maxpool" if pooling == "max" else "avgpool"
    return [("conv", filters1, kernel, 1, kernel // 2), ("relu",), (pool, 2),
            ("conv", filters2, kernel, 1, kernel // 2), ("relu",), (pool, 2),
            ("flatten",), ("linear", hidden), ("relu",), ("linear", n_classes)]


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
                         "explainer's digit)."),
        IntParam("filter_layer", "Conv layer to inspect", 2, 1, 2, live=True,
                 tooltip="Which convolution the activation and gradient maps and the gradient ascent look at."),
        IntParam("filter_index", "Filter to visualize", 0, 0, 127, live=True,
                 tooltip="Which filter of that layer gradient ascent visualizes (and, for conv 1, the "
                         "explainer's 'learned' kernel)."),
        ChoiceParam("explain_input", "Explainer input", "digit", explainer.INPUTS, live=True,
                    tooltip="digit: the chosen validation image (in grey levels, its luminance, for colour "
                            "photos); photo: scikit-learn's bundled photo at 16×16; pattern: a square, a stroke "
                            "and a faint block."),
        ChoiceParam("explain_kernel", "Explainer kernel", "edge_vertical", explainer.KERNELS, live=True,
                    tooltip="edge filters (Sobel), blur (box), sharpen, random, or a learned first-layer "
                            "filter of the network (its own size)."),
        IntParam("explain_kernel_size", "Explainer kernel size K", 3, 1, 9, live=True,
                 tooltip="K×K kernel of the explainer. Larger than the padded input is an error."),
        IntParam("explain_stride", "Explainer stride S", 1, 0, 4, live=True,
                 tooltip="How far the window moves per output pixel. Must be at least 1."),
        IntParam("explain_padding", "Explainer padding P", 0, 0, 4, live=True,
                 tooltip="Zeros added around the input on each side."),
        IntParam("explain_position", "Explainer position", 0, 0, 4095, live=True,
                 tooltip="Output pixel being computed, in reading order (wraps around). Click the "
                         "explainer's input or output to move it."),
        BoolParam("explain_follow", "Window follows the steps", False, live=True,
                  tooltip="Move the explainer's window one position per training step (set the speed limit "
                          "to a few steps per second to watch)."),
    )
    plots = (
        PlotSpec("explainer", "Convolution explainer", "conv_explainer",
                 tooltip="The input with zero padding and the kernel's window (red), the kernel, the window "
                         "times the kernel elementwise and their sum, and the output map computed so far."),
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
    eval_every = 10

    def __init__(self, hp, context=None) -> None:
        super().__init__(hp, context)
        self._position = hp["explain_position"]
        self._explain_cache: tuple | None = None
        self.data = self._load_data()
        h, w = self.data.image_shape
        c = self.data.channels
        self.x_train = self.data.train_images()                           # (N, C, H, W)
        self.x_val = self.data.val_images()                               # (M, C, H, W)
        self.rng = np.random.default_rng(hp["seed"])
        self.batches = EpochBatches(len(self.x_train), self.rng)
        self.t = 0
        spec = architecture(hp["filters1"], hp["filters2"], hp["kernel"], hp["pooling"], hp["hidden"],
                            self.data.n_classes)
        try:
            self.cnn = CNN(input_shape=(c, h, w), spec=spec, init="he", dtype=hp["dtype"], seed=hp["seed"])
        except ValueError as e:
            raise LessonConfigError(f"This network cannot be built: {e}") from None
        self.conv_layers = [i for i, s in enumerate(spec) if s[0] == "conv"]  # indices in cnn.layers
        self.spec = spec
        if hp["engine"] == "torch":
            from lessons.cnn_scratch.torch_engine import TorchEngine   # lazy: importing torch is slow
            self.engine = TorchEngine(self.cnn, hp["device"], hp["optimizer"], hp["lr"])
            self._mirror: CNN | None = CNN(input_shape=(c, h, w), spec=spec, init="he", dtype=hp["dtype"],
                                           seed=hp["seed"])
        else:
            self.engine = NumpyEngine(self.cnn, hp["optimizer"], hp["lr"])
            self._mirror = None
        self._mirror_step = -1
        self._maps_cache: tuple | None = None
        self._ascent_cache: tuple | None = None
        self.eval_every = self._eval_interval()
        self._explanation()                     # raises LessonConfigError for impossible explainer settings

    # ---- data ------------------------------------------------------------------------------------
    def _load_data(self) -> DataSplit:
        """The chosen data set; a downloaded one that cannot be had or read gives a notice and the
        embedded digits instead."""
        hp = self.hp
        args = (hp["val_fraction"], hp["seed"], hp["dtype"], MAX_TRAIN)
        progress = self.context.progress
        if hp["dataset"] == "mnist":
            title, load = SOURCES["mnist"].title, lambda: load_idx_split("mnist", *args, progress=progress)
        elif hp["dataset"] == "cifar10":
            title, load = cifar10.SOURCE.title, lambda: cifar10.load_cifar10_split(*args, progress=progress)
        else:
            return load_digits_split(*args[:3])
        try:
            return load()
        except DownloadError as e:
            self.context.notice(f"Could not download {title} ({e.reason}): using the embedded 8×8 digits instead.")
        except DataFormatError as e:
            self.context.notice(f"The {title} files are damaged ({e}): using the embedded 8×8 digits "
                                "instead. Delete them from the cache folder to download them again.")
        return load_digits_split(*args[:3])

    @property
    def steps_per_epoch(self) -> int:
        return math.ceil(len(self.x_train) / self.hp["batch_size"])

    def _eval_interval(self) -> int:
        return max(1, round(self.steps_per_epoch / 4))

    def _next_batch(self) -> np.ndarray:
        """Indices (B,) of the next mini-batch: consecutive slices of a permutation redrawn each epoch."""
        return self.batches.next(self.hp["batch_size"])

    # ---- training --------------------------------------------------------------------------------
    def train_step(self) -> dict[str, float]:
        idx = self._next_batch()
        loss, acc = self.engine.train_step(self.x_train[idx], self.data.y_train[idx])
        self.t += 1
        if self.hp["explain_follow"]:
            self._position += 1
        return {"train_loss": float(loss), "train_acc": float(acc)}

    def evaluate(self) -> dict[str, float]:
        logits = np.concatenate([self.engine.logits(self.x_val[s:s + EVAL_CHUNK])    # (M, K) float64
                                 for s in range(0, len(self.x_val), EVAL_CHUNK)])
        z = logits - logits.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        y = self.data.y_val
        return {"val_loss": float(-logp[np.arange(len(y)), y].mean()),
                "val_acc": float(np.mean(logits.argmax(axis=1) == y))}

    def gradient_arrays(self) -> dict[str, np.ndarray]:
        """The last training step's parameter gradients, float64 copies, named as ``CNN.state()``."""
        return self.engine.gradients()

    def set_live(self, name: str, value: Any) -> None:
        if name in EXPLAIN:
            old_position = self._position
            trial = self.hp.copy()
            trial.set(name, value)
            if name == "explain_position":
                self._position = int(value)
            try:
                self._explanation(trial)
            except LessonConfigError:
                self._position = old_position
                raise
        super().set_live(name, value)
        if name == "lr":
            self.engine.set_lr(value)
        elif name == "batch_size":
            self.eval_every = self._eval_interval()

    # ---- explainer -------------------------------------------------------------------------------
    def _explain_input(self, hp) -> tuple[np.ndarray, str]:
        kind = hp["explain_input"]
        if kind == "photo":
            return explainer.photo(), f"photo {explainer.PHOTO_SIZE}×{explainer.PHOTO_SIZE}"
        if kind == "pattern":
            return explainer.pattern(), f"pattern {explainer.PATTERN_SIZE}×{explainer.PATTERN_SIZE}"
        i = self._sample(hp)
        label = self.data.class_names[int(self.data.y_val[i])]
        if self.data.channels == 3:
            return (luminance(self.x_val[i]),
                    f"validation image {i} (a {label}) in grey: luminance Y = 0.299 R + 0.587 G + 0.114 B")
        return self.x_val[i, 0].astype(np.float64), f"validation image {i} (a {label})"

    def _explain_kernel(self, hp) -> tuple[np.ndarray, str]:
        name = hp["explain_kernel"]
        if name == "learned":
            W = self._analysis_net().layers[self.conv_layers[0]].params[0]   # (F, C, K, K)
            f = hp["filter_index"] % W.shape[0]
            if W.shape[1] == 1:
                return W[f, 0].astype(np.float64), f"learned filter {f} of conv 1"
            # on a grey image (R = G = B) the filter acts as the sum of its channels' kernels
            return W[f].sum(axis=0).astype(np.float64), f"learned filter {f} of conv 1 (R + G + B weights)"
        k = hp["explain_kernel_size"]
        return kernel_preset(name, k, seed=hp["seed"]), name.replace("_", " ")

    def _explanation(self, hp=None) -> ConvExplainerData:
        """The explainer's data for ``hp`` (default: the current values).  Raises LessonConfigError
        when the kernel does not fit in the padded input or the stride is below 1."""
        hp = hp or self.hp
        image, input_name = self._explain_input(hp)
        kernel, kernel_name = self._explain_kernel(hp)
        try:
            e = explain_convolution(image, kernel, hp["explain_stride"], hp["explain_padding"], self._position)
        except ValueError as err:
            raise LessonConfigError(f"The explainer cannot convolve: {err}.") from None
        k = kernel.shape[0]
        return ConvExplainerData(e, f"{input_name} ⊛ {kernel_name} {k}×{k}")

    # ---- views -----------------------------------------------------------------------------------
    def _sample(self, hp=None) -> int:
        return (hp or self.hp)["sample_index"] % len(self.x_val)

    def _analysis_net(self) -> CNN:
        """A scratch CNN holding the current weights, in evaluation mode: the trained network itself on
        the NumPy engine, a NumPy copy of the PyTorch weights on the torch engine."""
        if self._mirror is None:
            self.engine._mode(False)
            return self.cnn
        if self._mirror_step != self.t:
            state = self.engine.state()
            for name, ref in self._mirror.state().items():
                ref[...] = state[name]
            self._mirror.set_train(False)
            self._mirror_step = self.t
        return self._mirror

    def _maps(self):
        """(outputs, gradients, logits, saliency) of the chosen validation image, cached per step."""
        i = self._sample()
        key = (self.t, i)
        if self._maps_cache is None or self._maps_cache[0] != key:
            net = self._analysis_net()
            x = self.x_val[i:i + 1]
            outs, grads, logits = maps_and_gradients(net.layers, x, int(self.data.y_val[i]))
            sal = saliency(net.layers, x, int(logits.argmax()))
            self._maps_cache = (key, outs, grads, logits, sal)
        return self._maps_cache[1:]

    def _ascent(self):
        """(pattern (C, H, W), activation before, after, layer, filter), recomputed every ASCENT_EVERY steps."""
        layer_no = min(self.hp["filter_layer"], len(self.conv_layers))
        conv = self.conv_layers[layer_no - 1]
        n_filters = self.spec[conv][1]
        f = self.hp["filter_index"] % n_filters
        key = (self.t // ASCENT_EVERY, layer_no, f)
        if self._ascent_cache is None or self._ascent_cache[0] != key:
            net = self._analysis_net()
            x0 = (0.5 + 0.05 * np.random.default_rng(self.hp["seed"]).standard_normal(self.x_val[:1].shape))
            x, before, after = gradient_ascent(net.layers, conv, f, x0.astype(self.x_val.dtype), ASCENT_STEPS)
            self._ascent_cache = (key, x, before, after, layer_no, f)
        return self._ascent_cache[1:]

    def snapshot(self) -> dict[str, PlotData]:
        out: dict[str, PlotData] = {"explainer": self._explanation()}
        net = self._analysis_net()
        rgb = self.data.channels == 3
        W = net.layers[self.conv_layers[0]].params[0].astype(np.float32)         # (F, C, K, K)
        names = [f"f{j}" for j in range(len(W))]
        if rgb:                       # each filter scaled to its own largest |weight|: 0 is grey
            m = np.abs(W).max(axis=(1, 2, 3), keepdims=True)
            tiles = 0.5 + 0.5 * W / np.where(m > 0, m, 1.0)
            out["filters"] = ImageGridData(_hwc(tiles), names, (0.0, 1.0), ncols=8)   # (F, K, K, 3)
        else:
            m = float(np.abs(W).max()) or 1.0
            out["filters"] = ImageGridData(W[:, 0], names, (-m, m), DIVERGING, ncols=8)      # (F, K, K)

        outs, grads, logits, sal = self._maps()
        i = self._sample()
        h, w = self.data.image_shape
        tiles, captions = [], []
        for li, s in enumerate(self.spec):
            if s[0] in ("conv", "maxpool", "avgpool"):
                shown = li + 1 if s[0] == "conv" and li + 1 < len(self.spec) and self.spec[li + 1][0] == "relu" else li
                name = (f"conv{self.conv_layers.index(li) + 1}" if s[0] == "conv"
                        else f"pool{sum(1 for t in self.spec[:li + 1] if t[0] in ('maxpool', 'avgpool'))}")
                maps = outs[shown][0]                                         # (F, h', w')
                top = float(np.abs(maps).max()) or 1.0
                for c in range(min(MAPS_PER_LAYER, len(maps))):
                    tiles.append(_upsample(maps[c] / top, h, w))
                    captions.append(f"{name}·{c}")
                for _ in range(MAPS_PER_LAYER - min(MAPS_PER_LAYER, len(maps))):
                    tiles.append(np.full((h, w), np.nan))
                    captions.append("")
        out["feature_maps"] = ImageGridData(np.array(tiles, np.float32), captions, (0.0, 1.0), "viridis",
                                            ncols=MAPS_PER_LAYER)

        layer_no = min(self.hp["filter_layer"], len(self.conv_layers))
        conv = self.conv_layers[layer_no - 1]
        act_index = conv + 1 if self.spec[conv + 1][0] == "relu" else conv
        acts, dacts = outs[act_index][0], grads[act_index][0]                 # (F, h', w')
        top = float(acts.max()) or 1.0
        gtop = float(np.abs(dacts).max()) or 1.0
        names = [f"conv{layer_no}·{c}" for c in range(len(acts))]
        cols = min(8, len(acts))
        out["activations"] = ImageGridData(acts.astype(np.float32), names, (0.0, top), "viridis", ncols=cols)
        out["gradients"] = ImageGridData(dacts.astype(np.float32), names, (-gtop, gtop), DIVERGING, ncols=cols)

        pred = int(logits.argmax())
        cn = self.data.class_names
        s_top = float(sal.max()) or 1.0
        captions = [f"image {i}: true {cn[int(self.data.y_val[i])]}", f"saliency of class {cn[pred]}"]
        if rgb:                       # saliency in grey (white: salient), and the image seen through it
            image = _hwc(self.x_val[i])                                          # (H, W, 3)
            s = np.repeat((sal / s_top)[:, :, None], 3, axis=2)
            out["saliency"] = ImageGridData(np.stack([image, s, image * s]).astype(np.float32),
                                            captions + ["image × saliency"], (0.0, 1.0), ncols=3)
        else:
            out["saliency"] = ImageGridData(np.stack([self.x_val[i, 0], sal / s_top]).astype(np.float32),
                                            captions, (0.0, 1.0), "inferno", ncols=2)

        pattern, before, after, layer_no, f = self._ascent()
        out["ascent"] = ImageGridData((_hwc(pattern) if rgb else pattern[0])[None].astype(np.float32),
                                      [f"conv{layer_no} filter {f}: mean activation {before:.2f} → {after:.2f}"],
                                      (0.0, 1.0), "gray", ncols=1)
        return out

    # ---- checkpoints -----------------------------------------------------------------------------
    def checkpoint_state(self) -> dict[str, np.ndarray]:
        return self.engine.state()

    def load_checkpoint_state(self, state: dict[str, np.ndarray]) -> None:
        current = self.engine.state()
        missing = sorted(set(current) - set(state))
        extra = sorted(set(state) - set(current))
        if missing or extra:
            raise LessonConfigError("The saved model does not match this network: "
                                    + ", ".join([f"missing {m}" for m in missing] + [f"unexpected {x}" for x in extra])
                                    + ".")
        for name, ref in current.items():
            a = np.asarray(state[name])
            if a.shape != ref.shape:
                raise LessonConfigError(f"The saved model does not match this network: {name} expected shape "
                                        f"{ref.shape}, got {a.shape}.")
            if a.dtype.kind not in "fiu" or not np.all(np.isfinite(a)):
                raise LessonConfigError(f"The saved model's {name} holds values that are not finite numbers.")
        self.engine.load_state({k: np.asarray(v).astype(current[k].dtype) for k, v in state.items()})
        self._mirror_step = -1
        self._maps_cache = self._ascent_cache = None

    def divergence_hint(self) -> str:
        return (f"The learning rate ({self.hp['lr']:g}) is probably too high for this CNN: lower it (Adam works "
                "well near 0.003) and press Reset (R).")

    def close(self) -> None:
        self._maps_cache = self._ascent_cache = None


def _hwc(x: np.ndarray) -> np.ndarray:
    """Colour image(s) from channels-first (..., 3, H, W) to channels-last (..., H, W, 3), as
    ``ImageGridData`` draws them."""
    return np.moveaxis(x, -3, -1)


def luminance(x: np.ndarray) -> np.ndarray:
    """Grey levels of an RGB image x (3, H, W) in [0, 1]: Y = 0.299 R + 0.587 G + 0.114 B (ITU-R
    BT.601, the weights of JPEG and PIL's "L" mode), (H, W) float64."""
    return np.tensordot(np.array([0.299, 0.587, 0.114]), x.astype(np.float64), axes=1)


def _upsample(a: np.ndarray, h: int, w: int) -> np.ndarray:
    """Nearest-neighbour enlargement of a map (h', w') to (h, w) (h' dividing h), so that maps of every
    layer fit one grid; each pixel of a pooled map becomes a block."""
    rh, rw = max(1, h // a.shape[0]), max(1, w // a.shape[1])
    big = np.repeat(np.repeat(a, rh, axis=0), rw, axis=1)
    outp = np.full((h, w), np.nan)
    outp[:big.shape[0], :big.shape[1]] = big[:h, :w]
    return outp


LESSON = ConvolutionLesson
