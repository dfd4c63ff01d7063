"""Controls generated from specs: log sliders show real values, ranges, tooltips, lock/hide, files."""
import pytest
from PySide6.QtCore import Qt

from visualizer.core.hyperparams import BoolParam, ChoiceParam, FloatParam, IntParam, PathParam
from visualizer.core.lesson import common_params
from visualizer.ui.hyperparameter_panel import HyperparameterPanel, format_value

SPECS = (
    FloatParam("lr", "Learning rate", 0.003, 1e-5, 1.0, log=True, tooltip="How far each step moves"),
    FloatParam("dropout", "Dropout", 0.0, 0.0, 0.5, decimals=2),
    IntParam("units", "Units", 64, 16, 512, log=True),
    IntParam("layers", "Layers", 1, 0, 6),
    ChoiceParam("act", "Activation", "relu", ("relu", "tanh")),
    BoolParam("bn", "Batch norm", False),
    PathParam("csv_path", "CSV file", "", "CSV files (*.csv)"),
) + common_params(("numpy", "torch"))


@pytest.fixture
def panel(qtbot):
    p = HyperparameterPanel(SPECS, {s.name: s.default for s in SPECS})
    qtbot.addWidget(p)
    p.show()
    return p


def test_log_slider_shows_the_real_value(panel):
    lr = panel.control("lr")
    assert lr.box.text() == "0.003"
    assert lr.slider.minimum() == pytest.approx(-5) and lr.slider.maximum() == pytest.approx(0)
    assert lr.slider.value() == pytest.approx(-2.5229, abs=1e-3)
    lr.slider.setValue(-2.0)
    assert lr.box.text() == "0.01" and lr.slider_value() == 0.01
    units = panel.control("units")
    units.slider.setValue(units.slider.maximum())
    assert units.box.text() == "512" and units.slider_value() == 512


def test_controls_carry_tooltips_and_mark_structural_ones(panel):
    assert "How far each step moves" in panel.control("lr").toolTip()
    assert "next training step" in panel.control("lr").toolTip()
    assert "Reset" in panel.control("units").toolTip()
    assert panel.control("units").label.text().endswith("↻")
    assert not panel.control("lr").label.text().endswith("↻")


def test_each_spec_kind_commits_a_validated_value(qtbot, panel):
    got = []
    panel.valueCommitted.connect(lambda n, v: got.append((n, v)))
    panel.control("act").combo.setCurrentText("tanh")
    panel.control("bn").check.setChecked(True)
    box = panel.control("layers").box
    box.setFocus()
    box.selectAll()
    qtbot.keyClicks(box, "3")
    qtbot.keyClick(box, Qt.Key.Key_Return)
    assert got == [("act", "tanh"), ("bn", True), ("layers", 3)]
    assert panel.control("layers").slider.value() == 3


def test_invalid_entry_emits_invalid_and_restores(qtbot, panel):
    with qtbot.waitSignal(panel.invalidValue) as blocker:
        box = panel.control("dropout").box
        box.setText("0.9")
        box.editingFinished.emit()
    assert blocker.args[0] == "dropout" and "outside the range" in blocker.args[1]
    assert panel.value("dropout") == 0.0 and panel.control("dropout").box.text() == "0"


def test_path_control_uses_a_file_dialog(qtbot, panel, monkeypatch, tmp_path):
    monkeypatch.setattr("visualizer.ui.hyperparameter_panel.QFileDialog.getOpenFileName",
                        lambda *a, **k: (str(tmp_path / "points.csv"), "CSV files (*.csv)"))
    with qtbot.waitSignal(panel.valueCommitted) as blocker:
        panel.control("csv_path").browse.click()
    assert blocker.args == ["csv_path", str(tmp_path / "points.csv")]
    assert panel.value("csv_path") == str(tmp_path / "points.csv")


def test_seed_has_a_box_and_a_new_seed_button(qtbot, panel):
    seed = panel.control("seed")
    assert seed.slider is None and seed.reseed is not None
    with qtbot.waitSignal(panel.valueCommitted) as blocker:
        seed.reseed.click()
    assert blocker.args[0] == "seed" and isinstance(blocker.args[1], int)


def test_lock_hide_and_pending(panel):
    panel.set_locked("lr")
    assert not panel.control("lr").isEnabled()
    panel.set_hidden("bn")
    assert panel.is_hidden("bn")
    panel.unlock_all()
    panel.show_all()
    assert panel.control("lr").isEnabled() and not panel.is_hidden("bn")
    panel.set_pending(["units", "act"])
    assert panel.pending_bar.isVisible() and "Units, Activation" in panel.pending_label.text()
    panel.set_pending([])
    assert not panel.pending_bar.isVisible() and panel.pending_names() == []
    with pytest.raises(KeyError, match="no control 'nope'"):
        panel.set_locked("nope")


def test_format_value():
    assert format_value(SPECS[0], 0.0030) == "0.003"
    assert format_value(SPECS[1], 0.25) == "0.25"
    assert format_value(SPECS[1], 0.0) == "0"


def test_text_param_is_a_line_edit_that_commits_on_editing_finished(qtbot):
    from visualizer.core.hyperparams import HyperparameterError, TextParam
    spec = TextParam("target", "Target column", "", placeholder="last column", max_length=10)
    assert spec.validate("  price ") == "price"
    with pytest.raises(HyperparameterError, match="at most 10"):
        spec.validate("x" * 11)
    with pytest.raises(HyperparameterError, match="not text"):
        spec.validate(["a"])
    panel = HyperparameterPanel((spec,), {"target": ""})
    qtbot.addWidget(panel)
    box = panel.control("target").box
    assert box.placeholderText() == "last column"
    with qtbot.waitSignal(panel.valueCommitted) as blocker:
        box.setText("label ")
        box.editingFinished.emit()
    assert blocker.args == ["target", "label"]
    assert panel.value("target") == "label"
