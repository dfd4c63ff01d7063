"""Lesson ``attention``: an attention seq2seq rewrites dates; its attention weights as a live heatmap, and
the learner's own dates (Saitoh, *Deep Learning from Scratch 2*, ch. 8).  The model is
``visualizer.models.attention_seq2seq``."""
from visualizer.core.lesson import LessonInfo, Pacing

INFO = LessonInfo(
    "attention", "Attention: where the decoder looks", "Sequences & language",
    "Deep Learning from Scratch 2, ch. 8 (Attention: date-format conversion)",
    "A seq2seq with attention learns to turn 'september 27, 1994' into 1994-09-27. Watch its attention "
    "weights line each output character up with the input characters it reads, and type your own date.", order=50,
    pacing=Pacing(speed=30.0, stop=3, unit="epochs"))
