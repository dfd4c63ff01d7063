"""The word2vec lesson's projector plot: the word map view of ``lessons.word_vectors`` (kind ``"word_map"``).
Qt; imported only by the UI."""
from lessons.word_vectors.view import WordMapView

PLOT_VIEWS = {"word_map": WordMapView}
