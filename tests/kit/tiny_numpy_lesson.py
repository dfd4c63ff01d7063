"""The smallest NumPy lesson on the kit: logistic regression on two Gaussian blobs (a minimal example)."""
import numpy as np

from visualizer.core.hyperparams import FloatParam
from visualizer.core.lesson import Lesson, LessonInfo
from visualizer.core.plotdata import PlotSpec
from visualizer.scratch.layers import Linear
from visualizer.scratch.losses import SoftmaxCrossEntropy
from visualizer.scratch.optimizers import SGD
from visualizer.scratch.trainer import NumpyTrainer


class TinyNumpyLesson(Lesson):
    info = LessonInfo("tiny_numpy", "Tiny NumPy lesson", "Foundations", "none", engines=("numpy",))
    params = (FloatParam("lr", "Learning rate", 0.5, 1e-3, 10.0, log=True, live=True),)
    plots = (PlotSpec("loss", "Loss", "curves", series=("train_loss", "train_acc")),)

    def __init__(self, hp, context=None):
        super().__init__(hp, context)
        rng = np.random.default_rng(hp["seed"])
        self.y = rng.integers(0, 2, 256)                                            # (N,)
        self.x = (rng.normal(size=(256, 2)) + 2.0 * self.y[:, None] - 1.0).astype(np.float32)  # (N, 2)
        self.layer = Linear(0.1 * rng.normal(size=(2, 2)).astype(np.float32), np.zeros(2, np.float32))
        self.loss = SoftmaxCrossEntropy()
        opt = SGD(self.layer.params, self.layer.grads, hp["lr"])
        self.trainer = NumpyTrainer.from_lists(("W", "b"), self.layer.params, self.layer.grads, self.update,
                                               optimizers={"sgd": opt}, hyper={"lr": lambda v: setattr(opt, "lr", v)})
        self.rng = rng

    def next_batch(self):
        idx = self.rng.integers(0, len(self.y), 32)
        return self.x[idx], self.y[idx]

    def update(self, batch, step):
        x, y = batch
        logits = self.layer.forward(x)                                              # (B, 2)
        loss = self.loss.forward(logits, y)
        self.layer.backward(self.loss.backward())
        self.trainer.optimizers["sgd"].step()
        return {"train_loss": float(loss), "train_acc": float((logits.argmax(1) == y).mean())}


LESSON = TinyNumpyLesson
