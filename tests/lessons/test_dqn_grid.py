import numpy as np
import pytest

from lessons.dqn.grid import GridRun
from visualizer.core.errors import LessonConfigError
from visualizer.core.lesson import LessonContext
from visualizer.core.plotdata import GRID_ACTIONS, CurvesData, GridWorldData, ImageData
from visualizer.data.grid_world import DEFAULT_GRID_MAP, PIT, START, WALL


class Notes(LessonContext):
    def __init__(self):
        self.notices = []

    def notice(self, message):
        self.notices.append(message)


def hp(**kw):
    """The dqn lesson's keys the grid reads, with settings that converge fast on the default map."""
    base = {"seed": 6, "gamma": 0.99, "lr": 1.0, "eps_start": 1.0, "eps_end": 0.6, "eps_decay_steps": 2000,
            "grid_map": DEFAULT_GRID_MAP, "grid_tool": "wall"}
    return base | kw


def train(run, n, first=0):
    for i in range(first, first + n):
        run.step(i)


def test_steps_flush_and_epsilon_schedule():
    run = GridRun(hp(eps_decay_steps=100, eps_end=0.1))
    assert run.epsilon == 1.0
    train(run, 300)
    m = run.flush()
    assert run.steps == 300 and m["epsilon"] == pytest.approx(0.1) and m["td_error"] > 0 and m["loss"] > 0
    assert m["episodes"] >= 1 and "episode_return" in m and -2.0 <= m["return_mean_20"] <= 1.0
    assert all(isinstance(v, float) for v in m.values())
    assert "td_error" not in run.flush()          # nothing new since the last flush
    run.step(300)
    assert run.flush()["td_error"] >= 0


def test_converges_to_the_optimal_policy_on_the_default_map():
    run = GridRun(hp())
    assert run.evaluate()["policy_optimal"] == 0.0       # nothing learned yet: no greedy action anywhere
    for k in range(40):
        train(run, 500, k * 500)
        if run.evaluate()["policy_optimal"] == 1.0:
            break
    ev = run.evaluate()
    assert ev["policy_optimal"] == 1.0, f"not optimal after {run.steps} steps: {ev}"
    assert run.steps <= 20_000 and ev["value_error"] < 0.2


def test_sarsa_learns_too():
    run = GridRun(hp(grid_method="sarsa", eps_end=0.1))
    train(run, 3000)
    assert run.table.method == "sarsa" and run.evaluate()["policy_optimal"] > 0.3


@pytest.mark.parametrize("changes,message", [
    ({"grid_map": "S..x/...G"}, r"Grid map: unknown character 'x' at row 0, column 3"),
    ({"grid_map": "S#./##G"}, r"no goal is reachable from the start at \(row, col\) \(0, 0\): the goal at \(1, 2\)"),
    ({"grid_map": "SP./P.G"}, r"through pits, .* at \(0, 1\), \(1, 0\)"),
    ({"eps_start": 0.1, "eps_end": 0.5}, "ends above its start"),
    ({"lr": 2.0}, r"alpha must lie in \(0, 1\]"),
    ({"gamma": 1.0}, "discount γ in"),
])
def test_bad_settings_are_config_errors(changes, message):
    with pytest.raises(LessonConfigError, match=message):
        GridRun(hp(**changes))


def test_grid_edit_paints_a_cell_and_forgets_its_q_values():
    run = GridRun(hp())
    train(run, 2000)
    cell = 2 * 7 + 1                                   # (2, 1): on the way from the start to the goal
    assert run.table.q[cell].any()
    before = run.table.q.copy()
    assert run.set_live("grid_tool", "pit") and run.set_live("grid_edit", "2,1")
    assert run.env.cells[2, 1] == PIT and not run.table.q[cell].any() and not run.table.visits[cell].any()
    others = np.arange(49) != cell
    assert np.array_equal(run.table.q[others], before[others])
    assert run.map_text.split("/")[2] == ".P.#..."
    train(run, 50, 2000)                               # keeps training on the new map


def test_an_edit_that_walls_off_the_goal_is_refused_and_the_map_kept():
    notes = Notes()
    run = GridRun(hp(), notes)
    train(run, 200)
    cells = run.env.cells.copy()
    assert run.set_live("grid_edit", "5,6")            # the goal's last open neighbour
    assert np.array_equal(run.env.cells, cells)
    assert len(notes.notices) == 1 and "Edit refused, the map is kept: no goal is reachable" in notes.notices[0]
    run.set_live("grid_edit", "0,0")                  # painting over the start
    run.set_live("grid_edit", "oops")
    assert "is the start" in notes.notices[1] and "expected \"row,col\"" in notes.notices[2]
    assert np.array_equal(run.env.cells, cells)
    run.set_live("grid_tool", "start")
    run.set_live("grid_edit", "2,0")
    assert run.env.cells[2, 0] == START and run.env.start == (2, 0) and run.env.cells[0, 0] != WALL
    run.set_live("grid_edit", "")                     # the control cleared: nothing to do
    with pytest.raises(LessonConfigError, match="not one of"):
        run.set_live("grid_tool", "lava")


