"""Lesson ``deep_nets``: vanishing and exploding gradients, initialization, batch normalization, residual
connections and the Inception module."""
from visualizer.core.lesson import LessonInfo, Pacing

INFO = LessonInfo(
    "deep_nets", "Deep networks: vanishing gradients, BN, ResNet, Inception", "Foundations",
    "Fundamentals of Deep Learning 2e, ch. 7; Deep Learning from Scratch ch. 6.2",
    "Why a 20-layer network does not learn and what fixes it: initialization, batch normalization and "
    "residual connections, seen in every layer's gradients and activations; plus an Inception module.", order=50,
    pacing=Pacing(speed=30.0, stop=30, unit="epochs"))
