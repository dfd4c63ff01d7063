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
