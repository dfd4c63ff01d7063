"""Lesson ``dcgan``: a deep convolutional GAN draws digits (PyTorch).  ``nets.py`` holds the shared DCGAN
generator and discriminator (imports torch; other Generative lessons may import it)."""
from lessons.dcgan.model import DCGANLesson

LESSON = DCGANLesson

__all__ = ["LESSON", "DCGANLesson"]
