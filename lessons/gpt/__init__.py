"""Lesson ``gpt``: a small GPT learns to write, one character at a time, on the shipped book (PyTorch; the network
is ``visualizer.models.gpt_torch``)."""
from visualizer.core.lesson import LessonInfo, Pacing

INFO = LessonInfo(
    "gpt", "A small GPT writes character by character", "Sequences & language",
    "Deep Learning with Python 2e, ch. 12.1 (text generation with a temperature); Radford et al. 2018/2019 "
    "(GPT, GPT-2); PyTorch advanced deep learning (Ogawa), ch. 7 (the Transformer)",
    "A decoder-only Transformer with a causal mask learns the Gospels character by character: loss in nats per "
    "character, samples at a temperature and top-k you set, the attention of every head on your prompt, the "
    "next-character probabilities, and samples kept from step 100 on to show how the writing improves.",
    engines=("torch",), order=80, pacing=Pacing(speed=30.0, stop=5000))
