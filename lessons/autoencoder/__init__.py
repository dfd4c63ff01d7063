"""Lesson ``autoencoder``: an MLP autoencoder on digits, its latent space, denoising and semantic hashing."""
from lessons.autoencoder.model import Autoencoder

LESSON = Autoencoder

__all__ = ["LESSON", "Autoencoder"]
