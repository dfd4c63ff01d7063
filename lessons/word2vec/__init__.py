"""Lesson ``word2vec``: CBOW and skip-gram with negative sampling (Saitoh DLfS2 ch. 3-4)."""
from visualizer.core.lesson import LessonInfo, Pacing

INFO = LessonInfo(
    "word2vec", "word2vec: CBOW and skip-gram", "Sequences & language",
    "Deep Learning from Scratch 2 (Saitoh), ch. 3–4 (word2vec, negative sampling)",
    "Learn word vectors by predicting words from their context: CBOW and skip-gram with negative sampling, "
    "an embedding projector that moves while it trains, nearest neighbours and analogies.", order=20,
    pacing=Pacing(speed=100.0, stop=3, unit="epochs"))
