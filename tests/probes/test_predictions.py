"""The predictions table probe: exact match of whole answers, strings through the lesson's decoder."""
import numpy as np
import pytest

from visualizer.probes.predictions import exact_match, predictions_data

CHARS = {0: " ", 1: "1", 2: "2", 3: "+"}


def decode(ids):
    return ["".join(CHARS[int(i)] for i in row).rstrip() for row in ids]


def test_exact_match_needs_every_character_padding_included():
    answers = np.array([[1, 2, 0], [2, 0, 0], [1, 1, 0]])
    predicted = np.array([[1, 2, 0], [2, 0, 1], [1, 1, 0]])
    np.testing.assert_array_equal(exact_match(predicted, answers), [True, False, True])
    with pytest.raises(ValueError, match="shape"):
        exact_match(predicted[:, :2], answers)


def test_predictions_data_decodes_and_marks_each_row():
    questions = np.array([[1, 3, 1], [2, 3, 0]])
    answers = np.array([[2, 0], [2, 0]])
    predicted = np.array([[2, 0], [1, 2]])
    data = predictions_data(questions, answers, predicted, decode, step=7, accuracy=0.25)
    assert list(data.questions) == ["1+1", "2+"] and list(data.answers) == ["2", "2"]
    assert list(data.predictions) == ["2", "12"] and list(data.correct) == [True, False]
    assert data.step == 7 and data.accuracy == 0.25
    header, rows = data.table()
    assert header[-1] == "correct" and rows[1] == ["2+", "2", "12", False]
    with pytest.raises(ValueError, match="questions"):
        predictions_data(questions[:1], answers, predicted, decode)
