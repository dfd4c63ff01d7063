"""Lesson ``regularization``: an oversized MLP overfits a few hundred digits; L1, L2, dropout, batch
normalization, input noise and early stopping compared run by run."""
from visualizer.core.lesson import LessonInfo, Pacing

INFO = LessonInfo(
    "regularization", "Overfitting and regularization", "Foundations",
    "Deep Learning with Python 2e, ch. 5 (Generalization and regularization)",
    "A big network memorizes 200 digits and fails to generalize. Compare the cures side by side: "
    "L1 and L2 penalties, dropout, batch normalization, input noise and early stopping.", order=30,
    pacing=Pacing(speed=60.0, stop=150, unit="epochs"))
