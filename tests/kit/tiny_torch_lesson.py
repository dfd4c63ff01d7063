"""The smallest PyTorch lesson on the kit: the same blobs, a linear classifier in torch (a minimal example)."""
import numpy as np

from visualizer.core.hyperparams import FloatParam
from visualizer.core.lesson import Lesson, LessonInfo
from visualizer.core.plotdata import PlotSpec


class TinyTorchLesson(Lesson):
    info = LessonInfo("tiny_torch", "Tiny torch lesson", "Foundations", "none", engines=("torch",))
    params = (FloatParam("lr", "Learning rate", 0.5, 1e-3, 10.0, log=True, live=True),)
    plots = (PlotSpec("loss", "Loss", "curves", series=("train_loss", "train_acc")),)

    def __init__(self, hp, context=None):
        super().__init__(hp, context)
        import torch                                                # only when the lesson is built

        from visualizer.torch_backend.trainer import TorchTrainer
        torch.manual_seed(hp["seed"])
        rng = np.random.default_rng(hp["seed"])
        y = rng.integers(0, 2, 256)
        x = rng.normal(size=(256, 2)) + 2.0 * y[:, None] - 1.0
        model = torch.nn.Linear(2, 2)
        self.trainer = TorchTrainer(model, lambda m: torch.optim.SGD(m["model"].parameters(), lr=hp["lr"]),
                                    device=hp["device"], seed=hp["seed"], losses=self.losses,
                                    hyper={"lr": TorchTrainer.param_group_setter("main", "lr")})
        self.x = torch.as_tensor(x, dtype=torch.float32, device=self.trainer.device)   # (N, 2)
        self.y = torch.as_tensor(y, device=self.trainer.device)                        # (N,)

    def losses(self, batch, step):
        import torch.nn.functional as F
        idx = batch if batch is not None else self._draw()
        logits = self.trainer.modules["model"](self.x[idx])                            # (B, 2)
        y = self.y[idx]
        return {"train_loss": F.cross_entropy(logits, y), "train_acc": (logits.argmax(1) == y).float().mean()}

    def _draw(self):
        import torch
        return torch.randint(0, len(self.y), (32,), device=self.y.device, generator=self.trainer.generator)


LESSON = TinyTorchLesson
