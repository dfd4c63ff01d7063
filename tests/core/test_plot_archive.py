"""Plot snapshots on disk (visualizer.core.plot_archive): a round trip keeps every field, including nested data
classes, tuples, dicts and NaN; a damaged, truncated, foreign or newer file is a PlotArchiveError."""
import io
import json
import math
import zipfile

import numpy as np
import pytest

from visualizer.core.plot_archive import HEADER, VERSION, PlotArchiveError, load_plots, save_plots
from visualizer.core.plotdata import BarsData, CurvesData, ImageData, ImageGridData, ScatterData


def sample_plots():
    rng = np.random.default_rng(0)
    scatter = ScatterData(points=rng.standard_normal((5, 2)).astype(np.float32), labels=np.arange(5),
                          class_names=("a", "b"), levels=(0.0, float("nan")))
    return {
        "bars": BarsData(["w", "target"], np.array([1.5, np.nan])),
        "curves": CurvesData({"train_loss": (np.arange(4.0), np.array([3.0, 2.0, np.inf, 1.0]))},
                             markers=[(2, "lr 0.1 -> 0.01")]),
        "image": ImageData(rng.random((4, 3)).astype(np.float32), extent=(0.0, 1.0, -1.0, 1.0), overlay=scatter),
        "grid": ImageGridData(rng.random((2, 3, 3)).astype(np.float32), captions=["first", "second"],
                              levels=None),
    }


def same(a, b):
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.dtype == b.dtype and np.array_equal(a, b, equal_nan=a.dtype.kind == "f")
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if hasattr(a, "__dataclass_fields__"):
        return type(a) is type(b) and all(same(getattr(a, f), getattr(b, f)) for f in a.__dataclass_fields__)
    return a == b


def test_a_round_trip_keeps_every_field_nested_plots_and_non_finite_values(tmp_path):
    plots = sample_plots()
    path = tmp_path / "snap.npz"
    assert save_plots(path, 42, plots, {"t": 1.25}) == []
    step, back, meta = load_plots(path, "toy")
    assert step == 42 and meta == {"t": 1.25}
    assert back.keys() == plots.keys()
    for pid in plots:
        assert same(plots[pid], back[pid]), pid
    assert isinstance(back["image"].overlay, ScatterData)
    assert math.isinf(back["curves"].series["train_loss"][1][2])


def test_a_plot_of_a_type_the_format_does_not_hold_is_skipped_and_named(tmp_path):
    class NotPlotData:
        pass
    skipped = save_plots(tmp_path / "s.npz", 1, {"ok": BarsData(["a"], np.ones(1)), "odd": NotPlotData()})
    assert skipped == ["odd"]
    assert list(load_plots(tmp_path / "s.npz")[1]) == ["ok"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(tmp_path, monkeypatch):
    path = tmp_path / "latest.npz"
    save_plots(path, 1, sample_plots())
    before = path.read_bytes()

    def full_disk(*a, **k):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(np, "savez", full_disk)
    with pytest.raises(OSError):
        save_plots(path, 2, sample_plots())
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["latest.npz"]


@pytest.mark.parametrize("keep", [0.3, 0.6, 0.95])
def test_a_truncated_file_is_a_plot_archive_error(tmp_path, keep):
    path = tmp_path / "s.npz"
    save_plots(path, 3, sample_plots())
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(PlotArchiveError, match="s.npz"):
        load_plots(path, "toy")


def write_header(path, header, arrays=None):
    buf = io.BytesIO()
    members = dict(arrays or {})
    members[HEADER] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    np.savez(buf, **members)
    path.write_bytes(buf.getvalue())


@pytest.mark.parametrize("type_name", ["os:system", "builtins:eval", "lessons.other.lesson:Data", "Nope",
                                       "lessons.toy_sneaky.lesson:X"])
def test_a_file_naming_a_foreign_type_is_refused_without_importing_it(tmp_path, type_name):
    path = tmp_path / "s.npz"
    write_header(path, {"format": "dlvis-plots", "version": VERSION, "step": 1, "meta": {},
                        "plots": {"p": {"type": type_name, "fields": {"command": "echo hi"}}}})
    with pytest.raises(PlotArchiveError, match="not a plot data type"):
        load_plots(path, "toy")


def test_a_newer_format_version_is_refused_with_both_versions_named(tmp_path):
    path = tmp_path / "s.npz"
    write_header(path, {"format": "dlvis-plots", "version": VERSION + 1, "step": 1, "meta": {}, "plots": {}})
    with pytest.raises(PlotArchiveError, match=f"version {VERSION + 1}.*reads version {VERSION}"):
        load_plots(path)


def test_files_that_are_not_snapshots_are_refused(tmp_path):
    other = tmp_path / "other.npz"
    np.savez(other, x=np.ones(3))
    with pytest.raises(PlotArchiveError, match="not a plot snapshot"):
        load_plots(other)
    foreign = tmp_path / "foreign.npz"
    write_header(foreign, {"format": "something-else", "version": 1})
    with pytest.raises(PlotArchiveError, match="not a plot snapshot"):
        load_plots(foreign)
    zipped = tmp_path / "text.npz"
    with zipfile.ZipFile(zipped, "w") as z:
        z.writestr(HEADER + ".npy", b"not numpy")
    with pytest.raises(PlotArchiveError):
        load_plots(zipped)


def test_a_missing_array_or_refused_fields_are_a_plot_archive_error(tmp_path):
    path = tmp_path / "s.npz"
    write_header(path, {"format": "dlvis-plots", "version": VERSION, "step": 1, "meta": {},
                        "plots": {"b": {"type": "BarsData", "fields": {"labels": ["a"], "values": {"array": "a9"}}}}})
    with pytest.raises(PlotArchiveError, match="cannot be rebuilt"):
        load_plots(path)
    write_header(path, {"format": "dlvis-plots", "version": VERSION, "step": 1, "meta": {},
                        "plots": {"b": {"type": "BarsData", "fields": {"no_such_field": 1}}}})
    with pytest.raises(PlotArchiveError, match="cannot be rebuilt"):
        load_plots(path)
