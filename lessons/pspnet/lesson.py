"""Lesson ``pspnet``: a PSPNet and its twin without pyramid pooling learn to label every pixel of generated
scenes, side by side on the same batches (Qt-free; torch only on the build path).

Ogawa, *PyTorch advanced deep learning* ch. 3 and Zhao et al., "Pyramid Scene Parsing Network" (CVPR 2017): a
dilated feature network (output stride 8; 4 for the small net's 64 px scenes), the pyramid pooling module (bins
1, 2, 3, 6), a decoder upsampled to the input size and an auxiliary branch on stage 3 whose cross-entropy joins
the loss with weight 0.4 (``visualizer.models.pspnet_torch``).  One lesson step draws one batch of scenes
(randomly mirrored) and takes one Adam step of each network on it.  Every ``eval_every`` steps both label the 64
held-out scenes: mIoU, IoU per class, the pixel confusion matrix and how consistently each object is labelled
(``visualizer.probes.segmentation``).
"""
from __future__ import annotations

import math

import numpy as np

from lessons.pspnet import INFO
from lessons.pspnet.data import build_data
from lessons.pspnet.narrative import NARRATIVE, divergence_hint
from lessons.pspnet.pictures import ppm_evidence
from lessons.pspnet.specs import BINS, CLASSES, MODELS, NAMES, PARAMS, PLOTS, SMALL_STRIDE, VIEW_PARAMS
from visualizer.core.lesson import Lesson
from visualizer.core.plotdata import PlotData
from visualizer.probes.annotated import mosaic
from visualizer.probes.segmentation import (confusion_counts, confusion_matrix_data, iou_per_class, mask_overlay,
                                            object_consistency)

BOOK_BATCH_CPU = 2              # PSPNet-50 on a CPU: images per step
EVAL_BATCH = 32
MEAN, STD = 0.5, 0.25           # input centring of the generated scenes
POLY_POWER, POLY_FLOOR = 0.9, 0.05   # the book's poly learning-rate schedule; its floor after poly_steps


def suffix(name: str) -> str:
    """The metric-name suffix of a model: "" for the PSPNet, "_no_ppm" for its twin."""
    return "" if name == "pspnet" else f"_{name}"


