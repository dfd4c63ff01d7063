"""Watching a GAN's training for the two classic failures (Qt-free, torch-free).

* **The discriminator wins completely**: D separates real from fake with a margin on every sample, so the
  generator's gradient through D vanishes (BCE: D(G(z)) → 0 saturates log(1 − D(G(z)))) or stops helping.
* **Mode collapse**: the generator maps every z to (almost) the same image; the diversity of a batch of samples
  (mean pairwise L2 distance) falls far below that of real images (Salimans et al. 2016; Ogawa ch. 5).

The trainers measure both on the device and hand window means to :class:`GanHealth` every few steps.
"""
from __future__ import annotations

D_WINS_MESSAGE = (
    "The discriminator wins completely: for the last {steps} steps it told every real image from every fake "
    "one with a wide margin (mean D(x) = {d_real:.2f}, mean D(G(z)) = {d_fake:.2f}). Its loss is near 0 and the "
    "generator's gradient through it has nearly vanished, so G stops improving. Try: a lower discriminator "
    "learning rate, spectral normalization on, or the hinge loss; then press Reset (R).")
COLLAPSE_MESSAGE = (
    "Mode collapse: the generator's samples became nearly identical (their mean pairwise distance is "
    "{ratio:.0%} of that between real images). G found one image that fools D and maps every z to it; D will "
    "learn to reject it and G jumps to another, without ever covering all digits. Try a lower generator "
    "learning rate, spectral normalization, or another seed; then press Reset (R).")


class GanHealth:
    """Decide from window means whether to pause a GAN run, once per run.

    warmup: steps before any verdict (early GANs look broken); patience: consecutive bad windows needed;
    collapse_ratio: sample diversity / real diversity below which samples count as collapsed."""

    def __init__(self, warmup: int = 300, patience: int = 5, collapse_ratio: float = 0.15) -> None:
        self.warmup, self.patience, self.collapse_ratio = warmup, patience, collapse_ratio
        self._wins = self._collapse = 0
        self._first_bad_step: int | None = None
        self.fired = False

    def update(self, step: int, d_wins: bool, d_real: float, d_fake: float, diversity_ratio: float) -> str | None:
        """Feed one window's means; returns the message to pause with, or None."""
        if self.fired or step < self.warmup:
            return None
        self._wins = self._wins + 1 if d_wins else 0
        self._collapse = self._collapse + 1 if diversity_ratio < self.collapse_ratio else 0
        if self._wins == 1:
            self._first_bad_step = step
        if self._collapse >= self.patience:
            self.fired = True
            return COLLAPSE_MESSAGE.format(ratio=diversity_ratio)
        if self._wins >= self.patience:
            self.fired = True
            return D_WINS_MESSAGE.format(steps=step - (self._first_bad_step or step) + 1, d_real=d_real,
                                         d_fake=d_fake)
        return None
