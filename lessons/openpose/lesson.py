"""Lesson ``openpose``: a two-branch multi-stage network learns confidence maps and part affinity fields of
stick figures, and a greedy limb assembly turns them into skeletons (Qt-free; torch only on the build path).

Ogawa, *PyTorch advanced deep learning* ch. 4, and Cao et al. 2017: the network
(:mod:`visualizer.models.openpose_torch`) regresses, at every stage, 19 confidence maps (18 keypoints +
background) and 38 PAF channels (19 limbs × (x, y)); the loss sums the squared errors of every stage
(intermediate supervision).  Targets, peaks, assembly, PCK@0.2 and OKS AP come from
:mod:`visualizer.probes.pose`; the data are generated scenes (:mod:`lessons.openpose.data`).  One step draws a
batch, builds its targets with the current σ and limb width, and takes one Adam step.
"""
from __future__ import annotations

import math

import numpy as np

from lessons.openpose import INFO
from lessons.openpose import pictures as P
from lessons.openpose.data import load_data
from lessons.openpose.narrative import NARRATIVE
from lessons.openpose.specs import KEYPOINT_CHOICES, LIMB_CHOICES, PARAMS, PLOTS, VAL_IMAGES, VIEW_PARAMS
from visualizer.core.lesson import Lesson, LessonConfigError
from visualizer.core.plotdata import PlotData
from visualizer.probes.pose import oks_ap, pck, pose_targets

BOOK_BATCH_CPU = 2          # the book network on a CPU: at most this many scenes per step
EVAL_CHUNK = 50


