"""A small deterministic grid world for tabular reinforcement learning (Sutton and Barto, *Reinforcement
Learning: An Introduction*, ch. 3-6; the layout follows Karpathy's REINFORCEjs GridWorld): walls, a goal,
pits and one start, written as text so the user can type or paint a map.

Map text: rows separated by "/" (or new lines), one character per cell: "." empty, "#" wall, "G" goal
(reward +1, ends the episode), "P" pit (reward -1, ends the episode), "S" the start.  Cells hold the codes
of :data:`visualizer.core.plotdata.GRID_CELLS`; states are numbered ``row * W + col``; actions are the codes
of :data:`visualizer.core.plotdata.GRID_ACTIONS` (up, right, down, left).  Moving into a wall or off the
border leaves the agent where it is.  Every move costs ``step_reward`` (-0.01) unless it enters a goal or a
pit, whose reward replaces it.

Which cells the start reaches is found with :func:`scipy.ndimage.label` on the cells the agent can stand on
and move on from (empty and start); a goal or a pit is reached when it touches that region, and since both
end the episode, a pit on the only path to the goal blocks it as surely as a wall.
"""
from __future__ import annotations

import numpy as np
from scipy import ndimage

from visualizer.core.plotdata import GRID_ACTIONS, GRID_CELLS

EMPTY, WALL, GOAL, PIT, START = (GRID_CELLS.index(k) for k in ("empty", "wall", "goal", "pit", "start"))
CELL_CHARS = {".": EMPTY, "#": WALL, "G": GOAL, "P": PIT, "S": START}
"""Map character -> cell code."""
CHAR_OF = {code: ch for ch, code in CELL_CHARS.items()}

MOVES = np.array([(-1, 0), (0, 1), (1, 0), (0, -1)], dtype=np.int64)
"""(drow, dcol) of each action of GRID_ACTIONS: up, right, down, left."""

DEFAULT_GRID_MAP = "S...#../.##.#.P/...#.../.P...#./..#..#./.#..##./...P..G"
"""The dqn lesson's default map: 7 x 7, the goal in the far corner, pits beside the short paths."""

STEP_REWARD = -0.01
GOAL_REWARD = 1.0
PIT_REWARD = -1.0

_CROSS = ndimage.generate_binary_structure(2, 1)     # 4-neighbourhood: the agent moves up, right, down, left


def parse_grid_map(text: str) -> tuple[np.ndarray, tuple[int, int]]:
    """Read a map written as text (see the module docstring).

    Returns (cells (H, W) int64 codes of GRID_CELLS, start (row, col)).  Spaces around rows are ignored.
    Raises ValueError, saying where, for an empty map, rows of different lengths, an unknown character,
    no start, more than one start, or no goal.  Whether the goal can be reached is
    :func:`check_goal_reachable`'s question."""
    if not isinstance(text, str):
        raise ValueError(f"a grid map is text, not {type(text).__name__}")
    rows = [r.strip() for r in text.replace("\n", "/").split("/")]
    while rows and not rows[-1]:
        rows.pop()
    if not rows or not any(rows):
        raise ValueError('the grid map is empty: write rows separated by "/", e.g. "S..#/...G"')
    widths = {len(r) for r in rows}
    if len(widths) != 1:
        lengths = ", ".join(f"row {i}: {len(r)}" for i, r in enumerate(rows))
        raise ValueError(f"the rows of the grid map have different lengths ({lengths}); every row needs the "
                         "same number of cells")
    cells = np.empty((len(rows), len(rows[0])), dtype=np.int64)
    for i, row in enumerate(rows):
        for j, ch in enumerate(row):
            if ch not in CELL_CHARS:
                raise ValueError(f"unknown character {ch!r} at row {i}, column {j} of the grid map; use "
                                 '"." empty, "#" wall, "G" goal, "P" pit, "S" start')
            cells[i, j] = CELL_CHARS[ch]
    return cells, find_start(cells)


def find_start(cells: np.ndarray) -> tuple[int, int]:
    """The (row, col) of the one start cell of ``cells`` (H, W), checking that there is a goal too.
    Raises ValueError for no start, several starts or no goal."""
    starts = np.argwhere(cells == START)
    if len(starts) == 0:
        raise ValueError('the grid map has no start: put one "S" where the agent begins')
    if len(starts) > 1:
        where = ", ".join(f"({r}, {c})" for r, c in starts)
        raise ValueError(f"the grid map has {len(starts)} starts, at (row, col) {where}; keep one \"S\"")
    if not (cells == GOAL).any():
        raise ValueError('the grid map has no goal: put at least one "G" for the agent to reach')
    return int(starts[0][0]), int(starts[0][1])


def format_grid_map(cells: np.ndarray) -> str:
    """The map text of ``cells`` (H, W) codes, rows joined by "/": the inverse of :func:`parse_grid_map`."""
    return "/".join("".join(CHAR_OF[int(v)] for v in row) for row in np.asarray(cells))


