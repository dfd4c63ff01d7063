"""Series and class colours are the declared colour-blind-safe palette and stay apart for deuteranopes."""
import itertools

import numpy as np

from visualizer.ui.plots import colormaps

# Okabe & Ito (2002), "Color Universal Design": the published palette, black left out.
OKABE_ITO = {"#0072b2", "#d55e00", "#009e73", "#e69f00", "#cc79a7", "#56b4e9", "#f0e442"}
# Machado, Oliveira & Fernandes (2009): deuteranopia at severity 1.0, on linear RGB.
DEUTERANOPIA = np.array([[0.367322, 0.860646, -0.227968],
                         [0.280085, 0.672501, 0.047413],
                         [-0.011820, 0.042940, 0.968881]])
SRGB_TO_XYZ = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
D65 = np.array([0.95047, 1.0, 1.08883])
MIN_DELTA_E = 12.0      # CIE76 distance; the old tab10 series had pairs at 7.2 (green/red, orange/olive)


def _linear(hex_color: str) -> np.ndarray:
    c = np.array([int(hex_color[i:i + 2], 16) for i in (1, 3, 5)]) / 255.0
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _lab(linear_rgb: np.ndarray) -> np.ndarray:
    t = SRGB_TO_XYZ @ linear_rgb / D65
    f = np.where(t > 0.008856, np.cbrt(t), 7.787 * t + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def deuteranope_lab(hex_color: str) -> np.ndarray:
    return _lab(np.clip(DEUTERANOPIA @ _linear(hex_color), 0, 1))


def closest_pair(colors) -> float:
    return min(np.linalg.norm(deuteranope_lab(a) - deuteranope_lab(b)) for a, b in itertools.combinations(colors, 2))


def test_series_colours_are_okabe_ito_and_cycle():
    series = [colormaps.series_color(i).lower() for i in range(len(OKABE_ITO))]
    assert set(series) == OKABE_ITO
    assert colormaps.series_color(len(OKABE_ITO)) == colormaps.series_color(0)


def test_series_colours_stay_apart_under_deuteranopia():
    series = [colormaps.series_color(i) for i in range(len(OKABE_ITO))]
    assert closest_pair(series) > MIN_DELTA_E


def test_class_colours_stay_apart_under_deuteranopia():
    classes = [colormaps.class_color(i) for i in range(colormaps.COLORBLIND_SAFE_CLASSES)]
    assert len(set(classes)) == len(classes)
    assert closest_pair(classes) > MIN_DELTA_E


def test_the_simulation_separates_a_palette_that_is_not_safe():
    tab10 = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2")
    assert closest_pair(tab10) < MIN_DELTA_E


def test_each_model_keeps_one_colour_for_training_and_validation(qtbot):
    """transfer_learning's race: three strategies, each solid (train) and dashed (validation) in one colour;
    a single train/validation pair keeps two colours."""
    from visualizer.core.plotdata import PlotSpec
    from visualizer.ui.plots.curves import CurvesView
    race = PlotSpec("acc", "Accuracy", "curves", series=("train_acc_a", "train_acc_b", "val_acc_a", "val_acc_b"))
    view = CurvesView(race)
    qtbot.addWidget(view)
    assert view._series_index("val_acc_a") == view._series_index("train_acc_a") == 0
    assert view._series_index("val_acc_b") == view._series_index("train_acc_b") == 1
    colour = {n: c.opts["pen"].color().name() for n, c in view.curves.items()}
    assert colour["val_acc_a"] == colour["train_acc_a"] != colour["train_acc_b"] == colour["val_acc_b"]
    single = CurvesView(PlotSpec("loss", "Loss", "curves", series=("train_loss", "val_loss")))
    qtbot.addWidget(single)
    assert single._series_index("val_loss") != single._series_index("train_loss")