class PSPNetLesson(Lesson):
    """PSPNet (and the twin without PPM) on scenes.  Images (N, 3, S, S) in [0, 1], masks (N, S, S) int64
    (0 background, k + 1 for CLASSES[k], -1 void), logits (B, 6, S, S)."""

    info = INFO
    params = PARAMS
    plots = PLOTS
    narrative = NARRATIVE
    view_params = VIEW_PARAMS
    eval_every = 100                # both networks on 64 held-out scenes: about 0.3 s on one CPU thread

    def __init__(self, hp, context=None) -> None:
        super().__init__(hp, context)
        import torch

        from visualizer.models.pspnet_torch import PSPNetConfig, build_pspnet
        from visualizer.torch_backend.trainer import Phase, TorchTrainer

        self.data = build_data(hp, self.context)
        self.context.notice(self.data.note)
        torch.manual_seed(hp["seed"])
        names = MODELS if hp["twin"] else MODELS[:1]
        stride = SMALL_STRIDE if hp["variant"] == "small" else 8
        models = {n: build_pspnet(PSPNetConfig(len(NAMES), hp["variant"], output_stride=stride, ppm=(n == "pspnet"),
                                               bins=BINS)) for n in names}
        if "no_ppm" in models:          # the twin starts from the same feature network and auxiliary branch
            ref = models["pspnet"].state_dict()
            own = models["no_ppm"].state_dict()
            models["no_ppm"].load_state_dict({k: ref[k] if ref.get(k) is not None and ref[k].shape == v.shape else v
                                              for k, v in own.items()})
        optimizers = {n: (lambda m, n=n: torch.optim.Adam(m[n].parameters(), hp["lr"])) for n in names}
        phases = [Phase(self._losses(n), f"loss{suffix(n)}", n) for n in names]
        self.trainer = TorchTrainer(models, optimizers, device=hp["device"], seed=hp["seed"] + 3, phases=phases,
                                    cpu_threads=hp["cpu_threads"])
        dev = self.trainer.device
        tr, va = self.data.train, self.data.val
        self.x = torch.as_tensor(np.round(tr.images * 255).astype(np.uint8), device=dev)     # (N, 3, s, s)
        self.y = torch.as_tensor(tr.class_masks.astype(np.int8), device=dev)                 # (N, s, s)
        self.xv, self.yv = self._prepare(torch.as_tensor(va.images, device=dev),
                                         torch.as_tensor(va.class_masks, device=dev))
        self.last_step = 0
        self.batch_size = hp["batch_size"]
        if hp["variant"] == "pspnet50" and dev.type == "cpu" and self.batch_size > BOOK_BATCH_CPU:
            self.batch_size = BOOK_BATCH_CPU
            self.context.substituted("batch_size", f"{BOOK_BATCH_CPU} scenes per step (PSPNet-50 on a CPU)")
        self._version = 0
        self._evidence: tuple | None = None
        self._predict()

    # ---- data ------------------------------------------------------------------------------------------------
    def _prepare(self, x, y):
        """Scale to the network's input size when it differs (bilinear images, nearest masks) and normalize:
        x (B, 3, s, s) float in [0, 1] -> (B, 3, S, S); y (B, s, s) -> (B, S, S) int64."""
        import torch.nn.functional as F

        size = self.data.size
        if x.shape[-1] != size:
            x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)
            y = F.interpolate(y[:, None].float(), size=(size, size), mode="nearest")[:, 0]
        return (x - MEAN) / STD, y.long()

    def next_batch(self):
        """(x (B, 3, S, S) normalized, y (B, S, S) int64): scenes drawn on the device from the trainer's
        generator, half of them mirrored left-right (image and mask together)."""
        import torch

        gen = self.trainer.generator
        idx = torch.randint(0, len(self.x), (self.batch_size,), device=self.x.device, generator=gen)
        x, y = self.x[idx].float() / 255.0, self.y[idx]
        flip = torch.rand(len(idx), device=x.device, generator=gen) < 0.5
        x = torch.where(flip[:, None, None, None], x.flip(-1), x)
        y = torch.where(flip[:, None, None], y.flip(-1), y)
        return self._prepare(x, y)

    def set_live(self, name, value) -> None:
        super().set_live(name, value)
        if name in ("lr", "poly_steps"):
            self._apply_lr(self.last_step)
        elif name == "batch_size":
            self.batch_size = value if self.hp["variant"] == "small" else min(value, BOOK_BATCH_CPU)

    def lr_at(self, step: int) -> float:
        """The book's poly schedule: lr · (1 − step / poly_steps)^0.9, held at its floor after poly_steps (0: the
        learning rate stays constant)."""
        hp = self.hp
        if not hp["poly_steps"]:
            return hp["lr"]
        return hp["lr"] * max(1.0 - step / hp["poly_steps"], POLY_FLOOR) ** POLY_POWER

    def _apply_lr(self, step: int) -> None:
        lr = self.lr_at(step)
        for opt in self.trainer.optimizers.values():
            for group in opt.param_groups:
                group["lr"] = lr

    @property
    def steps_per_epoch(self) -> int:
        return math.ceil(len(self.x) / self.batch_size)

    # ---- training: the same batch for both networks ------------------------------------------------------------
    def _losses(self, name: str):
        def fn(batch, step):
            from visualizer.models.pspnet_torch import pspnet_loss

            x, y = batch
            logits, aux = self.trainer.modules[name](x)                                       # (B, K, S, S)
            total, main, aux_loss = pspnet_loss(logits, aux, y, self.hp["aux_weight"])
            s = suffix(name)
            return {f"loss{s}": total, f"main_loss{s}": main, f"aux_loss{s}": aux_loss}
        return fn

    def train_step(self, step: int) -> None:
        self.last_step = step
        self._apply_lr(step - 1)
        self.trainer.step(self.next_batch(), step)

    # ---- evaluation on the held-out scenes ----------------------------------------------------------------------
    def _predict(self) -> dict[str, float]:
        """Both networks label the held-out scenes (evaluation mode, batches of 32): loss, confusion matrix, IoU
        per class, mIoU and object consistency; keeps the predictions (N, S, S) on the host for the pictures."""
        import torch
        import torch.nn.functional as F

        out: dict[str, float] = {}
        self.preds, self.confusion = {}, {}
        truth = self.yv.cpu().numpy()
        va = self.data.val
        with torch.no_grad():
            for name, net in self.trainer.modules.items():
                net.eval()
                loss, preds = 0.0, []
                for i in range(0, len(self.xv), EVAL_BATCH):
                    logits, _ = net(self.xv[i:i + EVAL_BATCH])                              # (b, K, S, S)
                    loss += float(F.cross_entropy(logits, self.yv[i:i + EVAL_BATCH], ignore_index=-1,
                                                  reduction="sum"))
                    preds.append(logits.argmax(1).to(torch.uint8).cpu().numpy())
                pred = np.concatenate(preds)                                                 # (N, S, S)
                cm = confusion_counts(pred, truth, len(NAMES))
                iou = iou_per_class(cm)
                s = suffix(name)
                out[f"val_loss{s}"] = loss / max(int((truth != -1).sum()), 1)
                out[f"miou{s}"] = float(np.nanmean(iou)) if np.isfinite(iou).any() else 0.0
                out.update({f"iou_{c}{s}": float(v) for c, v in zip(NAMES, iou) if np.isfinite(v)})
                masks, owners = self._instances(va)
                c = object_consistency(pred, masks, owners)
                if np.isfinite(c):
                    out[f"consistency{s}"] = float(c)
                self.preds[name], self.confusion[name] = pred, cm
        self._version += 1
        return out

    def _instances(self, va):
        """Instance masks at the network's input size (nearest) and their image indices."""
        m = va.instance_masks
        if m.shape[-1] != self.data.size:
            idx = (np.arange(self.data.size) * m.shape[-1]) // self.data.size
            m = m[:, idx][:, :, idx]
        return m, va.box_image

    def evaluate(self) -> dict[str, float]:
        return self._predict()

    # ---- pictures -------------------------------------------------------------------------------------------------
    def image_index(self) -> int:
        return self.hp["image"] % len(self.xv)

    def snapshot(self) -> dict[str, PlotData]:
        i = self.image_index()
        img = np.clip(self.xv[i].cpu().numpy() * STD + MEAN, 0.0, 1.0)                      # (3, S, S)
        truth = self.yv[i].cpu().numpy()
        items = [mask_overlay(img, np.zeros_like(truth), CLASSES, f"scene {i}"),
                 mask_overlay(img, truth, CLASSES, "truth")]
        for name in self.trainer.modules:
            pred = self.preds[name][i].astype(np.int64)
            acc = float((pred == truth).mean())
            label = "PSPNet" if name == "pspnet" else "no PPM"
            items.append(mask_overlay(img, pred, CLASSES, f"{label} (pixels right {acc:.0%})"))
        out: dict[str, PlotData] = {"masks": mosaic(items, 2),
                                    "confusion": confusion_matrix_data(self.confusion["pspnet"], NAMES)}
        k = NAMES.index(self.hp["show_class"])
        key = (self._version, i, k)
        if self._evidence is None or self._evidence[0] != key:
            net = self.trainer.modules["pspnet"]
            self._evidence = (key, ppm_evidence(net, self.xv[i:i + 1], k, BINS, NAMES[k]))
        out["ppm_branches"] = self._evidence[1]
        return out

    def divergence_hint(self) -> str:
        return divergence_hint(self.hp["lr"])


LESSON = PSPNetLesson
