"""Lesson ``anogan``: anomaly detection with a GAN trained on one digit (PyTorch)."""
from lessons.anogan.model import AnoganLesson

LESSON = AnoganLesson

__all__ = ["LESSON", "AnoganLesson"]
