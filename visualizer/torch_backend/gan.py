"""A GAN on the kit's TorchTrainer: G and D with an Adam optimizer each, a D phase then a G phase per step.

Goodfellow et al. 2014 alternate one discriminator update and one generator update; Radford et al. 2016
(DCGAN) and Zhang et al. 2019 (SAGAN) train both with Adam.  A lesson writes its two loss functions
(``fn(batch, step) -> {"d_loss": ..., ...}`` and ``{"g_loss": ...}``, see
``visualizer.torch_backend.trainer.Phase``) and gets a :class:`TorchTrainer` whose modules are "G" and "D",
whose optimizers are "G" and "D", and whose live settings set the two learning rates and (optionally) Adam's
β₁.  :func:`record_grad_norm` adds a network's gradient length to the metrics without a host sync.

Imports torch: import only on a lesson's build path.
"""
from __future__ import annotations

from typing import Any, Callable

import torch
from torch import nn

from visualizer.torch_backend.trainer import LossFn, Phase, TorchTrainer


def gan_trainer(G: nn.Module, D: nn.Module, d_losses: LossFn, g_losses: LossFn, *, lr_g: float, lr_d: float,
                betas: tuple[float, float], device: str = "cpu", seed: int = 0,
                cpu_threads: int | str | None = "auto", lr_names: tuple[str, str] = ("lr_g", "lr_d"),
                beta1_name: str | None = None) -> TorchTrainer:
    """A TorchTrainer for the GAN game: modules {"G", "D"}, ``torch.optim.Adam`` for each (``lr_g`` / ``lr_d``,
    ``betas``), phases D (back-propagates "d_loss", steps D's Adam) then G ("g_loss", G's Adam).

    lr_names: the lesson's names of the live G and D learning rates; beta1_name: the live β₁ of both optimizers
    (None: not live).  device, seed (of ``trainer.generator``, for batches and noise drawn on the device) and
    cpu_threads as in TorchTrainer; raises LessonConfigError for "cuda" without a GPU."""
    def adam(name: str, lr: float) -> Callable[[dict[str, nn.Module]], torch.optim.Optimizer]:
        return lambda modules: torch.optim.Adam(modules[name].parameters(), lr=lr, betas=betas)

    setter = TorchTrainer.param_group_setter
    hyper: dict[str, Callable[[TorchTrainer, Any], None]] = {lr_names[0]: setter("G"), lr_names[1]: setter("D")}
    if beta1_name is not None:
        set_b1 = [setter(name, "betas", lambda old, v: (float(v), old[1])) for name in ("G", "D")]

        def set_beta1(trainer: TorchTrainer, value: float) -> None:
            for set_ in set_b1:
                set_(trainer, value)
        hyper[beta1_name] = set_beta1
    return TorchTrainer({"G": G, "D": D}, {"G": adam("G", lr_g), "D": adam("D", lr_d)}, device=device, seed=seed,
                        cpu_threads=cpu_threads, hyper=hyper,
                        phases=[Phase(d_losses, "d_loss", "D"), Phase(g_losses, "g_loss", "G")])


def record_grad_norm(trainer: TorchTrainer, optimizer: str, metric: str) -> None:
    """Record ‖∇θ‖₂ over all parameters of ``trainer.optimizers[optimizer]`` as ``metric`` at every step of that
    optimizer, just before it updates (after back-propagation; unscaled under AMP).  The norm is a device
    tensor in the trainer's metric window (no host sync); computed like ``clip_grad_norm_``: the 2-norm of the
    per-tensor 2-norms."""
    def hook(opt: torch.optim.Optimizer, args: Any, kwargs: Any) -> None:
        grads = [p.grad for group in opt.param_groups for p in group["params"] if p.grad is not None]
        if grads:
            trainer.record({metric: torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads)))})

    trainer.optimizers[optimizer].register_step_pre_hook(hook)
