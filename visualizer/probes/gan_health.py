"""Failing-run detectors for GANs (Qt-free, engine-free): the discriminator wins, the generator collapses.

A GAN run fails in two classic ways (Goodfellow 2016, *NIPS tutorial: GANs*, sec. 5; Salimans et al. 2016;
Ogawa, *PyTorch advanced deep learning*, ch. 5):

* **The discriminator wins completely**: D separates real from fake with a margin on every sample, so the
  generator's gradient through D vanishes (the minimax loss log(1 − D(G(z))) saturates) or stops helping.
* **Mode collapse**: the generator maps every z to (almost) the same image; the diversity of a batch of samples
  (mean pairwise L2 distance) falls far below that of real data.

A lesson measures its readings (window means of D's loss or outputs, a diversity ratio) and feeds them here;
these classes only decide *when* a condition has lasted long enough to tell the user, so every GAN lesson
fires the same way.  The API:

* :class:`Streak`: one condition watched over a run; ``update(step, bad) -> bool`` is True exactly when it
  fires (after a warm-up, for ``patience`` consecutive readings covering at least ``min_steps`` steps; once,
  or again after the condition has cleared when ``rearm``); ``cleared`` says when a fired condition ended,
  so that the notice it raised can be withdrawn (a stale notice misleads).
* :class:`GanHealth`: the two failures together: ``update(step, d_wins=..., diversity=...) -> Verdict | None``.
* :func:`mean_pairwise_distance` and :func:`diversity_ratio`: the diversity reading on host arrays.
* :func:`d_wins_message` and :func:`collapse_message`: default texts to pause or notify with.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


class Streak:
    """How long a failure condition has held, in readings and in training steps.

    warmup: readings at steps below it are not judged; patience: consecutive bad readings needed; min_steps:
    training steps the bad readings must cover, counted from the last reading that was not bad (so a reading
    every k steps covers k steps); rearm: fire again once a good reading has ended the streak (else once per
    run).  Attributes: ``count`` (bad readings in a row), ``steps`` (steps they cover), ``fired``, ``active``
    (it fired and no good reading has come since: what it told the user still holds) and ``cleared`` (True
    right after the update whose good reading ended an active streak: withdraw the notice now)."""

    def __init__(self, patience: int = 1, min_steps: int = 0, warmup: int = 0, rearm: bool = False) -> None:
        if patience < 1:
            raise ValueError(f"patience must be >= 1, got {patience}")
        self.patience, self.min_steps, self.warmup, self.rearm = int(patience), int(min_steps), int(warmup), rearm
        self.count = 0
        self.steps = 0
        self.fired = False
        self.active = False
        self.cleared = False
        self._since = 0                       # step of the last reading that was not bad (or not judged)

    def update(self, step: int, bad: bool | None) -> bool:
        """Feed one reading at training ``step`` (counting from 1); True when the streak fires now.  ``bad`` None:
        an undecided reading (between the "bad" and the "recovered" thresholds of a hysteresis) that neither
        extends nor ends the streak.  Sets ``cleared`` when a good reading ends a streak that fired."""
        self.cleared = False
        if bad is None and step >= self.warmup:
            return False
        if step < self.warmup or not bad:
            self.cleared, self.active = self.active, False
            self._since = step
            self.count = self.steps = 0
            if self.rearm and step >= self.warmup:
                self.fired = False
            return False
        self.count += 1
        self.steps = step - self._since
        if self.fired or self.count < self.patience or self.steps < self.min_steps:
            return False
        self.fired = self.active = True
        return True


@dataclass(frozen=True)
class Verdict:
    """A failure found: kind ("d_wins" or "collapse"), the step it fired at, the training steps the condition
    has lasted, and the reading that fired it (the diversity ratio for "collapse", NaN for "d_wins")."""

    kind: str
    step: int
    steps: int
    value: float = float("nan")


class GanHealth:
    """The two failures of a GAN run, each watched by a :class:`Streak`.

    d_wins / collapse: their streaks (None: not watched, e.g. no collapse check for a GAN trained on one class,
    whose samples are alike anyway); collapse_ratio: a diversity ratio (samples' spread / real data's spread)
    below it counts as collapsed; one_verdict: after any verdict, stay silent for the rest of the run (a paused
    run needs one explanation, not two).  Verdicts found so far are in ``verdicts``.

    Example (the SAGAN lesson): ``GanHealth(Streak(5, warmup=300), Streak(5, warmup=300))`` fed every 10 steps
    pauses after five bad readings in a row."""

    def __init__(self, d_wins: Streak | None, collapse: Streak | None = None, *, collapse_ratio: float = 0.15,
                 one_verdict: bool = True) -> None:
        self.d_wins, self.collapse = d_wins, collapse
        self.collapse_ratio = float(collapse_ratio)
        self.one_verdict = one_verdict
        self.verdicts: list[Verdict] = []

    def update(self, step: int, *, d_wins: bool | None = None, diversity: float | None = None) -> Verdict | None:
        """Feed the readings of training ``step``: ``d_wins`` (the lesson's test, e.g. D's loss < 0.05) and/or
        ``diversity`` (samples' mean pairwise distance / real images'); a reading left None is not fed.
        Returns the verdict that fires now (collapse first when both do), else None."""
        if self.one_verdict and self.verdicts:
            return None
        found = None
        if (diversity is not None and self.collapse is not None
                and self.collapse.update(step, bool(diversity < self.collapse_ratio))):
            found = Verdict("collapse", step, self.collapse.steps, float(diversity))
        if (d_wins is not None and self.d_wins is not None and self.d_wins.update(step, bool(d_wins))
                and found is None):
            found = Verdict("d_wins", step, self.d_wins.steps)
        if found is not None:
            self.verdicts.append(found)
        return found


def mean_pairwise_distance(x: np.ndarray) -> float:
    """Mean Euclidean distance between all pairs of rows of x (N, ...) (N ≥ 2), flattened, in float64."""
    x = np.asarray(x).reshape(len(x), -1).astype(np.float64)
    sq = (x * x).sum(1)
    d2 = np.maximum(sq[:, None] + sq[None, :] - 2 * x @ x.T, 0.0)
    n = len(x)
    return float(np.sqrt(d2)[~np.eye(n, dtype=bool)].mean())


def diversity_ratio(fakes: np.ndarray, real_distance: float) -> float:
    """Mean pairwise distance of ``fakes`` (N, ...) divided by the real images' (``real_distance``): near 1 as
    varied as the data, near 0 collapsed."""
    return mean_pairwise_distance(fakes) / max(float(real_distance), 1e-12)


def d_wins_message(steps: int, d_real: float, d_fake: float) -> str:
    """The default pause text when D wins: ``steps`` it has lasted, mean D(x) and D(G(z)) (as the lesson reports
    them: probabilities or raw scores)."""
    return ("The discriminator wins completely: for the last {steps} steps it told every real image from every "
            "fake one with a wide margin (mean D(x) = {d_real:.2f}, mean D(G(z)) = {d_fake:.2f}). Its loss is near "
            "0 and the generator's gradient through it has nearly vanished, so G stops improving. Try: a lower "
            "discriminator learning rate, spectral normalization on, or the hinge loss; then press Reset (R)."
            ).format(steps=steps, d_real=d_real, d_fake=d_fake)


def collapse_message(ratio: float) -> str:
    """The default pause text for mode collapse; ``ratio``: the samples' diversity relative to real images."""
    return ("Mode collapse: the generator's samples became nearly identical (their mean pairwise distance is "
            f"{ratio:.0%} of that between real images). G found one image that fools D and maps every z to it; D "
            "will learn to reject it and G jumps to another, without ever covering all digits. Try a lower "
            "generator learning rate, spectral normalization, or another seed; then press Reset (R).")
