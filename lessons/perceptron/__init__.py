"""Lesson ``perceptron``: a single-layer network for regression, binary and multiclass classification."""
from lessons.perceptron.model import PerceptronLesson

LESSON = PerceptronLesson

__all__ = ["LESSON", "PerceptronLesson"]
