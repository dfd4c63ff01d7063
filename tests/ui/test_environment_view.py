"""The environment view draws CartPole from gymnasium's state, a grid world by its values and an Atari screen with
the Q-value of each action: frames play once
at their fps and the last is held, a new data object replaces the queue, a click on a cell of an editable grid
asks the lesson to edit it."""
import math

import numpy as np
import pytest
from PySide6.QtCore import Qt

from tests.ui.sample_data import sample
from visualizer.core.plotdata import GRID_CELLS, AtariFrameData, CartPoleData, EnvironmentData, GridWorldData, PlotSpec
from visualizer.ui.plots import make_plot_view
from visualizer.ui.plots.environment import (AGENT_COLOR, AtariScene, CartPoleScene, EnvironmentView, GridScene,
                                             value_levels, value_rgba)

MAP = "S...#../.##.#.P/...#.../.P...#./..#..#./.#..##./...P..G"      # the dqn lesson's default map
CODES = {".": 0, "#": 1, "G": 2, "P": 3, "S": 4}


def shown(qtbot, size=(640, 440)) -> EnvironmentView:
    view = make_plot_view(PlotSpec("env", "Environment", "environment"))
    qtbot.addWidget(view)
    view.resize(*size)
    view.show()
    qtbot.waitExposed(view)
    return view


def cartpole_episode(steps=20, seed=0, fps=100.0) -> CartPoleData:
    """A real CartPole-v1 episode start from gymnasium, pushing right every step."""
    gym = pytest.importorskip("gymnasium")
    env = gym.make("CartPole-v1")
    state, _ = env.reset(seed=seed)
    states, actions = [], []
    for _ in range(steps):
        states.append(state)
        actions.append(1)
        state, _r, done, trunc, _ = env.step(1)
        if done or trunc:
            break
    env.close()
    states = np.asarray(states, np.float32)
    q = np.stack([np.linspace(5, 1, len(states)), np.linspace(4, 6, len(states))], 1).astype(np.float32)
    return CartPoleData(episode=2, step=0, episode_return=float(len(states)), fps=fps, caption="pushing right",
                        states=states, actions=np.asarray(actions), q_values=q)


def grid_data(agent=((0, 0), (0, 1), (0, 2), (0, 3)), editable=True, fps=100.0) -> GridWorldData:
    cells = np.array([[CODES[ch] for ch in row] for row in MAP.split("/")])
    h, w = cells.shape
    rr, cc = np.mgrid[0:h, 0:w]
    values = (1.0 - 0.1 * ((h - 1 - rr) + (w - 1 - cc))).astype(np.float32)     # larger near the goal
    values[cells == 1] = np.nan
    values[cells == 3] = -1.0
    policy = np.where(cc < w - 1, 1, 2)                   # right, then down
    policy[(cells == 1) | (cells == 2) | (cells == 3)] = -1
    rewards = np.where(cells == 2, 1.0, np.where(cells == 3, -1.0, -0.01)).astype(np.float32)
    return GridWorldData(episode=4, step=10, episode_return=-0.03, fps=fps, cells=cells, values=values,
                         policy=policy, agent=np.asarray(agent, np.int64).reshape(-1, 2), rewards=rewards,
                         editable=editable, caption="tabular Q-learning")


def test_cartpole_from_gymnasium_plays_once_and_holds_the_last_frame(qtbot):
    view = shown(qtbot)
    data = cartpole_episode()
    view.set_data(data)
    assert isinstance(view.scene, CartPoleScene) and view.frame_count == len(data.states)
    assert view.timer.isActive() and view.timer.interval() == 10
    qtbot.waitUntil(lambda: view.finished and not view.timer.isActive(), timeout=3000)
    t = len(data.states) - 1
    assert view.index == t
    qtbot.wait(50)
    assert view.index == t                                 # held, not looped
    x, theta = float(data.states[t, 0]), float(data.states[t, 2])
    cart = view.scene.cart.rect()
    assert cart.center().x() == pytest.approx(x, abs=1e-6)
    pole = view.scene.pole.polygon()
    tip = (pole[2] + pole[3]) / 2
    assert tip.x() - x == pytest.approx(math.sin(theta) * 2 * data.pole_half_length, abs=1e-5)
    assert theta < 0 and tip.x() < x                       # pushed right, the pole falls back: leans left
    ax, _ = view.scene.arrow.getData()
    assert ax.min() > x                                    # the push (right) arrow is right of the cart
    assert f"step {t}" in view.info.text() and f"return {len(data.states):g}" in view.info.text()


