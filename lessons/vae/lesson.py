"""Lesson ``vae``: a variational autoencoder on handwritten digits, with a live β (Qt-free, torch-free).

The encoder maps an image x to q(z|x) = 𝒩(μ, diag σ²), a reparameterized sample z = μ + σ ⊙ ε goes
through the decoder to p(x|z), and training minimizes reconstruction + β · KL (the negative ELBO when
β = 1).  The pictures: the two loss terms as separate curves, the 2-D latent grid decoded into images
over the prior's quantiles, the latent means of validation images by label, reconstructions, samples
from the prior and the KL of each latent dimension (active units).  The model runs on PyTorch
(``net_torch.py``, imported only when the lesson is built) through the kit's TorchTrainer; posterior
collapse is watched by ``visualizer.probes.vae_health``.

Follows Kingma & Welling, "Auto-Encoding Variational Bayes" (ICLR 2014); Higgins et al., "β-VAE:
Learning basic visual concepts with a constrained variational framework" (ICLR 2017); Chollet, *Deep
Learning with Python* 2e, ch. 12.4 (image generation with variational autoencoders); Buduma et al.,
*Fundamentals of Deep Learning* 2e, ch. 10 (generative models).  Data: scikit-learn's digits (Alpaydin &
Kaynak 1998) or MNIST (LeCun et al. 1998).
"""
from __future__ import annotations

import math

import numpy as np

from lessons.vae import INFO
from lessons.vae.latent import grid_latents, mosaic, mosaic_extent
from lessons.vae.narrative import NARRATIVE
from visualizer.core.hyperparams import ChoiceParam, FloatParam, IntParam
from visualizer.core.lesson import Lesson
from visualizer.core.plotdata import BarsData, ImageData, ImageGridData, PlotData, PlotSpec, ScatterData
from visualizer.data.digits import load_digits_split
from visualizer.data.fallback import load_with_fallback
from visualizer.data.images import resize_bilinear
from visualizer.data.mnist import SOURCES, load_idx_split
from visualizer.data.split import DataSplit
from visualizer.probes.vae_health import PosteriorCollapse, collapse_message

DATASETS = ("digits", "digits16", "mnist")
N_RECON = 12                 # validation images shown with their reconstructions
N_SAMPLES = 32               # fixed prior draws decoded in the "samples" grid
SCATTER_LIMIT = 1000         # validation means drawn in the latent scatter
VAL_LIMIT = 2000             # validation images evaluated (MNIST has up to 10,000)


