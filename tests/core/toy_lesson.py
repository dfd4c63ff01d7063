"""A tiny Qt-free lesson used by the core tests: gradient descent on f(w) = (w - 3)^2 with noise."""
import numpy as np

from visualizer.core.hyperparams import BoolParam, FloatParam
from visualizer.core.lesson import Lesson, LessonConfigError, LessonInfo
from visualizer.core.plotdata import BarsData, PlotSpec


class ToyLesson(Lesson):
    info = LessonInfo("toy", "Toy", "Foundations", "none", engines=("numpy",))
    params = (FloatParam("lr", "Learning rate", 0.1, 1e-4, 10.0, log=True, live=True),
              BoolParam("fail_build", "Fail build", False),
              BoolParam("explode", "Raise at step 5", False),
              FloatParam("target", "Target", 3.0, -10.0, 10.0, live=True))
    plots = (PlotSpec("loss", "Loss", "curves", series=("train_loss", "val_loss")),
             PlotSpec("w", "Weight", "bars"))
    eval_every = 5

    def __init__(self, hp, context=None):
        super().__init__(hp, context)
        if hp["fail_build"]:
            raise LessonConfigError("fail_build is on")
        self.rng = np.random.default_rng(hp["seed"])
        self.w = np.float64(0.0)
        self.t = 0

    @property
    def steps_per_epoch(self):
        return 10

    def train_step(self):
        self.t += 1
        if self.hp["explode"] and self.t == 5:
            raise RuntimeError("boom")
        t = self.hp["target"]
        g = 2 * (self.w - t) + 0.1 * self.rng.standard_normal()
        self.w -= self.hp["lr"] * g
        return {"train_loss": float((self.w - t) * (self.w - t))}

    def evaluate(self):
        return {"val_loss": float((self.w - self.hp["target"]) ** 2)}

    def snapshot(self):
        return {"w": BarsData(["w", "target"], np.array([self.w, self.hp["target"]]))}

    def set_live(self, name, value):
        if name == "target" and value > 5:
            raise LessonConfigError("the target must stay at or below 5")
        super().set_live(name, value)


class TwinToyLesson(ToyLesson):
    """The toy on both engines ("torch" runs the same float64 arithmetic, optionally rounded to float32)
    with gradient_arrays, for the engine comparison."""

    info = LessonInfo("twin_toy", "Twin toy", "Foundations", "none")

    def train_step(self):
        w_before = self.w
        out = super().train_step()
        self.g = (w_before - self.w) / self.hp["lr"]
        if self.hp["engine"] == "torch":
            self.g = np.float64(np.float32(self.g))
        return out

    def gradient_arrays(self):
        return {"w": np.array([getattr(self, "g", 0.0)], dtype=np.float64)}


class ToyViewLesson(ToyLesson):
    """ToyLesson whose live ``target`` counts as a view setting (no marker on the curves)."""
    view_params = frozenset({"target"})