def test_live_settings_and_refusals():
    run = GridRun(hp())
    assert run.set_live("lr", 0.25) and run.table.alpha == 0.25
    assert run.set_live("gamma", 0.9) and run.table.gamma == 0.9
    assert run.v_star[6, 5] == pytest.approx(1.0) and run.v_star[5, 6] == pytest.approx(1.0)
    assert run.set_live("eps_end", 0.2) and run.eps == (1.0, 0.2, 2000)
    with pytest.raises(LessonConfigError, match="ends above its start"):
        run.set_live("eps_start", 0.1)
    assert run.eps == (1.0, 0.2, 2000)
    assert not run.set_live("batch_size", 64)


def test_state_dict_round_trip_and_atomic_refusal():
    run = GridRun(hp(grid_map="S.../.#P./...G"))
    train(run, 300)
    state = run.state_dict()
    assert all(isinstance(v, np.ndarray) for v in state.values())
    train(run, 200, 300)
    after = (run.table.q.copy(), run.steps, run.episodes)
    run.load_state_dict(state)
    assert run.steps == 300
    train(run, 200, 300)
    assert np.array_equal(run.table.q, after[0]) and (run.steps, run.episodes) == after[1:]

    other = GridRun(hp(grid_map="S.../.#P./...G", seed=9))
    q0 = other.table.q.copy()
    bad = dict(state, q=np.full_like(state["q"], np.nan))
    with pytest.raises(LessonConfigError, match="'q'"):
        other.load_state_dict(bad)
    walled = state["cells"].copy()
    walled[1:, 2] = WALL
    walled[0, 1] = WALL
    with pytest.raises(LessonConfigError, match="grid map is not usable: no goal is reachable"):
        other.load_state_dict(dict(state, cells=walled))
    assert np.array_equal(other.table.q, q0) and other.steps == 0
    with pytest.raises(LessonConfigError, match="lacks"):
        other.load_state_dict({k: v for k, v in state.items() if k != "rng"})


def test_pictures_shapes():
    run = GridRun(hp())
    train(run, 40)
    pics = run.pictures({"environment", "q_episode", "value", "replay"})
    assert set(pics) == {"environment", "q_episode", "value"}
    env = pics["environment"]
    assert isinstance(env, GridWorldData) and env.editable
    assert env.cells.shape == (7, 7) and env.values.shape == (7, 7) and env.q_values.shape == (7, 7, 4)
    assert np.isnan(env.values[0, 4]) and np.isnan(env.q_values[6, 6]).all() and np.isfinite(env.values[0, 0])
    assert env.policy.shape == (7, 7) and env.policy[0, 4] == -1 and env.policy[6, 6] == -1
    assert env.agent.ndim == 2 and env.agent.shape[1] == 2 and len(env.agent) >= 1
    assert env.rewards[6, 6] == 1.0 and env.rewards[1, 6] == -1.0
    header, rows = env.table()
    assert len(rows) == 49
    q = pics["q_episode"]
    assert isinstance(q, CurvesData) and list(q.series) == [f"Q(s, {a})" for a in GRID_ACTIONS]
    lengths = {len(x) for x, y in q.series.values()}
    assert len(lengths) == 1 and lengths.pop() >= 1
    assert isinstance(pics["value"], ImageData) and pics["value"].image.shape == (7, 7)
    # The agent positions are those since the last call: a call right after has at most the current one.
    assert len(run.pictures({"environment"})["environment"].agent) == 1
    run.close()


@pytest.mark.parametrize("session_kind", ["thread", "process"])
def test_a_clicked_edit_becomes_the_grid_map_setting_and_survives_a_reset(session_kind):
    """A click paints the running map; the "grid_map" setting follows it (wanted and applied alike, so no Reset
    is asked for), its control is told with a param_synced event, and a Reset rebuilds the edited map."""
    from lessons.dqn.lesson import LESSON
    from visualizer.core.process_session import ProcessSession
    from visualizer.core.session import TrainingSession

    session_cls = TrainingSession if session_kind == "thread" else ProcessSession
    s = session_cls(LESSON, {"env": "grid", "lr": 1.0, "eps_end": 0.6, "eps_decay_steps": 200})
    try:
        assert s.wait_idle(60)
        s.step(50)
        s.set_param("grid_tool", "pit")
        s.set_param("grid_edit", "2,1")
        assert s.wait_idle(30)
        row = ".P.#..."
        synced = [e for e in s.drain_events() if e.kind == "param_synced"]
        assert synced and synced[-1].param[0] == "grid_map" and synced[-1].param[1].split("/")[2] == row
        assert s.hp["grid_map"].split("/")[2] == row and s.applied["grid_map"] == s.hp["grid_map"]
        assert s.pending_structural() == []                      # the edit is applied: no Reset asked for
        s.set_param("grid_edit", "0,0")                          # painting over the start: refused, map kept
        assert s.wait_idle(30)
        assert not [e for e in s.drain_events() if e.kind == "param_synced"]
        assert s.hp["grid_map"].split("/")[2] == row
        s.reset()
        assert s.wait_idle(60) and s.step_count == 0
        s.step(1)
        assert s.wait_idle(30)
        cells = s.snapshot_now(30).plots["environment"].cells
        assert cells[2, 1] == PIT and cells[0, 0] == START
    finally:
        assert s.stop(2.0)
