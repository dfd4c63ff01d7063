"""Pretrained snapshots ("Skip ahead"): every snapshot a narrative step declares is shipped, matches its
provenance record, is packaged, and loads into its lesson on each engine with the metric it promises; a
damaged or foreign snapshot is refused and the lesson is untouched."""
import fnmatch
import hashlib
import json
import shutil
import tomllib
from pathlib import Path

import numpy as np
import pytest

from visualizer.core import registry
from visualizer.core.checkpoint import load_checkpoint
from visualizer.core.errors import LessonConfigError
from visualizer.core.session import TrainingSession
from visualizer.core.snapshots import (SnapshotError, lesson_folder, load_into, read_snapshot, settings_to_apply,
                                       snapshot_path, with_fresh_optimizer)

ROOT = Path(__file__).resolve().parents[2]
PROVENANCE = json.loads((ROOT / "assets" / "snapshots" / "provenance.json").read_text())


def declared() -> list[tuple[str, str, str]]:
    """(lesson id, snapshot name, engine) for every snapshot a narrative step names, on each of its engines."""
    out = set()
    for lesson_id in registry.infos():
        cls = registry.get(lesson_id)
        for step in cls.narrative:
            if step.snapshot:
                out.update((lesson_id, step.snapshot, engine) for engine in cls.info.engines)
    return sorted(out)


def record(lesson_id, name, engine) -> dict:
    hits = [e for e in PROVENANCE["snapshots"]
            if (e["lesson"], e["name"], e["engine"]) == (lesson_id, name, engine)]
    assert len(hits) == 1, f"provenance.json has {len(hits)} entries for {lesson_id}/{name}.{engine}"
    return hits[0]


def build(lesson_id, engine, **values):
    cls = registry.get(lesson_id)
    return cls(cls.hyperparameters(dict(values, engine=engine, device="cpu")))


def test_the_slow_lessons_declare_snapshots():
    names = {(lesson, name) for lesson, name, _ in declared()}
    assert {lesson for lesson, _ in names} >= {"attention", "seq2seq"}
    steps = {s.title: s.snapshot for s in registry.get("attention").narrative}
    assert steps["Your own date"]
    assert {s.title: s.snapshot for s in registry.get("seq2seq").narrative}["The peeky decoder"]


@pytest.mark.parametrize("lesson_id,name,engine", declared())
def test_snapshot_file_is_shipped_small_and_matches_its_provenance(lesson_id, name, engine):
    path = snapshot_path(registry.get(lesson_id), name, engine)
    assert path.is_file(), f"{path} is missing: run {PROVENANCE['script']}"
    entry = record(lesson_id, name, engine)
    data = path.read_bytes()
    assert hashlib.sha256(data).hexdigest() == entry["sha256"]
    assert path.resolve() == (ROOT / entry["file"]).resolve()
    assert len(data) == entry["bytes"] < 2_000_000
    _state, meta = load_checkpoint(path, lesson_id)
    assert meta["step"] == entry["steps"] and meta["snapshot"]["metrics"] == entry["metrics"]


def test_all_snapshots_together_stay_a_few_megabytes():
    assert sum(e["bytes"] for e in PROVENANCE["snapshots"]) < 5_000_000


@pytest.mark.parametrize("lesson_id,name,engine", declared())
def test_snapshot_is_package_data(lesson_id, name, engine):
    """pyproject's package-data patterns cover the file, so an installed package ships it."""
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["*"]
    path = snapshot_path(registry.get(lesson_id), name, engine)
    relative = path.relative_to(lesson_folder(registry.get(lesson_id))).as_posix()
    assert any(fnmatch.fnmatch(relative, p) for p in patterns), (relative, patterns)


@pytest.mark.parametrize("lesson_id,name,engine", declared())
def test_snapshot_loads_into_its_lesson_with_the_promised_metric(lesson_id, name, engine):
    cls = registry.get(lesson_id)
    info, _weights = read_snapshot(cls, name, engine)
    entry = record(lesson_id, name, engine)
    lesson = build(lesson_id, engine, **{k: v for k, v in info.settings.items() if k not in ("engine", "device")})
    try:
        before = lesson.evaluate()
        loaded = load_into(lesson, info.path)
        assert loaded.steps == entry["steps"]
        after = lesson.evaluate()
        for metric, promised in entry["metrics"].items():
            assert after[metric] >= promised - 1e-9, (metric, after[metric], promised)
            assert after[metric] > before[metric]
    finally:
        lesson.close()


def test_settings_to_apply_names_only_what_differs_and_never_the_engine():
    cls = registry.get("seq2seq")
    info, _ = read_snapshot(cls, "peeky_reversed_3000_steps", "numpy")
    current = cls.hyperparameters({"variant": "baseline", "engine": "torch", "hidden_size": 32}).as_dict()
    changes = settings_to_apply(cls, info, current)
    assert changes == {"variant": "peeky+reversed", "hidden_size": 128}
    assert settings_to_apply(cls, info, cls.hyperparameters(info.settings).as_dict()) == {}


