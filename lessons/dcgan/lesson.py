"""Lesson ``dcgan``: a deep convolutional GAN learns to draw digits (Qt-free; torch only on the build path).

G maps noise z ~ N(0, I) to a 16×16 (or 32×32) image, D scores images as real or fake; they play the minimax game
of Goodfellow et al. (2014) with the DCGAN architecture of Radford, Metz & Chintala (2016)
(``visualizer.models.dcgan_torch``), trained as in Ogawa, *PyTorch advanced deep learning* ch. 5.1 (BCE with
logits, Adam with β₁ = 0.5) and Chollet, *Deep Learning with Python* 2e ch. 12.5: a TorchTrainer with a D phase
and a G phase (:meth:`DCGANLesson.d_losses`, :meth:`DCGANLesson.g_losses`).  Data: the embedded digits upscaled
to 16×16, or MNIST padded to 32×32 when it can be downloaded.  Views: fixed-noise samples, losses, D(x) and
D(G(z)), G's gradient norm, a latent-space interpolation and a mode-collapse indicator.
"""
from __future__ import annotations

import math

import numpy as np

from lessons.dcgan import INFO
from lessons.dcgan.data import load_images
from lessons.dcgan.narrative import NARRATIVE, collapse_notice, d_wins_notice, d_wins_pause
from visualizer.core.hyperparams import ChoiceParam, FloatParam, IntParam
from visualizer.core.lesson import Lesson, LessonConfigError
from visualizer.core.plotdata import ImageGridData, PlotData, PlotSpec
from visualizer.probes.gan_health import GanHealth, Streak, diversity_ratio, mean_pairwise_distance

