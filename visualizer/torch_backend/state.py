"""Checkpoints of PyTorch modules as plain NumPy arrays (what ``Lesson.checkpoint_state`` returns)."""
from __future__ import annotations

from typing import Mapping

import numpy as np
import torch
from torch import nn


def modules_to_numpy(modules: Mapping[str, nn.Module]) -> dict[str, np.ndarray]:
    """``{"G": generator, "D": discriminator}`` -> ``{"G.<param or buffer>": array}``: host copies of
    every module's ``state_dict`` entry, prefixed with its name."""
    return {f"{prefix}.{k}": v.detach().cpu().numpy().copy()
            for prefix, module in modules.items() for k, v in module.state_dict().items()}


def load_modules_from_numpy(modules: Mapping[str, nn.Module], state: Mapping[str, np.ndarray]) -> None:
    """Load what :func:`modules_to_numpy` gave.  Raises KeyError (names differ) or ValueError (a shape
    differs) before changing anything in that module."""
    for prefix, module in modules.items():
        own = module.state_dict()
        sd = {k[len(prefix) + 1:]: torch.as_tensor(np.asarray(v)) for k, v in state.items()
              if k.startswith(prefix + ".")}
        if set(sd) != set(own):
            raise KeyError(sorted(set(sd) ^ set(own))[:4])
        for k, v in sd.items():
            if tuple(v.shape) != tuple(own[k].shape):
                raise ValueError(f"{prefix}.{k}: shape {tuple(v.shape)} instead of {tuple(own[k].shape)}")
        module.load_state_dict(sd, strict=True)
