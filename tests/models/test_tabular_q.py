import numpy as np
import pytest

from visualizer.models.tabular_q import TabularQ


def test_one_q_learning_update_by_hand():
    t = TabularQ(3, 2, alpha=0.5, gamma=0.9)
    t.q[:] = [[0.2, -0.4], [0.0, 0.0], [1.0, 3.0]]
    # delta = r + gamma max_a Q(2, a) - Q(0, 1) = -0.01 + 0.9 * 3 - (-0.4) = 3.09
    delta = t.update(0, 1, -0.01, 2, False)
    assert delta == pytest.approx(3.09)
    assert t.q[0, 1] == pytest.approx(-0.4 + 0.5 * 3.09)
    assert t.visits[0, 1] == 1 and t.visits.sum() == 1
    # A terminal step does not bootstrap: delta = 1 - Q(1, 0).
    assert t.update(1, 0, 1.0, 2, True) == pytest.approx(1.0) and t.q[1, 0] == pytest.approx(0.5)


def test_sarsa_bootstraps_from_the_next_action_taken():
    t = TabularQ(2, 2, alpha=1.0, gamma=0.5, method="sarsa")
    t.q[1] = [4.0, -2.0]
    assert t.update(0, 0, 0.0, 1, False, next_action=1) == pytest.approx(-1.0)
    with pytest.raises(ValueError, match="next action"):
        t.update(0, 0, 0.0, 1, False)


def test_epsilon_greedy_breaks_ties_at_random_and_explores():
    rng = np.random.default_rng(0)
    t = TabularQ(2, 4)
    picks = {t.act(0, 0.0, rng) for _ in range(200)}
    assert picks == {0, 1, 2, 3}                 # all-zero row: every action is greedy
    t.q[1, 2] = 1.0
    assert {t.act(1, 0.0, rng) for _ in range(50)} == {2}
    explored = [t.act(1, 1.0, rng) for _ in range(400)]
    assert set(explored) == {0, 1, 2, 3}


def test_checks_and_state_dict_round_trip():
    with pytest.raises(ValueError, match=r"alpha must lie in \(0, 1\]"):
        TabularQ(2, 2, alpha=1.5)
    with pytest.raises(ValueError, match="unknown method"):
        TabularQ(2, 2, method="td")
    t = TabularQ(3, 4)
    t.update(1, 2, 1.0, 0, True)
    d = t.state_dict()
    u = TabularQ(3, 4)
    u.load_state_dict(d)
    assert np.array_equal(u.q, t.q) and np.array_equal(u.visits, t.visits)
    with pytest.raises(ValueError, match="is \\(2, 4\\)"):
        u.load_state_dict({"q": np.zeros((2, 4)), "visits": np.zeros((2, 4))})
    bad = dict(d, q=np.full((3, 4), np.nan))
    with pytest.raises(ValueError, match="NaN"):
        u.load_state_dict(bad)
    assert np.array_equal(u.q, t.q)
    u.reset_states(np.array([1]))
    assert not u.q[1].any() and not u.visits[1].any()