class OpenPoseLesson(Lesson):
    """OpenPose on generated scenes.  Images (N, 3, S, S) in [0, 1]; maps (N, 19 | 38, S/s, S/s)."""

    info = INFO
    params = PARAMS
    plots = PLOTS
    narrative = NARRATIVE
    view_params = VIEW_PARAMS
    eval_every = 100

    def __init__(self, hp, context=None) -> None:
        super().__init__(hp, context)
        import torch

        from visualizer.models.openpose_torch import build_openpose
        from visualizer.torch_backend.trainer import TorchTrainer

        self.book = hp["variant"] == "openpose"
        self.context.progress("Preparing the scenes", None)
        self.data = load_data(hp, VAL_IMAGES, self.context)
        self._check_image(hp["image"])
        torch.manual_seed(hp["seed"])
        net = build_openpose(hp["variant"], None if self.book else hp["stages"], hp["width"], seed=hp["seed"])
        self.stride = net.cfg.stride
        self.n_stages = net.cfg.stages
        self.trainer = TorchTrainer(net, lambda m: torch.optim.Adam(m["model"].parameters(), lr=hp["lr"]),
                                    device=hp["device"], seed=hp["seed"], losses=self.losses,
                                    cpu_threads=hp["cpu_threads"],
                                    hyper={"lr": TorchTrainer.param_group_setter("main", "lr")})
        dev = self.trainer.device
        self.x_train = torch.as_tensor(self.data.train_images).to(dev)              # (N, 3, S, S)
        self.x_val = torch.as_tensor(self.data.val_images).to(dev)                  # (V, 3, S, S)
        self.rng = np.random.default_rng(hp["seed"] + 1)
        if self.book and self.trainer.device_type == "cpu" and hp["batch_size"] > BOOK_BATCH_CPU:
            self.context.notice(f"The book's network takes seconds per scene on a CPU: {BOOK_BATCH_CPU} scenes "
                                "per step instead of the batch size.")
        self.last_step = 0
        self.last_eval: dict[str, float] = {}

    # ---- training ---------------------------------------------------------------------------------
    @property
    def steps_per_epoch(self) -> int:
        return math.ceil(len(self.x_train) / self.batch_size)

    @property
    def batch_size(self) -> int:
        b = self.hp["batch_size"]
        return min(b, BOOK_BATCH_CPU) if self.book and self.trainer.device_type == "cpu" else b

    def targets(self, people: list, void=None):
        """Target maps of a batch on the device: heat (B, 19, h, w), paf (B, 38, h, w), and the loss mask
        (B, 1, h, w): 1 − the void share of each map cell (None without void pixels)."""
        import torch

        heat, paf = pose_targets(people, self.data.size, self.stride, self.hp["sigma"], self.hp["limb_width"])
        dev = self.trainer.device
        mask = None
        if void is not None and void.any():
            b, s, h = len(void), self.stride, self.data.size // self.stride
            share = void[:, :h * s, :h * s].reshape(b, h, s, h, s).mean(axis=(2, 4))
            mask = torch.as_tensor((1.0 - share)[:, None].astype(np.float32)).to(dev)
        return torch.as_tensor(heat).to(dev), torch.as_tensor(paf).to(dev), mask

    def losses(self, batch, step):
        """Sum over stages of MSE(confidence maps) + MSE(PAFs) on a random batch (Ogawa ch. 4.5), void cells
        (COCO's crowds and people without keypoints) masked out."""
        from visualizer.models.openpose_torch import openpose_loss

        idx = self.rng.integers(0, len(self.x_train), self.batch_size)
        void = None if self.data.train_void is None else self.data.train_void[idx]
        heat_t, paf_t, mask = self.targets([self.data.train_people[i] for i in idx], void)
        outs = self.trainer.modules["model"](self.x_train[idx])
        total, per_stage = openpose_loss(outs, heat_t, paf_t, mask)
        return {"train_loss": total, **{f"loss_stage_{t + 1}": l.detach() for t, l in enumerate(per_stage)}}

    def train_step(self, step: int) -> None:
        self.last_step = step
        self.trainer.step(None, step)

    # ---- evaluation -------------------------------------------------------------------------------
    def _forward(self, x):
        """Stage outputs for images x as NumPy: T pairs (heat (n, 19, h, w), paf (n, 38, h, w))."""
        import torch

        net = self.trainer.modules["model"]
        was = net.training
        net.eval()
        with torch.no_grad():
            outs = net(x)
        net.train(was)
        return [(h.float().cpu().numpy(), p.float().cpu().numpy()) for h, p in outs]

    def evaluate(self) -> dict[str, float]:
        """PCK@0.2 and OKS AP (pycocotools) of the assembled people on the held-out scenes."""
        preds, scores = [], []
        for lo in range(0, len(self.x_val), EVAL_CHUNK):
            heat, paf = self._forward(self.x_val[lo:lo + EVAL_CHUNK])[-1]
            for h, p in zip(heat, paf):
                _, people, sc = P.people_of(h, p, self.stride, self.data.size, self.hp["peak_threshold"],
                                            self.hp["paf_threshold"])
                preds.append(people)
                scores.append(sc)
        ap = oks_ap(preds, scores, self.data.val_people)
        self.last_eval = {"val_pck": pck(preds, self.data.val_people), "val_oks_ap": ap["ap"],
                          "val_oks_ap50": ap["ap50"]}
        return dict(self.last_eval)

    # ---- live settings ----------------------------------------------------------------------------
    def _check_image(self, i: int) -> None:
        if i >= len(self.data.val_images):
            raise LessonConfigError(f"There are {len(self.data.val_images)} held-out scenes here: choose an image "
                                    f"from 0 to {len(self.data.val_images) - 1}.")

    def set_live(self, name, value) -> None:
        if name == "image":
            self._check_image(value)
        super().set_live(name, value)

    # ---- views ------------------------------------------------------------------------------------
    def decoded(self) -> P.Decoded:
        """The chosen held-out scene through every stage, decoded with the current thresholds."""
        i = self.hp["image"]
        stages = [(h[0], p[0]) for h, p in self._forward(self.x_val[i:i + 1])]
        people = self.data.val_people[i]
        heat_t, paf_t = pose_targets([people], self.data.size, self.stride, self.hp["sigma"],
                                     self.hp["limb_width"])
        return P.decode(self.data.val_images[i], stages, (heat_t[0], paf_t[0]), people, self.stride,
                        self.hp["peak_threshold"], self.hp["paf_threshold"])

    def snapshot(self) -> dict[str, PlotData]:
        d = self.decoded()
        k = KEYPOINT_CHOICES.index(self.hp["keypoint"])
        limb = LIMB_CHOICES.index(self.hp["limb"])
        return {"skeletons": P.skeletons(d, self.hp["peak_threshold"], self.hp["paf_threshold"]),
                "confidence": P.confidence(d, k), "paf": P.paf_arrows(d, limb), "stages": P.stage_grid(d, k, limb),
                "all_maps": P.all_maps(d)}

    def divergence_hint(self) -> str:
        return (f"The loss became NaN or infinite: the learning rate ({self.hp['lr']:g}) is too high for this "
                "network. Lower it (1e-3 works for the small one) and press Reset (R).")


LESSON = OpenPoseLesson
