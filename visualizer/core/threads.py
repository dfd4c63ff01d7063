"""CPU threads of a training process: chosen in one place for the window's training process and the
headless command line, so both train at the same speed and give the same figures.

The choice: one thread per training process unless the user asks for more (``--threads N``).  The
window runs each lesson in a child process next to the GUI's own process; on this project's 2-core
reference machine a small model with the libraries' default pool (one thread per core) fought the GUI
for both cores and ran 50x slower (dcgan: 0.13 instead of 6.4 steps/s), and the PTB LSTM ran 2.1x
slower headless with the default pool than in the window with one thread.  Results also shift in
the last bits with the thread count (a BLAS kernel splits its sums by thread).

:func:`apply_threads` pins NumPy's BLAS (through threadpoolctl, for the libraries already loaded),
sets the environment variables that libraries loaded later read at load time (OpenMP, OpenBLAS,
MKL: torch's intra-op pool reads ``OMP_NUM_THREADS`` when it is first imported), tells torch
directly when it is already imported, and remembers the count for
:func:`training_threads`, which ``TorchTrainer`` pins while it trains.  Qt-free; never imports torch.
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass

DEFAULT_THREADS = 1             # one per training process: the window's choice, and the CLI's default
MAX_THREADS = 256
THREAD_ENV_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")

_applied: int | None = None     # what apply_threads chose in this process


@dataclass(frozen=True)
class ThreadChoice:
    """What :func:`apply_threads` did.  threads: the count (>= 1); blas: the BLAS libraries limited now,
    e.g. ``("openblas",)``; torch: True if torch was already imported and told directly (otherwise it
    reads ``OMP_NUM_THREADS`` when a lesson imports it)."""

    threads: int
    blas: tuple[str, ...] = ()
    torch: bool = False

    def describe(self) -> str:
        """One line for the user, e.g. ``1 CPU thread (BLAS: openblas; PyTorch: 1)``."""
        blas = ", ".join(self.blas) or "none loaded yet"
        plural = "s" if self.threads != 1 else ""
        return f"{self.threads} CPU thread{plural} (BLAS: {blas}; PyTorch: {self.threads})"

    def as_dict(self) -> dict:
        """For ``run.json``."""
        return {"threads": self.threads, "blas": list(self.blas)}


def choose_threads(requested: int | None = None) -> int:
    """The thread count of a training process: ``requested`` if given, else :data:`DEFAULT_THREADS`.

    Raises ValueError (with a message for the user) if ``requested`` is not an integer in
    [1, MAX_THREADS]."""
    if requested is None:
        return DEFAULT_THREADS
    if isinstance(requested, bool) or not isinstance(requested, int):
        raise ValueError(f"the thread count must be a whole number, not {requested!r}")
    if not 1 <= requested <= MAX_THREADS:
        raise ValueError(f"the thread count must be between 1 and {MAX_THREADS}, not {requested}")
    return requested


def apply_threads(n: int) -> ThreadChoice:
    """Pin this process's BLAS and PyTorch CPU threads to ``n`` (see the module doc); returns what was done.

    Raises ValueError as :func:`choose_threads` for a bad ``n``."""
    global _applied
    n = choose_threads(n)
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=n, user_api="blas")
    blas = tuple(sorted({info["internal_api"] for info in _blas_infos()}))
    for name in THREAD_ENV_VARS:
        os.environ[name] = str(n)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(n)
    _applied = n
    return ThreadChoice(n, blas, torch is not None)


def _blas_infos() -> list[dict]:
    from threadpoolctl import threadpool_info

    return [i for i in threadpool_info() if i.get("user_api") == "blas"]


def blas_threads() -> dict[str, int]:
    """The thread count of every BLAS library loaded now, internal name -> threads (for tests and checks)."""
    return {i["internal_api"]: i["num_threads"] for i in _blas_infos()}


def training_threads() -> int:
    """The count chosen for this process by :func:`apply_threads`, else :data:`DEFAULT_THREADS`."""
    return _applied if _applied is not None else DEFAULT_THREADS
