"""Lesson ``deep_nets``: vanishing and exploding gradients, initialization, batch normalization, residual
connections and the Inception module."""
from lessons.deep_nets.model import DeepNetsLesson

LESSON = DeepNetsLesson

__all__ = ["LESSON", "DeepNetsLesson"]
