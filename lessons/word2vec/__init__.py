"""Lesson ``word2vec``: CBOW and skip-gram with negative sampling (Saitoh DLfS2 ch. 3-4)."""
from lessons.word2vec.model import Word2VecLesson

LESSON = Word2VecLesson

__all__ = ["LESSON", "Word2VecLesson"]
