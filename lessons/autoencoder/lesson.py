"""Lesson ``autoencoder``: an MLP autoencoder on the 8×8 digits, its latent space, denoising, and
semantic hashing with binary codes (Qt-free, torch-free until built on the torch engine).

The network (``net.py``, twin ``net_torch.py``) squeezes each 64-pixel image through a small code and
rebuilds it; the lesson shows input vs reconstruction, the code space coloured by digit (PCA when the code
has more than two units), the reconstruction error, and, with a sigmoid code pushed to 0/1 by noise,
retrieval by Hamming distance and its precision (``hashing.py``, pictures in ``pictures.py``).  Follows
Yoon, *Python raw-coding deep learning*, ch. 13 (autoencoder, semantic hashing); Fundamentals of Deep
Learning 2e, ch. 8 (autoencoders, denoising, sparsity); Hinton & Salakhutdinov, *Science* 313 (2006);
Salakhutdinov & Hinton, *Semantic hashing* (2009); Vincent et al., ICML 2008 (denoising autoencoders).
"""
from __future__ import annotations

import math

import numpy as np

from lessons.autoencoder import INFO, hashing, pictures
from lessons.autoencoder.data import EpochBatches, corrupt, training_inputs
from lessons.autoencoder.narrative import NARRATIVE
from lessons.autoencoder.net import ACTIVATIONS, AEConfig, AutoencoderNet, ReconstructionLoss, validation_losses
from visualizer.core.hyperparams import BoolParam, ChoiceParam, FloatParam, IntParam
from visualizer.core.lesson import Lesson, LessonConfigError
from visualizer.core.plotdata import PlotData, PlotSpec
from visualizer.data.digits import load_digits_split
from visualizer.scratch.optimizers import make_optimizer
from visualizer.scratch.trainer import NumpyTrainer

