"""Lesson ``sagan``: a self-attention GAN with spectral normalization and the hinge loss on 16×16 digits (Qt-free).

Follows Ogawa, *PyTorch advanced deep learning*, ch. 5 (SAGAN), Zhang et al. 2019 (SAGAN) and Miyato et al. 2018
(spectral normalization).  The networks are ``visualizer.models.sagan_torch``; one step is a TorchTrainer with a D
phase and a G phase (:meth:`SaganLesson.d_losses`, :meth:`SaganLesson.g_losses`); torch is imported only when the
lesson builds.  Views:
samples from fixed noise, the losses and D scores, the attention strength γ of every attention layer over time,
the largest singular value σ of each weight before normalization (curves and bars), and the attention map of a
pixel the user clicks in a generated image.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lessons.sagan import INFO
from lessons.sagan.narrative import NARRATIVE
from visualizer.core.hyperparams import BoolParam, ChoiceParam, FloatParam, IntParam
from visualizer.core.lesson import Lesson, LessonConfigError
from visualizer.core.plotdata import BarsData, ImageGridData, PlotData, PlotSpec
from visualizer.data.digits import load_digit_images_split
from visualizer.probes.gan_health import GanHealth, Streak, collapse_message, d_wins_message

N_FIXED = 16
ATTN_SIDE = 8                  # G's attention works on its 8×8 feature map
IMAGE_SIDE = 16
SLOW_EVERY = 10                # γ, σ and diversity are measured every this many steps
D_WINS_LOSS = 0.05             # D's loss below this (at a measurement) counts as D winning


@dataclass
class AttentionPixelData:
    """What the ``attention_pixel`` view draws.

    image: (16, 16) float32 in [−1, 1], the chosen generated image (row 0 at the top); attention: (8, 8) float32,
    the attention weights β_i· of the clicked position i over G's 8×8 feature map (sums to 1); pixel: the clicked
    pixel's index in the 16×16 image (row · 16 + col); sample: which fixed-noise sample; samples: (16, 16, 16) all
    samples, for choosing one; gamma: G's γ (how much the attention output counts)."""

    image: np.ndarray
    attention: np.ndarray
    pixel: int
    sample: int
    samples: np.ndarray
    gamma: float = 0.0

    def table(self) -> tuple[list[str], list[list]]:
        rows = []
        for r in range(self.attention.shape[0]):
            for c in range(self.attention.shape[1]):
                rows.append([self.sample, self.pixel, r, c, float(self.attention[r, c])])
        return ["sample", "clicked_pixel", "attn_row", "attn_col", "weight"], rows


