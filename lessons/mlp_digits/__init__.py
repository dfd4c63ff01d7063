"""Lesson ``mlp_digits``: a multilayer perceptron on handwritten digits (8×8 digits, MNIST, Fashion-MNIST)."""
from lessons.mlp_digits.model import DigitsMLP

LESSON = DigitsMLP

__all__ = ["LESSON", "DigitsMLP"]
