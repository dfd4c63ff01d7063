"""The lesson's autoencoder on PyTorch: the same layers as ``net.AutoencoderNet``, started from its initial
weights (W stored as (in, out), so y = x W + b as in the scratch engine).  The lesson trains it with
``torch.optim.Adam`` through the kit's TorchTrainer, one module per layer (``enc1``, ``code``, ``dec1``,
``out``), so the gradient names (``enc1.W`` ...) are the NumPy engine's.  Hinton & Salakhutdinov,
*Science* 313 (2006); Salakhutdinov & Hinton, *Semantic hashing* (2009).

Imports torch: import only when the torch engine is chosen.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from lessons.autoencoder.net import LAYER_NAMES, AEConfig, initial_weights

DTYPES = {"float32": torch.float32, "float64": torch.float64}
_ACTS = {"relu": F.relu, "leaky_relu": lambda x: F.leaky_relu(x, 0.01), "tanh": torch.tanh,
         "sigmoid": torch.sigmoid}


class InOutLinear(nn.Module):
    """y = x W + b with W stored (in, out) like the scratch ``Linear``.  x: (N, in) -> (N, out)."""

    def __init__(self, W: np.ndarray, b: np.ndarray, dtype: torch.dtype) -> None:
        super().__init__()
        self.W = nn.Parameter(torch.as_tensor(W).to(dtype))                # (in, out)
        self.b = nn.Parameter(torch.as_tensor(b).to(dtype))                # (out,)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x @ self.W + self.b


class AutoencoderTorch(nn.Module):
    """PyTorch twin of ``AutoencoderNet``: x (N, D) -> code (N, C) -> logits (N, D).  Raises ValueError
    for a bad config (see ``AEConfig.check``)."""

    def __init__(self, cfg: AEConfig) -> None:
        super().__init__()
        w = initial_weights(cfg)
        self.cfg = cfg
        self.dtype = DTYPES[cfg.dtype]
        for name in LAYER_NAMES:
            self.add_module(name, InOutLinear(w[f"{name}.W"], w[f"{name}.b"], self.dtype))
        self.act = _ACTS[cfg.activation]

    def layers(self) -> dict[str, nn.Module]:
        """The four layers by name (the trainer's modules: gradient names ``enc1.W`` ... as on NumPy)."""
        return {name: getattr(self, name) for name in LAYER_NAMES}

    def encode(self, x: torch.Tensor, noise: torch.Tensor | None = None) -> torch.Tensor:
        """Code (N, C) of x (N, D); ``noise`` (N, C) is added before the code sigmoid (binary only)."""
        h = self.act(self.enc1(x))                                          # (N, H)
        z = self.code(h)                                                    # (N, C)
        if not self.cfg.binary:
            return z
        if noise is not None:
            z = z + noise
        return torch.sigmoid(z)

    def logits(self, code: torch.Tensor) -> torch.Tensor:
        """Output logits (N, D) of codes (N, C)."""
        return self.out(self.act(self.dec1(code)))                         # (N, D)

    def losses(self, x_in: np.ndarray, target: np.ndarray, noise: np.ndarray | None,
               kind: str) -> dict[str, torch.Tensor]:
        """The twin of ``net.ReconstructionLoss`` on the device: ``train_loss`` (mse or bce, differentiable)
        and ``train_mse`` (detached), from host arrays x_in, target (N, D) and noise (N, C) or None."""
        x, t = self._tensor(x_in), self._tensor(target)
        logits = self.logits(self.encode(x, None if noise is None else self._tensor(noise)))   # (N, D)
        recon = torch.sigmoid(logits)
        if kind == "mse":
            loss = F.mse_loss(recon, t)
            return {"train_loss": loss, "train_mse": loss.detach()}
        return {"train_loss": F.binary_cross_entropy_with_logits(logits, t),
                "train_mse": F.mse_loss(recon.detach(), t)}

    def _tensor(self, a: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(a).to(self.enc1.W.device, self.dtype)

    @torch.no_grad()
    def codes(self, x: np.ndarray) -> np.ndarray:
        """Deterministic codes (N, C) float64 of images x (N, D), on the host."""
        return self.encode(self._tensor(x)).to(torch.float64).cpu().numpy()

    @torch.no_grad()
    def reconstruct(self, x: np.ndarray) -> np.ndarray:
        """Reconstructions sigmoid(logits) (N, D) float64 of x (N, D), on the host."""
        return torch.sigmoid(self.logits(self.encode(self._tensor(x)))).to(torch.float64).cpu().numpy()
