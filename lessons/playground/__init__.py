"""Lesson ``playground``: a neural network playground on 2-D data (TensorFlow Playground and beyond)."""
from lessons.playground.model import PlaygroundLesson

LESSON = PlaygroundLesson