def reachable_cells(cells: np.ndarray, start: tuple[int, int]) -> np.ndarray:
    """(H, W) bool: the cells an agent at ``start`` can get to.  It walks over empty and start cells (a
    4-connected region, found by :func:`scipy.ndimage.label`); goals and pits touching that region are
    reached too but end the episode, so nothing behind them is."""
    walkable = (cells == EMPTY) | (cells == START)
    labels, _ = ndimage.label(walkable, structure=_CROSS)
    region = labels == labels[start]
    terminal = (cells == GOAL) | (cells == PIT)
    return region | (ndimage.binary_dilation(region, structure=_CROSS) & terminal)


def check_goal_reachable(cells: np.ndarray, start: tuple[int, int]) -> None:
    """Raise ValueError unless some goal can be reached from ``start``.  The message names the goals and
    says why: walls (and the border) close the start in, or pits, which end the episode, block every way
    (naming the pits through which the goal could otherwise be reached)."""
    reach = reachable_cells(cells, start)
    if (reach & (cells == GOAL)).any():
        return
    goals = ", ".join(f"({r}, {c})" for r, c in np.argwhere(cells == GOAL))
    head = f"no goal is reachable from the start at (row, col) ({start[0]}, {start[1]}): the goal at {goals}"
    # Would the goal be reachable if pits could be crossed?  Then pits are what blocks it: those on the edge
    # of the start's region from which the goal can be reached without coming back through that region.
    region = reach & ~((cells == GOAL) | (cells == PIT))
    beyond, _ = ndimage.label((cells != WALL) & ~region, structure=_CROSS)
    goal_side = np.isin(beyond, np.unique(beyond[cells == GOAL])) & (beyond > 0)
    blocking = goal_side & reach & (cells == PIT)
    if blocking.any():
        pits = ", ".join(f"({r}, {c})" for r, c in np.argwhere(blocking))
        raise ValueError(f"{head} can only be reached through pits, and a pit ends the episode: clear a path "
                         f"around the pit at {pits}")
    raise ValueError(f"{head} is walled off: walls and the border close the start in; open a path")


def paint(cells: np.ndarray, row: int, col: int, kind: str) -> np.ndarray:
    """A copy of ``cells`` (H, W) with the cell at (row, col) made ``kind`` (one of GRID_CELLS).

    Painting the kind a cell already has clears it to empty (so one tool toggles walls, as in REINFORCEjs).
    Painting "start" moves the start there (the old start becomes empty).  Raises ValueError for a cell off
    the grid, an unknown kind, painting over the start (move it by painting "start" elsewhere) or removing
    the last goal.  It does not check that the goal stays reachable: :func:`check_goal_reachable` does."""
    h, w = np.shape(cells)
    if not (0 <= row < h and 0 <= col < w):
        raise ValueError(f"cell (row, col) ({row}, {col}) is off the {h} x {w} grid")
    if kind not in GRID_CELLS:
        raise ValueError(f"unknown cell kind {kind!r}; one of {', '.join(GRID_CELLS)}")
    out = np.array(cells, dtype=np.int64, copy=True)
    code, old = GRID_CELLS.index(kind), int(out[row, col])
    if old == START:
        if kind == "start":
            return out
        raise ValueError(f"({row}, {col}) is the start: the map needs one; paint \"start\" on another cell "
                         "to move it")
    if code == START:
        out[out == START] = EMPTY
    elif code == old:
        code = EMPTY
    if old == GOAL and code != GOAL and (out == GOAL).sum() == 1:
        raise ValueError(f"({row}, {col}) is the last goal: the map needs one; paint another goal first")
    out[row, col] = code
    return out