class VAELesson(Lesson):
    """A VAE on digits: x (N, S·S) in [0, 1] -> μ, log σ² (N, J) -> z = μ + σ ⊙ ε -> p(x|z)."""

    info = INFO
    params = (
        ChoiceParam("dataset", "Data set", "digits", DATASETS,
                    tooltip="digits: 1,797 embedded 8×8 images. digits16: the same upscaled to 16×16 (bilinear). "
                            "mnist: 28×28 images, downloaded once (about 12 MB) and cached; offline, the "
                            "embedded digits."),
        ChoiceParam("architecture", "Architecture", "mlp", ("mlp", "conv"),
                    tooltip="mlp: one hidden layer in the encoder and in the decoder (Kingma & Welling). conv: "
                            "two stride-2 convolutions down and two transposed convolutions up (Chollet)."),
        IntParam("latent_dim", "Latent dimensions", 2, 2, 16,
                 tooltip="J, the size of the code z. With 2 the latent space can be drawn as it is; with more, "
                         "the grid and the scatter show the first two dimensions (the others at 0)."),
        IntParam("hidden", "Hidden units", 256, 32, 1024, log=True,
                 tooltip="Width of the hidden layer of the encoder and of the decoder."),
        ChoiceParam("likelihood", "Decoder p(x|z)", "bernoulli", ("bernoulli", "gaussian"),
                    tooltip="bernoulli: each pixel is a coin with probability sigmoid(logit); reconstruction = "
                            "binary cross-entropy. gaussian: 𝒩(x̂, σ²) with σ = 0.1; reconstruction = "
                            "Σ(x − x̂)²/2σ² (the squared error, scaled)."),
        FloatParam("beta", "β (KL weight)", 1.0, 0.0, 10.0, live=True, decimals=2,
                   tooltip="Loss = reconstruction + β·KL. β = 1: the ELBO of Kingma & Welling. β > 1 (β-VAE): a "
                           "smoother, more prior-like code and blurrier images; very large β: posterior "
                           "collapse. β = 0: a plain autoencoder with noise. Applies at the next step."),
        FloatParam("lr", "Learning rate", 1e-3, 1e-5, 1.0, log=True, live=True, decimals=5,
                   tooltip="Adam's step size. Applies at the next step."),
        IntParam("batch_size", "Batch size", 64, 8, 512, live=True, log=True,
                 tooltip="Images per update. Applies at the next step."),
        IntParam("grid_size", "Latent grid size", 15, 5, 25, live=True,
                 tooltip="n of the n×n grid of decoded latent points (the picture only)."),
        IntParam("max_train", "Training images (MNIST)", 10_000, 1_000, 60_000, log=True,
                 tooltip="How many of the 60,000 MNIST training images to use. Not used for the digits."),
    )
    plots = (
        PlotSpec("recon", "Reconstruction term", "curves", series=("train_recon", "val_recon"), x_label="step",
                 y_label="−log p(x|z) (nats / image)",
                 tooltip="E_q[−log p(x|z)]: how badly the decoder reproduces the image from a sampled code, "
                         "summed over pixels, averaged over images (training batches and the validation set)."),
        PlotSpec("kl", "KL term", "curves", series=("train_kl", "val_kl"), x_label="step",
                 y_label="KL(q(z|x) ‖ p(z)) (nats / image)",
                 tooltip="How far the encoder's distribution q(z|x) is from the prior 𝒩(0, I): the information "
                         "the code carries about the image. β multiplies this term in the loss."),
        PlotSpec("loss", "Loss and −ELBO", "curves", series=("train_loss", "val_loss", "val_neg_elbo"), x_label="step",
                 y_label="nats / image",
                 tooltip="train_loss and val_loss: what Adam minimizes, reconstruction + β·KL, on training batches "
                         "and on the validation set. val_neg_elbo: reconstruction "
                         "+ KL on the validation set, the negative evidence lower bound (β = 1): an upper bound on "
                         "−log p(x), comparable across β."),
        PlotSpec("latent_grid", "Latent grid decoded", "latent_grid", main="tall",
                 tooltip="Each tile is the decoder's image of one latent point z on an n×n grid over the prior's "
                         "quantiles, z = Φ⁻¹(p) for p from 0.05 to 0.95 (Kingma & Welling fig. 4, Chollet fig. "
                         "12.19). With more than two latent dimensions the others are 0."),
        PlotSpec("latent_means", "Latent means of validation images", "scatter",
                 tooltip="μ(x) of each validation image, coloured by its digit (labels are never used in "
                         "training). With more than two latent dimensions: the first two."),
        PlotSpec("reconstructions", "Reconstructions (validation)", "image_grid",
                 tooltip="Pairs: a validation image, then the decoder's mean image from its code z = μ(x)."),
        PlotSpec("samples", "Samples from the prior", "image_grid",
                 tooltip="The decoder's mean image of fixed draws z ~ 𝒩(0, I): new digits, updating while the "
                         "model trains."),
        PlotSpec("active_units", "KL per latent dimension (active units)", "active_units",
                 tooltip="The KL of each latent dimension on the validation set. A dimension near 0 is inactive: "
                         "the encoder ignores it (q = prior); grey bars are below 0.02 nats (dashed line). When all are near 0 the "
                         "posterior has collapsed."),
    )
    narrative = NARRATIVE
    view_params = frozenset({"grid_size"})
    eval_every = 25
    supports_ddp = True          # under torchrun: the VAE in DDP, each process on its shard of the training set

    def __init__(self, hp, context=None) -> None:
        super().__init__(hp, context)
        self.data = self._load_data()
        h, w = self.data.image_shape
        self.image_shape = (h, w)
        self.rng = np.random.default_rng(hp["seed"])                # the batch order
        from lessons.vae.net_torch import DeviceBatches, VAEConfig, VAEReadout, seeded_vae  # lazy: torch is slow
        from visualizer.torch_backend.adam import Adam              # torch.optim would import torch._dynamo
        from visualizer.torch_backend.trainer import TorchTrainer

        cfg = VAEConfig(image_size=h, latent_dim=hp["latent_dim"], hidden=hp["hidden"],
                        architecture=hp["architecture"], likelihood=hp["likelihood"])
        lr = hp["lr"]
        self.trainer = TorchTrainer(seeded_vae(cfg, hp["seed"]), lambda m: Adam(m["model"].parameters(), lr=lr),
                                    device=hp["device"], seed=hp["seed"], losses=self.losses,
                                    hyper={"lr": TorchTrainer.param_group_setter("main", "lr")})
        self.vae = VAEReadout(self.trainer.modules["model"], self.data.x_train, self.data.x_val[:VAL_LIMIT],
                              hp["seed"], N_SAMPLES)
        # torchrun: this process's shard of the training set
        self.batches = DeviceBatches(self.trainer.shard(self.vae.x_train, hp["seed"]), self.rng)
        self.eval_every = self._eval_interval()
        self.collapse = PosteriorCollapse()
        self.last_kl_dim = np.zeros(hp["latent_dim"])
        self.step = 0                                                # the session's step of the last update
        self._kl_sum, self._kl_steps = None, 0                      # KL per dimension since the last flush (device)
        if hp["latent_dim"] > 2:
            self.context.notice(f"The latent space has {hp['latent_dim']} dimensions: the latent grid varies z₁ "
                                "and z₂ with the others at 0, and the scatter shows μ₁ and μ₂.")

    # ---- data ------------------------------------------------------------------------------------
    def _load_data(self) -> DataSplit:
        hp = self.hp
        seed = hp["seed"]
        if hp["dataset"] == "mnist":
            return load_with_fallback(
                self.context, lambda: load_idx_split("mnist", 0.2, seed, "float32", hp["max_train"],
                                                     progress=self.context.progress),
                lambda: load_digits_split(0.2, seed, "float32"), what=SOURCES["mnist"].title,
                instead="the embedded 8×8 digits", param="dataset")
        d = load_digits_split(0.2, seed, "float32")
        if hp["dataset"] == "digits16":
            def up(x: np.ndarray) -> np.ndarray:                     # (N, 64) -> (N, 256), bilinear
                return resize_bilinear(x.reshape(-1, 8, 8), 16, clip=(0.0, 1.0)).reshape(len(x), 256)
            d = DataSplit("8×8 digits upscaled to 16×16 (bilinear)", up(d.x_train), d.y_train, up(d.x_val), d.y_val,
                          (16, 16), d.class_names)
        return d

    @property
    def steps_per_epoch(self) -> int:
        return math.ceil(len(self.data.x_train) / self.hp["batch_size"])

    def _eval_interval(self) -> int:
        return max(1, round(self.steps_per_epoch / 2))             # twice per epoch

    def next_batch(self):
        return self.batches.next(self.trainer.local_batch(self.hp["batch_size"]))      # global / world_size

    # ---- training --------------------------------------------------------------------------------
    def train_step(self, step: int) -> None:
        self.step = step
        super().train_step(step)

    def losses(self, x, step: int) -> dict:
        """One batch x (B, D) on the device: the negative β-ELBO and its terms; the KL per dimension is
        summed on the device for the collapse detector (no host copy)."""
        import torch
        from lessons.vae.net_torch import vae_losses
        eps = torch.randn(len(x), self.hp["latent_dim"], generator=self.trainer.generator, device=x.device)
        out = vae_losses(self.trainer.modules["model"], x, eps, float(self.hp["beta"]),
                         self.trainer.synced["model"])                         # torchrun: through DDP
        kl_dim = out["kl_dim"].detach()
        self._kl_sum = kl_dim.clone() if self._kl_sum is None else self._kl_sum + kl_dim
        self._kl_steps += 1
        return {"train_recon": out["recon"], "train_kl": out["kl"], "train_loss": out["loss"]}

    def flush(self) -> dict[str, float]:
        """The trainer's window means, and the KL per dimension (one more host copy per flush) fed to the
        posterior-collapse detector."""
        metrics = super().flush()
        if self._kl_steps:
            self.last_kl_dim = (self._kl_sum / self._kl_steps).double().cpu().numpy()
            self._kl_sum, self._kl_steps = None, 0
            if np.all(np.isfinite(self.last_kl_dim)) and self.collapse.update(self.step, self.last_kl_dim):
                self.context.notice(collapse_message(self.collapse.run, self.collapse.threshold, self.hp["beta"]))
        return metrics

    def evaluate(self) -> dict[str, float]:
        out = self.vae.evaluate()
        return out | {"val_loss": out["val_recon"] + float(self.hp["beta"]) * out["val_kl"]}

    def set_live(self, name, value) -> None:
        super().set_live(name, value)
        if name == "batch_size":
            self.eval_every = self._eval_interval()

    def divergence_hint(self) -> str:
        return (f"The loss became NaN or infinite: the learning rate ({self.hp['lr']:g}) is probably too high "
                "for Adam on this VAE (log σ² overshoots and σ = exp(½ log σ²) overflows). Lower it, to 1e-3 "
                "or less, and press Reset (R).")

    # ---- views -----------------------------------------------------------------------------------
    def latent_grid(self, n: int | None = None) -> ImageData:
        """The decoder's images of an n×n grid over the prior's quantiles as one (n·H, n·W) image."""
        n = n or self.hp["grid_size"]
        h, w = self.image_shape
        j = self.hp["latent_dim"]
        tiles = self.vae.decode(grid_latents(n, j)).reshape(n * n, h, w)            # (n², H, W)
        img = mosaic(tiles, n, gap=1)[::-1]                                              # row 0 at the bottom
        x0, x1 = mosaic_extent(n, w, gap=1)
        y0, y1 = mosaic_extent(n, h, gap=1)
        rest = "" if j == 2 else f" (z₃…z{j} = 0)"
        return ImageData(np.ascontiguousarray(img), (x0, x1, y0, y1), (0.0, 1.0), "gray",
                         x_label="Φ(z₁): prior quantile of z₁", y_label="Φ(z₂): prior quantile of z₂" + rest,
                         colorbar_label="pixel")

    def snapshot(self) -> dict[str, PlotData]:
        h, w = self.image_shape
        j = self.hp["latent_dim"]
        mu, kl_dim = self.vae.encode_val(SCATTER_LIMIT)
        labels = self.data.y_val[:len(mu)]
        recon = self.vae.reconstruct_val(N_RECON).reshape(N_RECON, h, w)
        originals = self.data.x_val[:N_RECON].reshape(N_RECON, h, w)
        pairs = np.stack([originals, recon], axis=1).reshape(2 * N_RECON, h, w).astype(np.float32)
        names = self.data.class_names
        pair_captions = [c for i in range(N_RECON) for c in (f"input {names[labels[i]]}", "output")]
        samples = self.vae.prior_samples().reshape(N_SAMPLES, h, w)
        return {
            "latent_grid": self.latent_grid(),
            "latent_means": ScatterData(mu[:, :2], labels, class_names=names, x_label="μ₁", y_label="μ₂"),
            "reconstructions": ImageGridData(pairs, pair_captions, (0.0, 1.0), "gray", ncols=8),
            "samples": ImageGridData(samples.astype(np.float32), (), (0.0, 1.0), "gray", ncols=8),
            "active_units": BarsData([f"z{i + 1}" for i in range(j)], kl_dim, y_label="KL (nats)"),
        }


LESSON = VAELesson
