"""Lesson ``anogan``: anomaly detection with a GAN trained on one digit (PyTorch)."""
from visualizer.core.lesson import LessonInfo, Pacing

INFO = LessonInfo(
    "anogan", "Anomaly detection with a GAN (AnoGAN)", "Generative",
    "PyTorch advanced deep learning (Ogawa), ch. 6 (AnoGAN); Schlegl et al. 2017",
    "Train a GAN on one digit only, then search its latent space for the closest image it can draw to a test "
    "image: the residual map shows what it cannot draw, and the anomaly score separates normal digits from "
    "all others at a threshold you choose.",
    engines=("torch",), order=50,
    pacing=Pacing(speed=60.0, stop=150, unit="epochs"))