VAL_FRACTION = 0.2                  # 1,437 training images (the retrieval database), 360 validation queries
N_VAL = 360
K_RETRIEVE = 10                     # precision@k
N_SHOWN_NEIGHBOURS = 11             # tiles after the query in the retrieval grid
PRECISION_EVERY = 100               # steps between retrieval-precision evaluations (each costs ~20 ms)
BARS_EVERY = 100                    # steps between recomputations of the precision-by-length bars


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
        PlotSpec("reconstructions", "Input vs reconstruction", "image_grid", main="wide",
                 tooltip="One validation image of each digit. Top row: the input; bottom row: what the "
                         "network rebuilds from its code. With denoising on: clean image, corrupted input, "
                         "reconstruction. Click a tile to see it large."),
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
    engine_comparison = True

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
        self.trainer = self._torch_trainer() if hp["engine"] == "torch" else self._numpy_trainer()
        self.rng = np.random.default_rng(hp["seed"])               # batches and training noise
        fixed = np.random.default_rng(hp["seed"] + 1)              # display / validation corruption, drawn once
        self._fixed_u = fixed.random(self.data.x_val.shape).astype(np.float32)         # (M, 64)
        self._fixed_eps = fixed.standard_normal(self.data.x_val.shape).astype(np.float32)
        self._grid_idx = np.array([np.flatnonzero(self.data.y_val == d)[0] for d in range(10)])
        self.batches = EpochBatches(len(self.data.y_train), self.rng)
        self.step = 0                                              # the session's step of the last update
        self._codes_cache: tuple[int, np.ndarray, np.ndarray] | None = None
        d = self.data
        self.retrieval = hashing.Retrieval(d.x_val, d.x_train, d.y_val, d.y_train, self.binary, K_RETRIEVE)
        self.chance = self.retrieval.chance

    def _numpy_trainer(self) -> NumpyTrainer:
        self.net = AutoencoderNet(self.cfg)
        opt = make_optimizer("adam", self.net.params, self.net.grads, self.hp["lr"])
        self.loss = ReconstructionLoss(self.net, self.cfg.loss)
        return NumpyTrainer.from_lists(self.net.names, self.net.params, self.net.grads, self.update,
                                       optimizers={"adam": opt}, hyper={"lr": lambda v: setattr(opt, "lr", float(v))})

    def _torch_trainer(self):
        from lessons.autoencoder.net_torch import AutoencoderTorch                 # imports torch
        from visualizer.models.classifier_torch import make_torch_optimizer
        from visualizer.torch_backend.trainer import TorchTrainer
        self.net = AutoencoderTorch(self.cfg)
        lr = self.hp["lr"]
        return TorchTrainer(self.net.layers(),
                            lambda m: make_torch_optimizer("adam", [p for l in m.values() for p in l.parameters()],
                                                           lr, 0.9),
                            device=self.hp["device"], seed=self.hp["seed"], losses=self.losses,
                            hyper={"lr": TorchTrainer.param_group_setter("main", "lr")})

    # ---- data ------------------------------------------------------------------------------------
    @property
    def steps_per_epoch(self) -> int:
        return math.ceil(len(self.data.y_train) / self.hp["batch_size"])

    def training_inputs(self, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """(inputs, clean targets, code noise) of the training images ``idx`` (see ``data.training_inputs``)."""
        hp = self.hp
        return training_inputs(self.rng, self.data.x_train[idx], denoising=hp["denoising"], kind=hp["noise_type"],
                               level=hp["noise_level"], code_noise=hp["code_noise"],
                               code=self.cfg.code if self.binary else None)

    def next_batch(self):
        return self.training_inputs(self.batches.next(self.hp["batch_size"]))

    # ---- training: the loss on each engine -------------------------------------------------------
    def train_step(self, step: int) -> None:
        self.step = step
        super().train_step(step)

    def update(self, batch, step: int) -> dict[str, float]:
        """NumPy: one Adam step on (inputs, targets, code noise)."""
        loss, mse = self.loss(*batch)
        self.trainer.optimizers["adam"].step()
        return {"train_loss": loss, "train_mse": mse}

    def losses(self, batch, step: int):
        """PyTorch: the same loss on the device (the trainer back-propagates train_loss)."""
        return self.net.losses(*batch, self.cfg.loss)

    # ---- evaluation ------------------------------------------------------------------------------
    def codes(self) -> tuple[np.ndarray, np.ndarray]:
        """Deterministic codes of the validation (M, C) and training (N, C) images, cached per step."""
        if self._codes_cache is None or self._codes_cache[0] != self.step:
            self._codes_cache = (self.step, self.net.codes(self.data.x_val), self.net.codes(self.data.x_train))
        return self._codes_cache[1], self._codes_cache[2]

    def _shown(self, idx) -> np.ndarray | None:
        """The network's inputs for validation images ``idx``: corrupted with fixed noise when denoising."""
        x = self.data.x_val[idx]
        return corrupt(x, self._fixed_u[idx], self._fixed_eps[idx], self.hp["noise_type"],
                       self.hp["noise_level"]) if self.hp["denoising"] else None

    def evaluate(self) -> dict[str, float]:
        x = self.data.x_val
        shown = self._shown(slice(None))
        val_loss, val_mse = validation_losses(self.net.reconstruct(x if shown is None else shown), x, self.hp["loss"])
        return {"val_loss": val_loss, "val_mse": val_mse} | self.retrieval.metrics(self.step, self.codes,
                                                                                   PRECISION_EVERY)

    # ---- views -----------------------------------------------------------------------------------
    def snapshot(self) -> dict[str, PlotData]:
        val_codes, train_codes = self.codes()
        bars = self.retrieval.by_code_length(self.step, val_codes, train_codes, BARS_EVERY, pictures.PREFIX_BITS)
        idx = self._grid_idx
        clean, shown = self.data.x_val[idx], self._shown(idx)             # (10, 64) each
        recon = self.net.reconstruct(clean if shown is None else shown).astype(np.float32)
        q = int(self.hp["query_index"])
        dist = self.retrieval.distances(val_codes[q:q + 1], train_codes)[0]        # (N,)
        near = hashing.nearest(dist, N_SHOWN_NEIGHBOURS)
        return {"reconstructions": pictures.reconstruction_grid(clean, shown, recon, self.data.y_val[idx]),
                "latent": pictures.latent_map(val_codes, self.data.y_val, self.data.class_names, self.binary),
                "code_hist": pictures.code_histogram(val_codes, self.binary),
                "retrieval": pictures.retrieval_grid(self.data.x_val[q], self.data.x_train, dist, near,
                                                     self.data.y_train[near] == self.data.y_val[q], self.binary),
                "precision_by_bits": pictures.precision_bars(*bars)}

    # ---- checkpoints -----------------------------------------------------------------------------
    def load_checkpoint_state(self, state: dict) -> None:
        super().load_checkpoint_state(state)
        self._codes_cache = None
        self.retrieval.forget()

    def divergence_hint(self) -> str:
        return (f"The reconstruction error became NaN or infinite: the learning rate ({self.hp['lr']:g}) is "
                "probably too high for Adam here. Lower it (3e-3 works) and press Reset (R).")


LESSON = Autoencoder
