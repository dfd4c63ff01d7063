"""Lesson ``word_vectors``: co-occurrence counts, PPMI and SVD word vectors (Saitoh DLfS2 ch. 2)."""
from lessons.word_vectors.model import WordVectorsLesson

LESSON = WordVectorsLesson

__all__ = ["LESSON", "WordVectorsLesson"]
