"""Lesson ``transfer_learning``: three strategies trained side by side on the same batches (Qt-free; torch only on
the build path).

Ogawa, *PyTorch advanced deep learning* ch. 1 (VGG-16 → ants and bees: feature extraction in 1.3, fine-tuning
with per-layer learning rates in 1.5) and Chollet, *Deep Learning with Python* 2e ch. 8 (small data,
augmentation, a frozen convolutional base, unfreezing the top blocks).  One lesson step draws one augmented batch
and takes one Adam step of each model on it (:mod:`lessons.transfer_learning.strategies`): from scratch, feature
extraction, fine-tuning.  Offline the pretrained network is a small VGG trained on generated source shapes and the
target is four shapes it never saw (:mod:`lessons.transfer_learning.data`).  The fine-tuned small VGG is published
to the model shelf at evaluations for ``interpretability``.
"""
from __future__ import annotations

import math
import time
from dataclasses import asdict

import numpy as np

from lessons.transfer_learning import INFO
from lessons.transfer_learning import strategies as S
from lessons.transfer_learning.augment import Augmentation, augment
from lessons.transfer_learning.data import build_setup
from lessons.transfer_learning.narrative import NARRATIVE, divergence_hint
from lessons.transfer_learning.pictures import (MAX_TILES, Projector, confusion, mistakes, scatter, summary,
                                                summary_rows, tiles)
from lessons.transfer_learning.specs import INSPECT, NAMES, PARAMS, PLOTS, VIEW_PARAMS
from visualizer.core.lesson import Lesson
from visualizer.core.plotdata import ImageGridData, PlotData

LR_PARAMS = frozenset({"lr", "lr_top", "lr_middle", "lr_bottom", "trainable_blocks"})
EMA_RATE = 0.1                  # training curves: exponential moving average over about 10 batches
PUBLISH_EVERY_S = 10.0          # the shelf gets the fine-tuned model at most this often (at evaluations)


