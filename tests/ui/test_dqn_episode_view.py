"""The dqn lesson's episode-curves view empties the series a new snapshot lacks (π after switching to DQN, the
grid's actions after CartPole's), so an earlier run's curves do not stay drawn as if current."""
import numpy as np

from visualizer.core.plotdata import CurvesData, PlotSpec
from visualizer.ui.plots import make_plot_view


def test_series_missing_from_a_new_snapshot_leave_the_plot_and_legend(qtbot):
    spec = PlotSpec("q_episode", "Along the episode", "episode_curves", series=("Q(s, left)", "Q(s, right)"))
    from lessons.dqn.lesson import LESSON
    view = make_plot_view(spec, LESSON)
    qtbot.addWidget(view)
    t = np.arange(5.0)
    view.set_data(CurvesData({"π(left | s)": (t, t / 10), "π(right | s)": (t, 1 - t / 10)}))
    view.set_data(CurvesData({"Q(s, up)": (t, t), "Q(s, left)": (t, -t)}))
    drawn = {name for name, c in view.curves.items() if len(c.getData()[0] if c.getData()[0] is not None else [])}
    assert drawn == {"Q(s, up)", "Q(s, left)"}
    assert {name for name, c in view.curves.items() if c.in_legend} == {"Q(s, up)", "Q(s, left)"}


def test_the_axes_stay_put_while_episodes_of_other_lengths_and_heights_follow_each_other(qtbot):
    """CartPole's episode is drawn on its whole 500 steps (CurvesData.x_range) and Q on a y axis from 0 to a round
    number: 40 snapshots of episodes of 5-60 steps and Q 0.9-1.1 move neither axis after the first."""
    spec = PlotSpec("q_episode", "Along the episode", "episode_curves", series=("Q(s, left)", "Q(s, right)"))
    from lessons.dqn.lesson import LESSON
    view = make_plot_view(spec, LESSON)
    qtbot.addWidget(view)
    view.resize(500, 350)
    view.show()
    changes = []
    view.plot_item.vb.sigRangeChanged.connect(lambda *_: changes.append(1))
    rng = np.random.default_rng(0)
    for i in range(40):
        n = int(rng.integers(5, 60))
        t = np.arange(float(n))
        q = 1.0 + 0.1 * rng.standard_normal((n, 2))
        view.set_data(CurvesData({"Q(s, left)": (t, q[:, 0]), "Q(s, right)": (t, q[:, 1])}, x_range=(0.0, 500.0)))
        if i == 0:
            changes.clear()
    assert changes == []
    (x0, x1), (y0, y1) = view.plot_item.vb.viewRange()
    assert (x0, x1) == (0.0, 500.0) and y0 == 0.0 and 1.3 <= y1 <= 2.0
    t = np.arange(3.0)                                      # Q grows ten-fold: the axis follows, still from 0
    view.set_data(CurvesData({"Q(s, left)": (t, 10 * np.ones(3)), "Q(s, right)": (t, 12 * np.ones(3))},
                             x_range=(0.0, 500.0)))
    assert view.plot_item.vb.viewRange()[1] == [0.0, 15.0]
