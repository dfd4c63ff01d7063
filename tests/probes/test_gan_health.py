"""visualizer.probes.gan_health: streaks fire after warm-up, patience and a step span, once or re-armed; the
two GAN failures with their texts; the diversity reading."""
import math

import numpy as np
import pytest

from visualizer.probes.gan_health import (GanHealth, Streak, collapse_message, d_wins_message, diversity_ratio,
                                          mean_pairwise_distance)


def test_streak_waits_for_warmup_and_patience_and_fires_once():
    s = Streak(patience=3, warmup=10)
    assert [s.update(t, True) for t in (5, 10, 11)] == [False, False, False]     # 5: before the warm-up
    assert s.update(12, True) and s.fired and s.count == 3 and s.steps == 12 - 5
    assert not s.update(13, True)                                                 # once per run
    assert not s.update(14, False) and not s.update(15, True) and s.fired          # no re-arming by default


def test_streak_counts_steps_between_readings_and_rearms():
    s = Streak(min_steps=150, rearm=True)
    fired = [t for t in range(1, 401) if s.update(t, t < 200 or t > 250)]
    assert fired == [150, 250 + 150]
    sparse = Streak(min_steps=150)
    fired = [t for t in range(10, 400, 10) if sparse.update(t, True)]             # a reading every 10 steps
    assert fired == [150]
    with pytest.raises(ValueError):
        Streak(patience=0)


def test_gan_health_collapse_first_and_one_verdict_per_run():
    h = GanHealth(Streak(2), Streak(2), collapse_ratio=0.15)
    assert h.update(1, d_wins=True, diversity=0.05) is None
    v = h.update(2, d_wins=True, diversity=0.05)
    assert v.kind == "collapse" and v.value == pytest.approx(0.05) and v.steps == 2
    assert h.update(3, d_wins=True, diversity=0.05) is None and len(h.verdicts) == 1


def test_gan_health_watches_only_what_it_is_given():
    h = GanHealth(Streak(1), None)
    assert h.update(1, diversity=0.0) is None
    v = h.update(2, d_wins=True)
    assert v.kind == "d_wins" and math.isnan(v.value)
    many = GanHealth(Streak(1, rearm=True), None, one_verdict=False)
    assert [bool(many.update(t, d_wins=t != 2)) for t in (1, 2, 3)] == [True, False, True]


def test_messages_name_the_failure():
    assert "discriminator wins" in d_wins_message(40, 3.0, -3.0) and "40 steps" in d_wins_message(40, 3.0, -3.0)
    assert "Mode collapse" in collapse_message(0.05) and "5%" in collapse_message(0.05)


def test_diversity_of_copies_is_zero_and_of_the_data_is_one():
    x = np.random.default_rng(0).normal(size=(10, 4, 4))
    d = mean_pairwise_distance(x)
    a, b = x[0].ravel(), x[1].ravel()
    assert d > 0 and mean_pairwise_distance(x[:2]) == pytest.approx(np.linalg.norm(a - b))
    assert diversity_ratio(x, d) == pytest.approx(1.0)
    assert diversity_ratio(np.repeat(x[:1], 5, axis=0), d) == pytest.approx(0.0, abs=1e-6)


def test_undecided_readings_neither_extend_nor_end_a_streak():
    s = Streak(patience=3)
    assert [s.update(t, bad) for t, bad in ((1, True), (2, None), (3, True), (4, None))] == [False] * 4
    assert s.count == 2 and s.update(5, True) and s.steps == 5


def test_streak_says_when_a_fired_condition_has_cleared():
    s = Streak(patience=2, rearm=False)
    assert [s.update(i, True) for i in (1, 2)] == [False, True] and s.active and not s.cleared
    assert not s.update(3, None) and not s.cleared and s.active          # undecided: still holds
    assert not s.update(4, False) and s.cleared and not s.active        # the notice can go now
    assert not s.update(5, False) and not s.cleared                     # said once
    fresh = Streak(patience=3)
    fresh.update(1, True)
    fresh.update(2, False)
    assert not fresh.cleared                                             # it never fired: nothing to withdraw
