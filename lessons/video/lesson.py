"""Lesson ``video``: ECO (Zolfaghari et al. 2018; Ogawa, *PyTorch advanced deep learning* ch. 9) on clips whose
class is told by motion only, trained side by side with its frame-averaging twin (TSN-style) on the same batches.

Each step samples N segment frames from every clip of a batch (one random frame per segment), and both models
take one Adam step on the same frames: ECO fuses the stacked 2D feature maps with 3D convolutions, the twin
averages per-frame class scores.  The pictures (``visualizer.probes.video``): the clip playing with the sampled
frames marked and Grad-CAM on them, the 2D feature maps of each sampled frame, the first 3D stage's activations
over time, the class probabilities from each prefix of the clip, and both models' accuracies in one plot.
Models: ``visualizer.models.eco_torch``; data: ``visualizer.data.motion_clips`` (default), or a folder of videos.
"""
from __future__ import annotations

import math

import numpy as np

from lessons.video import INFO
from lessons.video.data import SegmentBatches, check_segments, load
from lessons.video.narrative import NARRATIVE
from visualizer.core.hyperparams import BoolParam, ChoiceParam, FloatParam, IntParam, TextParam
from visualizer.core.lesson import Lesson, LessonConfigError
from visualizer.core.plotdata import PlotData, PlotSpec

VAL_CHUNK = 120               # validation clips per forward pass
SHOWN_CLIP = 0                # the validation clip the views explain


