"""Data augmentation on the device, batched: random crop with padding, horizontal flip, colour jitter.

Chollet, *Deep Learning with Python* 2e ch. 8.2.5 (``RandomFlip``, ``RandomZoom``...) and Ogawa, *PyTorch advanced
deep learning* ch. 1.3 (``RandomResizedCrop``, ``RandomHorizontalFlip``) show each image a slightly different view
at every epoch, so 120 pictures per class go further.  Written here for a whole batch at once, drawn from one
``torch.Generator``, so the three strategies of ``transfer_learning`` see the same augmented pixels.  Imports
torch inside the function: import freely.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Augmentation:
    """crop_pad: pixels of zero padding around each image before a random crop back to its size (0: off);
    flip: mirror half of the images left-right; jitter: colour jitter strength s in [0, 1): brightness,
    contrast and saturation each scaled by a factor drawn from U(1 − s, 1 + s) (0: off)."""

    crop_pad: int = 4
    flip: bool = True
    jitter: float = 0.3

    @classmethod
    def from_settings(cls, hp) -> "Augmentation":
        """The lesson's live settings crop_pad, flip and jitter (a mapping)."""
        return cls(hp["crop_pad"], hp["flip"], hp["jitter"])

    @property
    def active(self) -> bool:
        return self.crop_pad > 0 or self.flip or self.jitter > 0


def augment(x, aug: Augmentation, generator):
    """x: (B, 3, S, S) float tensor in [0, 1] -> a new (B, 3, S, S) tensor, each image randomly cropped, flipped
    and colour-jittered as ``aug`` says, with random draws from ``generator`` (a torch.Generator on x's device).
    The input is not changed.  Vectorized over the batch (one gather for the crops)."""
    import torch
    import torch.nn.functional as F

    b, c, s, _ = x.shape
    dev = x.device
    if aug.crop_pad > 0:
        p = int(aug.crop_pad)
        padded = F.pad(x, (p, p, p, p))                                               # (B, 3, S+2p, S+2p)
        oy = torch.randint(0, 2 * p + 1, (b, 1), device=dev, generator=generator)
        ox = torch.randint(0, 2 * p + 1, (b, 1), device=dev, generator=generator)
        ar = torch.arange(s, device=dev)[None]                                          # (1, S)
        rows, cols = (oy + ar), (ox + ar)                                               # (B, S) each
        bi = torch.arange(b, device=dev)[:, None, None]
        x = padded.permute(0, 2, 3, 1)[bi, rows[:, :, None], cols[:, None, :]]         # (B, S, S, 3)
        x = x.permute(0, 3, 1, 2)
    if aug.flip:
        flip = torch.rand(b, device=dev, generator=generator) < 0.5
        x = torch.where(flip[:, None, None, None], x.flip(3), x)
    if aug.jitter > 0:
        j = float(aug.jitter)
        def factor():
            return 1.0 + j * (2.0 * torch.rand(b, 1, 1, 1, device=dev, generator=generator) - 1.0)
        x = x * factor()                                                                # brightness
        mean = x.mean(dim=(1, 2, 3), keepdim=True)
        x = mean + (x - mean) * factor()                                                # contrast
        gray = (0.299 * x[:, 0:1] + 0.587 * x[:, 1:2] + 0.114 * x[:, 2:3])
        x = gray + (x - gray) * factor()                                                # saturation
        x = x.clamp(0.0, 1.0)
    return x.contiguous() if aug.active else x.clone()
