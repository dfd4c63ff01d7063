"""Lesson ``playground``: a neural network playground on 2-D data (TensorFlow Playground and beyond)."""
from visualizer.core.lesson import LessonInfo, Pacing

INFO = LessonInfo(
    id="playground",
    title="Neural network playground",
    track="Foundations",
    chapter="Fundamentals of Deep Learning 2e, ch. 3-4 (The neural network; Training feed-forward networks)",
    summary="Train a small network on 2-D points and watch every neuron's map, the weights and the "
            "decision boundary change live (TensorFlow Playground and beyond).",
    order=10,
    pacing=Pacing(speed=100.0, stop=100, unit="epochs"),
)
