"""Lesson ``rnn_lm``: RNN, LSTM and GRU language models with truncated BPTT, perplexity, gates, gradient
clipping and text generation."""
from lessons.rnn_lm.model import RnnLanguageModel, TextData

LESSON = RnnLanguageModel

__all__ = ["LESSON", "RnnLanguageModel", "TextData"]
