"""The hyperparameters and plots of the ``dqn`` lesson (declarations only)."""
from visualizer.core.hyperparams import BoolParam, ChoiceParam, FloatParam, IntParam, TextParam
from visualizer.core.plotdata import GRID_CELLS, PlotSpec

try:                                              # the grid world's own default (its module owns the map format)
    from visualizer.data.grid_world import DEFAULT_GRID_MAP
except ImportError:                               # pragma: no cover - until the grid world is merged
    DEFAULT_GRID_MAP = "S...#../.##.#.P/...#.../.P...#./..#..#./.#..##./...P..G"
METHODS = ("dqn", "reinforce")
ENVS = ("cartpole", "grid", "atari")
ATARI_GAMES = ("pong", "breakout")          # lessons/dqn/atari_run.py: GAMES maps them to gymnasium ids
ANIMATIONS = ("watch", "fast")

PARAMS = (
    ChoiceParam("method", "Method", "dqn", METHODS,
                tooltip="dqn: deep Q-learning (Mnih et al. 2015) from a replay buffer, with a target network and "
                        "ε-greedy exploration. reinforce: the policy gradient of Williams (1992), one update per "
                        "episode (CartPole only). On the grid world the agent is always tabular Q-learning."),
    ChoiceParam("env", "Environment", "cartpole", ENVS,
                tooltip="cartpole: gymnasium's CartPole-v1: push the cart left or right to keep the pole up; "
                        "+1 per step, at most 500 steps. grid: a grid world with walls, pits (−1) and a goal "
                        "(+1) that you edit by clicking, learned with a table of Q-values. atari: an Atari game "
                        "(Atari game setting) through ale-py, DQN only, for CUDA machines (Device cuda): 84×84 "
                        "grey frames, 4 stacked, the Nature DQN network, rewards clipped to ±1. Settings that "
                        "suit it (Mnih et al. 2015, CleanRL): learning rate 1e-4, batch 32, replay buffer "
                        "100,000 or more (3.5 GB of frames), target sync 1,000, train every 4, warm-up 80,000 "
                        "(10,000 for a first look), ε 1 → 0.01 over 1,000,000 steps."),
    ChoiceParam("atari_game", "Atari game", "pong", ATARI_GAMES,
                tooltip="Atari only: pong (ALE/Pong-v5: return the ball; +1 or −1 per point, a game to 21, "
                        "scores from −21 to +21) or breakout (ALE/Breakout-v5: break bricks with the ball, five "
                        "lives). v5's sticky actions (25 %) are kept; a step is 4 frames."),
    BoolParam("double_dqn", "Double DQN", True, live=True,
              tooltip="On: the online network picks the next action, the target network values it (van Hasselt "
                      "et al. 2016): y = r + γ Q_target(s', argmax_a Q_online(s', a)). Off: y = r + γ max_a "
                      "Q_target(s', a), which overestimates Q when its estimates are noisy."),
    BoolParam("huber", "Huber loss", True, live=True,
              tooltip="On: the Huber loss of the TD error δ (quadratic for |δ| < 1, linear beyond: the gradient "
                      "is clipped to ±1, as Mnih et al. clipped the error). Off: ½ δ² (mean squared error)."),
    BoolParam("baseline", "REINFORCE baseline", True,
              tooltip="REINFORCE only. On: subtract a learned state value V(s) from the return (Sutton & Barto "
                      "ch. 13.4): same expected gradient, much less variance. Off: plain REINFORCE."),
    FloatParam("lr", "Learning rate", 5e-4, 1e-6, 1.0, log=True, live=True, decimals=6,
               tooltip="Adam's step size for the network (DQN: the Q-network; REINFORCE: the policy and the "
                       "value network). On the grid world: the tabular step size α. Too high and the Q-values "
                       "diverge: the run pauses and says so."),
    FloatParam("gamma", "Discount γ", 0.99, 0.0, 0.999, live=True, decimals=3,
               tooltip="How much a reward one step later is worth. Returns are at most 1/(1 − γ) on CartPole "
                       "(100 for γ = 0.99)."),
    IntParam("batch_size", "Batch size", 128, 1, 1024, live=True, log=True,
             tooltip="DQN: transitions sampled from the replay buffer per update."),
    IntParam("buffer_size", "Replay buffer size", 20_000, 100, 1_000_000, log=True,
             tooltip="DQN: how many of the latest transitions the buffer keeps (older ones are overwritten)."),
    IntParam("target_sync", "Target sync period", 1000, 1, 100_000, live=True, log=True,
             tooltip="DQN: environment steps between copies of the online network into the target network. "
                     "1 means no target network (the target moves with every update)."),
    IntParam("train_every", "Train every (steps)", 4, 1, 64, live=True,
             tooltip="DQN: environment steps between two updates of the Q-network."),
    IntParam("warmup", "Warm-up steps", 1000, 0, 100_000, live=True, log=False,
             tooltip="DQN: random steps that fill the buffer before the first update."),
    FloatParam("eps_start", "ε start", 1.0, 0.0, 1.0, live=True, decimals=3,
               tooltip="DQN and grid: the share of random actions at the start of the run."),
    FloatParam("eps_end", "ε end", 0.05, 0.0, 1.0, live=True, decimals=3,
               tooltip="DQN and grid: the share of random actions after the decay. Must not be above ε start."),
    IntParam("eps_decay_steps", "ε decay steps", 20_000, 0, 1_000_000, live=True, log=False,
             tooltip="DQN and grid: environment steps over which ε falls linearly from its start to its end."),
    IntParam("hidden", "Hidden units", 128, 8, 512, log=True,
             tooltip="Width of each of the two hidden ReLU layers of the networks (CartPole; Atari uses the "
                     "Nature DQN's convolutions and 512 units)."),
    ChoiceParam("animation", "Animation", "watch", ANIMATIONS, live=True,
                tooltip="watch: every step of one episode in ten, played at real time (50 frames/s) while "
                        "training runs on (Atari: clips of 48 steps at 15 steps/s). fast: the latest frames of "
                        "the current episode (Atari: the latest screen)."),
    TextParam("grid_map", "Grid map", DEFAULT_GRID_MAP, max_length=2000,
              tooltip="Grid world only. Rows separated by '/': '.' empty, '#' wall, 'G' goal (+1, ends the "
                      "episode), 'P' pit (−1, ends it), 'S' start. Click the picture to edit: each edit is "
                      "written here, so Reset keeps it."),
    ChoiceParam("grid_tool", "Grid paint", "wall", GRID_CELLS, live=True,
                tooltip="Grid world only: what a click on the picture paints into the cell."),
    TextParam("grid_edit", "Grid edit", "", live=True, max_length=20,
              tooltip="Grid world only: 'row,col' of the cell to paint (set by clicking the picture)."),
)
VIEW_PARAMS = frozenset({"animation", "grid_tool"})

