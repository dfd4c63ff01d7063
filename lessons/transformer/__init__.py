"""Lesson ``transformer``: a Transformer encoder classifies generated movie reviews, and every head's attention
shows as it trains (Ogawa, *PyTorch advanced deep learning* ch. 7).  The model is
``visualizer.models.text_classifier_torch``."""
from visualizer.core.lesson import LessonInfo, Pacing

INFO = LessonInfo(
    "transformer", "Transformer: attention reads a review", "Sequences & language",
    "PyTorch advanced deep learning (Ogawa), ch. 7 (Transformer sentiment classifier); Vaswani et al. 2017; "
    "Deep Learning with Python 2e (Chollet), ch. 11 (Transformers for text)",
    "A small Transformer encoder learns the sentiment of generated reviews where word order matters ('not "
    "good', 'good but dull') and beats a bag of words. Watch every head's attention form on a sentence you "
    "type, the words [CLS] looks at, the positional encoding and the word embeddings.",
    engines=("torch",), order=60, pacing=Pacing(speed=30.0, stop=1000, unit="steps"))
