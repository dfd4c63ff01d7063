"""Lesson ``cnn_scratch``: convolutions from scratch (explainer, im2col, pooling) and a CNN on digits."""
from lessons.cnn_scratch.model import ConvolutionLesson

LESSON = ConvolutionLesson

__all__ = ["LESSON", "ConvolutionLesson"]