class VideoLesson(Lesson):
    """ECO and its frame-averaging twin on clips (B, N, H, W, 3) uint8 of N segment frames -> logits (B, K)."""

    info = INFO
    params = (
        IntParam("segments", "Segments (N)", 8, 1, 32,
                 tooltip="N: the clip is cut into N equal segments and one frame of each is sampled (a random one "
                         "while training, the middle one for validation and the views). The book uses 16."),
        ChoiceParam("variant", "Model", "eco_small", ("eco_small", "eco_lite"),
                    tooltip="eco_small: a small 2D part (3 convolutions) and 3D part (2 convolutions) that train on "
                            "a CPU. eco_lite: the book's ECO-Lite (BN-Inception to inception-3c, 3D ResNet-18 "
                            "res3-res5, 224 px frames, random initial weights): meant for a GPU."),
        ChoiceParam("dataset", "Data set", "motion", ("motion", "folder", "kinetics"),
                    tooltip="motion: generated clips whose class is told by motion only (12 classes). folder: "
                            "your videos, one sub-folder per class. kinetics: a small Kinetics subset, downloaded "
                            "once. Offline or on a failure: the motion clips, with a notice."),
        TextParam("folder", "Video folder", "", placeholder="/path/to/videos (one sub-folder per class)",
                  tooltip="Used with Data set = folder: a folder with one sub-folder of video files per class."),
        IntParam("frames", "Frames per clip", 16, 2, 64,
                 tooltip="T: frames of each generated clip (or decoded from each video)."),
        IntParam("clips", "Training clips", 2400, 48, 10_000, log=True,
                 tooltip="Generated training clips (validation: a fifth as many, other seed)."),
        FloatParam("lr", "Learning rate", 3e-3, 1e-5, 1.0, log=True, live=True, decimals=5,
                   tooltip="Adam's step size for both models. Applies at the next step."),
        IntParam("batch_size", "Batch size", 16, 1, 256, live=True, log=True,
                 tooltip="Clips per update (both models see the same ones). Applies at the next step."),
        BoolParam("amp", "Mixed precision (CUDA)", True,
                  tooltip="On CUDA: float16 autocast with a gradient scaler. Ignored on the CPU."),
    )
    plots = (
        PlotSpec("accuracy", "Accuracy: ECO vs frame averaging", "curves",
                 series=("ECO_val_acc", "frame_averaging_val_acc", "ECO_train_acc", "frame_averaging_train_acc"),
                 x_label="step", y_label="accuracy", y_range=(0, 1),
                 tooltip="Share of clips classified right, by ECO (3D fusion of the frames) and by its twin that "
                         "averages per-frame scores, trained on the same batches. Chance is 1/K."),
        PlotSpec("clip", "The clip and its sampled frames", "clip", main="wide",
                 tooltip="A validation clip playing; marks show the N frames ECO samples (segment middles), with "
                         "Grad-CAM for the predicted class over them. Under the strip: the probability of the "
                         "true class from the frames up to t."),
        PlotSpec("loss", "Training loss", "curves", series=("train_loss", "frame_averaging_train_loss"),
                 x_label="step", y_label="cross-entropy (nats)",
                 tooltip="Cross-entropy of ECO (train loss) and of the frame-averaging twin on training batches."),
        PlotSpec("feature_maps", "2D feature maps per sampled frame", "image_grid",
                 tooltip="The 2D part's most active maps (rows) for each sampled frame (columns): what each frame "
                         "gives the 3D part, computed frame by frame."),
        PlotSpec("activations_3d", "3D activations over time", "image",
                 tooltip="Each channel of the first 3D stage (rows, sorted by when they peak), averaged over space, "
                         "at each time step (columns): channels that respond to a moment of the motion."),
        PlotSpec("probabilities", "Class probabilities over the clip", "matrix",
                 tooltip="ECO's class probabilities from the frames 0..t (N segments of the prefix), for each last "
                         "frame t: how the answer forms as the clip plays."),
    )
    narrative = NARRATIVE
    eval_every = 100

    def __init__(self, hp, context=None) -> None:
        super().__init__(hp, context)
        check_segments(hp["frames"], hp["segments"])
        self.train_set, self.val_set = load(hp, self.context)                          # may fall back to motion
        check_segments(self.train_set.frames, hp["segments"])
        from visualizer.models.eco_torch import ECOConfig, build_eco, twin_config      # lazy: torch is slow
        from visualizer.torch_backend.adam import Adam
        from visualizer.torch_backend.trainer import Phase, TorchTrainer

        k = len(self.train_set.class_names)
        if k < 2:
            raise LessonConfigError(f"The clips hold {k} class: a classifier needs at least 2 (one sub-folder of "
                                    "videos per class).")
        if hp["variant"] == "eco_lite" and hp["device"] == "cpu":
            self.context.notice("ECO-Lite runs BN-Inception on every sampled frame at 224 px and a 3D ResNet-18 "
                                "over them: on the CPU a step takes seconds. It is meant for a GPU (Device: cuda).")
        size = self.train_set.size[0]
        cfg = (ECOConfig.eco_lite(k) if hp["variant"] == "eco_lite" else ECOConfig(n_classes=k, width=8,
                                                                                    image_size=size))
        lr = hp["lr"]
        self.trainer = TorchTrainer(
            {"eco": build_eco(cfg, hp["seed"]), "twin": build_eco(twin_config(cfg), hp["seed"])},
            {"eco": lambda m: Adam(m["eco"].parameters(), lr=lr), "twin": lambda m: Adam(m["twin"].parameters(), lr=lr)},
            phases=[Phase(self._loss("eco"), "train_loss", "eco"),
                    Phase(self._loss("twin"), "frame_averaging_train_loss", "twin")],
            device=hp["device"], amp=hp["amp"], seed=hp["seed"],
            hyper={"lr": lambda t, v: [TorchTrainer.param_group_setter(o, "lr")(t, v) for o in ("eco", "twin")]})
        self.rng = np.random.default_rng(hp["seed"])
        self.batches = SegmentBatches(self.train_set.clips, self.train_set.labels, hp["segments"], self.rng,
                                      self.trainer.device)

    @property
    def steps_per_epoch(self) -> int:
        return math.ceil(len(self.train_set) / self.hp["batch_size"])

    def next_batch(self):
        return self.batches.next(self.hp["batch_size"])

    def _loss(self, which: str):
        prefix = "ECO_" if which == "eco" else "frame_averaging_"
        loss_name = "train_loss" if which == "eco" else "frame_averaging_train_loss"

        def losses(batch, step: int) -> dict:
            import torch.nn.functional as F
            from visualizer.models.eco_torch import normalize_clips
            frames, labels = batch
            logits = self.trainer.modules[which](normalize_clips(frames))                # (B, K)
            return {loss_name: F.cross_entropy(logits.float(), labels),
                    prefix + "train_acc": (logits.argmax(1) == labels).float().mean()}
        return losses

    def evaluate(self) -> dict[str, float]:
        """Validation accuracy and loss of both models on the middle frame of each segment."""
        import torch
        import torch.nn.functional as F
        from visualizer.data.clips import segment_indices
        from visualizer.models.eco_torch import normalize_clips

        mid = segment_indices(self.val_set.frames, self.hp["segments"])
        dev = self.trainer.device
        out = {}
        for which, prefix in (("eco", "ECO_"), ("twin", "frame_averaging_")):
            model = self.trainer.modules[which]
            model.eval()
            correct, loss = 0.0, 0.0
            with torch.no_grad():
                for a in range(0, len(self.val_set), VAL_CHUNK):
                    x = torch.from_numpy(np.ascontiguousarray(self.val_set.clips[a:a + VAL_CHUNK][:, mid])).to(dev)
                    y = torch.from_numpy(self.val_set.labels[a:a + VAL_CHUNK]).to(dev)
                    logits = model(normalize_clips(x)).float()
                    correct += float((logits.argmax(1) == y).sum())
                    loss += float(F.cross_entropy(logits, y, reduction="sum"))
            model.train()
            out[prefix + "val_acc"] = correct / len(self.val_set)
            out[("val_loss" if which == "eco" else prefix + "val_loss")] = loss / len(self.val_set)
        return out

    def snapshot(self) -> dict[str, PlotData]:
        from visualizer.probes.video import (activation_over_time, clip_data, feature_map_grid,
                                             prefix_probabilities, probability_matrix, read_clip)
        eco = self.trainer.modules["eco"]
        clip, label = self.val_set.clips[SHOWN_CLIP], int(self.val_set.labels[SHOWN_CLIP])
        names = self.val_set.class_names
        r = read_clip(eco, clip, self.hp["segments"])
        probs = prefix_probabilities(eco, clip, self.hp["segments"])
        return {"clip": clip_data(clip, r, names, label, probs[label], self.val_set.fps),
                "feature_maps": feature_map_grid(r),
                "activations_3d": activation_over_time(r),
                "probabilities": probability_matrix(probs, names)}

    def run_facts(self) -> dict:
        return {"classes": len(self.train_set.class_names), "train_clips": len(self.train_set),
                "val_clips": len(self.val_set), "frames": self.train_set.frames}


LESSON = VideoLesson
