"""Lesson ``regularization``: an oversized MLP overfits a few hundred digits; L1, L2, dropout, batch
normalization, input noise and early stopping compared run by run."""
from lessons.regularization.model import RegularizationLesson

LESSON = RegularizationLesson

__all__ = ["LESSON", "RegularizationLesson"]
