"""Lesson ``attention``: an attention seq2seq rewrites dates; its attention weights as a live heatmap, and
the learner's own dates (Saitoh, *Deep Learning from Scratch 2*, ch. 8).  The models are those of
``lessons.seq2seq.models``."""
from lessons.attention.model import AttentionLesson

LESSON = AttentionLesson

__all__ = ["LESSON", "AttentionLesson"]
