"""Lesson ``precision_speed``: one MLP trained in float64, float32 and float16, on NumPy, PyTorch's CPU
and CUDA, in lockstep, timing each (Qt-free).

Every configuration starts from the same float64 weights (each rounded once to its precision), sees
the same mini-batches and takes plain SGD steps, so their loss curves overlay until rounding makes
them part.  Each step of each configuration is timed with ``time.perf_counter`` (on CUDA after
``torch.cuda.synchronize()``), and a moving average gives steps per second.  A configuration whose
loss or gradients overflow to inf/NaN is frozen with a notice while the others go on; only when all
have diverged does the step return NaN, which pauses the session.

Follows Saitoh, *Deep Learning from Scratch 2*, section 1.5 (bit precision, GPUs) and *Deep Learning
from Scratch*, section 8.3 (16-bit floats); Micikevicius et al., "Mixed Precision Training", ICLR 2018
(float32 master weights, loss scaling).  Data: scikit-learn's embedded 8×8 digits.
"""
from __future__ import annotations

import math

import numpy as np

from lessons.precision_speed import INFO
from lessons.precision_speed.lockstep import LockstepTrainer, Slot
from lessons.precision_speed.narrative import NARRATIVE
from lessons.precision_speed.net import PrecisionConfig, initial_weights, make_run
from visualizer.core.hyperparams import BoolParam, FloatParam, IntParam
from visualizer.core.lesson import Lesson, LessonConfigError
from visualizer.core.plotdata import BarsData, PlotData, PlotSpec, TableData
from visualizer.data.batches import EpochBatches
from visualizer.data.digits import load_digits_split

#: Every configuration with the BoolParam that selects it.  NumPy float64 comes first: it is the reference
#: for "speed vs NumPy f64" and "digits agreeing", and trains (unshown) even when not selected.
CONFIGS: tuple[tuple[PrecisionConfig, str], ...] = (
    (PrecisionConfig("f64", "NumPy float64", "np f64", "numpy", "float64"), "numpy_f64"),
    (PrecisionConfig("f32", "NumPy float32", "np f32", "numpy", "float32"), "numpy_f32"),
    (PrecisionConfig("f16", "NumPy float16", "np f16", "numpy", "float16"), "numpy_f16"),
    (PrecisionConfig("torch_f64", "PyTorch CPU float64", "pt f64", "torch", "float64"), "torch_cpu"),
    (PrecisionConfig("torch_f32", "PyTorch CPU float32", "pt f32", "torch", "float32"), "torch_cpu"),
    (PrecisionConfig("torch_bf16", "PyTorch CPU bfloat16", "pt bf16", "torch", "bfloat16"), "torch_cpu_half"),
    (PrecisionConfig("torch_f16", "PyTorch CPU float16", "pt f16", "torch", "float16"), "torch_cpu_half"),
    (PrecisionConfig("cuda_f32", "PyTorch CUDA float32", "cuda f32", "torch", "float32", "cuda"), "torch_cuda"),
    (PrecisionConfig("cuda_f16", "PyTorch CUDA float16", "cuda f16", "torch", "float16", "cuda"), "torch_cuda"),
)