class TransferLearningLesson(Lesson):
    """Three VGG-like classifiers on one target set.  Images (N, 3, S, S) in [0, 1], logits (B, K)."""

    info = INFO
    params = PARAMS
    plots = PLOTS
    narrative = NARRATIVE
    view_params = VIEW_PARAMS
    eval_every = 40                 # evaluating the three models costs about 0.5 s on one CPU thread (about 25 steps)

    def __init__(self, hp, context=None) -> None:
        super().__init__(hp, context)
        import torch

        from visualizer.torch_backend.trainer import Phase, TorchTrainer

        self.setup = build_setup(hp, self.context)
        su = self.setup
        torch.manual_seed(hp["seed"])                  # dropout in the heads draws from the global generator
        self.class_names = su.train.class_names
        models = S.build_models(su.net, su.kind, len(self.class_names), hp["seed"])
        self.n_blocks = len(S.feature_blocks(models["fine_tuning"]))
        lr = hp["lr"]
        optimizers = {
            "from_scratch": lambda m: torch.optim.Adam(m["from_scratch"].parameters(), lr),
            "feature_extraction": lambda m: torch.optim.Adam(
                [p for p in m["feature_extraction"].classifier.parameters() if p.requires_grad], lr),
            "fine_tuning": lambda m: torch.optim.Adam([{"params": g} for g in S.block_params(m["fine_tuning"])], lr),
        }
        phases = [Phase(self._losses(name), f"batch_loss_{name}", name) for name in NAMES]
        self.trainer = TorchTrainer(models, optimizers, device=hp["device"], seed=hp["seed"] + 3, phases=phases,
                                    cpu_threads=hp["cpu_threads"])
        dev = self.trainer.device
        self.x, self.y = torch.as_tensor(su.train.images, device=dev), torch.as_tensor(su.train.labels, device=dev)
        self.xv, self.yv = torch.as_tensor(su.val.images, device=dev), torch.as_tensor(su.val.labels, device=dev)
        self.mean = torch.as_tensor(su.mean, device=dev).view(1, 3, 1, 1)              # (1, 3, 1, 1)
        self.std = torch.as_tensor(su.std, device=dev).view(1, 3, 1, 1)
        self._apply_lrs()
        self.w0 = {n: S.snapshot_weights(models[n]) for n in ("fine_tuning", "from_scratch")}
        self.projector = Projector(hp["seed"])
        self.summary_rows = summary_rows(models["fine_tuning"], su.size, dev)
        self.batch = None
        self.ema: dict = {}                    # strategy -> (2,) moving average of (loss, accuracy)
        self.last_step = 0
        self._versions = 0
        self._published = -math.inf
        self._predictions: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._predict()
        self.before = self._predictions["feature_extraction"][1]         # the pretrained base's features

    # ---- learning rates and freezing: live ---------------------------------------------------------------
    def frozen_blocks(self, name: str) -> int:
        """Blocks in inference mode without gradient: none from scratch, all for feature extraction, the lowest
        n_blocks − trainable for fine-tuning."""
        if name == "from_scratch":
            return 0
        if name == "feature_extraction":
            return self.n_blocks
        return self.n_blocks - min(self.hp["trainable_blocks"], self.n_blocks)

    def _apply_lrs(self) -> None:
        hp, opts = self.hp, self.trainer.optimizers
        for name in ("from_scratch", "feature_extraction"):
            for group in opts[name].param_groups:
                group["lr"] = hp["lr"]
        mults = {"top": hp["lr_top"], "middle": hp["lr_middle"], "bottom": hp["lr_bottom"]}
        S.apply_trainable(self.trainer.modules["fine_tuning"], opts["fine_tuning"],
                          S.block_lrs(hp["lr"], mults, hp["trainable_blocks"], self.n_blocks))

    def set_live(self, name, value) -> None:
        super().set_live(name, value)
        if name in LR_PARAMS:
            self._apply_lrs()

    def fine_tuning_lrs(self) -> list[float]:
        """The fine-tuned model's learning rate per block (image side first) and for the head, as set now."""
        return [g["lr"] for g in self.trainer.optimizers["fine_tuning"].param_groups]

    # ---- training: the same augmented batch for the three models -----------------------------------------
    @property
    def steps_per_epoch(self) -> int:
        return math.ceil(len(self.setup.train) / self.hp["batch_size"])

    def next_batch(self):
        """(x (B, 3, S, S) augmented, y (B,)), drawn on the device from the trainer's generator."""
        import torch

        hp, gen = self.hp, self.trainer.generator
        idx = torch.randint(0, len(self.x), (hp["batch_size"],), device=self.x.device, generator=gen)
        self.batch = (augment(self.x[idx], Augmentation.from_settings(hp), gen), self.y[idx])
        return self.batch

    def _losses(self, name: str):
        def fn(batch, step):
            import torch
            import torch.nn.functional as F

            net = self.trainer.modules[name]
            S.set_modes(net, self.frozen_blocks(name))
            x, y = batch
            logits, _ = S.forward(net, x, self.mean, self.std)                       # (B, K)
            loss = F.cross_entropy(logits, y)
            now = torch.stack([loss.detach(), (logits.argmax(1) == y).float().mean()])      # (2,) on the device
            ema = self.ema.get(name)
            self.ema[name] = now if ema is None else ema + EMA_RATE * (now - ema)
            return {f"train_loss_{name}": self.ema[name][0], f"train_acc_{name}": self.ema[name][1],
                    f"batch_loss_{name}": loss}
        return fn

    def train_step(self, step: int) -> None:
        self.last_step = step
        self.trainer.step(self.next_batch(), step)

    # ---- evaluation ---------------------------------------------------------------------------------------
    def _predict(self) -> dict[str, float]:
        """Validation loss and accuracy of the three models (inference mode, batches of 256); keeps each
        model's predictions (N,) and pooled features (N, C) on the host for the pictures."""
        import torch
        import torch.nn.functional as F

        out = {}
        with torch.no_grad():
            for name, net in self.trainer.modules.items():
                net.eval()
                parts = [S.forward(net, self.xv[i:i + 256], self.mean, self.std) for i in range(0, len(self.xv), 256)]
                logits, feats = torch.cat([p[0] for p in parts]), torch.cat([p[1] for p in parts])
                out[f"val_loss_{name}"] = F.cross_entropy(logits, self.yv)
                out[f"val_acc_{name}"] = (logits.argmax(1) == self.yv).float().mean()
                self._predictions[name] = (logits.argmax(1).cpu().numpy(), feats.float().cpu().numpy())
            for name in ("fine_tuning", "from_scratch"):
                moved = S.relative_movement(self.trainer.modules[name], self.w0[name])
                out.update({f"{name}_block_{b + 1}": moved[b] for b in range(self.n_blocks)})
                out[f"{name}_head"] = moved[-1]
        self._versions += 1
        names = list(out)
        return dict(zip(names, torch.stack([out[k].double() for k in names]).tolist()))     # one host copy

    def evaluate(self) -> dict[str, float]:
        metrics = self._predict()
        if self.setup.kind == "small_vgg" and time.monotonic() - self._published >= PUBLISH_EVERY_S:
            self._publish(metrics)
        return metrics

    def _publish(self, metrics: dict[str, float]) -> None:
        """Put the fine-tuned small VGG on the model shelf for ``interpretability`` (at most every 10 s)."""
        from visualizer.core.model_shelf import publish
        from visualizer.models.small_vgg_torch import numpy_state

        self._published = time.monotonic()
        net = self.trainer.modules["fine_tuning"]
        try:
            publish(INFO.id, "small_vgg", asdict(net.cfg), numpy_state(net), step=self.last_step,
                    metrics={"val_acc": metrics["val_acc_fine_tuning"]}, class_names=self.class_names)
        except OSError as exc:               # ExportError is an OSError
            self.context.keyed_notice("shelf", f"Could not publish the fine-tuned model for Interpretability: {exc}")

    # ---- pictures -------------------------------------------------------------------------------------------
    def inspected(self) -> str:
        return NAMES[::-1][INSPECT.index(self.hp["inspect"])]

    def snapshot(self) -> dict[str, PlotData]:
        name, method = self.inspected(), self.hp["projection"]
        preds, feats = self._predictions[name]
        val, classes = self.setup.val, self.class_names
        before, how = self.projector.project("before", (0,), self.before, method)
        now, how_now = self.projector.project("now", (name, self._versions), feats, method)
        out: dict[str, PlotData] = {
            "features_before": scatter(before, val.labels, classes, f"{how} of the pretrained base's features"),
            "features_now": scatter(now, val.labels, classes, f"{how_now}: {self.hp['inspect']}, step "
                                                               f"{self.last_step}"),
            "mistakes": mistakes(val.images, val.labels, preds, classes),
            "confusion": confusion(val.labels, preds, classes),
            "summary": summary(*self.summary_rows),
        }
        x, y = self.batch if self.batch is not None else self._preview()
        x, y = x[:MAX_TILES].cpu().numpy(), y[:MAX_TILES].cpu().numpy()
        out["augmented"] = ImageGridData(tiles(x), [classes[i] for i in y], (0.0, 1.0), ncols=4)
        return out

    def _preview(self):
        """Before the first step: the first training images augmented with a generator of their own (the
        trainer's random draws stay untouched)."""
        import torch

        gen = torch.Generator(device=self.x.device).manual_seed(self.hp["seed"])
        return augment(self.x[:MAX_TILES], Augmentation.from_settings(self.hp), gen), self.y[:MAX_TILES]

    def divergence_hint(self) -> str:
        return divergence_hint(self.hp["lr"])

    def checkpoint_state(self) -> dict:
        """The trainer's arrays plus the training curves' moving averages ("ema.<strategy>": (2,))."""
        return self.trainer.state_dict() | {f"ema.{n}": v.cpu().numpy().copy() for n, v in self.ema.items()}

    def load_checkpoint_state(self, state: dict) -> None:
        """Check the moving averages (all three, or none in a checkpoint saved before the first step), then load
        the trainer, which checks everything before assigning.  Raises LessonConfigError naming the array."""
        import torch

        from visualizer.core.checkpoint import check_state

        ema = {k: v for k, v in state.items() if k.startswith("ema.")}
        expected = {f"ema.{n}": ((2,), np.float32) for n in NAMES} if ema else {}      # all three or none
        ema = check_state(expected, ema)
        self.trainer.load_state_dict({k: v for k, v in state.items() if not k.startswith("ema.")})
        self.ema = {k[4:]: torch.as_tensor(v, device=self.trainer.device) for k, v in ema.items()}

    def close(self) -> None:
        self.projector.close()
        super().close()


LESSON = TransferLearningLesson
