"""Lesson ``cnn_scratch``: convolutions from scratch (explainer, im2col, pooling) and a CNN on digits."""
from visualizer.core.lesson import LessonInfo, Pacing

INFO = LessonInfo(
    "cnn_scratch", "Convolutions from scratch", "Foundations",
    "Deep Learning from Scratch, ch. 7 (CNN: convolution, im2col, pooling)",
    "A kernel slides over an image with every number shown, then a small CNN built on im2col learns "
    "the digits: its filters, feature maps and their gradients, saliency and gradient ascent.", order=40,
    pacing=Pacing(speed=30.0, stop=10, unit="epochs"))
