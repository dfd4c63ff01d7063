"""Lesson ``optimizers``: SGD, Momentum, Nesterov, AdaGrad, RMSProp and Adam race on 2-D loss surfaces."""
from lessons.optimizers.model import OptimizerRace

LESSON = OptimizerRace

__all__ = ["LESSON", "OptimizerRace"]
