"""probes.similarity: look-ups with suggestions, neighbours and analogies by cosine similarity, and the two
scores of how well vectors group words."""
import numpy as np
import pytest

from visualizer.core.errors import LessonConfigError
from visualizer.probes.similarity import (analogy, analogy_accuracy, class_agreement, cosine_similarities, lookup,
                                          most_similar, parse_analogy, parse_words, word_scores)


def test_lookup_and_parsing():
    assert lookup(" Cat ", {"cat": 3}) == 3
    with pytest.raises(LessonConfigError, match=r"'dgo' is not in .*Close words.*dog"):
        lookup("dgo", {"dog": 0, "cat": 1})
    with pytest.raises(LessonConfigError, match="man woman king"):
        parse_words("man woman", 3, "The analogy")
    assert parse_words("man : woman = king : ?", 3, "The analogy") == ["man", "woman", "king"]
    w2i = {"man": 0, "woman": 1, "king": 2}
    assert parse_analogy("Man : woman = king : ?", w2i) == (0, 1, 2)
    with pytest.raises(LessonConfigError, match="analogy's word 'kign'"):
        parse_analogy("man woman kign", w2i)


def test_neighbours_and_analogies():
    v = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [-1.0, 0.0]])
    ids, sims = most_similar(v, 0, 2)
    assert ids.tolist() == [1, 2] and sims[0] > 0.99
    assert most_similar(v, 0, 10)[0].tolist() == [1, 2, 3]                  # never itself
    np.testing.assert_allclose(cosine_similarities(v, 0), [1.0, 0.9 / np.hypot(0.9, 0.1), 0.0, -1.0], atol=1e-7)
    assert word_scores("abcd", ids, sims) == [("b", float(sims[0])), ("c", float(sims[1]))]
    # (1,0) : (1,1) = (0,1) : ?  -> the (0,2) direction on unit vectors: closest (0.7, 0.7)
    w = np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 1.0], [0.7, 0.7], [-1.0, 0.0]])
    assert analogy(w, 0, 1, 2, 1)[0].tolist() == [3]


def test_analogy_accuracy_and_class_agreement():
    # a king-queen / man-woman parallelogram: man : woman = king : queen is answered right
    v = np.array([[1.0, 0.0, 0.2], [1.0, 1.0, 0.2], [0.0, 0.0, 1.0], [0.0, 1.0, 1.0], [-1.0, -1.0, 0.0]])
    assert analogy_accuracy(v, np.array([[0, 1, 2, 3]])) == 1.0
    assert analogy_accuracy(v, np.array([[0, 1, 2, 4]])) == 0.0
    assert analogy_accuracy(v, np.zeros((0, 4), dtype=np.int64)) == 0.0
    classes = np.array([0, 0, 1, 1, 1])
    pairs = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9], [-1.0, 0.0]])
    assert class_agreement(pairs, classes, np.arange(4)) == 1.0             # each one's neighbour is its twin
    assert class_agreement(pairs, np.array([0, 1, 0, 1, 0]), np.arange(4)) == 0.0
    assert class_agreement(pairs, classes, np.array([0])) == 0.0
