"""Lesson ``autoencoder``: an MLP autoencoder on the 8×8 digits, its latent space, denoising, and
semantic hashing with binary codes (Qt-free).

The network (``network.py``) squeezes each 64-pixel image through a small code and rebuilds it; the
lesson shows input vs reconstruction, the code space coloured by digit (PCA when the code has more
than two units), the reconstruction error, and, with a sigmoid code pushed to 0/1 by noise, retrieval
by Hamming distance and its precision.  Follows Yoon, *Python raw-coding deep learning*, ch. 13
(autoencoder, semantic hashing); Fundamentals of Deep Learning 2e, ch. 8 (autoencoders, denoising,
sparsity); Hinton & Salakhutdinov, *Science* 313 (2006); Salakhutdinov & Hinton, *Semantic hashing*
(2009); Vincent et al., ICML 2008 (denoising autoencoders).
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from lessons.autoencoder import hashing
from lessons.autoencoder.narrative import NARRATIVE
from lessons.autoencoder.network import ACTIVATIONS, AEConfig, NumpyEngine
from visualizer.data.digits import load_digits_split
from visualizer.core.hyperparams import BoolParam, ChoiceParam, FloatParam, IntParam
from visualizer.core.lesson import Lesson, LessonConfigError, LessonInfo
from visualizer.core.plotdata import BarsData, ImageGridData, PlotData, PlotSpec, ScatterData
from lessons.autoencoder import INFO

VAL_FRACTION = 0.2                  # 1,437 training images (the retrieval database), 360 validation queries
N_VAL = 360
K_RETRIEVE = 10                     # precision@k
N_SHOWN_NEIGHBOURS = 11             # tiles after the query in the retrieval grid
PREFIX_BITS = (4, 8, 16, 32)
PRECISION_EVERY = 100               # steps between retrieval-precision evaluations (each costs ~20 ms)
BARS_EVERY = 100                    # steps between recomputations of the precision-by-length bars
RELEVANT_COLOR = "#188038"
IRRELEVANT_COLOR = "#d93025"
QUERY_COLOR = "#1a73e8"


@dataclass
class LatentMapData(ScatterData):
    """ScatterData with a title that says what is drawn (the code itself or its PCA)."""

    title: str = ""


class Autoencoder(Lesson):
    """An autoencoder on the digits: x (N, 64) -> code (N, C) -> x′ (N, 64), optionally with binary codes."""

    info = INFO
    params = (
        IntParam("code_size", "Code size", 2, 1, 64,
                 tooltip="Units in the code (bottleneck) layer when the code is real-valued. 2 lets the "
                         "latent map show the code itself; more units rebuild sharper images and the map "
                         "shows their PCA. Must not exceed the hidden units."),
        IntParam("hidden_units", "Hidden units", 128, 8, 512, log=True,
                 tooltip="Width of the hidden layer on each side of the code: 64 → H → code → H → 64."),
        ChoiceParam("activation", "Activation", "relu", ACTIVATIONS,
                    tooltip="Nonlinearity of the two hidden layers. The code layer is linear (or a sigmoid "
                            "for binary codes); the output is always a sigmoid, so pixels stay in [0, 1]."),
        ChoiceParam("loss", "Reconstruction loss", "bce", ("bce", "mse"),
                    tooltip="bce: binary cross-entropy −[x log x′ + (1 − x) log(1 − x′)] per pixel, treating "
                            "grey levels as probabilities of ink. mse: (x′ − x)² per pixel. The curves always "
                            "show the mean squared error, so both can be compared."),
        BoolParam("binary_codes", "Binary codes (semantic hashing)", False,
                  tooltip="Make the code a sigmoid layer with 'Code bits' units and add Gaussian noise "
                          "before the sigmoid while training (Salakhutdinov & Hinton 2009): to get through "
                          "the noise the network must drive the code units to 0 or 1, so thresholding at "
                          "0.5 loses little. Enables Hamming-distance retrieval."),
        IntParam("code_bits", "Code bits", 16, 4, 32,
                 tooltip="Length of the binary code (used when 'Binary codes' is on). Must not exceed the "
                         "hidden units."),
        FloatParam("code_noise", "Code noise σ", 4.0, 0.0, 16.0, live=True, decimals=2,
                   tooltip="Standard deviation of the Gaussian noise added to the code layer's input "
                           "during training when 'Binary codes' is on (the 2009 paper used variance 16, "
                           "σ = 4). 0: a plain sigmoid code whose units sit anywhere in (0, 1). Applies at "
                           "the next step."),
        BoolParam("denoising", "Denoising", False, live=True,
                  tooltip="Corrupt each training input and ask the network to rebuild the clean image "
                          "(Vincent et al. 2008): it must learn what digits look like, not copy pixels. "
                          "The grid then shows clean, corrupted and rebuilt images. Applies at the next step."),
        ChoiceParam("noise_type", "Corruption", "masking", ("masking", "gaussian"), live=True,
                    tooltip="masking: set each pixel to 0 with probability 'Noise level'. gaussian: add "
                            "𝒩(0, level²) to each pixel and clip to [0, 1]."),
        FloatParam("noise_level", "Noise level", 0.3, 0.0, 0.9, live=True, decimals=2,
                   tooltip="Masking probability or Gaussian σ of the denoising corruption."),
        FloatParam("lr", "Learning rate", 3e-3, 1e-5, 0.1, log=True, live=True, decimals=5,
                   tooltip="Adam's step size (identical rule on both engines). Applies at the next step."),
        IntParam("batch_size", "Batch size", 64, 1, 512, live=True, log=True,
                 tooltip="Images per update. Applies at the next step."),
        IntParam("query_index", "Query image", 0, 0, N_VAL - 1, live=True,
                 tooltip="Which validation image is the query of the retrieval grid (0–359)."),
    )
    plots = (
        PlotSpec("recon_error", "Reconstruction error", "curves", series=("train_mse", "val_mse"),
                 x_label="step", y_label="mean squared error per pixel", log_y=True,
                 tooltip="Mean of (x′ − x)² over the pixels: of each training batch (against the clean "
                         "images), and of the validation set (its inputs corrupted with fixed noise when "
                         "denoising is on)."),
        PlotSpec("reconstructions", "Input vs reconstruction", "image_grid",
                 tooltip="One validation image of each digit. Top row: the input; bottom row: what the "
                         "network rebuilds from its code. With denoising on: clean image, corrupted input, "
                         "reconstruction. The number under a reconstruction is its squared error ×1000."),
        PlotSpec("latent", "Latent space", "scatter", x_label="code 1", y_label="code 2",
                 tooltip="The code of every validation image, coloured by its digit (the labels are never "
                         "used in training). With 2 code units this is the code itself; with more, its "
                         "projection on the first two principal components (the title says which)."),
        PlotSpec("code_hist", "Code activations", "bars",
                 tooltip="Histogram of all code-unit activations over the validation images. With binary "
                         "codes and noise they pile up near 0 and 1; without noise many sit in between."),
        PlotSpec("retrieval", "Retrieval: nearest codes", "image_grid",
                 tooltip="The query (a validation image, 'Query image') and the training images whose "
                         "codes are nearest: Hamming distance d between binary codes (ties by index), or "
                         "Euclidean distance between real codes. Green: same digit, red: another digit."),
        PlotSpec("precision", "Retrieval precision@10", "curves",
                 series=("precision_at_10", "pixels_precision_at_10", "saturated_codes"),
                 x_label="step", y_label="share",
                 tooltip="precision_at_10: for each validation image, the share of its 10 nearest training "
                         "images (by code) that show the same digit, averaged (ties at the 10th distance "
                         "count in proportion). pixels_precision_at_10: the same with Euclidean distance on "
                         "the raw 64 pixels, for reference. Chance is about 0.1. saturated_codes: share of "
                         "code activations below 0.1 or above 0.9 (binary codes only). Measured every 100 steps."),
        PlotSpec("precision_by_bits", "Precision@10 by code length", "bars",
                 tooltip="Precision@10 of Hamming retrieval using only the first 4, 8, 16, … bits of the "
                         "current code (prefixes of one trained code, not separately trained codes), next "
                         "to kNN on the raw pixels and chance. With real-valued codes: the code's Euclidean "
                         "precision. Recomputed every 100 steps."),
    )
    narrative = NARRATIVE
    view_params = frozenset({"query_index"})
    eval_every = 50

    def __init__(self, hp, context=None) -> None:
        super().__init__(hp, context)
        self.binary = bool(hp["binary_codes"])
        code = hp["code_bits"] if self.binary else hp["code_size"]
        what = "Code bits" if self.binary else "Code size"
        if code > hp["hidden_units"]:
            raise LessonConfigError(
                f"{what} ({code}) is larger than the hidden layers ({hp['hidden_units']} units): an autoencoder "
                f"narrows towards its code. Lower '{what}' to at most {hp['hidden_units']} or raise 'Hidden "
                "units'.")
        self.cfg = AEConfig(64, hp["hidden_units"], code, hp["activation"], self.binary, hp["loss"],
                            "float32", hp["seed"])
        self.data = load_digits_split(VAL_FRACTION, hp["seed"], "float32")
        if len(self.data.y_val) != N_VAL:                          # the query_index range assumes it
            raise LessonConfigError(f"expected {N_VAL} validation digits, got {len(self.data.y_val)}")
        self.engine = self._make_engine()
        self.rng = np.random.default_rng(hp["seed"])               # batches and training noise
        fixed = np.random.default_rng(hp["seed"] + 1)              # display / validation corruption, drawn once
        self._fixed_u = fixed.random(self.data.x_val.shape).astype(np.float32)         # (M, 64)
        self._fixed_eps = fixed.standard_normal(self.data.x_val.shape).astype(np.float32)
        self._grid_idx = np.array([np.flatnonzero(self.data.y_val == d)[0] for d in range(10)])
        self._order = self.rng.permutation(len(self.data.y_train))
        self._pos = 0
        self.t = 0
        self._sync_every = 10 if self.hp["device"] == "cuda" and self.hp["engine"] == "torch" else 1
        self._acc = None
        self._acc_n = 0
        self._codes_cache: tuple[int, np.ndarray, np.ndarray] | None = None
        d_pix = hashing.euclidean_distances(self.data.x_val, self.data.x_train)
        self.pixel_precision = hashing.precision_at_k(d_pix, self.data.y_val, self.data.y_train, K_RETRIEVE)
        pv = np.bincount(self.data.y_val, minlength=10) / len(self.data.y_val)
        pt = np.bincount(self.data.y_train, minlength=10) / len(self.data.y_train)
        self.chance = float(pv @ pt)
        self._bars: tuple[int, BarsData] | None = None           # (step, bars): recomputed every BARS_EVERY steps
        self._precision: tuple[int, float] | None = None          # (step, precision@10) of the last evaluation

    def _make_engine(self):
        hp = self.hp
        if hp["engine"] == "torch":
            from lessons.autoencoder.engine_torch import TorchEngine       # imports torch
            return TorchEngine(self.cfg, hp["device"], "adam", hp["lr"])
        return NumpyEngine(self.cfg, "adam", hp["lr"])

    # ---- data ------------------------------------------------------------------------------------
    @property
    def steps_per_epoch(self) -> int:
        return math.ceil(len(self.data.y_train) / self.hp["batch_size"])

    def _next_batch(self) -> np.ndarray:
        """Indices (B,) of the next mini-batch: slices of a permutation redrawn each epoch."""
        if self._pos >= len(self._order):
            self._order = self.rng.permutation(len(self._order))
            self._pos = 0
        idx = self._order[self._pos:self._pos + self.hp["batch_size"]]
        self._pos += len(idx)
        return idx

    def corrupt(self, x: np.ndarray, u: np.ndarray, eps: np.ndarray) -> np.ndarray:
        """The denoising corruption of images x (N, 64) given uniform u and normal eps draws (N, 64):
        masking zeroes pixels with u < level; gaussian adds level·eps and clips to [0, 1]."""
        level = np.float32(self.hp["noise_level"])
        if self.hp["noise_type"] == "masking":
            return np.where(u < level, np.float32(0), x).astype(np.float32)
        return np.clip(x + level * eps, 0.0, 1.0).astype(np.float32)

    def training_inputs(self, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """(inputs, clean targets, code noise) of a batch: inputs (B, 64) corrupted when denoising is on,
        targets (B, 64) always clean, code noise (B, C) 𝒩(0, σ²) for binary codes with σ > 0, else None.
        Draws from the lesson's generator, so both engines see the same numbers."""
        target = self.data.x_train[idx]                                   # (B, 64)
        x_in = target
        if self.hp["denoising"]:
            shape = target.shape
            u = self.rng.random(shape, dtype=np.float32)
            eps = self.rng.standard_normal(shape, dtype=np.float32)
            x_in = self.corrupt(target, u, eps)
        noise = None
        sigma = self.hp["code_noise"]
        if self.binary and sigma > 0:
            noise = (sigma * self.rng.standard_normal((len(idx), self.cfg.code))).astype(np.float32)
        return x_in, target, noise

    # ---- training --------------------------------------------------------------------------------
    def train_step(self) -> dict[str, float]:
        x_in, target, noise = self.training_inputs(self._next_batch())
        stats = self.engine.train_step(x_in, target, noise)
        self.t += 1
        self._acc = stats if self._acc is None else self._acc + stats
        self._acc_n += 1
        if self._acc_n < self._sync_every:
            return {}
        loss, mse = (v / self._acc_n for v in self.engine.to_floats(self._acc))
        self._acc, self._acc_n = None, 0
        return {"train_loss": loss, "train_mse": mse}

    def _val_inputs(self) -> np.ndarray:
        x = self.data.x_val
        return self.corrupt(x, self._fixed_u, self._fixed_eps) if self.hp["denoising"] else x

    def codes(self) -> tuple[np.ndarray, np.ndarray]:
        """Deterministic codes of the validation (M, C) and training (N, C) images, cached per step."""
        if self._codes_cache is None or self._codes_cache[0] != self.t:
            self._codes_cache = (self.t, self.engine.codes(self.data.x_val), self.engine.codes(self.data.x_train))
        return self._codes_cache[1], self._codes_cache[2]

    def distances(self, val_codes: np.ndarray, train_codes: np.ndarray, bits: int | None = None) -> np.ndarray:
        """(M, N) distances used for retrieval: Hamming between the first ``bits`` bits of binary codes,
        Euclidean between real codes."""
        if self.binary:
            b = bits or val_codes.shape[1]
            return hashing.hamming_distances(hashing.binary_codes(val_codes[:, :b]),
                                             hashing.binary_codes(train_codes[:, :b]))
        return hashing.euclidean_distances(val_codes, train_codes)

    def evaluate(self) -> dict[str, float]:
        recon = self.engine.reconstruct(self._val_inputs())
        d = recon - self.data.x_val
        x = self.data.x_val
        r = np.clip(recon, 1e-7, 1 - 1e-7)
        val_loss = (float(np.mean(d * d)) if self.hp["loss"] == "mse"
                    else float(-np.mean(x * np.log(r) + (1 - x) * np.log1p(-r))))
        out = {"val_loss": val_loss, "val_mse": float(np.mean(d * d))}
        if self._precision is not None and self.t - self._precision[0] < PRECISION_EVERY:
            return out                                  # retrieval precision: at most every PRECISION_EVERY steps
        val_codes, train_codes = self.codes()
        yv, yt = self.data.y_val, self.data.y_train
        precision = hashing.precision_at_k(self.distances(val_codes, train_codes), yv, yt, K_RETRIEVE)
        out.update({"precision_at_10": precision, "pixels_precision_at_10": self.pixel_precision})
        if self.binary:
            out["saturated_codes"] = float(np.mean((val_codes < 0.1) | (val_codes > 0.9)))
        self._precision = (self.t, precision)
        return out

    def _precision_bars(self, val_codes: np.ndarray, train_codes: np.ndarray, full: float) -> BarsData:
        yv, yt = self.data.y_val, self.data.y_train
        labels, values = ["pixels (64-D)"], [self.pixel_precision]
        if self.binary:
            c = self.cfg.code
            for b in [p for p in PREFIX_BITS if p < c] + [c]:
                labels.append(f"{b} bits")
                values.append(full if b == c else hashing.precision_at_k(
                    self.distances(val_codes, train_codes, b), yv, yt, K_RETRIEVE))
        else:
            labels.append(f"{self.cfg.code}-D code")
            values.append(full)
        labels.append("chance")
        values.append(self.chance)
        return BarsData(labels, np.array(values, dtype=np.float64), y_label="precision@10")

    def set_live(self, name, value) -> None:
        super().set_live(name, value)
        if name == "lr":
            self.engine.set_lr(value)

    def gradient_arrays(self) -> dict[str, np.ndarray]:
        """The last step's gradients: ``enc1.W`` (64, H), ``enc1.b`` (H,), ``code.W`` (H, C), ``code.b``,
        ``dec1.W`` (C, H), ``dec1.b``, ``out.W`` (H, 64), ``out.b`` (64,); float64, both engines."""
        return self.engine.gradients()

    # ---- views -----------------------------------------------------------------------------------
    def snapshot(self) -> dict[str, PlotData]:
        val_codes, train_codes = self.codes()
        if self._bars is None or self.t - self._bars[0] >= BARS_EVERY:
            if self._precision is not None and self._precision[0] == self.t:
                full = self._precision[1]
            else:
                d = self.distances(val_codes, train_codes)
                full = hashing.precision_at_k(d, self.data.y_val, self.data.y_train, K_RETRIEVE)
            self._bars = (self.t, self._precision_bars(val_codes, train_codes, full))
        return {"reconstructions": self._reconstruction_grid(), "latent": self._latent_map(val_codes),
                "code_hist": self._code_histogram(val_codes),
                "retrieval": self._retrieval_grid(val_codes, train_codes), "precision_by_bits": self._bars[1]}

    def _reconstruction_grid(self) -> ImageGridData:
        idx = self._grid_idx
        clean = self.data.x_val[idx]                                      # (10, 64)
        shown = self.corrupt(clean, self._fixed_u[idx], self._fixed_eps[idx]) if self.hp["denoising"] else clean
        recon = self.engine.reconstruct(shown).astype(np.float32)         # (10, 64)
        err = np.mean((recon - clean) ** 2, axis=1)
        rows = [clean, shown, recon] if self.hp["denoising"] else [clean, recon]
        captions = [str(int(self.data.y_val[i])) for i in idx]
        if self.hp["denoising"]:
            captions += ["noisy"] * len(idx)
        captions += [f"{1000 * e:.0f}" for e in err]
        images = np.concatenate(rows).reshape(-1, 8, 8)
        return ImageGridData(images, captions, (0.0, 1.0), "gray", ncols=len(idx))

    def _latent_map(self, val_codes: np.ndarray) -> LatentMapData:
        c = val_codes.shape[1]
        kind = "binary-code activations" if self.binary else "code"
        if c == 2 and not self.binary:
            pts, xl, yl = val_codes, "code 1", "code 2"
            title = "Latent space: the 2-D code of each validation image"
        else:
            pts, share = hashing.pca_2d(val_codes)
            xl, yl = f"PC 1 ({100 * share[0]:.0f}% of variance)", f"PC 2 ({100 * share[1]:.0f}%)"
            title = f"Latent space: PCA of the {c}-D {kind} (first two components)"
        return LatentMapData(pts.astype(np.float64), self.data.y_val.copy(), None, self.data.class_names,
                             xl, yl, title=title)

    def _code_histogram(self, val_codes: np.ndarray) -> BarsData:
        if self.binary:
            lo, hi = 0.0, 1.0
        else:
            lo, hi = float(val_codes.min()), float(val_codes.max())
            if not hi > lo:
                hi = lo + 1.0
        counts, edges = np.histogram(val_codes, bins=10, range=(lo, hi))
        labels = [f"{(a + b) / 2:.2g}" for a, b in itertools.pairwise(edges)]
        return BarsData(labels, counts / max(1, val_codes.size), y_label="share of activations")

    def _retrieval_grid(self, val_codes: np.ndarray, train_codes: np.ndarray) -> ImageGridData:
        q = int(self.hp["query_index"])
        dist = self.distances(val_codes[q:q + 1], train_codes)[0]        # (N,)
        near = hashing.nearest(dist, N_SHOWN_NEIGHBOURS)
        yq = int(self.data.y_val[q])
        images = np.concatenate([self.data.x_val[q:q + 1], self.data.x_train[near]]).reshape(-1, 8, 8)
        fmt = "d={:.0f}" if self.binary else "d={:.2g}"
        captions = ["query"] + [fmt.format(dist[i]) for i in near]
        colors = [QUERY_COLOR] + [RELEVANT_COLOR if self.data.y_train[i] == yq else IRRELEVANT_COLOR for i in near]
        return ImageGridData(images.astype(np.float32), captions, (0.0, 1.0), "gray", ncols=6,
                             caption_colors=colors)

    # ---- checkpoints -----------------------------------------------------------------------------
    def checkpoint_state(self) -> dict[str, np.ndarray]:
        return self.engine.state()

    def load_checkpoint_state(self, state: dict) -> None:
        current = self.engine.state()
        for name, ref in current.items():
            if name not in state or np.shape(state[name]) != ref.shape:
                raise LessonConfigError(
                    f"The checkpoint does not fit this autoencoder ({name}: expected {ref.shape}, got "
                    f"{None if name not in state else np.shape(state[name])}). Load it with the code size "
                    "and hidden units it was saved with.")
        self.engine.load_state(state)
        self._codes_cache = None
        self._bars = None
        self._precision = None

    def divergence_hint(self) -> str:
        return (f"The reconstruction error became NaN or infinite: the learning rate ({self.hp['lr']:g}) is "
                "probably too high for Adam here. Lower it (3e-3 works) and press Reset (R).")


LESSON = Autoencoder
