"""Lesson ``dcgan``: a deep convolutional GAN learns to draw digits (Qt-free; torch only on the build path).

A generator G maps noise z ~ N(0, I) to a 16×16 (or 32×32) image; a discriminator D scores images as real or
fake; the two play the minimax game of Goodfellow et al. (2014) with the DCGAN architecture of Radford, Metz &
Chintala (2016), trained as in Ogawa, *PyTorch advanced deep learning* (つくりながら学ぶ！PyTorchによる発展
ディープラーニング) ch. 5.1 (BCE-with-logits losses, Adam with β₁ = 0.5) and Chollet, *Deep Learning with
Python* 2e ch. 12.5 (GANs).  Data: the embedded scikit-learn digits upscaled to 16×16 (bilinear), or MNIST padded
to 32×32 when it can be downloaded (offline: a notice and the embedded digits).

Views: samples from fixed noise, both losses, D(x) and D(G(z)), the generator's gradient norm, an interpolation
between two samples in latent space, and a mode-collapse indicator (sample diversity relative to real images).
The PyTorch code lives in ``engine.py`` / ``nets.py`` and is imported when the lesson is built.
"""
from __future__ import annotations

import math

import numpy as np

from lessons.dcgan.data import GanImages, digits_images, mean_pairwise_distance, mnist_images
from lessons.dcgan.narrative import NARRATIVE
from visualizer.data.download import DownloadError
from visualizer.data.idx import DataFormatError
from visualizer.core.hyperparams import ChoiceParam, FloatParam, IntParam
from visualizer.core.lesson import Lesson, LessonConfigError, LessonInfo
from visualizer.core.plotdata import ImageGridData, PlotData, PlotSpec
from lessons.dcgan import INFO

N_FIXED = 64                 # fixed noise vectors: the grid, the interpolation ends, the diversity batch
COLLAPSE_THRESHOLD = 0.5     # diversity below this share of the real images' spread counts as collapse
COLLAPSE_AFTER = 300         # steps before the collapse check starts (an untrained G draws near-identical blobs)
COLLAPSE_EVALS = 3           # consecutive evaluations below the threshold before the notice
D_WINS_FAKE = 0.02           # D(G(z)) below this ...
D_WINS_GRAD = 0.02           # ... and G's gradient norm below this share of its early value ...
D_WINS_STEPS = 150           # ... for this many steps: D has won, training is paused
CUDA_METRICS_EVERY = 10      # k: steps per metrics report on CUDA (one host sync per k steps)