def test_a_snapshot_with_unknown_settings_is_refused():
    cls = registry.get("seq2seq")
    info, _ = read_snapshot(cls, "peeky_reversed_3000_steps", "numpy")
    odd = type(info)(**{**info.__dict__, "settings": dict(info.settings, dropout=0.5)})
    with pytest.raises(SnapshotError, match="dropout"):
        settings_to_apply(cls, odd, cls.hyperparameters().as_dict())


def test_fresh_optimizer_zeroes_the_optimizer_and_keeps_the_weights():
    current = {"param.W": np.ones(3, np.float32), "opt.adam.t": np.array(7), "opt.adam._m.0": np.ones(3)}
    state = with_fresh_optimizer(current, {"param.W": np.full(3, 2, np.float16)})
    assert state["param.W"].tolist() == [2, 2, 2]
    assert state["opt.adam.t"] == 0 and not state["opt.adam._m.0"].any()


def _states_equal(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


@pytest.mark.parametrize("damage", ["truncate", "flip", "garbage", "other_lesson"])
def test_damaged_snapshot_is_refused_and_the_lesson_untouched(tmp_path, damage):
    source = snapshot_path(registry.get("seq2seq"), "peeky_reversed_3000_steps", "numpy")
    bad = tmp_path / source.name
    data = bytearray(source.read_bytes())
    if damage == "truncate":
        bad.write_bytes(data[: len(data) // 2])
    elif damage == "flip":
        data[len(data) // 2] ^= 0xFF                 # inside a weight array: the CRC catches it
        bad.write_bytes(data)
    elif damage == "garbage":
        bad.write_bytes(b"not a snapshot at all")
    else:
        shutil.copy(snapshot_path(registry.get("attention"), "dates_1000_steps", "numpy"), bad)
    lesson = build("seq2seq", "numpy", variant="peeky+reversed")
    try:
        before = lesson.checkpoint_state()
        with pytest.raises(SnapshotError):
            load_into(lesson, bad)
        assert _states_equal(before, lesson.checkpoint_state())
    finally:
        lesson.close()


def test_snapshot_of_other_settings_is_refused_and_the_lesson_untouched():
    path = snapshot_path(registry.get("seq2seq"), "peeky_reversed_3000_steps", "numpy")
    lesson = build("seq2seq", "numpy", variant="baseline")      # other layer shapes than peeky
    try:
        before = lesson.checkpoint_state()
        with pytest.raises(LessonConfigError):
            load_into(lesson, path)
        assert _states_equal(before, lesson.checkpoint_state())
    finally:
        lesson.close()


def test_missing_snapshot_says_so(tmp_path):
    with pytest.raises(SnapshotError, match="missing"):
        read_snapshot(registry.get("seq2seq"), "no_such_snapshot", "numpy")


def test_session_load_snapshot_continues_from_its_step_with_its_curves():
    cls = registry.get("seq2seq")
    info, _ = read_snapshot(cls, "peeky_reversed_3000_steps", "numpy")
    session = TrainingSession(cls, dict(info.settings, engine="numpy"), snapshots=False)
    try:
        assert session.wait_idle(60)
        session.load_snapshot(info.path)
        assert session.wait_idle(60)
        assert session.step_count == info.steps == 3000
        steps, acc = session.history.series("val_acc")
        assert len(steps) > 10 and steps[-1] == 3000 and acc[-1] >= info.metrics["val_acc"] - 1e-9
        assert any(e.kind == "notice" and "pretrained" in e.message for e in session.drain_events())
        assert session.snapshot_now().plots["predictions"].step == 3000     # the sample answers say so too
        session.step(2)                                   # trains on from the snapshot
        assert session.wait_idle(60) and session.step_count == 3002
    finally:
        session.stop(5)


def test_session_refuses_a_damaged_snapshot_and_keeps_its_model(tmp_path):
    cls = registry.get("seq2seq")
    bad = tmp_path / "bad.numpy.npz"
    bad.write_bytes(snapshot_path(cls, "peeky_reversed_3000_steps", "numpy").read_bytes()[:1000])
    session = TrainingSession(cls, {"variant": "peeky+reversed"}, snapshots=False)
    try:
        assert session.wait_idle(60)
        session.step(3)
        assert session.wait_idle(60)
        before = session.lesson.checkpoint_state()
        session.load_snapshot(bad)
        assert session.wait_idle(60)
        assert session.step_count == 3 and _states_equal(before, session.lesson.checkpoint_state())
        errors = [e.message for e in session.drain_events() if e.kind == "config_error"]
        assert errors and "damaged or truncated" in errors[-1]
    finally:
        session.stop(5)
