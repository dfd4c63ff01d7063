"""HighlightedTextData: lengths and score range are checked; the CSV has one row per token."""
import numpy as np
import pytest

from visualizer.core.plotdata import PLOT_KINDS, HighlightedTextData


def test_table_has_one_row_per_token_with_its_sentences_label():
    data = HighlightedTextData([["not", "bad"], ["awful"]], [np.array([0.2, 1.0]), np.array([1.0])],
                               ["predicted positive", "predicted negative"], [True, False])
    header, rows = data.table()
    assert header == ["sentence", "token_index", "token", "score", "label"]
    assert rows == [[0, 0, "not", 0.2, "predicted positive"], [0, 1, "bad", 1.0, "predicted positive"],
                    [1, 0, "awful", 1.0, "predicted negative"]]
    assert PLOT_KINDS["highlighted_text"] is HighlightedTextData


@pytest.mark.parametrize("kwargs, message", [
    (dict(sentences=[["a", "b"]], scores=[]), "one array per sentence"),
    (dict(sentences=[["a", "b"]], scores=[np.array([0.1])]), r"must be \(2,\)"),
    (dict(sentences=[["a"]], scores=[np.array([1.5])]), r"in \[0, 1\]"),
    (dict(sentences=[["a"]], scores=[np.array([-0.1])]), r"in \[0, 1\]"),
    (dict(sentences=[["a"]], scores=[np.array([0.5])], labels=["x", "y"]), "labels must be empty"),
    (dict(sentences=[["a"]], scores=[np.array([0.5])], correct=[True, False]), "correct must be empty"),
])
def test_bad_shapes_and_scores_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        HighlightedTextData(**kwargs)


def test_non_finite_scores_are_allowed_and_drawn_as_not_scored():
    data = HighlightedTextData([["a", "b"]], [np.array([np.nan, np.inf])])
    assert len(data.table()[1]) == 2
