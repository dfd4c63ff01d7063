"""Plot kinds of the ``attention`` lesson: the ``predictions`` table of the ``seq2seq`` lesson (the
heatmaps are the built-in ``matrix`` kind, whose row and column labels are the characters)."""
from lessons.seq2seq.view import PredictionsView

PLOT_VIEWS = {"predictions": PredictionsView}
