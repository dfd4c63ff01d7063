"""Lesson ``optimizers``: SGD, Momentum, Nesterov, AdaGrad, RMSProp and Adam race on 2-D loss surfaces."""
from visualizer.core.lesson import LessonInfo, Pacing

INFO = LessonInfo(
    "optimizers", "Optimizers race on loss surfaces", "Foundations",
    "Fundamentals of Deep Learning 2e, ch. 6 (Beyond gradient descent); Deep Learning from Scratch, 6.1",
    "SGD, Momentum, Nesterov, AdaGrad, RMSProp and Adam race down the same 2-D loss surface: "
    "zig-zags, overshoots, adaptive steps, ill-conditioning, saddles and a real network's loss.", order=25,
    pacing=Pacing(speed=60.0, stop=600, unit="steps"))
