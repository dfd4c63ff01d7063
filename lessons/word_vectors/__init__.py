"""Lesson ``word_vectors``: co-occurrence counts, PPMI and SVD word vectors (Saitoh DLfS2 ch. 2)."""
from visualizer.core.lesson import LessonInfo, Pacing

INFO = LessonInfo(
    "word_vectors", "Word vectors by counting", "Sequences & language",
    "Deep Learning from Scratch 2 (Saitoh), ch. 2 (count-based methods)",
    "The distributional hypothesis made concrete: count which words appear together, weigh the counts by "
    "PPMI, compress them with SVD, and find a word's neighbours by cosine similarity.", order=10,
    pacing=Pacing(speed=10.0, stop=2, unit="epochs"))
