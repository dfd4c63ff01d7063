"""A data path given without its data set selects it; one given with another data set is an error; every
lesson's links name a real choice; the data a lesson trains on is named (run.json, the CLI)."""
import pytest

from visualizer.core import registry
from visualizer.core.hyperparams import (ChoiceParam, HyperparameterError, Hyperparameters, PathParam,
                                         data_settings, select_data_sets)

SPECS = (ChoiceParam("dataset", "Data set", "circle", ("circle", "csv")),
         PathParam("csv_path", "CSV file", used_when=("dataset", "csv")),
         PathParam("task_file", "Task file"))


def test_a_path_without_its_data_set_selects_it_and_says_so():
    values, notes = select_data_sets(SPECS, {"csv_path": "points.csv"})
    assert values == {"csv_path": "points.csv", "dataset": "csv"}
    assert len(notes) == 1 and "dataset=csv" in notes[0] and "csv_path" in notes[0]


def test_a_path_with_another_data_set_is_an_error_naming_both_settings():
    with pytest.raises(HyperparameterError, match=r"csv_path.*dataset=circle.*set dataset=csv"):
        select_data_sets(SPECS, {"csv_path": "points.csv", "dataset": "circle"})


def test_an_empty_path_or_a_matching_choice_changes_nothing():
    assert select_data_sets(SPECS, {"csv_path": ""}) == ({"csv_path": ""}, [])
    given = {"csv_path": "p.csv", "dataset": "csv"}
    assert select_data_sets(SPECS, given) == (given, [])


def test_a_link_to_no_choice_is_refused():
    with pytest.raises(HyperparameterError, match="used_when"):
        Hyperparameters((PathParam("p", "P", used_when=("dataset", "nope")),) + SPECS[:1])


def test_data_settings_name_the_choice_and_only_the_files_read():
    hp = Hyperparameters(SPECS, {"csv_path": "p.csv"})
    assert data_settings(hp) == {"dataset": "circle"}           # the path is not read: not named
    hp = Hyperparameters(SPECS, {"csv_path": "p.csv", "dataset": "csv", "task_file": "t.txt"})
    assert data_settings(hp) == {"dataset": "csv", "csv_path": "p.csv", "task_file": "t.txt"}


@pytest.mark.parametrize("lesson_id,path,choice", [("rnn_lm", "ptb_folder", ("dataset", "ptb_folder")),
                                                   ("perceptron", "csv_path", ("dataset", "csv")),
                                                   ("playground", "csv_path", ("dataset", "csv")),
                                                   ("word_vectors", "corpus_path", ("corpus", "file"))])
def test_the_lessons_link_their_data_paths(lesson_id, path, choice):
    cls = registry.get(lesson_id)
    values, _ = select_data_sets(cls.all_params(), {path: "/some/where"})
    assert values[choice[0]] == choice[1]
    assert data_settings(cls.hyperparameters(values))[path] == "/some/where"


def test_every_lesson_declares_valid_links():
    for lesson_id, cls in registry.discover().items():
        cls.hyperparameters({})                                  # check_links raises for a broken one
        paths = [s for s in cls.all_params() if isinstance(s, PathParam)]
        for s in paths:
            choices = {c.name for c in cls.all_params() if isinstance(c, ChoiceParam)}
            if s.used_when is None:                               # an unlinked path must not sit next to a data set
                assert not {"dataset", "corpus"} & choices, (lesson_id, s.name)


def test_a_path_too_long_for_the_system_is_refused_before_the_lesson_reads_it(tmp_path):
    """A 300-character file name reached rnn_lm's loader as 'OSError: [Errno 36] File name too long' with a
    traceback; a missing file stays the lesson's to report."""
    spec = PathParam("ptb_folder", "Penn Treebank folder")
    with pytest.raises(HyperparameterError, match="too long for this system"):
        spec.validate(str(tmp_path / ("a" * 300)))
    assert spec.validate(str(tmp_path / "missing.txt")) == str(tmp_path / "missing.txt")
