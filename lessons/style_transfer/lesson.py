"""Lesson ``style_transfer``: neural style transfer (Qt-free; torch only on the build path).

Gatys, Ecker & Bethge (2016), as in Chollet, *Deep Learning with Python* 2e ch. 12.3 and Buduma's neural style: the
*pixels* of an image x are the parameters.  A fixed feature network φ (VGG-19, or random multi-scale convolutions
offline: ``lessons.style_transfer.features``) measures

- the content loss  E_c = ‖φ_c(x) − φ_c(p)‖² / ‖φ_c(p)‖²  at one deep layer c, against the content photo p;
- the style loss of layer l  E_l = ‖G_l(x) − G_l(a)‖² / ‖G_l(a)‖²  between Gram matrices (channel
  correlations, :func:`visualizer.models.random_features_torch.gram_matrix`) of x and the style picture a;
- the total variation  TV = mean of squared differences between neighbouring pixels (smoothness).

Each loss is divided by the size of its target so that the weights mean the same for every layer and network.
Adam minimizes  α E_c + β · mean over the chosen layers of E_l + γ TV ; x is kept in [0, 1].
"""
from __future__ import annotations

import numpy as np

from lessons.style_transfer import INFO
from lessons.style_transfer.features import build_features
from lessons.style_transfer.narrative import NARRATIVE, divergence_text
from lessons.style_transfer.params import GRAM_BLOCK, OBJECTIVES, PARAMS, PLOTS, load_image
from visualizer.core.lesson import Lesson
from visualizer.core.plotdata import ImageGridData, MatrixData, PlotData


