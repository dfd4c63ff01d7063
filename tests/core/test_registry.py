"""Lesson discovery: every lesson is found, an unknown id names the known ones, a broken package is skipped."""
import pytest

import lessons
from visualizer.core import registry


def test_discover_finds_the_shipped_lessons_in_track_order():
    found = registry.discover()
    assert {"playground", "mlp_digits"} <= set(found)
    assert all(cls.info.id == lesson_id for lesson_id, cls in found.items())
    assert registry.load_errors() == {}


def test_unknown_lesson_names_the_known_ones():
    with pytest.raises(registry.UnknownLessonError, match="playground"):
        registry.get("no_such_lesson")


@pytest.fixture
def broken_lesson_package(tmp_path, monkeypatch):
    package = tmp_path / "zz_broken_lesson"
    package.mkdir()
    (package / "__init__.py").write_text("import a_module_that_does_not_exist\n")
    monkeypatch.setattr(lessons, "__path__", [*lessons.__path__, str(tmp_path)])
    yield "zz_broken_lesson"
    registry.discover()         # leave no error behind for later tests


def test_a_lesson_that_fails_to_import_is_skipped_and_reported(broken_lesson_package, caplog):
    found = registry.discover()
    assert "playground" in found and "mlp_digits" in found
    errors = registry.load_errors()
    assert list(errors) == [broken_lesson_package]
    assert "ModuleNotFoundError" in errors[broken_lesson_package]
    assert any(broken_lesson_package in r.getMessage() for r in caplog.records)


def test_cli_list_warns_about_a_broken_lesson(broken_lesson_package, capsys):
    from visualizer.cli import main

    assert main(["--list"]) == 0
    out, err = capsys.readouterr()
    assert "playground" in out.split()
    assert broken_lesson_package in err and "could not be loaded" in err


def test_view_params_name_live_parameters():
    for lesson_id, cls in registry.discover().items():
        live = {p.name for p in cls.all_params() if p.live}
        assert set(cls.view_params) <= live, (lesson_id, set(cls.view_params) - live)
