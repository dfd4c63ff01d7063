"""A tiny Qt-free lesson used by the core tests: gradient descent on f(w) = (w - 3)^2 with noise."""
import numpy as np

from visualizer.core.hyperparams import BoolParam, FloatParam
from visualizer.core.lesson import Lesson, LessonConfigError, LessonInfo
from visualizer.core.plotdata import BarsData, PlotSpec
from visualizer.scratch.trainer import NumpyTrainer


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
        self.params = {"w": np.zeros(1)}
        self.grads = {"w": np.zeros(1)}
        self.trainer = NumpyTrainer(self.params, self.grads, self.update)

    @property
    def w(self):
        return np.float64(self.params["w"][0])

    @property
    def steps_per_epoch(self):
        return 10

    def checkpoint_state(self):
        """The toy saves no checkpoints, so the session's report of that can be tested."""
        raise NotImplementedError(f"{self.info.title} does not save checkpoints")

    def update(self, batch, step):
        if self.hp["explode"] and step == 5:
            raise RuntimeError("boom")
        t = self.hp["target"]
        self.grads["w"][0] = 2 * (self.w - t) + 0.1 * self.rng.standard_normal()
        self.params["w"][0] -= self.hp["lr"] * self.grads["w"][0]
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

    engine_comparison = True

    def update(self, batch, step):
        out = super().update(batch, step)
        if self.hp["engine"] == "torch":
            self.grads["w"][0] = np.float64(np.float32(self.grads["w"][0]))
        return out


class ToyViewLesson(ToyLesson):
    """ToyLesson whose live ``target`` counts as a view setting (no marker on the curves)."""
    view_params = frozenset({"target"})
