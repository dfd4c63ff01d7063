import numpy as np
import pytest

from visualizer.core.plotdata import GRID_ACTIONS
from visualizer.data.grid_world import (DEFAULT_GRID_MAP, EMPTY, GOAL, PIT, START, WALL, GridWorld,
                                        check_goal_reachable, format_grid_map, optimal_actions, paint,
                                        parse_grid_map, reachable_cells)

UP, RIGHT, DOWN, LEFT = (GRID_ACTIONS.index(a) for a in ("up", "right", "down", "left"))


def test_default_map_parses_and_round_trips():
    cells, start = parse_grid_map(DEFAULT_GRID_MAP)
    assert cells.shape == (7, 7) and cells.dtype == np.int64 and start == (0, 0)
    assert cells[6, 6] == GOAL and cells[1, 6] == PIT and cells[0, 4] == WALL and cells[0, 0] == START
    assert format_grid_map(cells) == DEFAULT_GRID_MAP
    check_goal_reachable(cells, start)


def test_parse_accepts_new_lines_and_spaces():
    cells, start = parse_grid_map(" S.\n .G \n")
    assert cells.tolist() == [[START, EMPTY], [EMPTY, GOAL]] and start == (0, 0)


@pytest.mark.parametrize("text,message", [
    ("", "empty"),
    ("S..G/..", r"different lengths \(row 0: 4, row 1: 2\)"),
    ("S.x/..G", r"unknown character 'x' at row 0, column 2"),
    ("...G/....", "no start"),
    ("S..G/S...", r"2 starts, at \(row, col\) \(0, 0\), \(1, 0\)"),
    ("S.../....", "no goal"),
])
def test_parse_errors_say_what_is_wrong(text, message):
    with pytest.raises(ValueError, match=message):
        parse_grid_map(text)


def test_a_walled_off_goal_is_refused_and_named():
    cells, start = parse_grid_map("S.#./..#G")
    with pytest.raises(ValueError, match=r"no goal is reachable from the start at \(row, col\) \(0, 0\): the goal "
                                         r"at \(1, 3\) is walled off"):
        check_goal_reachable(cells, start)


def test_a_pit_on_the_only_path_blocks_the_goal():
    # The only way to G runs through the pit at (0, 2); a pit ends the episode.
    cells, start = parse_grid_map("S.P.G/..#../###..")
    reach = reachable_cells(cells, start)
    assert reach[0, 2] and not reach[0, 3] and not reach[0, 4]
    with pytest.raises(ValueError, match=r"can only be reached through pits.*around the pit at \(0, 2\)$"):
        check_goal_reachable(cells, start)
    # Open a way around the pit and the goal is reachable.
    check_goal_reachable(paint(cells, 1, 2, "empty"), start)


def test_env_dynamics_walls_border_rewards_and_terminals():
    env = GridWorld(parse_grid_map("S#G/.P./...")[0])
    assert env.reset() == 0 and env.position(env.state) == (0, 0)
    assert env.step(UP) == (0, -0.01, False)          # the border blocks
    assert env.step(RIGHT) == (0, -0.01, False)       # the wall blocks
    assert env.step(DOWN) == (3, -0.01, False)
    s, r, done = env.step(RIGHT)                       # into the pit
    assert (env.position(s), r, done) == ((1, 1), -1.0, True)
    env.reset()
    for a in (DOWN, DOWN, RIGHT, RIGHT, UP):
        s, r, done = env.step(a)
    assert (env.position(s), r, done) == ((1, 2), -0.01, False)
    s, r, done = env.step(UP)
    assert (env.position(s), r, done) == ((0, 2), 1.0, True)
    with pytest.raises(ValueError, match="action must be 0..3"):
        env.step(4)
    rw = env.rewards_grid()
    assert rw[0, 2] == 1.0 and rw[1, 1] == -1.0 and np.isnan(rw[0, 1]) and rw[2, 2] == np.float32(-0.01)


def test_value_iteration_on_a_corridor_has_the_closed_form_answer():
    # S . . G: from column c the goal is 3 - c moves away; V = -0.01 (1 + g + ... + g^(k-2)) + g^(k-1).
    g = 0.9
    env = GridWorld(parse_grid_map("S..G")[0])
    v, q = env.value_iteration(g)
    for col in range(3):
        k = 3 - col
        expected = -0.01 * sum(g ** i for i in range(k - 1)) + g ** (k - 1)
        assert v[0, col] == pytest.approx(expected, abs=1e-9)
    assert v[0, 3] == 0.0 and np.isnan(q[0, 3]).all()
    assert q[0, 2, RIGHT] == pytest.approx(1.0)
    assert q[0, 0, LEFT] == pytest.approx(-0.01 + g * v[0, 0])     # bumping the border wastes a step
    best = optimal_actions(q)
    assert best[0, :3, RIGHT].all() and best[0, :3].sum() == 3 and not best[0, 3].any()


def test_value_iteration_ties_count_as_optimal_and_gamma_is_checked():
    env = GridWorld(parse_grid_map("S./.G")[0])
    _, q = env.value_iteration(0.95)
    best = optimal_actions(q)
    assert best[0, 0, RIGHT] and best[0, 0, DOWN] and not best[0, 0, UP] and not best[0, 0, LEFT]
    with pytest.raises(ValueError, match="0 <= gamma < 1"):
        env.value_iteration(1.0)


def test_paint_toggles_moves_the_start_and_guards_start_and_last_goal():
    cells, _ = parse_grid_map("S../..G")
    walled = paint(cells, 0, 1, "wall")
    assert walled[0, 1] == WALL and cells[0, 1] == EMPTY        # a copy
    assert paint(walled, 0, 1, "wall")[0, 1] == EMPTY             # the same kind again clears it
    moved = paint(cells, 1, 0, "start")
    assert moved[1, 0] == START and moved[0, 0] == EMPTY and (moved == START).sum() == 1
    with pytest.raises(ValueError, match="is the start"):
        paint(cells, 0, 0, "wall")
    with pytest.raises(ValueError, match="last goal"):
        paint(cells, 1, 2, "pit")
    with pytest.raises(ValueError, match="off the 2 x 3 grid"):
        paint(cells, 2, 0, "wall")
    with pytest.raises(ValueError, match="unknown cell kind"):
        paint(cells, 0, 1, "lava")


def test_only_the_pits_that_lead_to_the_goal_are_named():
    # The default map with the goal's upper neighbour walled: the last way runs through the pit at (6, 3);
    # the pits at (1, 6) and (3, 1) also touch the start's region but lead nowhere.
    cells, start = parse_grid_map(DEFAULT_GRID_MAP)
    with pytest.raises(ValueError, match=r"around the pit at \(6, 3\)$"):
        check_goal_reachable(paint(cells, 5, 6, "wall"), start)
