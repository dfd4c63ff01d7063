"""What the ``sagan`` lesson reads from its networks every few steps, on the device (PyTorch; imported when the
lesson builds): the attention strengths γ, the largest singular value σ of every conv weight before spectral
normalization (Miyato et al. 2018), and the diversity of the last fakes relative to the real batch."""
from __future__ import annotations

import torch
from torch import nn

from visualizer.models.sagan_torch import singular_values, weight_layers


def layer_label(prefix: str, name: str) -> str:
    """Short layer names for the bars: ``layer1.0`` -> ``G.layer1``, ``attn8.query`` -> ``G.attn8.q``."""
    name = name.replace(".0", "").replace(".query", ".q").replace(".key", ".k").replace(".value", ".v")
    return f"{prefix}.{name}"


def layer_labels(G: nn.Module, D: nn.Module) -> list[str]:
    """Labels of every conv of G, then of D, in :func:`weight_layers` order."""
    return ([layer_label("G", n) for n, _ in weight_layers(G)]
            + [layer_label("D", n) for n, _ in weight_layers(D)])


def pairwise_diversity(x: torch.Tensor) -> torch.Tensor:
    """Mean L2 distance between distinct images of a batch (N, ...) -> scalar tensor (no sync)."""
    flat = x.reshape(x.shape[0], -1)
    d = torch.cdist(flat, flat)
    n = flat.shape[0]
    return d.sum() / max(1, n * (n - 1))


@torch.no_grad()
def slow_readings(G: nn.Module, D: nn.Module,
                  last: tuple[torch.Tensor, torch.Tensor] | None) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
    """(readings, σ of every layer (L_G + L_D,)), all device tensors, no host sync.

    readings: gamma_G8, gamma_D8, gamma_D4 (the attention layers' γ); sigma_G1… and sigma_D1… (σ of the main
    convs, attention convs left out) and, given ``last`` = (fakes, reals) of the last step, diversity (the fakes'
    mean pairwise distance / the reals'; for the collapse check).  Computed in evaluation mode, so reading the
    weights runs no extra power iteration; both networks are back in training mode afterwards."""
    G.eval(), D.eval()
    try:
        g_raw, _ = singular_values(G)                                            # (L_G,)
        d_raw, _ = singular_values(D)                                            # (L_D,)
    finally:
        G.train(), D.train()
    out = {"gamma_G8": G.attn8.gamma.detach(), "gamma_D8": D.attn8.gamma.detach(),
           "gamma_D4": D.attn4.gamma.detach()}
    for prefix, net, raw in (("G", G, g_raw), ("D", D, d_raw)):
        main = [i for i, (name, _) in enumerate(weight_layers(net)) if not name.startswith("attn")]
        for k, i in enumerate(main):
            out[f"sigma_{prefix}{k + 1}"] = raw[i]
    if last is not None:
        fake, real = last
        out["diversity"] = pairwise_diversity(fake) / pairwise_diversity(real).clamp_min(1e-8)
    return out, torch.cat([g_raw, d_raw])


@torch.no_grad()
def fixed_samples(G: nn.Module, z: torch.Tensor) -> tuple:
    """G(z) for the fixed noise z (16, z_dim) as NumPy (16, 16, 16) and G's 8×8 attention maps (16, 64, 64), in
    evaluation mode (batch norm uses its running statistics; spectral norm its stored estimate); one copy to
    the host; G is back in training mode afterwards."""
    G.eval()
    try:
        images = G(z)                                                            # (16, 1, 16, 16)
    finally:
        G.train()
    return images[:, 0].cpu().numpy(), G.attn8.last_attention.cpu().numpy()
