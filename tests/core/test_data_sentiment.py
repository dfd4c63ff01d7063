"""The generated sentiment corpus: labels compose (negation flips, the second clause of a contrast wins),
validation is clean and unseen, and a bag of words fails on the order-dependent part."""
import numpy as np
import pytest

from visualizer.data.sentiment import (NEGATIVE, PHENOMENA, POSITIVE, bag_of_words_accuracy, generate_sentiment,
                                       sentiment_sets)


def _polarity(clause: str) -> int:
    words = clause.split()
    adj = words[-1]
    pol = 1 if adj in POSITIVE else 0 if adj in NEGATIVE else None
    assert pol is not None, clause
    return pol ^ int("not" in words or "never" in words)


def _composed_label(text: str, kind: str) -> int:
    """The label recomputed from the text alone, independently of the generator's bookkeeping."""
    if kind == "contrast":
        for sep in (" . however , ", " but ", " yet ", " , "):
            if sep in text:
                return _polarity(text.split(sep)[-1])
    if kind == "distractor":
        parts = text.split(" and ") if " and " in text else text.split(" , ")
        scored = [p for p in parts if p.split()[-1] in POSITIVE + NEGATIVE]
        return _polarity(scored[0])
    return _polarity(text)


def test_labels_follow_the_composition_rules():
    data = generate_sentiment(600, seed=3)
    assert set(data.phenomena) == set(PHENOMENA)
    for text, label, kind in zip(data.texts, data.labels, data.phenomena):
        assert label == _composed_label(text, kind), (text, kind)
    assert 0.4 < data.labels.mean() < 0.6 and not data.flipped.any()


def test_noise_only_on_train_and_validation_is_unseen_and_deterministic():
    train, val = sentiment_sets(800, 200, seed=1, label_noise=0.1)
    assert 0.05 < train.flipped.mean() < 0.15 and not val.flipped.any()
    assert not set(val.texts) & set(train.texts)
    again, _ = sentiment_sets(800, 200, seed=1, label_noise=0.1)
    assert again.texts == train.texts and np.array_equal(again.labels, train.labels)
    with pytest.raises(ValueError, match="label_noise"):
        generate_sentiment(10, label_noise=0.7)


def test_a_bag_of_words_fails_where_order_matters():
    train, val = sentiment_sets(4000, 1000, seed=0)
    result = bag_of_words_accuracy(train, val)
    per = result["per_phenomenon"]
    assert per["plain"] > 0.8                       # one clause: the adjective decides
    assert per["contrast"] < 0.6                    # same words as the swapped twin
    assert result["val_acc"] < 0.75
