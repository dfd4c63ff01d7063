"""Lesson ``rnn_lm``: RNN, LSTM and GRU language models with truncated BPTT, perplexity, gates, gradient
clipping and text generation."""
from visualizer.core.lesson import LessonInfo, Pacing

INFO = LessonInfo(
    "rnn_lm", "RNN, LSTM and GRU language models", "Sequences & language",
    "Deep Learning from Scratch 2, ch. 5-6 (RNN, gated RNN: LSTM language model); Yoon, ch. 10-11",
    "A recurrent network learns to predict the next word: perplexity, the hidden state and LSTM gates over "
    "time, gradients that vanish or explode back through time and clipping, and text generated from your "
    "prompt with a temperature.", order=30,
    pacing=Pacing(speed=30.0, stop=10, unit="epochs"))
