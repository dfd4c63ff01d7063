"""A generated movie-review sentiment corpus where word order matters (Qt-free).

Short reviews are built from clauses ("the acting was truly wonderful") whose polarity composes:
an intensifier keeps it, a negation flips it ("not good" is negative, "not bad" is positive: litotes), and
in a contrast the second clause wins ("the plot was good but the acting was awful" is negative, its swapped
twin positive).  Neutral distractor clauses ("we watched it on a sunday") carry no sentiment.  A contrast
has the same bag of words as its swapped twin with the opposite label, and a negation needs the word *before*
the adjective, so a bag-of-words classifier stays near chance on those and well below a model that reads
order (Ogawa, *PyTorch advanced deep learning* ch. 7 trains its Transformer on IMDb; this corpus is the
offline stand-in, with the phenomena named so that the lesson can score each).  Label noise (flipped labels)
goes on the training set only; the validation set is clean and holds no sentence of the training set.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PHENOMENA = ("plain", "intensifier", "negation", "litotes", "contrast", "distractor")
"""The kind of each review: one clause; one intensified clause; a negated positive clause; a negated
negative clause ("not bad"); two clauses of opposite polarity joined by a contrast (the second wins); a
clause with a neutral distractor clause."""

SUBJECTS = ("the plot", "the acting", "the film", "the movie", "the story", "the soundtrack", "the ending",
            "the dialogue", "the cast", "the script", "the direction", "the camera work", "the pacing",
            "the humour", "the lead actor", "the villain", "it")
VERBS = ("was", "is", "felt", "seemed")
NEGATED_VERBS = ("was not", "is not", "was never", "is never", "did not feel", "did not seem", "never felt",
                 "never seemed")
POSITIVE = ("good", "great", "wonderful", "brilliant", "superb", "moving", "charming", "delightful", "excellent",
            "gripping", "beautiful", "clever", "fun", "enjoyable", "touching")
NEGATIVE = ("bad", "awful", "terrible", "boring", "dull", "weak", "clumsy", "tedious", "poor", "bland",
            "predictable", "messy", "painful", "forgettable", "silly")
INTENSIFIERS = ("very", "really", "truly", "extremely", "incredibly", "so", "quite", "absolutely")
CONTRASTS = ("but", "yet", "although", "however")
DISTRACTORS = ("we watched it on a sunday", "i saw it with my brother", "it runs for two hours",
               "my cousin picked it", "the cinema was full", "it came out last year", "i had popcorn",
               "we went after dinner", "the screen was huge", "i read the book first", "the trailer ran twice",
               "we sat in the back row")
_P = {"plain": 0.12, "intensifier": 0.1, "negation": 0.11, "litotes": 0.11, "contrast": 0.36, "distractor": 0.2}


@dataclass
class SentimentSet:
    """Generated reviews.  texts: N strings; labels: (N,) int64, 1 positive, 0 negative (after noise);
    phenomena: N tags from :data:`PHENOMENA`; flipped: (N,) bool, True where label noise flipped the label."""

    texts: list[str]
    labels: np.ndarray
    phenomena: list[str]
    flipped: np.ndarray

    def __len__(self) -> int:
        return len(self.texts)

    def subset(self, idx) -> "SentimentSet":
        """The reviews at ``idx`` (an index array), in that order."""
        idx = np.asarray(idx, dtype=np.int64)
        return SentimentSet([self.texts[i] for i in idx], self.labels[idx], [self.phenomena[i] for i in idx],
                            self.flipped[idx])


def _clause(rng: np.random.Generator, polarity: int, negate: bool, intensify: bool) -> str:
    """A clause whose meaning has ``polarity`` (1 positive, 0 negative)."""
    adj_pol = polarity ^ int(negate)                      # negation flips: a negated clause needs the opposite adjective
    adj = rng.choice(POSITIVE if adj_pol else NEGATIVE)
    words = [rng.choice(SUBJECTS), rng.choice(NEGATED_VERBS if negate else VERBS)]
    if intensify:
        words.append(rng.choice(INTENSIFIERS))
    return " ".join(words + [adj])


def _review(rng: np.random.Generator, kind: str, label: int) -> str:
    if kind == "plain":
        return _clause(rng, label, False, False)
    if kind == "intensifier":
        return _clause(rng, label, False, True)
    if kind in ("negation", "litotes"):
        # "negation": a positive adjective negated (negative meaning); "litotes": a negative one (positive)
        label_for_kind = 0 if kind == "negation" else 1
        return _clause(rng, label_for_kind, True, rng.random() < 0.3)
    if kind == "contrast":
        first = _clause(rng, 1 - label, rng.random() < 0.2, rng.random() < 0.3)
        second = _clause(rng, label, rng.random() < 0.2, rng.random() < 0.3)
        word = rng.choice(CONTRASTS)
        if word == "although":
            return f"although {first} , {second}"
        if word == "however":
            return f"{first} . however , {second}"
        return f"{first} {word} {second}"
    if kind == "distractor":
        clause = _clause(rng, label, rng.random() < 0.2, rng.random() < 0.3)
        extra = rng.choice(DISTRACTORS)
        return f"{extra} and {clause}" if rng.random() < 0.5 else f"{clause} , {extra}"
    raise ValueError(f"unknown phenomenon {kind!r}")


def generate_sentiment(n: int, seed: int = 0, *, label_noise: float = 0.0,
                       exclude: frozenset[str] | set[str] = frozenset()) -> SentimentSet:
    """``n`` generated reviews, balanced labels, phenomena drawn with fixed shares (contrast the largest).
    ``label_noise``: the share of labels flipped at random (the true label is the composed polarity).
    ``exclude``: texts not to generate (a training set, so that validation holds only unseen reviews).
    Deterministic for (n, seed, label_noise, exclude).  Raises ValueError for n < 1, a noise outside [0, 0.5)
    or an ``exclude`` that leaves too few distinct reviews."""
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    if not 0.0 <= label_noise < 0.5:
        raise ValueError(f"label_noise must be in [0, 0.5), got {label_noise}")
    rng = np.random.default_rng(seed)
    kinds, shares = list(_P), np.array(list(_P.values()))
    texts, labels, tags = [], [], []
    tries = 0
    while len(texts) < n:
        tries += 1
        if tries > 50 * n + 1000:
            raise ValueError(f"could not generate {n} reviews outside the {len(exclude)} excluded ones")
        kind = kinds[rng.choice(len(kinds), p=shares / shares.sum())]
        label = {"negation": 0, "litotes": 1}.get(kind, int(rng.integers(2)))
        text = _review(rng, kind, label)
        if text in exclude:
            continue
        texts.append(text)
        labels.append(label)
        tags.append(kind)
    y = np.asarray(labels, dtype=np.int64)
    flipped = rng.random(n) < label_noise
    return SentimentSet(texts, np.where(flipped, 1 - y, y), tags, flipped)


def sentiment_sets(n_train: int, n_val: int, seed: int = 0,
                   label_noise: float = 0.03) -> tuple[SentimentSet, SentimentSet]:
    """(train, val): ``label_noise`` on the training labels only; the validation reviews are clean and none
    of them occurs in the training set."""
    train = generate_sentiment(n_train, seed, label_noise=label_noise)
    val = generate_sentiment(n_val, seed + 7919, exclude=frozenset(train.texts))
    return train, val


def bag_of_words_accuracy(train: SentimentSet, val: SentimentSet) -> dict:
    """The bag-of-words baseline: scikit-learn's logistic regression on unigram counts (word order thrown
    away).  Returns {"val_acc": float, "per_phenomenon": {tag: accuracy}, "n_features": int}."""
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression

    vec = CountVectorizer(token_pattern=r"[a-z']+")
    x_train = vec.fit_transform(train.texts)
    clf = LogisticRegression(max_iter=2000, C=1.0).fit(x_train, train.labels)
    pred = clf.predict(vec.transform(val.texts))
    right = pred == val.labels
    tags = np.asarray(val.phenomena)
    return {"val_acc": float(right.mean()),
            "per_phenomenon": {k: float(right[tags == k].mean()) for k in PHENOMENA if np.any(tags == k)},
            "n_features": int(x_train.shape[1])}
