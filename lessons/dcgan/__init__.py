"""Lesson ``dcgan``: a deep convolutional GAN draws digits (PyTorch; the networks are
``visualizer.models.dcgan_torch``)."""
from visualizer.core.lesson import LessonInfo, Pacing

INFO = LessonInfo(
    "dcgan", "DCGAN: a GAN draws digits", "Generative",
    "PyTorch advanced deep learning (Ogawa), ch. 5.1 (DCGAN); Radford et al. 2016; "
    "Deep Learning with Python 2e, ch. 12.5 (GANs)",
    "A generator and a discriminator play against each other until noise turns into handwritten digits: "
    "samples from fixed noise, both losses, D(x) and D(G(z)), latent-space interpolation and a "
    "mode-collapse indicator.", engines=("torch",), order=30,
    pacing=Pacing(speed=60.0, stop=20, unit="epochs"))