class GridWorld:
    """The deterministic grid world environment (Sutton and Barto ch. 3, the gridworld examples).

    cells: (H, W) int codes of GRID_CELLS with exactly one start and a goal (checked by
    :func:`find_start`; ValueError otherwise); rewards in reward units for entering a cell: ``goal_reward``
    and ``pit_reward`` end the episode, every other move costs ``step_reward`` (bumping into a wall too).
    States are ints ``row * W + col``; actions the codes of GRID_ACTIONS."""

    def __init__(self, cells: np.ndarray, step_reward: float = STEP_REWARD, goal_reward: float = GOAL_REWARD,
                 pit_reward: float = PIT_REWARD) -> None:
        c = np.asarray(cells)
        if c.ndim != 2 or c.size == 0 or c.dtype.kind not in "iu" or c.min() < 0 or c.max() >= len(GRID_CELLS):
            raise ValueError(f"cells must be (H, W) integer codes 0..{len(GRID_CELLS) - 1}, got {c.shape} {c.dtype}")
        self.cells = c.astype(np.int64)
        self.start = find_start(self.cells)
        self.step_reward, self.goal_reward, self.pit_reward = float(step_reward), float(goal_reward), float(pit_reward)
        self.next_state, self.reward, self.terminal = self._transitions()
        self.state = self.start_state

    @property
    def shape(self) -> tuple[int, int]:
        """(H, W) in cells."""
        return self.cells.shape

    @property
    def n_states(self) -> int:
        """H * W (walls and terminal cells are states too; the agent never leaves them)."""
        return self.cells.size

    @property
    def start_state(self) -> int:
        return self.start[0] * self.cells.shape[1] + self.start[1]

    def position(self, state: int) -> tuple[int, int]:
        """(row, col) of a state."""
        return divmod(int(state), self.cells.shape[1])

    def _transitions(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """next_state (S, 4) int64, reward (S, 4) float64 and terminal (S, 4) bool of every move; the rows of
        walls and terminal cells are self-loops with reward 0 (never used)."""
        h, w = self.cells.shape
        rr, cc = np.divmod(np.arange(h * w), w)                          # (S,)
        r2 = np.clip(rr[:, None] + MOVES[None, :, 0], 0, h - 1)          # (S, 4), the border blocks
        c2 = np.clip(cc[:, None] + MOVES[None, :, 1], 0, w - 1)
        blocked = self.cells[r2, c2] == WALL
        r2, c2 = np.where(blocked, rr[:, None], r2), np.where(blocked, cc[:, None], c2)
        kind = self.cells[r2, c2]
        reward = np.where(kind == GOAL, self.goal_reward, np.where(kind == PIT, self.pit_reward, self.step_reward))
        terminal = (kind == GOAL) | (kind == PIT)
        nxt = r2 * w + c2
        flat = self.cells.ravel()
        dead = (flat == WALL) | (flat == GOAL) | (flat == PIT)
        nxt[dead] = np.arange(h * w)[dead, None]
        reward[dead], terminal[dead] = 0.0, True
        return nxt.astype(np.int64), reward.astype(np.float64), terminal

    def reset(self) -> int:
        """Put the agent on the start; returns the start state."""
        self.state = self.start_state
        return self.state

    def step(self, action: int) -> tuple[int, float, bool]:
        """Move: returns (next state, reward, terminal).  Raises ValueError for an action outside 0..3."""
        if not 0 <= action < len(MOVES):
            raise ValueError(f"action must be 0..{len(MOVES) - 1} ({', '.join(GRID_ACTIONS)}), got {action}")
        s = self.state
        self.state = int(self.next_state[s, action])
        return self.state, float(self.reward[s, action]), bool(self.terminal[s, action])

    def rewards_grid(self) -> np.ndarray:
        """(H, W) float32 reward for entering each cell (NaN on walls)."""
        r = np.full(self.cells.shape, self.step_reward, dtype=np.float32)
        r[self.cells == GOAL], r[self.cells == PIT] = self.goal_reward, self.pit_reward
        r[self.cells == WALL] = np.nan
        return r

    def value_iteration(self, gamma: float, tol: float = 1e-10, max_iter: int = 100_000
                        ) -> tuple[np.ndarray, np.ndarray]:
        """Optimal values by value iteration (Sutton and Barto ch. 4.4): Q(s, a) = r(s, a) + gamma (1 -
        terminal(s, a)) V(s'), V(s) = max_a Q(s, a), repeated until V changes by less than ``tol``.

        Returns (V (H, W) float64: NaN on walls, 0 on goals and pits, which end the episode;
        Q (H, W, 4) float64: NaN on walls and terminal cells).  Raises ValueError unless 0 <= gamma < 1."""
        if not 0.0 <= gamma < 1.0:
            raise ValueError(f"value iteration needs a discount 0 <= gamma < 1, got {gamma}")
        flat = self.cells.ravel()
        live = (flat == EMPTY) | (flat == START)                         # (S,) states the agent moves from
        v = np.zeros(self.n_states)
        for _ in range(max_iter):
            q = self.reward + gamma * np.where(self.terminal, 0.0, v[self.next_state])    # (S, 4)
            v_new = np.where(live, q.max(axis=1), 0.0)
            done = np.abs(v_new - v).max() < tol
            v = v_new
            if done:
                break
        h, w = self.shape
        q = np.where(live[:, None], q, np.nan).reshape(h, w, len(MOVES))
        v = np.where(flat == WALL, np.nan, v).reshape(h, w)
        return v, q


def optimal_actions(q_star: np.ndarray, tol: float = 1e-6) -> np.ndarray:
    """(H, W, 4) bool: the actions within ``tol`` of the best in ``q_star`` (H, W, 4) from
    :meth:`GridWorld.value_iteration` (ties are all optimal); all False where Q is NaN."""
    known = ~np.isnan(q_star)
    q = np.where(known, q_star, -np.inf)
    return known & (q >= q.max(axis=-1, keepdims=True) - tol)


__all__ = ["CELL_CHARS", "DEFAULT_GRID_MAP", "EMPTY", "GOAL", "GOAL_REWARD", "GridWorld", "MOVES", "PIT",
           "PIT_REWARD", "START", "STEP_REWARD", "WALL", "check_goal_reachable", "find_start", "format_grid_map",
           "optimal_actions", "paint", "parse_grid_map", "reachable_cells"]
