"""Lesson ``vae``: a variational autoencoder on digits (PyTorch), with a live β, the latent grid and samples."""
from visualizer.core.lesson import LessonInfo, Pacing

INFO = LessonInfo(
    "vae", "Variational autoencoder", "Generative",
    "Deep Learning with Python 2e, ch. 12.4 (Image generation with variational autoencoders)",
    "An autoencoder whose code is a distribution: reconstruction and KL terms, a live β, the 2-D latent "
    "space decoded into a grid of digits, reconstructions, samples from the prior, posterior collapse.",
    engines=("torch",), order=60,
    pacing=Pacing(speed=100.0, stop=60, unit="epochs"))
