"""Small Qt-free lessons for the UI tests: one with a plot of every kind and a three-step narrative,
and one on another track.  Training is gradient descent on f(w) = (w - 3)^2, so a large learning
rate diverges."""
from visualizer.core.hyperparams import BoolParam, ChoiceParam, FloatParam, IntParam
from visualizer.core.lesson import Lesson, LessonConfigError, LessonInfo, NarrativeStep
from visualizer.core.plotdata import PlotSpec
from tests.core.toy_lesson import ToyLesson
from tests.ui.sample_data import KINDS, sample


class AllKindsLesson(Lesson):
    info = LessonInfo("all_kinds", "All plot kinds", "Foundations", "Test book, ch. 1",
                      summary="A lesson that draws every plot kind.", engines=("numpy",))
    params = (
        FloatParam("lr", "Learning rate", 0.1, 1e-4, 10.0, log=True, live=True, tooltip="Step size"),
        FloatParam("momentum", "Momentum", 0.0, 0.0, 0.99, live=True, decimals=2),
        IntParam("width", "Width", 2, 1, 8, tooltip="Neurons"),
        ChoiceParam("activation", "Activation", "relu", ("relu", "tanh")),
        BoolParam("flag", "A flag", False),
        BoolParam("explode", "Raise at step 5", False),
    )
    plots = tuple(sample(k)[0] for k in KINDS)
    narrative = (
        NarrativeStep("Start", "# Hello\nThe loss is **L = (w − 3)²**."),
        NarrativeStep("Lock", "Locked learning rate.", set_params={"lr": 0.05}, lock=("lr",), hide=("flag",),
                      plots=("loss", "grad_norms"), run_steps=5),
        NarrativeStep("Wider", "Width 4 needs a reset.", set_params={"width": 4}),
    )
    eval_every = 5

    def __init__(self, hp, context=None):
        super().__init__(hp, context)
        if hp["device"] == "cuda":
            raise LessonConfigError("CUDA is not available on this machine: choose the cpu device")
        self.w = 0.0
        self.metrics: dict[str, float] = {}

    @property
    def steps_per_epoch(self):
        return 10

    def train_step(self, step):
        if self.hp["explode"] and step == 5:
            raise RuntimeError("boom in train_step")
        self.w -= self.hp["lr"] * 2 * (self.w - 3)
        self.metrics = {"train_loss": float((self.w - 3) ** 2)}

    def flush(self):
        metrics, self.metrics = self.metrics, {}
        return metrics

    def evaluate(self):
        return {"val_loss": float((self.w - 3) ** 2)}

    def snapshot(self):
        return {spec.id: sample(kind)[1] for kind in KINDS for spec in [sample(kind)[0]] if kind != "curves"}


class VisionLesson(AllKindsLesson):
    info = LessonInfo("vision_fake", "Fake vision lesson", "Vision", "Test book, ch. 9",
                      summary="Lives on the Vision track.", engines=("numpy",))
    plots = (PlotSpec("loss", "Loss", "curves", series=("train_loss", "val_loss"), log_y=True),)
    narrative = ()

    def snapshot(self):
        return {}


class BadDataLesson(AllKindsLesson):
    """Hands the image plot data of the wrong class."""
    info = LessonInfo("bad_data", "Bad data", "Foundations", "none", engines=("numpy",))
    narrative = ()

    def snapshot(self):
        plots = super().snapshot()
        plots["decision"] = plots["grad_norms"]
        return plots


class TwoLossLesson(AllKindsLesson):
    """A GAN-like lesson: no train_loss, two losses (the status bar shows the first), no held-out metric."""
    info = LessonInfo("two_losses", "Two losses", "Foundations", "Test book, ch. 1",
                      summary="Reports d_loss and g_loss only.", engines=("numpy",))

    def train_step(self, step):
        super().train_step(step)
        out = self.metrics["train_loss"]
        self.metrics = {"d_loss": out, "g_loss": 2 * out}

    def evaluate(self):
        return {"diversity": 1.0}


class OnceFailingLesson(AllKindsLesson):
    """Raises at step 5 the first time only: after the error, Play trains normally."""
    info = LessonInfo("once_failing", "Fails once", "Foundations", "none", engines=("numpy",))
    narrative = ()

    def __init__(self, hp, context=None):
        super().__init__(hp, context)
        self.failed = False

    def train_step(self, step):
        if step == 5 and not self.failed:
            self.failed = True
            raise RuntimeError("a one-off failure")
        super().train_step(step)


class SavingToyLesson(ToyLesson):
    """The toy lesson with checkpoints (its trainer's state)."""
    info = LessonInfo("saving_toy", "Toy with checkpoints", "Foundations", "none", engines=("numpy",))
    checkpoint_state = Lesson.checkpoint_state


class SelfEditingLesson(AllKindsLesson):
    """Changes its own structural setting "width" when the momentum is set live, as a click on the grid
    world's map changes its "grid_map" (``LessonContext.setting_changed``)."""

    def set_live(self, name, value):
        super().set_live(name, value)
        if name == "momentum":
            self.hp.set("width", 7)
            self.context.setting_changed("width", 7)


class SeedComparableToyLesson(ToyLesson):
    """Earlier runs are drawn only over a run with the same seed, as dqn's are only over one on the same
    environment (``Lesson.runs_comparable_by``)."""

    runs_comparable_by = ("seed",)
