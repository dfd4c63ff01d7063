"""Posterior collapse, the failing run of a variational autoencoder (Qt-free, engine-free).

When the KL term wins (a large β, a decoder strong enough to model the data alone), the encoder's q(z|x)
becomes the prior 𝒩(0, I) for every x: each latent dimension's KL(q ‖ p) falls to about 0 and the code says
nothing about the image (Bowman et al., "Generating sentences from a continuous space", CoNLL 2016; Higgins
et al., "β-VAE", ICLR 2017).  :class:`PosteriorCollapse` watches the KL of each dimension with the same
:class:`~visualizer.probes.gan_health.Streak` the GAN detectors use.
"""
from __future__ import annotations

import numpy as np

from visualizer.probes.gan_health import Streak

ACTIVE_KL = 0.02            # nats: a latent dimension whose KL stays below this carries (almost) no information


class PosteriorCollapse:
    """Every latent dimension's KL below ``threshold`` nats for ``patience`` training steps in a row.

    Feed it the mean KL per dimension (J,) since the last reading with the session's step; ``update`` returns
    True once when collapse is first detected, and again only after the KL has recovered in between.  Steps
    up to ``warmup`` are not judged (the untrained encoder starts at KL ≈ 0).  Attributes: ``run`` (steps the
    condition has held), ``collapsed``.  Raises ValueError for patience < 1."""

    def __init__(self, threshold: float = ACTIVE_KL, patience: int = 300, warmup: int = 100) -> None:
        if patience < 1:
            raise ValueError(f"patience must be >= 1 step, got {patience}")
        self.threshold = float(threshold)
        self.patience = int(patience)
        self.streak = Streak(min_steps=patience, warmup=warmup + 1, rearm=True)

    def update(self, step: int, kl_per_dim: np.ndarray) -> bool:
        """One reading at training ``step`` (from 1) of the KL per dimension (J,) float; True when it fires."""
        return self.streak.update(step, float(np.max(kl_per_dim)) < self.threshold)

    @property
    def run(self) -> int:
        return self.streak.steps

    @property
    def collapsed(self) -> bool:
        return self.streak.steps >= self.patience


def collapse_message(steps: int, threshold: float, beta: float) -> str:
    """What the learner is told when :class:`PosteriorCollapse` fires after ``steps`` steps at KL weight β."""
    return (f"Posterior collapse: for {steps} steps the KL of every latent dimension has stayed "
            f"below {threshold:g} nats. The encoder's q(z|x) now equals the prior 𝒩(0, I) "
            "for every image, so the code says nothing about x and the decoder draws the same average "
            f"blur for every input. β = {beta:g} makes each nat of information cost more than "
            "it buys in reconstruction. Lower β (to 1 or below) and the 'active units' come back.")
