"""Lesson ``gan_2d``: a GAN lab on 2-D distributions (ring, grid, blobs, line, your drawing)."""
from lessons.gan_2d.model import Gan2D

LESSON = Gan2D

__all__ = ["LESSON", "Gan2D"]
