"""Lesson ``ssd``: a single-shot multibox detector on generated scenes (Qt-free; torch only on the build path).

Liu et al. 2016 and Ogawa, *PyTorch advanced deep learning* ch. 2.  One lesson step draws a batch of scenes
(mirrored left-right at random), runs the SSD, matches its default boxes to the ground truth with the current IoU
threshold, mines hard negatives at the current ratio and takes one Adam step on MultiBoxLoss
(:mod:`visualizer.models.ssd_torch`); the two loss terms are recorded apart.  Evaluation detects on held-out
scenes and computes AP@0.5 per class (:mod:`visualizer.probes.detection`).  The pictures
(:mod:`lessons.ssd.pictures`) run the model on one held-out scene and apply the confidence and NMS sliders to
that forward pass, so they follow the sliders without training.
"""
from __future__ import annotations

import math

from lessons.ssd import INFO
from lessons.ssd.data import build_sets
from lessons.ssd.narrative import NARRATIVE, divergence_hint
from lessons.ssd.pictures import Pictures, parse_box
from lessons.ssd.specs import PARAMS, PLOTS, VIEW_PARAMS
from visualizer.core.lesson import Lesson

EVAL_DETECTIONS = dict(conf_threshold=0.01, nms_iou=0.45, top_k=100)      # mAP: the book's Detect settings
MAX_BATCH_300 = 4                                                          # SSD300 on the CPU