def test_cartpole_q_bars_and_the_greedy_action(qtbot):
    view = shown(qtbot)
    data = cartpole_episode()
    view.set_data(data)
    view.show_frame(0)                                     # Q(left) 5 > Q(right) 4
    heights = view.scene.qbars.opts["height"]
    assert list(heights) == pytest.approx([5.0, 4.0])
    brushes = [pg_color(b) for b in view.scene.qbars.opts["brushes"]]
    assert brushes[0] != brushes[1] and brushes[0] == "#0072b2"
    lo, hi = view.scene.qplot.vb.viewRange()[1]
    assert lo <= 0.0 and hi >= 6.0                        # one axis for the whole episode


def pg_point(x, y):
    from PySide6.QtCore import QPointF
    return QPointF(x, y)


def pg_color(brush) -> str:
    import pyqtgraph as pg
    return pg.mkBrush(brush).color().name()


def test_a_new_object_replaces_the_queue(qtbot):
    view = shown(qtbot)
    view.set_data(cartpole_episode(fps=1.0))
    view.show_frame(5)
    same = view.data
    view.set_data(same)                                    # the same object again: keeps playing where it was
    assert view.index == 5
    view.set_data(cartpole_episode(steps=8, seed=1, fps=1.0))
    assert view.index == 0 and view.frame_count == 8 and view.timer.isActive()


def test_grid_world_colours_walls_tags_and_arrows(qtbot):
    view = shown(qtbot)
    data = grid_data()
    view.set_data(data)
    scene = view.scene
    assert isinstance(scene, GridScene) and scene.shape == (7, 7)
    lo, hi = scene.colorbar.levels()
    assert lo == -hi and hi == pytest.approx(1.0)          # symmetric around 0: red below, blue above
    rgba = scene.cells_item.image
    assert tuple(rgba[0, 4, :3]) == tuple(value_rgba(data.values, data.cells, (lo, hi))[0, 4, :3])
    assert rgba[0, 4, :3].max() < 80                       # a wall: dark
    tags = sorted(t.toPlainText() for t in scene.tags if t.isVisible())
    assert tags == ["G +1", "P −1", "P −1", "P −1", "S"]
    x, _ = scene.arrows.getData()
    movable = int(np.isin(data.cells, (0, 4)).sum())
    assert len(x) == 6 * movable                           # one arrow (shaft and two head strokes) per cell
    assert view.scene.colorbar.getAxis("right").labelText.startswith("V(s)")


def test_agent_moves_along_its_positions_and_stays_at_the_last(qtbot):
    view = shown(qtbot)
    view.set_data(grid_data())
    qtbot.waitUntil(lambda: view.finished, timeout=3000)
    x, y = view.scene.agent.getData()
    assert (x[0], y[0]) == (3.5, 0.5)
    assert view.scene.agent.opts["brush"].color().name() == AGENT_COLOR
    view.set_data(grid_data(agent=()))                    # no positions: no dot, no timer
    assert len(view.scene.agent.getData()[0]) == 0 and not view.timer.isActive()


def test_click_on_a_cell_requests_a_grid_edit(qtbot):
    view = shown(qtbot)
    view.set_data(grid_data())
    qtbot.wait(20)
    point = view.scene.cell_center(2, 5).toPoint()
    with qtbot.waitSignal(view.paramRequested) as blocker:
        qtbot.mouseClick(view.graphics.viewport(), Qt.MouseButton.LeftButton, pos=point)
    assert blocker.args == ["grid_edit", "2,5"]
    view.set_data(grid_data(editable=False))
    with qtbot.assertNotEmitted(view.paramRequested):
        qtbot.mouseClick(view.graphics.viewport(), Qt.MouseButton.LeftButton, pos=point)
    assert view.click_cell(2, 5) is None