class PrecisionSpeed(Lesson):
    """One MLP x (N, 64) -> hidden ReLU layers -> logits (N, 10) trained in several precisions and on
    several engines in lockstep; metrics ``loss_<key>`` per step and ``val_acc_<key>`` per evaluation
    for each configuration key in :data:`CONFIGS` that runs."""

    info = INFO
    params = (
        BoolParam("numpy_f64", "NumPy float64", True,
                  tooltip="Train the network with NumPy in float64 (double precision, 53-bit significand). It is "
                          "the reference of the speed ratio and of the digits agreeing, so it trains unshown "
                          "even when switched off."),
        BoolParam("numpy_f32", "NumPy float32", True,
                  tooltip="Train a NumPy copy in float32 (single precision, 24-bit significand)."),
        BoolParam("numpy_f16", "NumPy float16", True,
                  tooltip="Train a NumPy copy in float16 (half precision, 11-bit significand, largest value "
                          "65504). Every operation runs in half precision; NumPy has no fast float16 kernels."),
        BoolParam("torch_cpu", "PyTorch CPU float64/float32", False,
                  tooltip="Train PyTorch copies on the CPU in float64 and float32 (the first build imports "
                          "PyTorch: a few seconds)."),
        BoolParam("torch_cpu_half", "PyTorch CPU bfloat16/float16", False,
                  tooltip="Train PyTorch copies on the CPU in bfloat16 (8-bit significand, float32's range) and "
                          "float16."),
        BoolParam("torch_cuda", "PyTorch CUDA float32/float16", False,
                  tooltip="Train PyTorch copies on an NVIDIA GPU in float32 and float16. Without a GPU the rows "
                          "say 'not available'."),
        BoolParam("one_thread", "One CPU thread each", True,
                  tooltip="Limit NumPy's BLAS and PyTorch to one thread while this lesson runs: a fair "
                          "per-core comparison (threads pay off only for large matrices, and on a busy machine "
                          "they fight over the cores)."),
        IntParam("hidden_units", "Units per layer", 64, 16, 1024, log=True,
                 tooltip="Neurons in each hidden layer. Wider layers make matrix products dominate the time."),
        IntParam("hidden_layers", "Hidden layers", 1, 1, 3, tooltip="Number of hidden ReLU layers."),
        FloatParam("lr", "Learning rate", 0.1, 1e-3, 10.0, log=True, live=True, decimals=4,
                   tooltip="SGD step size η in w ← w − η·g, the same for every configuration. Applies at the "
                           "next step."),
        IntParam("batch_size", "Batch size", 32, 1, 512, live=True, log=True,
                 tooltip="Images per step (the same images for every configuration). Applies at the next step."),
        FloatParam("loss_scale", "Loss scale (half precision)", 1.0, 1.0, 65536.0, log=True, live=True,
                   decimals=0,
                   tooltip="S: half-precision runs backpropagate S·L and divide the weight gradients by S "
                           "before the update, lifting tiny gradients out of float16's underflow range. Too "
                           "large and they overflow past 65504. Applies at the next step."),
        BoolParam("master_weights", "float32 master weights", False, live=True,
                  tooltip="Mixed precision: half-precision runs keep a float32 copy of the weights that "
                          "receives the updates; the forward and backward passes use its rounded copy. "
                          "Applies at the next step."),
    )
    plots = (
        PlotSpec("loss", "Training loss per configuration", "curves",
                 series=tuple(f"loss_{c.key}" for c, _ in CONFIGS), x_label="step", y_label="cross-entropy",
                 log_y=True, tooltip="Cross-entropy of each mini-batch, one curve per configuration. All start "
                 "from the same weights and see the same batches: the curves part only by rounding."),
        PlotSpec("table", "Speed and accuracy", "table", main="wide",
                 tooltip="steps/s and ms/step: moving averages over about 20 steps of each configuration's "
                         "own step time. val acc: validation accuracy. final loss: training loss, moving "
                         "average. rel. speed: steps/s divided by NumPy float64's. n/a: not available here."),
        PlotSpec("val_acc", "Validation accuracy", "bars", y_label="accuracy",
                 tooltip="Share of the held-out images each configuration classifies correctly."),
        PlotSpec("agreement", "Digits agreeing with float64", "bars", y_label="decimal digits",
                 tooltip="−log₁₀ of max|w − w_f64| / max|w_f64| over all weights: how many decimal digits "
                         "of the weights still match the float64 reference (16 = identical)."),
        PlotSpec("lost_updates", "Updates lost to rounding", "bars", y_label="% of weights",
                 tooltip="Of the weights with a non-zero gradient, the share for which w − η·g rounds back "
                         "to w in the precision of the stored weights (swamping). Master weights fix it."),
    )
    narrative = NARRATIVE
    eval_every = 20

    def __init__(self, hp, context=None) -> None:
        super().__init__(hp, context)
        self.data = load_digits_split(0.2, hp["seed"], "float64")
        d = self.data
        sizes = [d.n_features, *([hp["hidden_units"]] * hp["hidden_layers"]), d.n_classes]
        self.params64 = initial_weights(sizes, hp["seed"])
        self.rng = np.random.default_rng(hp["seed"] + 1)
        self.batches = EpochBatches(len(d.y_train), self.rng)
        slots: list[Slot] = []
        cuda_checked: bool | None = None
        if not any(hp[toggle] for _, toggle in CONFIGS):
            raise LessonConfigError("No configuration is selected: switch on at least one of the precisions.")
        for config, toggle in CONFIGS:
            shown = bool(hp[toggle])
            if not shown and config.key != "f64":
                continue
            if config.device == "cuda":
                if cuda_checked is None:
                    cuda_checked = self._cuda_available()
                    if not cuda_checked:
                        self.context.notice("CUDA is not available (PyTorch finds no NVIDIA GPU): the CUDA rows "
                                            "stay empty and the other configurations train.")
                if not cuda_checked:
                    slots.append(Slot(config, None, "not available"))
                    continue
            try:
                run = make_run(config, self.params64, d.x_train, d.y_train, d.x_val, d.y_val,
                               hp["master_weights"])
            except ImportError as e:
                raise LessonConfigError(f"PyTorch is needed for the PyTorch configurations ({e}): install it "
                                        "or switch them off.") from None
            slots.append(Slot(config, run, shown=shown))
        self.trainer = LockstepTrainer(slots, lr=hp["lr"], loss_scale=hp["loss_scale"],
                                       master_weights=hp["master_weights"], one_thread=hp["one_thread"],
                                       notice=self.context.notice)

    @staticmethod
    def _cuda_available() -> bool:
        try:
            import torch
        except ImportError:
            return False
        return bool(torch.cuda.is_available())

    @property
    def steps_per_epoch(self) -> int:
        return math.ceil(len(self.data.y_train) / self.hp["batch_size"])

    def next_batch(self) -> np.ndarray:
        """Indices of the next mini-batch (B,): slices of a permutation redrawn each epoch."""
        return self.batches.next(self.hp["batch_size"])

    def evaluate(self) -> dict[str, float]:
        return self.trainer.accuracies()

    def divergence_hint(self) -> str:
        half = any(s.config.half for s in self.trainer.shown_slots if s.run is not None)
        text = (f"Every configuration has diverged. The learning rate ({self.hp['lr']:g}) is probably too high: "
                "lower it and press Reset (R).")
        if half:
            text += (" In float16 any value above 65504 becomes inf (and inf − inf is NaN), so also lower the "
                     f"loss scale (now {self.hp['loss_scale']:g}).")
        return text

    def table(self) -> TableData:
        """The speed and accuracy table (see ``LockstepTrainer.table``)."""
        return self.trainer.table()

    def agreement(self) -> np.ndarray:
        """Decimal digits agreeing with NumPy float64 per selected configuration (``LockstepTrainer.agreement``)."""
        return self.trainer.agreement()

    def snapshot(self) -> dict[str, PlotData]:
        shown = self.trainer.shown_slots
        names = [s.config.short for s in shown]
        lr = self.hp["lr"]
        lost = [100.0 * s.run.lost_update_fraction(lr) if s.run is not None else math.nan for s in shown]
        return {
            "table": self.table(),
            "val_acc": BarsData(names, np.array([s.val_acc for s in shown]), "accuracy"),
            "agreement": BarsData(names, self.agreement(), "decimal digits"),
            "lost_updates": BarsData(names, np.array(lost), "% of weights"),
        }


LESSON = PrecisionSpeed