PLOTS = (
    PlotSpec("environment", "The environment, live", "environment", main="tall",
             tooltip="CartPole drawn from its state (cart position, pole angle): the agent pushes left or right; "
                     "the episode ends when the pole leans more than 12° or the cart leaves the track, or after "
                     "500 steps. Watch mode plays one episode in ten at real time. On the grid world: the "
                     "cells coloured by V(s) = max_a Q(s, a), arrows for the greedy policy; click to edit. On "
                     "Atari: the game's screen (before the 84×84 grey frames the network sees) and a Q bar per "
                     "action, the greedy one in blue."),
    PlotSpec("returns", "Episodic return", "curves", series=("episode_return", "return_mean_20"),
             x_label="step", y_label="return",
             tooltip="episode_return: the sum of rewards of each finished episode, at the step it ended. "
                     "return_mean_20: the mean over the last 20 episodes. CartPole pays +1 per step: 500 is a "
                     "perfect episode. Atari: the game's own score (Pong: −21 to +21), not the clipped rewards "
                     "the agent learns from. Earlier runs on another environment are not drawn here."),
    PlotSpec("q_episode", "Along the current episode: Q(s, a) or π(a|s)", "episode_curves",
             series=("Q(s, left)", "Q(s, right)"), x_label="time step in the episode", y_label="value",
             tooltip="DQN: the Q-value of each action at every state of the current episode (the agent picks "
                     "the higher one unless it explores). A good Q stays near 1/(1 − γ) while the pole is up and "
                     "drops before it falls. REINFORCE: the policy's probability of each action. Atari: one "
                     "curve per action of the game (the latest 1,000 steps of the episode)."),
    PlotSpec("td", "TD error and loss", "curves", series=("td_error", "loss", "policy_loss", "value_loss"),
             x_label="step", y_label="value",
             tooltip="DQN: td_error = mean |Q(s, a) − y| over the batch, loss = the Huber or squared loss of it. "
                     "REINFORCE: the policy loss −mean (G − b) log π(a|s) and the value loss ½(V − G)², in units "
                     "of 1/(1 − γ)."),
    PlotSpec("q_mean", "Q-value estimates", "curves", series=("q_mean",), x_label="step",
             y_label="mean Q(s, a) of the batch",
             tooltip="The mean Q-value of the replayed batch. It cannot honestly exceed the largest possible "
                     "return 1/(1 − γ) (100 at γ = 0.99); plain DQN often overshoots, Double DQN less."),
    PlotSpec("epsilon", "Exploration ε", "curves", series=("epsilon",), x_label="step",
             y_label="probability of a random action", y_range=(0.0, 1.0),
             tooltip="The share of random actions (ε-greedy), falling linearly from ε start to ε end."),
    PlotSpec("replay", "Replay buffer: stored states", "scatter", x_label="pole angle θ (rad)",
             y_label="angular velocity θ̇ (rad/s)",
             tooltip="Stored states (up to 2,000 drawn evenly from the buffer) by pole angle and angular "
                     "velocity, coloured by max_a Q(s, a) under the current network. Early: random actions, "
                     "short episodes, wide spread. Later: the agent keeps the pole near upright. "
                     "CartPole only: an Atari state is a stack of four screens, with no two axes to plot."),
    PlotSpec("value", "Value function over a slice", "image", x_label="pole angle θ (rad)",
             y_label="angular velocity θ̇ (rad/s)",
             tooltip="max_a Q(s, a) (DQN), V(s) (REINFORCE with a baseline) or π(right|s) (without one) on a grid "
                     "of pole angles and angular velocities, with the cart at rest in the middle (x = ẋ = 0). "
                     "Dots: the states of the current episode. CartPole only."),
    PlotSpec("speed", "Steps per second", "curves", series=("steps_per_s",), x_label="step",
             y_label="environment steps/s",
             tooltip="Environment steps per second of wall-clock time, over windows of about half a second."),
    PlotSpec("episodes", "Episode log", "table",
             tooltip="One row per episode, newest first (the last 1,000): its return, length, ε at its end, "
                     "environment steps at its end and seconds since the run started. Export it as CSV."),
)
