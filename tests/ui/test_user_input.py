"""Text the user types that no file can have is refused where it is typed, in words, with the old
value kept; nothing reaches the lesson as a traceback."""
from visualizer.core.hyperparams import PathParam
from visualizer.ui.hyperparameter_panel import HyperparameterPanel

SPEC = PathParam("csv_path", "CSV file", "", "CSV files (*.csv)")


def test_a_path_with_a_nul_character_is_refused_in_the_panel(qtbot):
    panel = HyperparameterPanel((SPEC,), {"csv_path": "/data/points.csv"})
    qtbot.addWidget(panel)
    committed = []
    panel.valueCommitted.connect(lambda n, v: committed.append(v))
    box = panel.control("csv_path").box
    with qtbot.waitSignal(panel.invalidValue) as blocker:
        box.setText("/data/po\x00ints.csv")
        box.editingFinished.emit()
    assert blocker.args[0] == "csv_path"
    assert "CSV file" in blocker.args[1] and "NUL" in blocker.args[1]
    assert committed == []
    assert panel.value("csv_path") == "/data/points.csv" and box.text() == "/data/points.csv"
