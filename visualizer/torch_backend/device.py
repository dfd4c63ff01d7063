"""Choosing the PyTorch device."""
from __future__ import annotations

import torch

from visualizer.core.errors import LessonConfigError


def resolve_device(name: str) -> torch.device:
    """``torch.device`` for "cpu" or "cuda".

    Raises LessonConfigError for another name, or for "cuda" when PyTorch sees no usable CUDA GPU."""
    if name == "cpu":
        return torch.device("cpu")
    if name == "cuda":
        if not torch.cuda.is_available():
            raise LessonConfigError(
                "CUDA was requested but PyTorch finds no usable NVIDIA GPU on this machine "
                f"(torch {torch.__version__}, built for CUDA {torch.version.cuda or 'none'}). "
                "Choose the cpu device.")
        return torch.device("cuda")
    raise LessonConfigError(f"Unknown device {name!r}: choose cpu or cuda.")
