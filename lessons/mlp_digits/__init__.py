"""Lesson ``mlp_digits``: a multilayer perceptron on handwritten digits (8×8 digits, MNIST, Fashion-MNIST)."""
from visualizer.core.lesson import LessonInfo, Pacing

INFO = LessonInfo(
    "mlp_digits", "MLP on handwritten digits", "Foundations",
    "Deep Learning with Python 2e, ch. 2 (A first look at a neural network: MNIST)",
    "A multilayer perceptron learns to read digits: loss and accuracy, the confusion matrix, "
    "first-layer weights as images, its mistakes, and weight and gradient histograms.", order=20,
    pacing=Pacing(speed=100.0, stop=60, unit="epochs"))