N_FIXED = 64                 # fixed noise vectors: the grid, the interpolation ends, the diversity batch
COLLAPSE_THRESHOLD = 0.5     # diversity below this share of the real images' spread counts as collapse
COLLAPSE_AFTER = 300         # steps before the collapse check starts (an untrained G draws near-identical blobs)
COLLAPSE_EVALS = 3           # consecutive evaluations below the threshold before the notice
D_WINS_FAKE = 0.02           # D(G(z)) below this ...
D_WINS_GRAD = 0.02           # ... and G's gradient norm below this share of its early value ...
D_WINS_STEPS = 150           # ... for this many steps: D has won, training is paused


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
        PlotSpec("samples", "Samples G(z) from fixed noise", "image_grid", main="tall",
                 tooltip="The generator's images for the same 64 (or 36) noise vectors at every redraw: watch "
                         "blobs turn into digits. z_a, z_b: the samples the interpolation joins (row by row from 0)."),
        PlotSpec("losses", "Losses", "curves", series=("d_loss", "g_loss"), x_label="step", y_label="BCE",
                 tooltip="d_loss = BCE(D(x), 1) + BCE(D(G(z)), 0); g_loss = −log D(G(z)) (non-saturating) or "
                         "log(1 − D(G(z))) (minimax). In a balanced game neither goes to zero; d_loss near "
                         "2·log 2 ≈ 1.39 means D cannot tell real from fake."),
        PlotSpec("d_outputs", "D(x) and D(G(z))", "curves", series=("d_real", "d_fake"), x_label="step",
                 y_label="probability 'real'",
                 tooltip="Mean probability D gives real images (d_real) and fakes (d_fake). At the game's "
                         "equilibrium both are 0.5; d_fake stuck near 0 means D wins."),
        PlotSpec("interpolation", "Latent-space interpolation", "image_grid",
                 tooltip="G(z_t) from z_a (t = 0) to z_b (t = 1), the chosen noise samples (captions: t). A smooth "
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
    supports_ddp = True          # under torchrun: G and D in DDP, each process on its shard (see d_losses)

    def __init__(self, hp, context=None) -> None:
        super().__init__(hp, context)
        self._check_interp(hp["interp_a"], hp["interp_b"])
        self.image_size = int(hp["image_size"])
        self.data = load_images(self.context, hp["dataset"], self.image_size, hp["seed"])
        real_idx = np.random.default_rng(hp["seed"]).choice(len(self.data.images), N_FIXED, replace=False)
        self.real_batch = self.data.images[real_idx, 0]                          # (64, S, S) host copy
        self.real_distance = mean_pairwise_distance(self.real_batch)
        self.health = GanHealth(Streak(min_steps=D_WINS_STEPS, rearm=True),
                                Streak(COLLAPSE_EVALS, warmup=COLLAPSE_AFTER, rearm=True),
                                collapse_ratio=COLLAPSE_THRESHOLD, one_verdict=False)
        self._grad_ref: list[float] = []          # G's first 20 gradient norms: what "vanished" is relative to
        self.last_step = 0
        self._build(hp)

    def _build(self, hp) -> None:
        """G and D (seeds s, s + 1), Adam for each, the images and 64 fixed noise vectors (CPU generator s + 2,
        the same on every device) on the device; batches and noise from the trainer's generator (s + 3)."""
        import torch

        from visualizer.models.dcgan_torch import build_dcgan
        from visualizer.torch_backend.gan import gan_trainer, record_grad_norm

        torch.manual_seed(hp["seed"])
        G, D = build_dcgan(hp["z_dim"], self.image_size, self.data.images.shape[1], hp["width"], hp["seed"])
        self.trainer = gan_trainer(G, D, self.d_losses, self.g_losses, lr_g=hp["g_lr"], lr_d=hp["d_lr"],
                                   betas=(hp["beta1"], 0.999), lr_names=("g_lr", "d_lr"), beta1_name="beta1",
                                   device=hp["device"], seed=hp["seed"] + 3, cpu_threads=hp["cpu_threads"])
        record_grad_norm(self.trainer, "G", "g_grad_norm")
        # (N, C, S, S); under torchrun this process's disjoint shard (N // world_size images)
        self.x = self.trainer.shard(torch.as_tensor(self.data.images), hp["seed"]).to(self.trainer.device)
        cpu = torch.Generator().manual_seed(hp["seed"] + 2)
        self.fixed_z = torch.randn(N_FIXED, hp["z_dim"], generator=cpu).to(self.trainer.device)   # (64, z_dim)

    @property
    def steps_per_epoch(self) -> int:
        return math.ceil(len(self.data.images) / self.hp["batch_size"])

    # ---- training: one D update, then one G update (Ogawa ch. 5.1, ``train_model``) ----------------------
    def d_losses(self, batch, step):
        """D minimizes BCE(D(x), 1) + BCE(D(G(z)), 0) on a real batch and a fake batch (logits: the sigmoid is
        inside the loss).  The fakes are detached: this update changes only D.  Under torchrun G and D run
        through their DDP wrappers (``trainer.synced``): D's gradients are averaged over the processes in this
        phase's backward, G's in the G phase's (G's forward is here; DDP waits for the backward that reaches
        it), and each process draws batch_size / world_size images of its own shard."""
        import torch
        import torch.nn.functional as F

        G, D, gen = self.trainer.synced["G"], self.trainer.synced["D"], self.trainer.generator
        n = self.trainer.local_batch(self.hp["batch_size"])
        idx = torch.randint(0, len(self.x), (n,), device=self.x.device, generator=gen)
        real = self.x[idx]                                                              # (B, C, S, S)
        z = torch.randn(n, self.hp["z_dim"], device=self.x.device, generator=gen)     # (B, z_dim)
        self._fake = G(z)                                                               # (B, C, S, S)
        d_real, d_fake = D(real), D(self._fake.detach())                                # (B,) logits
        d_loss = (F.binary_cross_entropy_with_logits(d_real, torch.ones_like(d_real))
                  + F.binary_cross_entropy_with_logits(d_fake, torch.zeros_like(d_fake)))
        return {"d_loss": d_loss, "d_real": torch.sigmoid(d_real.detach()).mean(),
                "d_fake": torch.sigmoid(d_fake.detach()).mean()}

    def g_losses(self, batch, step):
        """G minimizes BCE(D(G(z)), 1) = −log D(G(z)) (non-saturating) or the minimax log(1 − D(G(z))), on the
        same fakes, back-propagated through the just-updated D into G.

        D is the plain module, not its DDP wrapper: this backward also fills D's .grad, which only the next D
        phase's zero_grad clears (D's optimizer does not step here), so averaging it over the processes would
        be a wasted all-reduce; DDP ignores gradients of a module that had no forward through its wrapper since
        its last backward.  G's gradient (through D into the fakes) is averaged by G's wrapper."""
        import torch
        import torch.nn.functional as F

        g_logits = self.trainer.modules["D"](self._fake)                                # (B,)
        self._fake = None
        if self.hp["g_loss"] == "minimax":
            return {"g_loss": -F.binary_cross_entropy_with_logits(g_logits, torch.zeros_like(g_logits))}
        return {"g_loss": F.binary_cross_entropy_with_logits(g_logits, torch.ones_like(g_logits))}

    def train_step(self, step: int) -> None:
        self.last_step = step
        self.trainer.step(None, step)

    def flush(self) -> dict[str, float]:
        m = self.trainer.flush()
        if m:
            self._watch_d_wins(self.last_step, m)
        return m

    def _watch_d_wins(self, step: int, m: dict[str, float]) -> None:
        """Pause when D rejects every fake (D(G(z)) ≈ 0) and G's gradient has (nearly) vanished for
        D_WINS_STEPS steps; tell the user once if D wins but the non-saturating loss still gives G a gradient."""
        g = m.get("g_grad_norm", math.nan)
        if math.isfinite(g):
            self._grad_ref = (self._grad_ref + [g])[:20]
            ref = float(np.median(self._grad_ref))
            if (verdict := self.health.update(step, d_wins=m["d_fake"] < D_WINS_FAKE)) and g < D_WINS_GRAD * ref:
                self.context.request_pause(d_wins_pause(verdict.steps, D_WINS_FAKE, g, ref))
            elif verdict:
                self.context.notice(d_wins_notice(verdict.steps, D_WINS_FAKE))

    def evaluate(self) -> dict[str, float]:
        """Diversity of 64 fixed-noise fakes relative to 64 real images (and the collapse threshold)."""
        fakes, _ = self.samples(N_FIXED)                                            # (64, S, S)
        div = diversity_ratio(fakes, self.real_distance)
        if self.health.update(self.last_step, diversity=div) is not None:
            self.context.notice(collapse_notice(div, COLLAPSE_THRESHOLD))
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

    # ---- views -----------------------------------------------------------------------------------
    def n_grid(self) -> int:
        return 36 if self.hp["grid"] == "6×6" else 64

    def samples(self, n: int, interp: tuple[int, int, int, bool] | None = None):
        """G(z) for the first n fixed noise vectors (n, S, S) and the interpolation row, as host copies."""
        from lessons.dcgan.latent import sample_images
        return sample_images(self.trainer.modules["G"], self.fixed_z, n, interp)

    def snapshot(self) -> dict[str, PlotData]:
        n = self.n_grid()
        a, b, steps = self.hp["interp_a"], self.hp["interp_b"], self.hp["interp_steps"]
        grid, row = self.samples(n, (a, b, steps, self.hp["interpolation"] == "spherical"))   # (n|steps, S, S)
        ts = np.linspace(0.0, 1.0, steps)
        caps = [f"z_{a}"] + [f"{t:.2f}" for t in ts[1:-1]] + [f"z_{b}"]             # t between the two ends
        return {
            "samples": ImageGridData(grid.astype(np.float32), [{a: f"z_{a}", b: f"z_{b}"}.get(i, "") for i in range(n)],
                                     (-1.0, 1.0), "gray", ncols=int(math.isqrt(n))),
            "interpolation": ImageGridData(row.astype(np.float32), caps, (-1.0, 1.0), "gray", ncols=steps),
            "real": ImageGridData(self.real_batch[:n].astype(np.float32), [], (-1.0, 1.0), "gray",
                                  ncols=int(math.isqrt(n))),
        }

    def divergence_hint(self) -> str:
        return (f"The losses became NaN or infinite: the learning rates (G {self.hp['g_lr']:g}, D "
                f"{self.hp['d_lr']:g}) are probably too high for the GAN game. Lower them (DCGAN uses 2e-4) "
                "and press Reset (R).")


LESSON = DCGANLesson
