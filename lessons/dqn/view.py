"""The dqn lesson's one-off plot kind (Qt): curves over the time steps of the current episode, handed over
whole in each snapshot rather than drawn from the training history."""
import dataclasses

import numpy as np

from visualizer.core.plotdata import CurvesData
from visualizer.ui.plots.curves import CurvesView


class EpisodeCurvesView(CurvesView):
    """Q(s, a) (DQN) or π(a|s) (REINFORCE) of each action along the current episode: x is the time step in the
    episode.  The shared curves view draws it; only the source of the data differs (a snapshot), so a series
    the new snapshot lacks (π after switching to DQN, the grid's four actions after CartPole's two) is emptied
    and leaves the legend instead of staying drawn from an earlier run.

    Every snapshot holds a new episode's curves, of another length and height: the axes keep the room of the
    longest and highest recent episodes (from 0 to a round number) instead of re-laying out for each (about 10 ms a time, 20 times a
    second, while CartPole's early episodes last 10-40 steps); CartPole's x axis is its whole 500 steps
    (``CurvesData.x_range``)."""

    x_fill = 0.1
    y_fill = 0.3
    y_from_zero = True

    def _draw(self, data: CurvesData) -> None:
        empty = (np.zeros(0), np.zeros(0))
        stale = {name: empty for name in self.curves if name not in data.series and "@" not in name}
        if stale:
            data = dataclasses.replace(data, series={**data.series, **stale})
        super()._draw(data)


PLOT_VIEWS = {"episode_curves": EpisodeCurvesView}
