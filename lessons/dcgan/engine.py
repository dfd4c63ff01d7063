"""DCGAN training on PyTorch for the ``dcgan`` lesson: the GAN game of Ogawa ch. 5.1 (BCE-with-logits losses,
Adam), with the metrics kept on the device.  Imports torch: import only on the lesson's build path.

No per-step host synchronization: batches and noise are drawn on the device with a device
``torch.Generator``; losses, D(x), D(G(z)) and the generator's gradient norm are summed into one device tensor;
:meth:`GanEngine.read_metrics` turns the window's means into Python floats (one sync) when the lesson asks,
every k steps.  Images reach the host only in :meth:`GanEngine.samples` (the lesson's ``snapshot``).
"""
from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from lessons.dcgan.nets import build_dcgan
from visualizer.torch_backend.device import resolve_device

METRICS = ("d_loss", "g_loss", "d_real", "d_fake", "g_grad_norm")


def slerp(a: torch.Tensor, b: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Spherical interpolation between noise vectors a, b (D,) at fractions t (T,) → (T, D) (White 2016,
    *Sampling generative networks*): follows the great circle, keeping the norm a Gaussian sample has.
    Falls back to linear interpolation when a and b are (anti)parallel."""
    an, bn = a / a.norm(), b / b.norm()
    omega = torch.arccos(torch.clamp((an * bn).sum(), -1.0, 1.0))
    so = torch.sin(omega)
    if float(so) < 1e-6:
        return lerp(a, b, t)
    t = t[:, None]
    return (torch.sin((1 - t) * omega) / so) * a[None] + (torch.sin(t * omega) / so) * b[None]


def lerp(a: torch.Tensor, b: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Linear interpolation (1 − t)·a + t·b for fractions t (T,) → (T, D)."""
    t = t[:, None]
    return (1 - t) * a[None] + t * b[None]


class GanEngine:
    """G and D (``nets.build_dcgan``), their Adam optimizers and the training images on one device.

    images: (N, 1, S, S) float32 in [−1, 1]; fixed noise: (n_fixed, z_dim) drawn on the CPU from ``seed``
    (the same on every device), used for the sample grid, the interpolation and the diversity measure.
    Raises LessonConfigError for "cuda" without a usable GPU."""

    def __init__(self, images: np.ndarray, *, z_dim: int, width: int, seed: int, device: str,
                 g_lr: float, d_lr: float, beta1: float, n_fixed: int = 64, cpu_threads: int = 1) -> None:
        self.device = resolve_device(device)
        # On the CPU, PyTorch's intra-op pool (OpenMP) is not limited by the app's BLAS limit; with 2 threads on
        # a busy 2-core machine its spin-waiting made steps 15× slower than with 1.  Checked every step (the
        # setting is per process) and restored by close().
        self.cpu_threads = int(cpu_threads) if self.device.type == "cpu" else None
        self._old_threads = torch.get_num_threads()
        self._pin_threads()
        torch.manual_seed(seed)
        size, channels = images.shape[-1], images.shape[1]
        self.G, self.D = build_dcgan(z_dim, size, channels, width, seed, self.device)
        self.z_dim = z_dim
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=g_lr, betas=(beta1, 0.999))
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=d_lr, betas=(beta1, 0.999))
        self.x = torch.as_tensor(images).to(self.device)                               # (N, C, S, S)
        cpu = torch.Generator().manual_seed(seed + 2)
        self.fixed_z = torch.randn(n_fixed, z_dim, generator=cpu).to(self.device)     # (n_fixed, z_dim)
        self.gen = torch.Generator(device=self.device).manual_seed(seed + 3)           # batches and noise
        self._acc = torch.zeros(len(METRICS), device=self.device)
        self._n = 0
        self._g_params = [p for p in self.G.parameters()]

    # ---- one step of the game -----------------------------------------------------------------------
    def step(self, batch_size: int, saturating: bool = False) -> None:
        """One discriminator update then one generator update (Ogawa ch. 5.1, ``train_model``).

        D minimizes BCE(D(x), 1) + BCE(D(G(z)), 0) on a real batch and a fake batch (logits, so the sigmoid
        is inside the loss).  G minimizes BCE(D(G(z)), 1) = −log D(G(z)) (non-saturating) or, with
        ``saturating``, the minimax log(1 − D(G(z))).  Adds this step's metrics to the device accumulator;
        never synchronizes with the host."""
        self._pin_threads()
        self.G.train()
        self.D.train()
        idx = torch.randint(0, len(self.x), (batch_size,), device=self.device, generator=self.gen)
        real = self.x[idx]                                                              # (B, C, S, S)
        z = torch.randn(batch_size, self.z_dim, device=self.device, generator=self.gen)  # (B, z_dim)
        fake = self.G(z)                                                                # (B, C, S, S)

        d_real = self.D(real)                                                           # (B,) logits
        d_fake = self.D(fake.detach())
        d_loss = (F.binary_cross_entropy_with_logits(d_real, torch.ones_like(d_real))
                  + F.binary_cross_entropy_with_logits(d_fake, torch.zeros_like(d_fake)))
        self.opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        self.opt_d.step()

        g_logits = self.D(fake)                                                         # (B,)
        if saturating:
            g_loss = -F.binary_cross_entropy_with_logits(g_logits, torch.zeros_like(g_logits))  # log(1 − D)
        else:
            g_loss = F.binary_cross_entropy_with_logits(g_logits, torch.ones_like(g_logits))    # −log D
        self.opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        grads = [p.grad for p in self._g_params if p.grad is not None]
        g_norm = torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads)))
        self.opt_g.step()

        with torch.no_grad():
            self._acc += torch.stack([d_loss.detach(), g_loss.detach(), torch.sigmoid(d_real).mean(),
                                      torch.sigmoid(d_fake).mean(), g_norm])
        self._n += 1

    def _pin_threads(self) -> None:
        if self.cpu_threads is not None and torch.get_num_threads() != self.cpu_threads:
            torch.set_num_threads(self.cpu_threads)

    def read_metrics(self) -> dict[str, float]:
        """Means of the metrics since the last call, as Python floats (one device sync); {} if no step."""
        if self._n == 0:
            return {}
        values = (self._acc / self._n).tolist()
        self._acc.zero_()
        self._n = 0
        return dict(zip(METRICS, values))

    # ---- pictures (host copies) ---------------------------------------------------------------------
    @torch.no_grad()
    def generate(self, z: torch.Tensor) -> torch.Tensor:
        """G(z) in evaluation mode (BatchNorm running statistics): (N, C, S, S) on the device."""
        self.G.eval()
        out = self.G(z)
        self.G.train()
        return out

    def interpolation_noise(self, a: int, b: int, steps: int, spherical: bool) -> torch.Tensor:
        """(steps, z_dim) noise from fixed sample a to fixed sample b (endpoints exact)."""
        t = torch.linspace(0.0, 1.0, steps, device=self.device)
        za, zb = self.fixed_z[a], self.fixed_z[b]
        z = slerp(za, zb, t) if spherical else lerp(za, zb, t)
        z[0], z[-1] = za, zb
        return z

    @torch.no_grad()
    def samples(self, n: int, interp: tuple[int, int, int, bool] | None = None) -> tuple[np.ndarray, np.ndarray | None]:
        """Fixed-noise samples (n, S, S) and optionally the interpolation row (steps, S, S), float32 host copies
        (one transfer)."""
        z = self.fixed_z[:n]
        if interp is not None:
            a, b, steps, spherical = interp
            z = torch.cat([z, self.interpolation_noise(a, b, steps, spherical)])
        imgs = self.generate(z)[:, 0].float().cpu().numpy()
        return imgs[:n], (imgs[n:] if interp is not None else None)

    # ---- settings and state -------------------------------------------------------------------------
    def set_lr(self, which: str, lr: float) -> None:
        for group in (self.opt_g if which == "g" else self.opt_d).param_groups:
            group["lr"] = float(lr)

    def set_beta1(self, beta1: float) -> None:
        for opt in (self.opt_g, self.opt_d):
            for group in opt.param_groups:
                group["betas"] = (float(beta1), group["betas"][1])

    def state(self) -> dict[str, np.ndarray]:
        """Weights and BatchNorm statistics of G and D: ``G.<name>`` / ``D.<name>`` → NumPy copies."""
        out = {}
        for prefix, net in (("G", self.G), ("D", self.D)):
            for k, v in net.state_dict().items():
                out[f"{prefix}.{k}"] = v.detach().cpu().numpy().copy()
        return out

    def load_state(self, state: dict[str, np.ndarray]) -> None:
        """Restore :meth:`state`.  Raises ValueError naming the first missing or mis-shaped array."""
        for prefix, net in (("G", self.G), ("D", self.D)):
            own = net.state_dict()
            new = {}
            for k, v in own.items():
                key = f"{prefix}.{k}"
                if key not in state:
                    raise ValueError(f"the checkpoint has no array {key}")
                if tuple(state[key].shape) != tuple(v.shape):
                    raise ValueError(f"{key} has shape {tuple(state[key].shape)}, this model needs {tuple(v.shape)}")
                new[k] = torch.as_tensor(np.asarray(state[key])).to(v.device, v.dtype)
            net.load_state_dict(new)

    def close(self) -> None:
        self.x = None
        if self.cpu_threads is not None:
            torch.set_num_threads(self._old_threads)
        if self.device.type == "cuda":
            torch.cuda.empty_cache()


def relative_diversity(fakes: np.ndarray, real_distance: float) -> float:
    """Mean pairwise distance of ``fakes`` (N, ...) divided by the real images' mean pairwise distance."""
    from lessons.dcgan.data import mean_pairwise_distance
    return mean_pairwise_distance(fakes) / max(real_distance, 1e-12)


__all__ = ["GanEngine", "METRICS", "slerp", "lerp", "relative_diversity", "math"]