class SSDLesson(Lesson):
    """An SSD on scenes.  Images (B, 3, S, S) in [0, 1]; loc (B, P, 4) offsets, conf (B, P, K + 1) logits."""

    info = INFO
    params = PARAMS
    plots = PLOTS
    narrative = NARRATIVE
    view_params = VIEW_PARAMS
    eval_every = 100                # evaluating 200 scenes costs about 0.3 s on one CPU thread

    def __init__(self, hp, context=None) -> None:
        super().__init__(hp, context)
        import torch

        from visualizer.models.ssd_torch import SSD, SSDConfig
        from visualizer.torch_backend.trainer import TorchTrainer

        parse_box(hp["probe_box"])                     # a bad probe box: LessonConfigError before any work
        torch.manual_seed(hp["seed"])
        self.train_set, self.val_set = build_sets(hp, self.context)
        self.class_names = self.val_set.class_names
        k = len(self.class_names) + 1
        self.cfg = SSDConfig.ssd300(k) if hp["variant"] == "ssd300" else SSDConfig(num_classes=k)
        if self._capped() and hp["batch_size"] > MAX_BATCH_300:
            self.context.notice(f"SSD300 on the CPU: batches of {MAX_BATCH_300} scenes instead of "
                                f"{hp['batch_size']}.")
        net = SSD(self.cfg)
        self.trainer = TorchTrainer(net, lambda m: torch.optim.Adam(m["model"].parameters(), hp["lr"]),
                                    device=hp["device"], seed=hp["seed"] + 3, losses=self._losses,
                                    hyper={"lr": TorchTrainer.param_group_setter("main", "lr")},
                                    cpu_threads=hp["cpu_threads"])
        dev = self.trainer.device
        self.data = {name: tuple(torch.as_tensor(a, device=dev) for a in (s.images, s.boxes, s.labels))
                     for name, s in (("train", self.train_set), ("val", self.val_set))}
        self.val_targets = [dict(zip(("boxes", "labels"), self.val_set.truth(i))) for i in range(len(self.val_set))]
        self.pictures = Pictures(self)
        self.ap_result = None
        self.last_step = 0

    @property
    def net(self):
        return self.trainer.modules["model"]

    @property
    def steps_per_epoch(self) -> int:
        return math.ceil(len(self.train_set) / self.batch_size())

    def _capped(self) -> bool:
        return self.hp["variant"] == "ssd300" and self.hp["device"] == "cpu"

    def batch_size(self) -> int:
        """Scenes per step: the setting, at most 4 for SSD300 on the CPU."""
        b = self.hp["batch_size"]
        return min(b, MAX_BATCH_300) if self._capped() else b

    def criterion(self):
        from visualizer.models.ssd_torch import MultiBoxLoss

        return MultiBoxLoss(self.hp["iou_threshold"], self.hp["neg_pos"])

    # ---- training ----------------------------------------------------------------------------------------------
    def next_batch(self):
        """(images (B, 3, S, S), boxes (B, M, 4), labels (B, M)); a random half mirrored left-right."""
        import torch

        x, boxes, labels = self.data["train"]
        gen = self.trainer.generator
        idx = torch.randint(0, len(x), (self.batch_size(),), device=x.device, generator=gen)
        x, boxes, labels = x[idx], boxes[idx], labels[idx]
        flip = torch.rand(len(idx), device=x.device, generator=gen) < 0.5
        x = torch.where(flip[:, None, None, None], x.flip(3), x)
        mirrored = torch.stack([1 - boxes[..., 2], boxes[..., 1], 1 - boxes[..., 0], boxes[..., 3]], -1)
        boxes = torch.where(flip[:, None, None] & (labels[..., None] >= 0), mirrored, boxes)
        return x, boxes, labels

    def _losses(self, batch, step):
        x, boxes, labels = batch
        loc, conf = self.net(x)                                                 # (B, P, 4), (B, P, K + 1)
        loss_loc, loss_conf, _, _ = self.criterion()(loc, conf, boxes, labels, self.net.priors)
        return {"train_loss": loss_loc + loss_conf, "train_loss_loc": loss_loc, "train_loss_conf": loss_conf}

    def train_step(self, step: int) -> None:
        self.last_step = step
        self.pictures.forget()
        self.trainer.step(self.next_batch(), step)

    def set_live(self, name, value) -> None:
        if name == "probe_box":
            parse_box(value, self.val_set.size)         # LessonConfigError: the old box stays
        super().set_live(name, value)

    # ---- evaluation ----------------------------------------------------------------------------------------------
    def predict(self, x, conf_threshold: float, nms_iou: float, top_k: int = 200):
        """Detections of images x (n, 3, S, S) in batches of 50: list of dicts (boxes in pixels, numpy)."""
        import torch

        from visualizer.models.ssd_torch import detect

        out = []
        self.net.eval()
        with torch.no_grad():
            for i in range(0, len(x), 50):
                loc, conf = self.net(x[i:i + 50])
                for d in detect(loc, conf, self.net.priors, conf_threshold, nms_iou, top_k):
                    out.append({"boxes": d["boxes"].cpu().numpy() * x.shape[-1], "scores": d["scores"].cpu().numpy(),
                                "labels": d["labels"].cpu().numpy()})
        return out

    def evaluate(self) -> dict[str, float]:
        import torch

        from visualizer.probes.detection import average_precision

        x, boxes, labels = self.data["val"]
        preds = self.predict(x, **EVAL_DETECTIONS)
        self.ap_result = average_precision(preds, self.val_targets, len(self.class_names))
        with torch.no_grad():
            n = min(len(x), 50)
            loss_loc, loss_conf, _, _ = self.criterion()(*self.net(x[:n]), boxes[:n], labels[:n], self.net.priors)
        out = {"val_map": self.ap_result.map, "val_loss_loc": float(loss_loc), "val_loss_conf": float(loss_conf)}
        out.update({f"val_ap_{c}": float(a) for c, a in zip(self.class_names, self.ap_result.ap) if not math.isnan(a)})
        return out

    # ---- pictures, facts, checkpoints --------------------------------------------------------------------------
    def snapshot(self):
        return self.pictures.all()

    def run_facts(self) -> dict:
        return {"default_boxes": self.cfg.num_default_boxes(), "source_maps": list(self.cfg.feature_maps),
                "boxes_per_cell": list(self.cfg.boxes_per_cell()), "image_size": self.cfg.image_size}

    def divergence_hint(self) -> str:
        return divergence_hint(self.hp["lr"])


LESSON = SSDLesson
__all__ = ["LESSON", "SSDLesson"]
