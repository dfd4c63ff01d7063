"""Lesson ``sagan``: self-attention GAN with spectral normalization and the hinge loss (PyTorch)."""
from visualizer.core.lesson import LessonInfo, Pacing

INFO = LessonInfo(
    "sagan", "Self-attention GAN (SAGAN)", "Generative",
    "PyTorch advanced deep learning (Ogawa), ch. 5 (SAGAN); Zhang et al. 2019; Miyato et al. 2018",
    "A GAN whose generator and discriminator can look at the whole image through self-attention: click a "
    "pixel of a generated digit to see where it attends, watch the attention strength γ grow from 0, and see "
    "how spectral normalization holds every layer's largest singular value at 1.",
    engines=("torch",), order=40,
    pacing=Pacing(speed=30.0, stop=10, unit="epochs"))
