"""Lesson ``gan_2d``: a GAN lab on 2-D distributions (ring, grid, blobs, line, your drawing)."""
from visualizer.core.lesson import LessonInfo, Pacing

INFO = LessonInfo(
    "gan_2d", "GAN lab: 2-D distributions", "Generative",
    "Python raw-coding deep learning, ch. 15 (GAN); Fundamentals of Deep Learning 2e, ch. 10",
    "A generator learns a ring, a grid, a line or a shape you draw, against a discriminator: D's "
    "decision map, the generator's gradient field, the noise manifold, the JS divergence, and what "
    "happens when D wins or G collapses.", order=20,
    pacing=Pacing(speed=100.0, stop=30, unit="epochs"))
