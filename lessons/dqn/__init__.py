"""Lesson ``dqn``: deep Q-learning and policy gradients on CartPole (gymnasium) and on an editable grid world."""
from visualizer.core.lesson import LessonInfo, Pacing

INFO = LessonInfo(
    "dqn", "Deep Q-learning and policy gradients", "Reinforcement",
    "Fundamentals of Deep Learning 2e, ch. 13 (Deep reinforcement learning)",
    "An agent learns to balance a pole (CartPole) by trial and error: DQN with experience replay, a target "
    "network and ε-greedy exploration (Double DQN and Huber toggles), or REINFORCE with and without a baseline; "
    "and tabular Q-learning on a grid world you edit by clicking. Watch the episodes, the returns, the Q-values, "
    "the replay buffer and the value function, and see why DQN's return oscillates.",
    engines=("torch",), order=10,
    # Training runs at the fastest speed limit (1,000 steps/s; "max" lifts it); the environment view plays one
    # episode in ten at real time (50 frames/s), so the cart is watchable whatever the speed.  DQN first
    # balances for 500 steps after about 150,000 steps.
    pacing=Pacing(speed=1000.0, stop=200_000, unit="steps"))
