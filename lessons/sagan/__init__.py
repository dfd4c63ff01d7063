"""Lesson ``sagan``: self-attention GAN with spectral normalization and the hinge loss (PyTorch)."""
from lessons.sagan.model import SaganLesson

LESSON = SaganLesson

__all__ = ["LESSON", "SaganLesson"]
