"""Adam with the ε placement of Saitoh, *Deep Learning from Scratch 2* (``common/optimizer.py``), which the
sequence-to-sequence lessons need to learn as the book's do.  NumPy; the PyTorch twin is
``visualizer.torch_backend.book_adam.BookAdam``."""
from __future__ import annotations

import math

from visualizer.scratch.optimizers import Adam

BOOK_ADAM_EPS = 1e-7


def book_adam_eps(t: int, beta2: float = 0.999, eps: float = BOOK_ADAM_EPS) -> float:
    """The ε that makes the PyTorch-style Adam update of step t (1-based int) equal the book's; a float.

    The book (``common/optimizer.py``) steps w -= lr_t · m / (√v + 1e-7) with
    lr_t = lr √(1 − β2^t) / (1 − β1^t): ε is added to the *uncorrected* √v.  ``torch.optim.Adam`` (and
    :class:`visualizer.scratch.optimizers.Adam`) add ε to the bias-corrected √v / √(1 − β2^t); both rules
    agree when ε_t = 1e-7 / √(1 − β2^t), which is
    about 3e-6 at the first step, 1e-6 after 10 steps and 1.3e-7 after 1,000.  With a fixed ε = 1e-8 instead,
    every weight whose gradient is below about 1e-6 moves by a full lr-sized step along its noise; at the
    start that is about 3/4 of both LSTMs' Wx and Wh (median |g| ~1e-7 on the date task: the inputs are
    embeddings of scale 0.01).  On the book's date task (benchmarks/bench_attention.py) PyTorch's rule gave
    1.2 % exact match after two epochs, the book's rule 73 % (the book's code: 51.7 %)."""
    return eps / math.sqrt(1.0 - beta2 ** t)


class BookAdam(Adam):
    """Adam with the book's ε placement (see :func:`book_adam_eps`): the scratch Adam with ε set for each
    step.  Same arguments as :class:`visualizer.scratch.optimizers.Adam` (params and grads: parallel lists
    of float arrays, updated in place), ``eps`` = the book's 1e-7.  Its state (moments, step count t)
    checkpoints as the scratch Adam's."""

    def __init__(self, params, grads, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = BOOK_ADAM_EPS) -> None:
        super().__init__(params, grads, lr, betas)
        self.book_eps = float(eps)

    def step(self) -> None:
        self.eps = book_adam_eps(self.t + 1, self.beta2, self.book_eps)
        super().step()
