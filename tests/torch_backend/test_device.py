"""Device choice."""
from __future__ import annotations

import pytest
import torch

from visualizer.core.lesson import LessonConfigError
from visualizer.torch_backend.device import resolve_device


def test_cpu_resolves():
    assert resolve_device("cpu") == torch.device("cpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_cuda_without_gpu_raises_a_readable_error():
    with pytest.raises(LessonConfigError, match="no usable NVIDIA GPU.*Choose the cpu device"):
        resolve_device("cuda")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_resolves_with_gpu():
    assert resolve_device("cuda").type == "cuda"


def test_unknown_device_raises():
    with pytest.raises(LessonConfigError, match="Unknown device 'tpu'"):
        resolve_device("tpu")
