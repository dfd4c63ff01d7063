"""Tabular action values learned from experience: Q-learning (Watkins 1989; Sutton and Barto, *Reinforcement
Learning: An Introduction*, ch. 6.5) and SARSA (Rummery and Niranjan 1994; Sutton and Barto ch. 6.4), with
ε-greedy exploration.  NumPy only; one transition per update, as in the book's boxed algorithms.
"""
from __future__ import annotations

import numpy as np

METHODS = ("q_learning", "sarsa")


class TabularQ:
    """A table Q (S, A) float64 of action values, all 0 at first, and the update rules that learn it.

    alpha: step size in (0, 1]; gamma: discount in [0, 1]; method: "q_learning" (off-policy target
    r + γ max_a' Q(s', a')) or "sarsa" (on-policy target r + γ Q(s', a') of the action actually taken next).
    visits (S, A) int64 counts the updates of each entry.  Raises ValueError for sizes below 1, alpha
    outside (0, 1], gamma outside [0, 1] or an unknown method."""

    def __init__(self, n_states: int, n_actions: int, alpha: float = 0.5, gamma: float = 0.99,
                 method: str = "q_learning") -> None:
        if n_states < 1 or n_actions < 1:
            raise ValueError(f"a Q table needs at least one state and one action, got ({n_states}, {n_actions})")
        self.q = np.zeros((n_states, n_actions), dtype=np.float64)          # (S, A)
        self.visits = np.zeros((n_states, n_actions), dtype=np.int64)      # (S, A)
        self.alpha, self.gamma, self.method = alpha, gamma, method
        self.check(alpha, gamma, method)

    @staticmethod
    def check(alpha: float, gamma: float, method: str) -> None:
        """Raise ValueError for alpha outside (0, 1], gamma outside [0, 1] or an unknown method."""
        if not 0.0 < alpha <= 1.0:
            raise ValueError(f"the tabular step size alpha must lie in (0, 1], got {alpha:g}: above 1 every "
                             "update overshoots its target")
        if not 0.0 <= gamma <= 1.0:
            raise ValueError(f"the discount gamma must lie in [0, 1], got {gamma:g}")
        if method not in METHODS:
            raise ValueError(f"unknown method {method!r}; one of {', '.join(METHODS)}")

    def act(self, state: int, epsilon: float, rng: np.random.Generator) -> int:
        """ε-greedy: a uniformly random action with probability ``epsilon``, else a greedy one (ties broken
        at random, so an all-zero row does not always pick action 0)."""
        row = self.q[state]
        if rng.random() < epsilon:
            return int(rng.integers(row.size))
        best = np.flatnonzero(row == row.max())
        return int(best[0] if best.size == 1 else rng.choice(best))

    def update(self, state: int, action: int, reward: float, next_state: int, terminal: bool,
               next_action: int | None = None) -> float:
        """One backup Q(s, a) += α δ with the TD error δ = r + γ (1 - terminal) bootstrap - Q(s, a), the
        bootstrap being max_a' Q(s', a') (Q-learning) or Q(s', a') of ``next_action`` (SARSA; ValueError when
        it is missing and the step is not terminal).  Returns δ (reward units)."""
        if terminal:
            boot = 0.0
        elif self.method == "q_learning":
            boot = self.q[next_state].max()
        elif next_action is None:
            raise ValueError("SARSA needs the next action to bootstrap from")
        else:
            boot = self.q[next_state, next_action]
        delta = reward + self.gamma * boot - self.q[state, action]
        self.q[state, action] += self.alpha * delta
        self.visits[state, action] += 1
        return float(delta)

    def greedy(self) -> np.ndarray:
        """(S,) int64 the first best action of each state."""
        return self.q.argmax(axis=1)

    def values(self) -> np.ndarray:
        """(S,) float64 V(s) = max_a Q(s, a)."""
        return self.q.max(axis=1)

    def reset_states(self, states: np.ndarray) -> None:
        """Forget what was learned about ``states`` (K,) ints: their Q rows and visit counts return to 0."""
        self.q[states] = 0.0
        self.visits[states] = 0

    def state_dict(self) -> dict[str, np.ndarray]:
        """NumPy copies: {"q": (S, A) float64, "visits": (S, A) int64}."""
        return {"q": self.q.copy(), "visits": self.visits.copy()}

    def load_state_dict(self, d: dict[str, np.ndarray]) -> None:
        """Restore :meth:`state_dict` atomically.  Raises ValueError for missing arrays, other shapes or
        non-finite values (nothing changes then)."""
        try:
            q, visits = np.asarray(d["q"], dtype=np.float64), np.asarray(d["visits"], dtype=np.int64)
        except KeyError as e:
            raise ValueError(f"the Q table checkpoint lacks {e}") from None
        if q.shape != self.q.shape or visits.shape != self.q.shape:
            raise ValueError(f"the Q table checkpoint is {q.shape}, this table {self.q.shape}")
        if not np.isfinite(q).all():
            raise ValueError("the Q table checkpoint holds NaN or infinite values")
        self.q, self.visits = q.copy(), visits.copy()


__all__ = ["METHODS", "TabularQ"]
