"""Lesson ``vae``: a variational autoencoder on digits (PyTorch), with a live β, the latent grid and samples."""
from lessons.vae.model import VAELesson

LESSON = VAELesson

__all__ = ["LESSON", "VAELesson"]
