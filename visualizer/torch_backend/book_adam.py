"""``torch.optim.Adam`` with the ε placement of Saitoh, *Deep Learning from Scratch 2* (``common/optimizer.py``):
the PyTorch twin of ``visualizer.scratch.book_adam.BookAdam``.  Imports torch."""
from __future__ import annotations

import torch

from visualizer.scratch.book_adam import BOOK_ADAM_EPS, book_adam_eps


class BookAdam(torch.optim.Adam):
    """Adam whose ε is set before each step to :func:`visualizer.scratch.book_adam.book_adam_eps` of that
    step, so the update equals the book's w -= lr √(1 − β2^t)/(1 − β1^t) · m / (√v + eps).  Arguments as
    ``torch.optim.Adam``; ``eps`` is the book's ε (1e-7).  The step count t is read from the optimizer's own
    state (a CPU tensor unless ``capturable``/``fused``: no device sync), so a loaded checkpoint continues
    with the right ε."""

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = BOOK_ADAM_EPS, **kw) -> None:
        super().__init__(params, lr=lr, betas=betas, eps=eps, **kw)
        self.book_eps = float(eps)

    def _next_t(self, group: dict) -> int:
        for p in group["params"]:
            state = self.state.get(p)
            if state and "step" in state:
                return int(state["step"]) + 1
        return 1

    def step(self, closure=None):
        for group in self.param_groups:
            group["eps"] = book_adam_eps(self._next_t(group), group["betas"][1], self.book_eps)
        return super().step(closure)
