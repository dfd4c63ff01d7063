"""Mini-batch order for a training set: the shuffling every lesson shares (Qt-free)."""
from __future__ import annotations

import numpy as np


class EpochBatches:
    """Indices of mini-batches: consecutive slices of a permutation of ``range(n)``, redrawn from
    ``rng`` (a ``numpy.random.Generator``) when an epoch is used up.  The first permutation is drawn
    at construction unless ``lazy`` (then at the first call), so a lesson that draws its other random
    numbers from the same generator keeps their order.  Every engine of a lesson gets the same
    batches from the same seed.

    ``full_only``: an epoch's last, shorter slice is skipped (batch normalization needs full batches).
    Raises ValueError for n < 1 or a batch size < 1."""

    def __init__(self, n: int, rng: np.random.Generator, *, lazy: bool = False, full_only: bool = False) -> None:
        if n < 1:
            raise ValueError(f"a training set needs at least one example, got {n}")
        self.n = int(n)
        self.rng = rng
        self.full_only = full_only
        self.order = np.zeros(0, dtype=np.int64) if lazy else rng.permutation(self.n)     # (n,) int64
        self.pos = 0

    def next(self, batch_size: int) -> np.ndarray:
        """The next mini-batch's indices, (B,) int64 with B <= batch_size (B < batch_size only at an
        epoch's end, and never with ``full_only``)."""
        if batch_size < 1:
            raise ValueError(f"batch size must be at least 1, got {batch_size}")
        end = self.pos + (batch_size if self.full_only else 1)
        if self.pos >= len(self.order) or end > len(self.order):
            self.order = self.rng.permutation(self.n)
            self.pos = 0
        idx = self.order[self.pos:self.pos + batch_size]
        self.pos += len(idx)
        return idx