class DCGANLesson(Lesson):
    """DCGAN on digits.  Images (N, 1, S, S) in [−1, 1], noise z (B, z_dim), D logits (B,)."""

    info = INFO
    params = (
        ChoiceParam("dataset", "Data set", "digits", ("digits", "mnist"),
                    tooltip="digits: the 1,797 embedded 8×8 digits upscaled (bilinear) to the image size. "
                            "mnist: 10,000 MNIST training digits, downloaded once (about 11 MB) and cached, "
                            "28×28 padded to 32×32; offline, the embedded digits."),
        IntParam("z_dim", "Noise size z", 32, 2, 128, log=True,
                 tooltip="Dimensions of the noise vector z ~ N(0, I) the generator turns into an image "
                         "(Ogawa uses 20, Radford et al. 100)."),
        ChoiceParam("image_size", "Image size", "16", ("16", "32"),
                    tooltip="16: G upsamples 4→8→16 and D downsamples 16→8→4. 32: one more layer each "
                            "(slower on a CPU; MNIST's natural size)."),
        IntParam("width", "Network width", 32, 8, 128, log=True,
                 tooltip="Feature maps of D's first layer and G's last hidden layer; each layer further from "
                         "the image has twice as many."),
        IntParam("cpu_threads", "CPU threads", 1, 1, 16,
                 tooltip="PyTorch threads on the CPU device. 1 is fastest for these small networks on a busy "
                         "machine; more help only when cores are idle. Not used on CUDA."),
        ChoiceParam("g_loss", "Generator loss", "non-saturating", ("non-saturating", "minimax"), live=True,
                    tooltip="non-saturating: G minimizes −log D(G(z)) (Goodfellow's practical choice, Ogawa's "
                            "code). minimax: G minimizes log(1 − D(G(z))), the original game, whose gradient "
                            "vanishes when D rejects the fakes confidently."),
        FloatParam("g_lr", "G learning rate", 5e-4, 1e-5, 1e-1, log=True, live=True, decimals=5,
                   tooltip="Adam step size of the generator. Applies at the next step."),
        FloatParam("d_lr", "D learning rate", 5e-4, 1e-5, 1e-1, log=True, live=True, decimals=5,
                   tooltip="Adam step size of the discriminator. Much larger than G's lets D win outright."),
        FloatParam("beta1", "Adam β₁", 0.5, 0.0, 0.99, live=True, decimals=2,
                   tooltip="Adam's momentum term. DCGAN uses 0.5: the default 0.9 oscillates more in the GAN "
                           "game (Radford et al. 2016, sec. 4)."),
        IntParam("batch_size", "Batch size", 64, 8, 256, live=True, log=True,
                 tooltip="Real images and fakes per update (each). Applies at the next step."),
        ChoiceParam("grid", "Sample grid", "8×8", ("8×8", "6×6"), live=True,
                    tooltip="How many of the 64 fixed noise vectors the sample grid shows."),
        IntParam("interp_a", "Interpolate from sample", 0, 0, N_FIXED - 1, live=True,
                 tooltip="Index of the first fixed-noise sample (the number under it in the grid)."),
        IntParam("interp_b", "… to sample", 1, 0, N_FIXED - 1, live=True,
                 tooltip="Index of the second fixed-noise sample."),
        ChoiceParam("interpolation", "Interpolation", "spherical", ("spherical", "linear"), live=True,
                    tooltip="spherical (slerp): along the great circle, keeping the length a Gaussian z has. "
                            "linear: the straight line, whose midpoint is shorter than typical z."),
        IntParam("interp_steps", "Interpolation steps", 10, 3, 16, live=True,
                 tooltip="Images in the interpolation row, both ends included."),
    )
    plots = (
        PlotSpec("samples", "Samples G(z) from fixed noise", "image_grid",
                 tooltip="The generator's images for the same 64 (or 36) noise vectors at every redraw: watch "
                         "blobs turn into digits. Numbers are the sample indices used by the interpolation."),
        PlotSpec("losses", "Losses", "curves", series=("d_loss", "g_loss"), x_label="step", y_label="BCE",
                 tooltip="d_loss = BCE(D(x), 1) + BCE(D(G(z)), 0); g_loss = −log D(G(z)) (non-saturating) or "
                         "log(1 − D(G(z))) (minimax). In a balanced game neither goes to zero; d_loss near "
                         "2·log 2 ≈ 1.39 means D cannot tell real from fake."),
        PlotSpec("d_outputs", "D(x) and D(G(z))", "curves", series=("d_real", "d_fake"), x_label="step",
                 y_label="probability 'real'",
                 tooltip="Mean probability D gives real images (d_real) and fakes (d_fake). At the game's "
                         "equilibrium both are 0.5; d_fake stuck near 0 means D wins."),
        PlotSpec("interpolation", "Latent-space interpolation", "image_grid",
                 tooltip="G along a path from z_a to z_b (the two chosen fixed-noise samples): a smooth "
                         "morph means G learned a continuous latent space rather than memorizing images."),
        PlotSpec("diversity", "Sample diversity (mode collapse)", "curves",
                 series=("diversity", "collapse_threshold"), x_label="step", y_label="relative spread",
                 tooltip="Mean pairwise distance between 64 fixed-noise fakes divided by that of 64 real "
                         "images. Near 1: as varied as the data. Below the threshold: G draws (nearly) the "
                         "same picture for every z, which is mode collapse."),
        PlotSpec("g_grad", "Generator gradient norm", "curves", series=("g_grad_norm",), x_label="step",
                 y_label="‖∂L_G/∂θ_G‖", log_y=True,
                 tooltip="Length of the generator's gradient at each step. With the minimax loss and a "
                         "confident D it vanishes and G stops learning."),
        PlotSpec("real", "Real training images", "image_grid",
                 tooltip="What the discriminator sees as real: the target the samples should look like."),
    )
    narrative = NARRATIVE
    view_params = frozenset({"grid", "interp_a", "interp_b", "interpolation", "interp_steps"})
    eval_every = 25

    def __init__(self, hp, context=None) -> None:
        super().__init__(hp, context)
        self.image_size = int(hp["image_size"])
        self.data = self._load_data()
        self.rng = np.random.default_rng(hp["seed"])
        self.t = 0
        real_idx = self.rng.choice(len(self.data.images), N_FIXED, replace=False)
        self.real_batch = self.data.images[real_idx, 0]                          # (64, S, S) host copy
        self.real_distance = mean_pairwise_distance(self.real_batch)
        from lessons.dcgan.engine import GanEngine      # imports torch

        self.engine = GanEngine(self.data.images, z_dim=hp["z_dim"], width=hp["width"], seed=hp["seed"],
                                device=hp["device"], g_lr=hp["g_lr"], d_lr=hp["d_lr"], beta1=hp["beta1"],
                                n_fixed=N_FIXED, cpu_threads=hp["cpu_threads"])
        self.metrics_every = CUDA_METRICS_EVERY if self.engine.device.type == "cuda" else 1
        self._check_interp(hp["interp_a"], hp["interp_b"])
        self._low_diversity = 0
        self._collapse_told = False
        self._d_wins_steps = 0
        self._d_wins_told = False
        self._grad_ref: list[float] = []
        self.last_metrics: dict[str, float] = {}

    # ---- data ------------------------------------------------------------------------------------
    def _load_data(self) -> GanImages:
        if self.hp["dataset"] == "mnist":
            try:
                return mnist_images(self.image_size, 10_000, self.hp["seed"], progress=self.context.progress)
            except DownloadError as e:
                self.context.notice(f"Could not download MNIST ({e.reason}): using the embedded 8×8 digits "
                                    f"upscaled to {self.image_size}×{self.image_size} instead.")
            except DataFormatError as e:
                self.context.notice(f"The MNIST files are damaged ({e}): using the embedded 8×8 digits instead. "
                                    "Delete them from the cache folder to download them again.")
        return digits_images(self.image_size)

    @property
    def steps_per_epoch(self) -> int:
        return math.ceil(len(self.data.images) / self.hp["batch_size"])

    # ---- training --------------------------------------------------------------------------------
    def train_step(self) -> dict[str, float]:
        """One D update and one G update.  Returns {} on most steps and the means of the last k steps'
        metrics every k steps (k = 1 on the CPU, 10 on CUDA), so CUDA syncs with the host once per k steps."""
        self.engine.step(self.hp["batch_size"], saturating=self.hp["g_loss"] == "minimax")
        self.t += 1
        if self.t % self.metrics_every:
            return {}
        m = self.engine.read_metrics()
        self.last_metrics = m
        self._watch_d_wins(m)
        return m

    def _watch_d_wins(self, m: dict[str, float]) -> None:
        """Pause when D rejects every fake (D(G(z)) ≈ 0) and G's gradient has (nearly) vanished for
        D_WINS_STEPS steps; tell the user once if D wins but the non-saturating loss still gives G a gradient."""
        g = m.get("g_grad_norm", math.nan)
        if not math.isfinite(g):
            return
        if len(self._grad_ref) < 20:
            self._grad_ref.append(g)
        ref = float(np.median(self._grad_ref))
        if m["d_fake"] < D_WINS_FAKE:
            self._d_wins_steps += self.metrics_every
        else:
            self._d_wins_steps = 0
            self._d_wins_told = False
            return
        if self._d_wins_steps < D_WINS_STEPS or self._d_wins_told:
            return
        self._d_wins_told = True
        if g < D_WINS_GRAD * ref:
            self.context.request_pause(
                f"The discriminator has won: for {self._d_wins_steps} steps it gave the fakes D(G(z)) < "
                f"{D_WINS_FAKE} and the generator's gradient fell to {g:.2g} (it started near {ref:.2g}). "
                "With the minimax loss log(1 − D(G(z))) the gradient vanishes once D is confident, so G "
                "cannot improve. Switch the generator loss to non-saturating (−log D(G(z))), lower the D "
                "learning rate, or raise G's, then continue or press Reset (R).")
        else:
            self.context.notice(
                f"The discriminator rejects every fake (D(G(z)) < {D_WINS_FAKE} for {self._d_wins_steps} "
                "steps). The non-saturating loss still gives G a gradient, but if the samples do not improve "
                "soon, lower the D learning rate or raise G's.")

    def evaluate(self) -> dict[str, float]:
        """Diversity of 64 fixed-noise fakes relative to 64 real images (and the collapse threshold)."""
        fakes, _ = self.engine.samples(N_FIXED)                                    # (64, S, S)
        div = mean_pairwise_distance(fakes) / max(self.real_distance, 1e-12)
        if self.t >= COLLAPSE_AFTER and div < COLLAPSE_THRESHOLD:
            self._low_diversity += 1
            if self._low_diversity >= COLLAPSE_EVALS and not self._collapse_told:
                self._collapse_told = True
                self.context.notice(
                    f"Mode collapse: the fakes are only {div:.0%} as varied as real digits (threshold "
                    f"{COLLAPSE_THRESHOLD:.0%}). The generator has found a few images that fool D and maps "
                    "(almost) every z to them; D then learns to reject those, G jumps to others, and the game "
                    "cycles instead of covering all ten digits. Lower the learning rates, use β₁ = 0.5, or "
                    "reset with another seed.")
        else:
            self._low_diversity = 0
            if div >= COLLAPSE_THRESHOLD:
                self._collapse_told = False
        return {"diversity": float(div), "collapse_threshold": COLLAPSE_THRESHOLD}

    def _check_interp(self, a: int, b: int) -> None:
        if a == b:
            raise LessonConfigError(f"Interpolating from sample {a} to itself shows one image: choose two "
                                    "different samples.")

    def set_live(self, name, value) -> None:
        if name in ("interp_a", "interp_b"):
            a = value if name == "interp_a" else self.hp["interp_a"]
            b = value if name == "interp_b" else self.hp["interp_b"]
            self._check_interp(a, b)
        super().set_live(name, value)
        if name == "g_lr":
            self.engine.set_lr("g", value)
        elif name == "d_lr":
            self.engine.set_lr("d", value)
        elif name == "beta1":
            self.engine.set_beta1(value)

    # ---- views -----------------------------------------------------------------------------------
    def n_grid(self) -> int:
        return 36 if self.hp["grid"] == "6×6" else 64

    def snapshot(self) -> dict[str, PlotData]:
        n = self.n_grid()
        a, b, steps = self.hp["interp_a"], self.hp["interp_b"], self.hp["interp_steps"]
        spherical = self.hp["interpolation"] == "spherical"
        grid, row = self.engine.samples(n, (a, b, steps, spherical))               # (n, S, S), (steps, S, S)
        ts = np.linspace(0.0, 1.0, steps)
        caps = [f"z_{a}"] + [f"t={t:.2f}" for t in ts[1:-1]] + [f"z_{b}"]
        return {
            "samples": ImageGridData(grid.astype(np.float32), [str(i) for i in range(n)], (-1.0, 1.0), "gray",
                                     ncols=int(math.isqrt(n))),
            "interpolation": ImageGridData(row.astype(np.float32), caps, (-1.0, 1.0), "gray", ncols=steps),
            "real": ImageGridData(self.real_batch[:n].astype(np.float32), [], (-1.0, 1.0), "gray",
                                  ncols=int(math.isqrt(n))),
        }

    def divergence_hint(self) -> str:
        return (f"The losses became NaN or infinite: the learning rates (G {self.hp['g_lr']:g}, D "
                f"{self.hp['d_lr']:g}) are probably too high for the GAN game. Lower them (DCGAN uses 2e-4) "
                "and press Reset (R).")

    # ---- checkpoints -----------------------------------------------------------------------------
    def checkpoint_state(self) -> dict[str, np.ndarray]:
        return self.engine.state()

    def load_checkpoint_state(self, state: dict) -> None:
        try:
            self.engine.load_state(state)
        except ValueError as e:
            raise LessonConfigError(f"This checkpoint does not fit the DCGAN built now: {e}. Load one saved "
                                    "with the same noise size, image size and width.") from None

    def close(self) -> None:
        self.engine.close()


LESSON = DCGANLesson
