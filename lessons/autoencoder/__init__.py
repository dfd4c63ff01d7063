"""Lesson ``autoencoder``: an MLP autoencoder on digits, its latent space, denoising and semantic hashing."""
from visualizer.core.lesson import LessonInfo, Pacing

INFO = LessonInfo(
    "autoencoder", "Autoencoders and semantic hashing", "Generative",
    "Python raw-coding deep learning (Yoon), ch. 13 (autoencoder, semantic hashing); Fundamentals of "
    "Deep Learning 2e, ch. 8 (embedding and representation learning)",
    "Squeeze digits through a tiny code and rebuild them: reconstructions, the 2-D latent space "
    "forming while it trains, denoising, and semantic hashing: binary codes, Hamming-distance "
    "retrieval and its precision for each code length.", order=10,
    pacing=Pacing(speed=100.0, stop=100, unit="epochs"))
