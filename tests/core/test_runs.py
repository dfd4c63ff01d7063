"""Earlier runs (issue #13 point 2): labels name the settings that differ from the current run with the
controls' display labels, never internal names or "+N more"; show, hide, rename and delete."""
from visualizer.core.hyperparams import BoolParam, ChoiceParam, FloatParam, IntParam
from visualizer.core.runs import RunList, differing_settings, legend_text

SPECS = (FloatParam("lr", "Learning rate", 0.1, 1e-4, 10.0, log=True, live=True),
         IntParam("hidden", "Hidden units", 8, 1, 512),
         ChoiceParam("activation", "Activation", "tanh", ("tanh", "relu")),
         BoolParam("x1_times_x2", "x₁·x₂", False),
         FloatParam("azimuth", "View angle", 30.0, 0.0, 360.0, live=True))


def test_labels_use_display_labels_and_only_the_settings_that_differ():
    old = {"lr": 0.123456, "hidden": 8, "activation": "tanh", "x1_times_x2": True, "azimuth": 10.0}
    new = {"lr": 0.03, "hidden": 8, "activation": "relu", "x1_times_x2": False, "azimuth": 90.0}
    text = differing_settings(old, new, SPECS, ignore={"azimuth"})
    assert text == ["Learning rate 0.1235", "Activation tanh", "x₁·x₂ on"]
    joined = " ".join(text)
    assert "x1_times_x2" not in joined and "=" not in joined and "more" not in joined and "View angle" not in joined
    assert differing_settings(old, old, SPECS) == []


def test_a_run_list_relabels_hides_old_runs_renames_and_deletes():
    runs = RunList(SPECS, ignore={"azimuth"}, max_kept=4, max_shown=2)
    base = {"lr": 0.1, "hidden": 8, "activation": "tanh", "x1_times_x2": False, "azimuth": 0.0}
    r1 = runs.add(dict(base, lr=1.0), {"loss": "c1"}, current=dict(base, lr=0.5))
    assert r1.label == "Run 1: Learning rate 1"
    runs.add(dict(base, lr=0.5), {"loss": "c2"}, current=dict(base, lr=0.5, azimuth=40.0))
    assert [r.label for r in runs] == ["Run 1: Learning rate 1", "Run 2: same settings"]   # view angle ignored
    runs.add(dict(base, lr=0.5, hidden=16), {"loss": "c3"}, current=base)
    assert [r.label for r in runs] == ["Run 1: Learning rate 1", "Run 2: Learning rate 0.5",
                                       "Run 3: Learning rate 0.5, Hidden units 16"]  # relabelled vs the new current
    assert [r.number for r in runs.shown()] == [2, 3]          # the oldest is hidden, not deleted
    runs.set_visible(1, True)
    runs.rename(2, "  slow  ")
    assert runs.get(2).label == "slow"
    runs.rename(2, "")
    assert runs.get(2).label == "Run 2: Learning rate 0.5"
    runs.delete([1, 3])
    assert [r.number for r in runs] == [2]
    runs.clear()
    assert len(runs) == 0 and runs.add(base, {}, base).number == 4     # numbers are never reused


def test_legend_text_is_cut_and_escaped():
    assert legend_text("share with |w| < 0.001", 40) == "share with |w| &lt; 0.001"
    cut = legend_text("Run 1: Learning rate 0.1, Hidden units 8, Activation tanh", 30)
    assert len(cut) == 30 and cut.endswith("…")


def test_a_run_keeps_the_live_changes_it_trained_with_but_not_one_made_after_its_last_step():
    from visualizer.core.history import MetricHistory, ParamChange
    from visualizer.core.runs import run_params

    history = MetricHistory()
    assert history.last_step() == -1
    for step in range(1, 11):
        history.record_training(step, step, {"train_loss": 1.0 / step})
    history.add_change(ParamChange(4, "lr", 0.1, 0.3))           # applied before step 5: trained with it
    history.add_change(ParamChange(10, "lr", 0.3, 0.01))         # set after the last step, before Reset
    assert history.last_step() == 10
    params = run_params({"lr": 0.1, "hidden": 8}, history.changes(), history.last_step())
    assert params == {"lr": 0.3, "hidden": 8}


def test_runs_of_another_environment_are_not_drawn_over_the_current_one():
    runs = RunList(SPECS, comparable_by=("activation",))
    base = {"lr": 0.1, "hidden": 8, "activation": "tanh", "x1_times_x2": False, "azimuth": 0.0}
    runs.add(dict(base, activation="relu"), {"loss": "c1"}, current=base)
    runs.add(dict(base, lr=0.5), {"loss": "c2"}, current=base)
    assert [r.number for r in runs.shown()] == [1, 2]                 # both visible...
    assert [r.number for r in runs.shown(base)] == [2]                # ...only the same activation drawn over it
    assert [r.number for r in runs.shown(dict(base, activation="relu"))] == [1]
    assert [r.number for r in runs.shown({"lr": 0.1})] == [1, 2]      # a run without the setting is not refused
