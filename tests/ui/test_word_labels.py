"""Word map labels never overlap (issue #13, point 8): the Qt-free placer and the real word map view."""
import numpy as np

from visualizer.core.plotdata import PlotSpec, WordMapData
from visualizer.probes.label_layout import CORNERS, emptiest_corner, overlaps, place_labels


def crowded(n=120, seed=0):
    rng = np.random.default_rng(seed)
    anchors = rng.normal(300, 40, size=(n, 2))
    sizes = np.column_stack([rng.uniform(20, 60, n), np.full(n, 14.0)])
    return anchors, sizes


def assert_disjoint(boxes):
    boxes = np.asarray(list(boxes), dtype=float).reshape(-1, 4)
    hit = overlaps(boxes, boxes)
    np.fill_diagonal(hit, False)
    assert not hit.any()


def test_placed_boxes_never_overlap_and_stay_inside_the_bounds():
    anchors, sizes = crowded()
    bounds = (0.0, 0.0, 600.0, 600.0)
    placed = place_labels(anchors, sizes, bounds=bounds, obstacles=[(250, 250, 350, 300)])
    assert 10 < len(placed) < len(anchors)                       # crowded: some fit, some do not
    assert_disjoint(placed.values())
    assert not overlaps(np.array(list(placed.values())), np.array([(250, 250, 350, 300)])).any()
    for i, (l, t, r, b) in placed.items():
        assert bounds[0] <= l and r <= bounds[2] and bounds[1] <= t and b <= bounds[3]
        assert np.isclose(r - l, sizes[i, 0]) and np.isclose(b - t, sizes[i, 1])
        x, y = anchors[i]                                         # next to its own point
        assert l - 4 <= x <= r + 4 and t - 4 <= y <= b + 4


def test_higher_priority_labels_are_kept_first_and_placement_is_deterministic():
    anchors = np.array([[100.0, 100.0]] * 5)                      # five labels on one point: four sides fit
    sizes = np.array([[40.0, 14.0]] * 5)
    placed = place_labels(anchors, sizes, order=[4, 3, 2, 1, 0])
    assert 4 in placed and 3 in placed and 0 not in placed
    assert placed[4][0] > 100                                     # the first choice: right of the point
    anchors, sizes = crowded(seed=3)
    order = list(np.random.default_rng(1).permutation(len(anchors)))
    first = place_labels(anchors, sizes, order=order)
    assert first == place_labels(anchors, sizes, order=order)
    assert order[0] in first                                      # the first always fits (an empty plot)
    assert list(first) == [i for i in order if i in first]        # kept in priority order


def test_labels_of_points_outside_the_view_are_not_placed():
    placed = place_labels(np.array([[-10.0, 5.0], [50.0, 50.0], [np.nan, 1.0]]), np.array([[20.0, 10.0]] * 3),
                          bounds=(0, 0, 100, 100))
    assert list(placed) == [1]


def test_the_legend_goes_to_the_emptiest_corner():
    bounds = (0.0, 0.0, 400.0, 300.0)
    rng = np.random.default_rng(0)
    points = np.vstack([rng.uniform([0, 0], [400, 150], (50, 2)), rng.uniform([200, 150], [400, 300], (30, 2))])
    assert emptiest_corner(points, bounds, 100, 80) == "bottom-left"
    assert emptiest_corner(np.zeros((0, 2)), bounds, 100, 80) == CORNERS[0]


def crowded_map(n=150):
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(5, 2)) * 3
    pts = centres[np.arange(n) % 5] + rng.normal(size=(n, 2)) * 0.3      # tight clusters, as word2vec's PCA
    words = [f"word{i}" for i in range(n)]
    return WordMapData(pts, words, np.arange(n) % 4, ("noun", "verb", "adjective", "determiner"), [7, 13, 19, 20])


def shown_map(qtbot, size=(700, 500)):
    from visualizer.ui.plots.word_map import WordMapView

    view = WordMapView(PlotSpec("map", "Word map", "word_map"))
    qtbot.addWidget(view)
    view.resize(*size)
    view.show()
    qtbot.waitExposed(view)
    return view


def visible_rects(view):
    return [view.strong.label_rects(), view.labels.label_rects()]


def assert_no_scene_overlap(view):
    strong, rest = visible_rects(view)
    rects = strong + rest
    assert len(rects) > 5
    for i, a in enumerate(rects):
        for b in rects[i + 1:]:
            assert not a.intersects(b), (a, b)
    legend = view.legend.sceneBoundingRect()
    assert not any(legend.intersects(r) for r in rects)


def test_no_two_visible_labels_of_a_crowded_word_map_overlap(qtbot):
    view = shown_map(qtbot)
    data = crowded_map()
    view.set_data(data)
    view.grab()
    qtbot.wait(80)
    assert_no_scene_overlap(view)
    labelled = view.labelled_words()
    assert labelled[:4] == ["word7", "word13", "word19", "word20"]      # the query and its neighbours first
    assert len(labelled) < len(data.words) == view.point_count()         # the rest are on hover
    vb = view.plot_item.getViewBox()
    vb.scaleBy((0.4, 0.4))                                               # zoomed in: placed again, more fit
    qtbot.waitUntil(lambda: len(view.labelled_words()) != len(labelled), timeout=2000)
    view.grab()
    assert_no_scene_overlap(view)


def test_a_hidden_word_is_shown_on_hover(qtbot, monkeypatch):
    from visualizer.ui.plots import word_map

    view = shown_map(qtbot)
    data = crowded_map()
    view.set_data(data)
    view.grab()
    hidden = next(i for i, w in enumerate(data.words) if w not in view.labelled_words())
    vb = view.plot_item.getViewBox()
    shown = []
    monkeypatch.setattr(word_map.QToolTip, "showText", lambda pos, text, *a: shown.append(text))
    view._hovered(vb.mapViewToScene(word_map.QPointF(*map(float, data.points[hidden]))))
    assert shown[-1] == data.words[hidden]
