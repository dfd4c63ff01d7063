"""Lesson ``perceptron``: a single-layer network for regression, binary and multiclass classification."""
from visualizer.core.lesson import LessonInfo, Pacing

INFO = LessonInfo(
    "perceptron", "Single-layer perceptron", "Foundations",
    "Python raw-coding deep learning (Yoon), ch. 1–3 (single-layer perceptron)",
    "One layer of neurons, three tasks: regression with MSE, binary classification with sigmoid and "
    "cross-entropy, multiclass with softmax; weights, decision map, precision, recall and F1 live.", order=15,
    pacing=Pacing(speed=30.0, stop=20, unit="epochs"))
