"""Lesson ``sagan``: a self-attention GAN with spectral normalization and the hinge loss on 16×16 digits (Qt-free).

Follows Ogawa, *PyTorch advanced deep learning*, ch. 5 (SAGAN), Zhang et al. 2019 (SAGAN) and Miyato et al. 2018
(spectral normalization).  Torch is imported only when the lesson builds (``trainer.py``, ``nets.py``).  Views:
samples from fixed noise, the losses and D scores, the attention strength γ of every attention layer over time,
the largest singular value σ of each weight before normalization (curves and bars), and the attention map of a
pixel the user clicks in a generated image.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lessons.sagan.data import digits_16
from lessons.sagan.health import GanHealth
from lessons.sagan.narrative import NARRATIVE
from visualizer.core.hyperparams import BoolParam, ChoiceParam, FloatParam, IntParam
from visualizer.core.lesson import Lesson, LessonConfigError, LessonInfo
from visualizer.core.plotdata import BarsData, ImageGridData, PlotData, PlotSpec
from lessons.sagan import INFO

N_FIXED = 16
ATTN_SIDE = 8                  # G's attention works on its 8×8 feature map
IMAGE_SIDE = 16
SLOW_EVERY = 10                # γ, σ and diversity are read back every this many steps


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
        PlotSpec("losses", "Losses", "curves", series=("loss_D", "loss_G"), x_label="step", y_label="loss",
                 tooltip="Window means of the discriminator and generator losses. Hinge: D's loss is 0 when "
                         "every real score is above +1 and every fake score below −1."),
        PlotSpec("scores", "Discriminator scores", "curves", series=("D_real", "D_fake"), x_label="step",
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
        self.x_train, self.y_train, _, _ = digits_16(hp["seed"])
        from lessons.sagan.nets import SaganConfig
        from lessons.sagan.trainer import SaganTrainer

        cfg = SaganConfig(z_dim=20, ngf=hp["channels"], ndf=hp["channels"], sn=hp["spectral_norm"])
        self.trainer = SaganTrainer(cfg, self.x_train, hp["device"], hp["seed"], hp["loss"], hp["lr_g"],
                                    hp["lr_d"], hp["batch_size"])
        self.sync_every = 10 if self.trainer.device.type == "cuda" else 1
        self.t = 0
        self.health = GanHealth()
        self._fixed_cache: tuple | None = None
        self.trainer.slow_stats()                   # σ of the initial weights for the bars

    @property
    def steps_per_epoch(self) -> int:
        return max(1, len(self.x_train) // self.hp["batch_size"])

    def train_step(self) -> dict[str, float]:
        self.trainer.step()
        self.t += 1
        out: dict[str, float] = {}
        if self.t % self.sync_every == 0:
            out.update(self.trainer.read_stats())
        if self.t % SLOW_EVERY == 0:
            slow = self.trainer.slow_stats()
            out.update({k: v for k, v in slow.items() if k != "diversity"})
            if "loss_D" in out:
                msg = self.health.update(self.t, out["loss_D"] < 0.05, out["D_real"], out["D_fake"],
                                         slow["diversity"])
                if msg:
                    self.context.request_pause(msg)
        return out

    def set_live(self, name, value) -> None:
        super().set_live(name, value)
        if name == "lr_g":
            self.trainer.set_lr(lr_g=value)
        elif name == "lr_d":
            self.trainer.set_lr(lr_d=value)

    def divergence_hint(self) -> str:
        sn = "" if self.hp["spectral_norm"] else " Spectral normalization (on) keeps D's gradients bounded."
        return (f"The losses became NaN or infinite: the learning rates (G {self.hp['lr_g']:g}, D {self.hp['lr_d']:g}) "
                f"are probably too high. Lower them (SAGAN: 1e-4 and 4e-4) and press Reset (R).{sn}")

    # ---- views --------------------------------------------------------------------------------------------
    def _fixed(self) -> tuple[np.ndarray, np.ndarray]:
        """Fixed-noise samples (16, 16, 16) and their attention maps (16, 64, 64) as NumPy, once per step."""
        if self._fixed_cache is None or self._fixed_cache[0] != self.t:
            images, attn = self.trainer.fixed_samples()
            self._fixed_cache = (self.t, images[:, 0].cpu().numpy(), attn.cpu().numpy())
        return self._fixed_cache[1], self._fixed_cache[2]

    def attention_of(self, sample: int, pixel: int) -> np.ndarray:
        """β of the 8×8 position under ``pixel`` (16×16 index) for fixed sample ``sample``: (8, 8), sums to 1."""
        _, attn = self._fixed()
        return attn[sample, pixel_to_position(pixel)].reshape(ATTN_SIDE, ATTN_SIDE)

    def snapshot(self) -> dict[str, PlotData]:
        images, _ = self._fixed()
        s, p = self.hp["attention_sample"], self.hp["attention_pixel"]
        g_vals, d_vals = self.trainer.sigma_raw
        labels = self.trainer.g_layers + self.trainer.d_layers
        return {
            "samples": ImageGridData(images.astype(np.float32), [f"z{i}" for i in range(N_FIXED)], (-1.0, 1.0),
                                     "gray", ncols=4),
            "attention": AttentionPixelData(images[s].astype(np.float32), self.attention_of(s, p).astype(np.float32),
                                            p, s, images.astype(np.float32),
                                            float(self.trainer.G.attn8.gamma.detach().cpu())),
            "sigma_layers": BarsData(labels, np.maximum(np.asarray(g_vals + d_vals, dtype=float), 1e-12),
                                     y_label="σ(W) before normalization"),
        }

    # ---- checkpoints --------------------------------------------------------------------------------------
    def checkpoint_state(self) -> dict[str, np.ndarray]:
        return self.trainer.state_numpy()

    def load_checkpoint_state(self, state: dict) -> None:
        try:
            self.trainer.load_numpy(state)
        except (KeyError, RuntimeError, ValueError) as e:
            raise LessonConfigError("The checkpoint does not fit this SAGAN (base channels and spectral "
                                    f"normalization must be those it was saved with): {e}") from None
        self._fixed_cache = None

    def close(self) -> None:
        self._fixed_cache = None


LESSON = SaganLesson
