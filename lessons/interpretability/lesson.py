"""Lesson ``interpretability``: looking inside a trained convnet (Qt-free; torch only on the build path).

The network (``subjects.load_subject``) is fixed; what "trains" are the two pictures made by gradient ascent in the
input: the chosen filter's preferred pattern (``visualizer.probes.feature_visualization.FilterAscent``) and
DeepDream (``DeepDream``), one ascent step each per training step.  The one-shot maps (feature maps, Grad-CAM and
Grad-CAM++, Captum's saliency, integrated gradients and occlusion, the cascading-randomization sanity check) are
computed when the image, class or layer changes and cached, never per step.  Sources: Chollet, *Deep Learning
with Python* 2e, ch. 9.4 and 12.2; the papers named in ``visualizer.probes.gradcam``, ``attribution`` and
``sanity_check``.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from lessons.interpretability import INFO
from lessons.interpretability import pictures as pics
from lessons.interpretability.narrative import NARRATIVE
from lessons.interpretability.specs import PARAMS, PLOTS
from lessons.interpretability.subjects import load_images, load_subject
from visualizer.core.lesson import Lesson, LessonConfigError
from visualizer.core.plotdata import PlotData

ASCENT = frozenset({"octaves", "steps_per_octave"})          # restart both pictures
FILTER = frozenset({"layer", "channel"})                     # restart the filter picture
DREAM = frozenset({"dream_layers", "image_index"})           # restart the dream
DREAM_STEP = 0.5                                             # the dream's step, relative to the filter's


class InterpretabilityLesson(Lesson):
    """Views of one trained network for one image at a time; ``train_step`` advances the gradient ascents."""

    info = INFO
    params = PARAMS
    plots = PLOTS
    narrative = NARRATIVE
    view_params = frozenset({"image_index", "target_class", "layer", "channel"})
    eval_every = 10

    def __init__(self, hp, context=None) -> None:
        super().__init__(hp, context)
        import torch

        torch.manual_seed(hp["seed"])
        self.subject, self.about = load_subject(hp["model"], hp["seed"], self.context)
        self.data = load_images(hp["images"], hp["image_file"], self.subject, hp["seed"])
        self.context.notice(f"Looking inside the {self.about}; images: {self.data.source}.")
        self._check_view(hp["target_class"], hp["layer"])
        big = self.subject.image_size > 64
        self.viz_side = 128 if big else 64                   # filter pictures: larger than 32 px to show detail
        self.dream_side = self.subject.image_size if big else 96
        self.fast = {"ig_steps": 16, "max_depths": 5} if big else {"ig_steps": 32, "max_depths": 8}
        self._cache: dict[tuple, Any] = {}
        self._metrics: dict[str, float] = {}
        self._restart(filter_=True, dream=True)

    # ---- what is explained -----------------------------------------------------------------------------
    def layer_name(self, choice: str | None = None) -> str:
        """The model's layer for a choice ("first conv", "middle conv", "last conv" or a name it has)."""
        names = list(self.subject.layers)
        choice = choice or self.hp["layer"]
        picks = {"first conv": names[0], "middle conv": names[(len(names) - 1) // 2], "last conv": names[-1]}
        if choice in picks:
            return picks[choice]
        if choice not in self.subject.layers:
            raise LessonConfigError(f"This network has no layer {choice}; its layers are {', '.join(names)}.")
        return choice

    def _check_view(self, target: str, layer: str) -> None:
        self.layer_name(layer)
        if target not in ("predicted", "true class") and target not in self.subject.class_names:
            known = ", ".join(self.subject.class_names[:12]) + (" ..." if len(self.subject.class_names) > 12 else "")
            raise LessonConfigError(f"This network has no class {target!r}: it knows {known}.")

    @property
    def steps_per_epoch(self) -> int:
        """An "epoch" is one octave of the ascents."""
        return self.hp["steps_per_octave"]

    @property
    def index(self) -> int:
        return self.hp["image_index"] % len(self.data.images)

    def image(self):
        import torch
        return torch.as_tensor(self.data.images[self.index:self.index + 1])           # (1, C, S, S)

    def probs(self) -> np.ndarray:
        """Softmax over the classes for the current image (K,), cached per image."""
        def compute():
            import torch
            with torch.no_grad():
                return torch.softmax(self.subject.model(self.image()), 1)[0].double().numpy()
        return self._cached(("probs", self.index), compute)

    def target(self) -> int:
        choice = self.hp["target_class"]
        if choice == "predicted" or (choice == "true class" and self.data.labels[self.index] < 0):
            return int(np.argmax(self.probs()))
        if choice == "true class":
            return int(self.data.labels[self.index])
        return self.subject.class_names.index(choice)

    def channel(self) -> int:
        return self.hp["channel"] % self.activations().shape[0]

    def activations(self) -> np.ndarray:
        """The chosen layer's activations (K, h, w) for the current image."""
        from visualizer.probes.feature_visualization import layer_output
        name = self.layer_name()

        def compute():
            import torch
            with torch.no_grad():
                return layer_output(self.subject.model, self.subject.layers[name], self.image())[0].numpy()
        return self._cached(("acts", self.index, name), compute)

    def _cached(self, key: tuple, compute):
        if key not in self._cache:
            if len(self._cache) > 64:
                self._cache.clear()
            self._cache[key] = compute()
        return self._cache[key]

    # ---- the gradient ascents ------------------------------------------------------------------------
    def _restart(self, filter_: bool = False, dream: bool = False) -> None:
        from visualizer.probes.feature_visualization import DeepDream, FilterAscent
        hp, layers = self.hp, self.subject.layers
        common = dict(octaves=hp["octaves"], steps_per_octave=hp["steps_per_octave"], jitter=hp["jitter"],
                      seed=hp["seed"])
        if filter_:
            self.filter = FilterAscent(self.subject.model, layers[self.layer_name()], self.channel(),
                                       size=self.viz_side, channels=self.subject.channels,
                                       step_size=hp["ascent_step"], **common)
        if dream:
            names = {"middle conv": ["middle conv"], "last conv": ["last conv"],
                     "middle + last": ["middle conv", "last conv"]}[hp["dream_layers"]]
            chosen = [layers[n] for n in dict.fromkeys(self.layer_name(c) for c in names)]
            self.dream = DeepDream(self.subject.model, chosen, self.data.images[self.index], size=self.dream_side,
                                   step_size=hp["ascent_step"] * DREAM_STEP, **common)

    def train_step(self, step: int) -> None:
        self._metrics = {"filter_activation": self.filter.step(), "dream_objective": self.dream.step()}

    def flush(self) -> dict[str, float]:
        out, self._metrics = self._metrics, {}
        return out

    def set_live(self, name: str, value: Any) -> None:
        if name == "target_class":
            self._check_view(value, self.hp["layer"])
        elif name == "layer":
            self._check_view(self.hp["target_class"], value)
        super().set_live(name, value)
        if name in ("ascent_step", "jitter"):
            for ascent, scale in ((self.filter, 1.0), (self.dream, DREAM_STEP)):
                ascent.step_size, ascent.jitter = self.hp["ascent_step"] * scale, self.hp["jitter"]
        if name in ASCENT | FILTER | DREAM:
            self._restart(filter_=name in ASCENT | FILTER, dream=name in ASCENT | DREAM)

    def checkpoint_state(self) -> dict[str, np.ndarray]:
        """The two ascents' images, step counts and octaves (the network itself is not trained here)."""
        return {f"{k}.{n}": v for k, a in (("filter", self.filter), ("dream", self.dream))
                for n, v in a.state_arrays().items()}

    def load_checkpoint_state(self, state: dict) -> None:
        from visualizer.core.checkpoint import check_state
        arrays = check_state(self.checkpoint_state(), state, nonnegative=frozenset(
            f"{k}.{n}" for k in ("filter", "dream") for n in ("steps", "octave")))
        parts = {k: {n.split(".")[1]: v for n, v in arrays.items() if n.startswith(k + ".")} for k in ("filter", "dream")}
        for k, a in (("filter", self.filter), ("dream", self.dream)):
            if int(parts[k]["octave"]) >= len(a.sizes):
                raise LessonConfigError(f"The checkpoint's array '{k}.octave' names octave {int(parts[k]['octave'])}; "
                                        f"this picture has {len(a.sizes)}.")
        self.filter.load_state_arrays(parts["filter"])
        self.dream.load_state_arrays(parts["dream"])

    # ---- views ------------------------------------------------------------------------------------------
    def class_maps(self) -> dict[str, np.ndarray]:
        from visualizer.probes.sanity_check import explain
        t = self.target()
        return self._cached(("cam", self.index, t), lambda: {
            m: explain(self.subject, self.image(), t, m) for m in ("Grad-CAM", "Grad-CAM++")})

    def attribution_maps(self) -> dict[str, np.ndarray]:
        from visualizer.probes.attribution import attributions
        t = self.target()
        maps = self._cached(("attr", self.index, t), lambda: attributions(
            self.subject.model, self.image(), t, ig_steps=self.fast["ig_steps"]))
        return {"saliency": maps["saliency"], "|integrated gradients|": np.abs(maps["integrated gradients"]),
                "occlusion": np.maximum(maps["occlusion"], 0.0)}

    def sanity(self):
        from visualizer.probes.sanity_check import cascading_randomization
        t = self.target()
        return self._cached(("sanity", self.index, t), lambda: cascading_randomization(
            self.subject, self.image(), t, max_depths=self.fast["max_depths"], seed=self.hp["seed"]))

    def _headline(self) -> str:
        names, probs = self.subject.class_names, self.probs()
        y = int(self.data.labels[self.index])
        truth = f"true {names[y]}\n" if y >= 0 else ""
        return f"{truth}says {names[int(np.argmax(probs))]} {probs.max():.0%}"

    def snapshot(self) -> dict[str, PlotData]:
        img = self.data.images[self.index]
        mask = self.data.masks[self.index] if self.data.masks is not None else None
        layer, ch = self.layer_name(), self.channel()
        sanity = self.sanity()
        return {
            "activations": pics.feature_maps(self.activations(), layer, ch),
            "filter": pics.pictures([self.filter.picture(self.viz_side)],
                                    [f"{layer}, filter {ch}\nstep {self.filter.steps}, {self.filter.image.shape[-1]} px"]),
            "class_maps": pics.heat_grid(img, {f"{k}: {self.subject.class_names[self.target()]}": v
                                               for k, v in self.class_maps().items()}, mask, self._headline()),
            "attributions": pics.heat_grid(img, self.attribution_maps(), mask),
            "probabilities": pics.probabilities(self.probs(), self.subject.class_names),
            "dream": pics.pictures([pics.resized(img, self.dream_side), self.dream.picture(self.dream_side)],
                                   ["the image", f"dream: step {self.dream.steps}" + (" (done)" if self.dream.done else
                                                                                     f", {self.dream.image.shape[-1]} px")]),
            "sanity_maps": pics.sanity_grid(sanity),
            "sanity_similarity": pics.sanity_matrix(sanity),
        }

    def divergence_hint(self) -> str:
        return "The ascent's values left every bound: lower the ascent step and press Reset (R)."


LESSON = InterpretabilityLesson
