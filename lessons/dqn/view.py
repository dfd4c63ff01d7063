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
    and leaves the legend instead of staying drawn from an earlier run."""

    def _draw(self, data: CurvesData) -> None:
        empty = (np.zeros(0), np.zeros(0))
        stale = {name: empty for name in self.curves if name not in data.series and "@" not in name}
        if stale:
            data = dataclasses.replace(data, series={**data.series, **stale})
        super()._draw(data)


PLOT_VIEWS = {"episode_curves": EpisodeCurvesView}