def pixel_to_position(pixel: int) -> int:
    """A 16×16 pixel index -> the index of the 8×8 attention position that covers it."""
    r, c = divmod(int(pixel), IMAGE_SIDE)
    return (r // 2) * ATTN_SIDE + c // 2


class SaganLesson(Lesson):
    """SAGAN: G and D with self-attention layers, spectral normalization and the hinge loss (PyTorch)."""

    info = INFO
    params = (
        ChoiceParam("loss", "Loss", "hinge", ("hinge", "bce"),
                    tooltip="hinge: D minimizes mean(relu(1 − D(x))) + mean(relu(1 + D(G(z)))), G minimizes "
                            "−mean(D(G(z))) (SAGAN). bce: the original GAN's cross-entropy with the "
                            "non-saturating generator loss −log σ(D(G(z)))."),
        BoolParam("spectral_norm", "Spectral normalization", True,
                  tooltip="Divide every conv weight W by its largest singular value σ(W) (estimated by one power "
                          "iteration per step), so each layer is 1-Lipschitz (Miyato et al. 2018). SAGAN uses it "
                          "in both G and D."),
        IntParam("channels", "Base channels", 32, 8, 64, log=True,
                 tooltip="Feature maps of the first D layer and the last G layer; the others are 2× and 4×."),
        IntParam("batch_size", "Batch size", 32, 8, 128, log=True,
                 tooltip="Real and fake images per step."),
        FloatParam("lr_g", "Generator learning rate", 2e-4, 1e-5, 1e-1, log=True, decimals=5,
                   tooltip="Adam step size of G (β₁ = 0, β₂ = 0.9 as in SAGAN). Applies at the next step."),
        FloatParam("lr_d", "Discriminator learning rate", 8e-4, 1e-5, 1e-1, log=True, decimals=5,
                   tooltip="Adam step size of D. SAGAN's two-timescale rule: 4× the generator's. Applies at "
                           "the next step."),
        IntParam("attention_sample", "Attention: sample", 0, 0, N_FIXED - 1, live=True,
                 tooltip="Which of the 16 fixed-noise samples the attention view shows (or click it there)."),
        IntParam("attention_pixel", "Attention: pixel", 8 * IMAGE_SIDE + 8, 0, IMAGE_SIDE * IMAGE_SIDE - 1,
                 live=True,
                 tooltip="The pixel (row · 16 + column) whose attention map is shown; click the image instead."),
    )
    plots = (
        PlotSpec("losses", "Losses", "curves", series=("d_loss", "g_loss"), x_label="step", y_label="loss",
                 tooltip="Window means of the discriminator and generator losses. Hinge: D's loss is 0 when "
                         "every real score is above +1 and every fake score below −1."),
        PlotSpec("scores", "Discriminator scores", "curves", series=("d_real", "d_fake"), x_label="step",
                 y_label="D (logit)",
                 tooltip="Mean raw output of D on real images D(x) and on generated ones D(G(z)). They drift "
                         "apart when D is winning."),
        PlotSpec("samples", "Samples from fixed noise", "image_grid",
                 tooltip="G(z) for 16 noise vectors fixed at the start: the same z every time, so you see G "
                         "itself change."),
        PlotSpec("attention", "Attention of a pixel", "attention_pixel",
                 tooltip="Left: the 16 samples (click one). Right: the chosen sample with the clicked pixel "
                         "(red square) and, overlaid, the weights β_ij of G's 8×8 self-attention: where that "
                         "position takes information from. Click any pixel."),
        PlotSpec("gamma", "Attention strength γ", "curves", series=("gamma_G8", "gamma_D8", "gamma_D4"),
                 x_label="step", y_label="γ",
                 tooltip="o = γ · attention + x: γ starts at 0 (pure convolution) and the networks learn how much "
                         "non-local evidence to add. G8: the generator's 8×8 layer; D8, D4: the discriminator's."),
        PlotSpec("sigma", "Largest singular value σ of D's weights", "curves",
                 series=("sigma_D1", "sigma_D2", "sigma_D3"), x_label="step", y_label="σ(W)", log_y=True,
                 tooltip="σ(W) of each discriminator conv (layer1, layer2, last) before normalization, computed "
                         "exactly (torch.linalg.matrix_norm, ord 2) every 10 steps. With spectral normalization "
                         "the layer applies W / σ(W), whose σ is 1, whatever this curve does."),
        PlotSpec("sigma_layers", "σ(W) per layer now", "bars", log_y=True,
                 tooltip="Largest singular value of every conv weight of G and D (including the attention's 1×1 "
                         "query q, key k and value v convs), before normalization. Without spectral "
                         "normalization, this is the Lipschitz bound each layer contributes."),
    )
    narrative = NARRATIVE
    view_params = frozenset({"attention_sample", "attention_pixel"})
    eval_every = 100

    def __init__(self, hp, context=None) -> None:
        super().__init__(hp, context)
        if hp["engine"] != "torch":
            raise LessonConfigError("SAGAN runs on the torch engine only: choose engine torch.")
        data = load_digit_images_split(IMAGE_SIDE, 0.2, hp["seed"])
        self.x_train = data.train_images() * 2.0 - 1.0                       # (N, 1, 16, 16) in [−1, 1]
        # pause once, after five measurements in a row (50 steps) that show D winning or the samples collapsed
        self.health = GanHealth(Streak(5, warmup=300), Streak(5, warmup=300), collapse_ratio=0.15)
        self.last_step = 0
        self._fixed_cache: tuple | None = None
        self._last: tuple | None = None
        self._build(hp)

    def _build(self, hp) -> None:
        """G and D (spectral normalization, DCGAN initialization after ``torch.manual_seed(seed)``), Adam
        β = (0, 0.9) for each (SAGAN), the images and 16 fixed noise vectors (the trainer's generator) on the
        device."""
        import torch

        from lessons.sagan.readouts import layer_labels, slow_readings
        from visualizer.models.sagan_torch import (Discriminator, Generator, SaganConfig, bce_d_loss, bce_g_loss,
                                                   hinge_d_loss, hinge_g_loss, init_weights)
        from visualizer.torch_backend.gan import gan_trainer

        torch.manual_seed(hp["seed"])
        self.cfg = SaganConfig(z_dim=20, ngf=hp["channels"], ndf=hp["channels"], sn=hp["spectral_norm"])
        G, D = Generator(self.cfg), Discriminator(self.cfg)
        init_weights(G)
        init_weights(D)
        hinge = hp["loss"] == "hinge"
        self._d_loss, self._g_loss = (hinge_d_loss, hinge_g_loss) if hinge else (bce_d_loss, bce_g_loss)
        self.trainer = gan_trainer(G, D, self.d_losses, self.g_losses, lr_g=hp["lr_g"], lr_d=hp["lr_d"],
                                   betas=(0.0, 0.9), device=hp["device"], seed=hp["seed"])
        dev = self.trainer.device
        self.x = torch.as_tensor(self.x_train, device=dev)
        self.fixed_z = torch.randn(N_FIXED, self.cfg.z_dim, generator=self.trainer.generator, device=dev)
        self.layer_labels = layer_labels(G, D)
        self.sigma_raw = slow_readings(G, D, None)[1]             # σ of the initial weights for the bars

    @property
    def steps_per_epoch(self) -> int:
        return max(1, len(self.x_train) // self.hp["batch_size"])

    # ---- training: one D update on a real and a fake batch, then one G update on fresh fakes (Ogawa ch. 5) ----
    def d_losses(self, batch, step):
        """D's loss on a real batch and a (detached) fake batch, and its mean raw scores D(x), D(G(z))."""
        import torch

        G, D, gen = self.trainer.modules["G"], self.trainer.modules["D"], self.trainer.generator
        n = self.hp["batch_size"]
        idx = torch.randint(0, self.x.shape[0], (n,), generator=gen, device=self.x.device)
        self._real = self.x[idx]                                                 # (B, 1, 16, 16)
        fake = G(torch.randn(n, self.cfg.z_dim, generator=gen, device=self.x.device))
        d_real, d_fake = D(self._real), D(fake.detach())                         # (B,), (B,)
        return {"d_loss": self._d_loss(d_real, d_fake), "d_real": d_real.detach().mean(),
                "d_fake": d_fake.detach().mean()}

    def g_losses(self, batch, step):
        """G's loss on a fresh fake batch, through the just-updated D."""
        import torch

        z = torch.randn(self.hp["batch_size"], self.cfg.z_dim, generator=self.trainer.generator,
                        device=self.x.device)
        fake = self.trainer.modules["G"](z)                                      # (B, 1, 16, 16)
        self._last = (fake.detach(), self._real)
        return {"g_loss": self._g_loss(self.trainer.modules["D"](fake))}

    def train_step(self, step: int) -> None:
        """One D and one G update; every SLOW_EVERY steps also γ, σ and the diversity (device tensors)."""
        self.last_step = step
        self.trainer.step(None, step)
        if step % SLOW_EVERY == 0:
            from lessons.sagan.readouts import slow_readings
            readings, self.sigma_raw = slow_readings(self.trainer.modules["G"], self.trainer.modules["D"], self._last)
            self.trainer.record(readings)

    def flush(self) -> dict[str, float]:
        """The window's metrics; when it holds a measurement, the health check (which may pause the run)."""
        m = self.trainer.flush()
        diversity = m.pop("diversity", None)
        if diversity is not None and "d_loss" in m:
            v = self.health.update(self.last_step, d_wins=m["d_loss"] < D_WINS_LOSS, diversity=diversity)
            if v is not None:
                self.context.request_pause(collapse_message(v.value) if v.kind == "collapse"
                                           else d_wins_message(v.steps, m["d_real"], m["d_fake"]))
        return m

    def divergence_hint(self) -> str:
        sn = "" if self.hp["spectral_norm"] else " Spectral normalization (on) keeps D's gradients bounded."
        return (f"The losses became NaN or infinite: the learning rates (G {self.hp['lr_g']:g}, D {self.hp['lr_d']:g}) "
                f"are probably too high. Lower them (SAGAN: 1e-4 and 4e-4) and press Reset (R).{sn}")

    # ---- views --------------------------------------------------------------------------------------------
    def _fixed(self) -> tuple[np.ndarray, np.ndarray]:
        """Fixed-noise samples (16, 16, 16) and their attention maps (16, 64, 64) as NumPy, once per step."""
        if self._fixed_cache is None or self._fixed_cache[0] != self.last_step:
            from lessons.sagan.readouts import fixed_samples
            self._fixed_cache = (self.last_step, *fixed_samples(self.trainer.modules["G"], self.fixed_z))
        return self._fixed_cache[1], self._fixed_cache[2]

    def attention_of(self, sample: int, pixel: int) -> np.ndarray:
        """β of the 8×8 position under ``pixel`` (16×16 index) for fixed sample ``sample``: (8, 8), sums to 1."""
        _, attn = self._fixed()
        return attn[sample, pixel_to_position(pixel)].reshape(ATTN_SIDE, ATTN_SIDE)

    def snapshot(self) -> dict[str, PlotData]:
        images, _ = self._fixed()
        s, p = self.hp["attention_sample"], self.hp["attention_pixel"]
        gamma = float(self.trainer.modules["G"].attn8.gamma.detach().cpu())
        return {
            "samples": ImageGridData(images.astype(np.float32), [f"z{i}" for i in range(N_FIXED)], (-1.0, 1.0),
                                     "gray", ncols=4),
            "attention": AttentionPixelData(images[s].astype(np.float32), self.attention_of(s, p).astype(np.float32),
                                            p, s, images.astype(np.float32), gamma),
            "sigma_layers": BarsData(self.layer_labels, np.maximum(self.sigma_raw.cpu().numpy().astype(float), 1e-12),
                                     y_label="σ(W) before normalization"),
        }

    def load_checkpoint_state(self, state: dict) -> None:
        super().load_checkpoint_state(state)
        self._fixed_cache = None

    def close(self) -> None:
        self._fixed_cache = self._last = None
        super().close()


LESSON = SaganLesson