def test_switching_between_environments_and_bad_data(qtbot):
    view = shown(qtbot)
    view.set_data(grid_data())
    view.set_data(cartpole_episode())
    assert isinstance(view.scene, CartPoleScene)
    assert view._layout.count() == 2 and view._layout.itemAt(1).widget() is view.graphics   # info line + picture
    with pytest.raises(TypeError, match="CartPoleData, a GridWorldData or an AtariFrameData"):
        view.set_data(EnvironmentData())


def test_value_levels_ignore_walls_and_nan():
    cells = np.array([[0, 1], [0, 0]])
    values = np.array([[0.5, 9.0], [np.nan, -0.25]])
    assert value_levels(values, cells) == (-0.5, 0.5)
    assert value_levels(None, cells) == (-1.0, 1.0)
    rgba = value_rgba(values, cells, (-0.5, 0.5))
    assert rgba.shape == (2, 2, 4) and rgba.dtype == np.uint8
    assert tuple(rgba[1, 0, :3]) == (232, 234, 237)        # NaN: no value, light grey
    assert GRID_CELLS[1] == "wall"


def test_atari_screen_with_a_q_bar_per_action_and_its_exports(qtbot, tmp_path):
    view = shown(qtbot)
    _spec, data, _rows = sample("environment_atari")
    view.set_data(data)
    scene = view.scene
    assert isinstance(scene, AtariScene) and view.frame_count == 4
    view.show_frame(1)
    np.testing.assert_array_equal(scene.screen.image, data.frames[1])
    screen = scene.screen.mapRectToParent(scene.screen.boundingRect())
    assert (screen.width(), screen.height()) == (160, 210)                    # one unit per pixel
    assert view.graphics.grab().toImage().pixelColor(view.graphics.mapFromScene(
        scene.box.mapViewToScene(pg_point(80, 60)))).name() == "#904811"     # the court's brown is on screen
    ticks = [name for _, name in scene.qplot.getAxis("left")._tickLevels[0]]
    assert ticks == list(data.action_names)
    assert list(scene.qbars.opts["width"]) == pytest.approx([0.1, 0.3, 0.2, 0.0, 0.05, 0.1])
    assert list(scene.qbars.opts["x0"]) == pytest.approx([0.0, 0.0, -0.2, 0.0, 0.0, -0.1])
    brushes = [pg_color(b) for b in scene.qbars.opts["brushes"]]
    assert brushes[1] == "#0072b2" and brushes.count("#0072b2") == 1            # FIRE is greedy
    assert "pong" in view.info.text() and "step 41" in view.info.text() and "RIGHT" in view.info.text()
    box = scene.box.viewRect()
    assert box.width() / box.height() == pytest.approx(
        scene.box.width() / scene.box.height(), rel=0.02)                      # square pixels: aspect kept
    view.export_png(tmp_path / "atari.png")
    from PySide6.QtGui import QImage
    img = QImage(str(tmp_path / "atari.png"))
    assert not img.isNull() and img.width() >= 400
    view.export_csv(tmp_path / "atari.csv")
    rows = (tmp_path / "atari.csv").read_text().splitlines()
    assert rows[0] == "episode,step,return_before,action,action_name,q_NOOP,q_FIRE,q_RIGHT,q_LEFT,q_RIGHTFIRE,q_LEFTFIRE"
    assert rows[1].startswith("2,40,-3.0,1,FIRE,0.1") and rows[4].split(",")[3:5] == ["-1", ""]
    view.set_data(cartpole_episode())                                          # and back to CartPole
    assert isinstance(view.scene, CartPoleScene)


def test_atari_frames_must_fit_their_actions():
    with pytest.raises(ValueError, match="q_values"):
        AtariFrameData(frames=np.zeros((2, 210, 160, 3), np.uint8), actions=np.zeros(2, np.int64),
                       q_values=np.zeros((2, 3), np.float32), action_names=("NOOP", "FIRE"))
    with pytest.raises(ValueError, match="RGB"):
        AtariFrameData(frames=np.zeros((2, 210, 160), np.uint8), actions=np.zeros(2, np.int64))