class StyleTransferLesson(Lesson):
    """Style transfer.  Image x (1, 3, S, S) float32 in [0, 1] is the only trained tensor."""

    info = INFO
    params = PARAMS
    plots = PLOTS
    narrative = NARRATIVE
    view_params = frozenset({"gram_layer"})

    def __init__(self, hp, context=None) -> None:
        super().__init__(hp, context)
        self.size = int(hp["image_size"])
        self.content = load_image(hp, "content", self.size)                     # (S, S, 3) host copies
        self.style = load_image(hp, "style", self.size)
        self.last_step = 0
        self._build(hp)

    def _build(self, hp) -> None:
        import torch

        from visualizer.torch_backend.trainer import Phase, TorchTrainer

        torch.manual_seed(hp["seed"])
        self.net = build_features(hp["features"], hp["seed"], self.context)
        self.style_layers, self.content_layer = self.net.style_layers, self.net.content_layer
        if hp["init"] == "content":
            start = torch.as_tensor(self.content).permute(2, 0, 1)[None].clone()          # (1, 3, S, S)
        else:
            gen = torch.Generator().manual_seed(hp["seed"] + 1)
            start = 0.5 + 0.1 * torch.randn(1, 3, self.size, self.size, generator=gen)
        image = torch.nn.Module()
        image.pixels = torch.nn.Parameter(start.clamp(0.0, 1.0).float())
        self.trainer = TorchTrainer(
            {"image": image}, lambda m: torch.optim.Adam(m["image"].parameters(), lr=hp["lr"]),
            device=hp["device"], seed=hp["seed"], cpu_threads=hp["cpu_threads"],
            phases=[Phase(self.losses, loss="total_loss")],
            hyper={"lr": TorchTrainer.param_group_setter("main", "lr")})
        self.net = self.net.to(self.trainer.device)
        self._content_target = self._features(self.content)[self.content_layer]       # (1, C, H, W)
        self._style_grams = self._grams(self.style)
        self._current_grams: dict[str, "torch.Tensor"] = {}

    # ---- targets -------------------------------------------------------------------------------------
    def _features(self, rgb: np.ndarray) -> dict:
        import torch
        with torch.no_grad():
            x = torch.as_tensor(rgb).permute(2, 0, 1)[None].to(self.trainer.device)         # (1, 3, S, S)
            return self.net(x)

    def _grams(self, rgb: np.ndarray) -> dict:
        from visualizer.models.random_features_torch import gram_matrix
        feats = self._features(rgb)
        return {name: gram_matrix(feats[name])[0] for name in self.style_layers}             # name -> (C, C)

    # ---- training ------------------------------------------------------------------------------------
    def losses(self, batch, step):
        """Content loss, the style loss of every layer (all five are measured; only the chosen ones count),
        total variation and the weighted total (module docstring)."""
        from visualizer.models.random_features_torch import gram_matrix

        x = self.trainer.modules["image"].pixels                                          # (1, 3, S, S)
        feats = self.net(x)
        target = self._content_target
        content = ((feats[self.content_layer] - target) ** 2).sum() / (target ** 2).sum().clamp_min(1e-12)
        out, chosen = {}, []
        for i, name in enumerate(self.style_layers, start=1):
            g, a = gram_matrix(feats[name])[0], self._style_grams[name]                    # (C, C)
            self._current_grams[name] = g.detach()
            out[f"style_layer{i}"] = ((g - a) ** 2).sum() / (a ** 2).sum().clamp_min(1e-12)
            if self.hp[f"style_layer{i}"]:
                chosen.append(out[f"style_layer{i}"])
        style = sum(chosen) / len(chosen) if chosen else 0.0 * content
        tv = ((x[..., 1:, :] - x[..., :-1, :]) ** 2).mean() + ((x[..., 1:] - x[..., :-1]) ** 2).mean()
        objective = self.hp["objective"]
        a = self.hp["content_weight"] if objective != OBJECTIVES[2] else 0.0
        b = self.hp["style_weight"] if objective != OBJECTIVES[1] else 0.0
        total = a * content + b * style + self.hp["tv_weight"] * tv
        return {"total_loss": total, "content_loss": content, "style_loss": style, "tv_loss": tv, **out}

    def train_step(self, step: int) -> None:
        import torch
        self.last_step = step
        self.trainer.step(None, step)
        with torch.no_grad():
            self.trainer.modules["image"].pixels.clamp_(0.0, 1.0)                         # stay a picture

    def set_live(self, name, value) -> None:
        """A new style picture (pattern or file) is loaded and its Gram matrices computed before anything
        changes: a file that cannot be read raises LessonConfigError and the previous style stays.  A chosen
        file is checked at once even while a pattern is the style (it is used when Style image is "file")."""
        if name in ("style", "style_path"):
            trial = self.hp.as_dict() | {name: value}
            if trial["style"] == "file" or str(trial["style_path"]).strip():
                style = load_image(trial | {"style": "file"}, "style", self.size)
            if trial["style"] != "file":
                style = load_image(trial, "style", self.size)
            grams = self._grams(style)
            self.style, self._style_grams = style, grams
        super().set_live(name, value)

    # ---- views ---------------------------------------------------------------------------------------
    def current_image(self) -> np.ndarray:
        """The image being optimized as a host copy (S, S, 3) float32 in [0, 1]."""
        return self.trainer.modules["image"].pixels.detach()[0].permute(1, 2, 0).cpu().numpy().copy()

    def gram_blocks(self) -> tuple[np.ndarray, np.ndarray, str]:
        """The top-left GRAM_BLOCK × GRAM_BLOCK block of the chosen layer's Gram matrix, for the style picture
        and for the current image (both (k, k) float32), and the layer's name."""
        name = self.style_layers[int(self.hp["gram_layer"]) - 1]
        k = GRAM_BLOCK
        style = self._style_grams[name][:k, :k].cpu().numpy().astype(np.float32)
        if name in self._current_grams:
            current = self._current_grams[name][:k, :k].cpu().numpy().astype(np.float32)
        else:
            from visualizer.models.random_features_torch import gram_matrix
            x = self.current_image()
            current = gram_matrix(self._features(x)[name])[0][:k, :k].cpu().numpy().astype(np.float32)
        return style, current, name

    def snapshot(self) -> dict[str, PlotData]:
        style_g, current_g, layer = self.gram_blocks()
        lo = float(min(style_g.min(), current_g.min()))
        hi = float(max(style_g.max(), current_g.max(), lo + 1e-12))
        labels = [str(i) for i in range(style_g.shape[0])]
        k = style_g.shape[0]
        content_name = self.hp["content"] if self.hp["content"] != "file" else "your file"
        style_name = self.hp["style"] if self.hp["style"] != "file" else "your file"
        return {
            "image": ImageGridData(self.current_image()[None], [f"step {self.last_step} · {self.size} px"],
                                   (0.0, 1.0), ncols=1),
            "inputs": ImageGridData(np.stack([self.content, self.style]),
                                    [f"content: {content_name}", f"style: {style_name}"], (0.0, 1.0), ncols=2),
            "gram_style": MatrixData(style_g, labels, labels, f"{layer} channel (first {k})",
                                     f"{layer} channel", "viridis", "{:.2g}", (lo, hi)),
            "gram_image": MatrixData(current_g, labels, labels, f"{layer} channel (first {k})",
                                     f"{layer} channel", "viridis", "{:.2g}", (lo, hi)),
        }

    def divergence_hint(self) -> str:
        return divergence_text(self.hp)


LESSON = StyleTransferLesson
