"""The dqn lesson's one-off plot kind (Qt): curves over the time steps of the current episode, handed over
whole in each snapshot rather than drawn from the training history."""
from visualizer.ui.plots.curves import CurvesView


class EpisodeCurvesView(CurvesView):
    """Q(s, a) (DQN) or π(a|s) (REINFORCE) of each action along the current episode: x is the time step in the
    episode.  The shared curves view draws it; only the source of the data differs (a snapshot)."""


PLOT_VIEWS = {"episode_curves": EpisodeCurvesView}
