"""TensorBoard export (issue #19, part 4): a real run written by TensorBoardWriter and read back with TensorBoard's
own event reader (EventAccumulator), tag by tag, step by step; the projector's files; the pictures of each image
view; the CLI's --tensorboard; a clear message without tensorboardX."""
from __future__ import annotations

import math
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("tensorboardX")
pytest.importorskip("tensorboard")

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa: E402
from tensorboard.plugins.hparams import plugin_data_pb2  # noqa: E402

from visualizer import cli  # noqa: E402
from visualizer.core import registry  # noqa: E402
from visualizer.core import tensorboard_export as tbx  # noqa: E402
from visualizer.core.plotdata import (AnnotatedImageData, ClipData, ImageData, ImageGridData, ScatterData,  # noqa: E402
                                      WordMapData)
from visualizer.core.session import TrainingSession  # noqa: E402

LESSON = "autoencoder"                  # numpy engine: an image grid, a labelled 2-D code (scatter), weights
STEPS = 30


def _read(logdir: Path) -> EventAccumulator:
    acc = EventAccumulator(str(logdir), size_guidance={"scalars": 0, "images": 0, "histograms": 0, "tensors": 0})
    acc.Reload()
    return acc


def _hparams(acc: EventAccumulator) -> dict[str, plugin_data_pb2.HParamsPluginData]:
    out = {}
    for tag, content in acc.PluginTagToContent("hparams").items():
        data = plugin_data_pb2.HParamsPluginData()
        data.ParseFromString(content)
        out[tag] = data
    return out


@pytest.fixture(scope="module")
def run():
    """A short real run of the autoencoder, finished, with a snapshot and its weights."""
    session = TrainingSession(registry.get(LESSON), {"engine": "numpy", "seed": 3}, snapshots=False)
    try:
        assert session.wait_idle(120)
        session.step(STEPS)
        assert session.wait_idle(120)
        session.snapshot_now()
        done = threading.Event()
        state = {}

        def grab(lesson):
            state.update(lesson.checkpoint_state())
            done.set()
        session.call(grab)
        assert done.wait(60)
        yield session, state
    finally:
        session.stop(5.0)


def test_the_reader_finds_every_exported_tag_at_its_steps(run, tmp_path):
    session, state = run
    writer = tbx.TensorBoardWriter(tmp_path)
    record = session.run_record()
    writer.open(record)
    rows = tbx.history_rows(session.history)
    writer.metrics(rows)
    writer.events([{"t": 1.0, "step": 7, "kind": "notice", "message": "a notice at step 7"}])
    snap = session.latest_snapshot()
    writer.snapshot(snap.step, 0.0, snap.plots)
    writer.checkpoint(STEPS, state)
    writer.close("done", 0)

    acc = _read(tmp_path)
    tags = acc.Tags()
    # scalars: every metric of the history, each value at its step
    names = session.history.names()
    assert names
    for name in names:
        steps, values = session.history.series(name)
        events = acc.Scalars(tbx.scalar_tag(name))
        assert [e.step for e in events] == [int(s) for s in steps], name
        np.testing.assert_allclose([e.value for e in events], values, rtol=1e-6, err_msg=name)
    assert set(tags["scalars"]) == {tbx.scalar_tag(n) for n in names}
    assert "train/loss" in tags["scalars"] and "val/loss" in tags["scalars"]
    # images: every image view of the snapshot, at the snapshot's step, the size plot_image gives
    image_plots = {pid: d for pid, d in snap.plots.items() if tbx.plot_image(d) is not None}
    assert image_plots, "the autoencoder shows image grids"
    assert set(tags["images"]) == {f"plots/{pid}" for pid in image_plots}
    for pid, data in image_plots.items():
        (img,) = acc.Images(f"plots/{pid}")
        picture = tbx.plot_image(data)
        assert img.step == snap.step == STEPS
        assert (img.height, img.width) == picture.shape[:2]
    # histograms: every floating-point weight array, with the array's count, range and sum
    weights = {k: v for k, v in state.items() if not k.startswith("opt.") and np.asarray(v).dtype.kind == "f"}
    assert set(tags["histograms"]) == {f"weights/{k}" for k in weights}
    for name, arr in weights.items():
        (h,) = acc.Histograms(f"weights/{name}")
        assert h.step == STEPS
        assert h.histogram_value.num == arr.size
        assert h.histogram_value.min == pytest.approx(float(arr.min()), rel=1e-6)
        assert h.histogram_value.max == pytest.approx(float(arr.max()), rel=1e-6)
        assert h.histogram_value.sum == pytest.approx(float(arr.astype(np.float64).sum()), rel=1e-5, abs=1e-6)
    # hyperparameters: the lesson's settings, the scalar tags as metrics, the run's end status
    hp = _hparams(acc)
    assert set(hp) == {"_hparams_/session_start_info", "_hparams_/experiment", "_hparams_/session_end_info"}
    start = hp["_hparams_/session_start_info"].session_start_info.hparams
    for name, value in record["hyperparameters"].items():
        if isinstance(value, bool):
            assert start[name].bool_value is value, name
        elif isinstance(value, (int, float)):
            assert start[name].number_value == pytest.approx(float(value)), name
        elif isinstance(value, str):
            assert start[name].string_value == value, name
    assert start["lesson"].string_value == LESSON
    metric_tags = {m.name.tag for m in hp["_hparams_/experiment"].experiment.metric_infos}
    assert metric_tags == set(tags["scalars"])
    assert hp["_hparams_/session_end_info"].session_end_info.status == 1          # STATUS_SUCCESS
    # events and the configuration as text
    assert "events/notice/text_summary" in tags["tensors"]
    (note,) = acc.Tensors("events/notice/text_summary")
    assert note.step == 7 and b"a notice at step 7" in note.tensor_proto.string_val[0]
    # the embedding projector: the latent codes with their digit labels
    scatter = {pid: d for pid, d in snap.plots.items() if isinstance(d, ScatterData)}
    assert scatter
    config = (tmp_path / "projector_config.pbtxt").read_text()
    for pid, data in scatter.items():
        folder = tmp_path / f"{snap.step:05d}" / pid
        assert f'tensor_name: "{pid}:{snap.step:05d}"' in config
        labels = (folder / "metadata.tsv").read_text().splitlines()
        names_ = list(data.class_names)
        assert labels == [names_[int(k)] if names_ else str(int(k)) for k in data.labels]
        points = np.loadtxt(folder / "tensors.tsv", delimiter="\t", ndmin=2)
        np.testing.assert_allclose(points, data.points, rtol=1e-5, atol=1e-6)


def test_export_session_writes_the_run_with_histograms_on_the_worker(run, tmp_path):
    session, _state = run
    done = threading.Event()
    errors: list = []
    session.export_tensorboard(tmp_path, lambda error: (errors.append(error), done.set()))
    assert done.wait(60) and errors == [None]
    notices = [e.message for e in session.drain_events() if e.kind == "notice"]
    assert any("tensorboard --logdir" in m for m in notices)
    tags = _read(tmp_path).Tags()
    assert set(tags["scalars"]) == {tbx.scalar_tag(n) for n in session.history.names()}
    assert tags["histograms"] and tags["images"]


def test_images_are_written_at_most_every_image_every_seconds(tmp_path):
    writer = tbx.TensorBoardWriter(tmp_path, image_every=10.0)
    writer.open({"hyperparameters": {"lr": 0.1}})
    picture = {"map": ImageData(np.linspace(0, 1, 12, dtype=np.float32).reshape(3, 4))}
    for step, t in [(1, 0.0), (2, 4.0), (3, 11.0), (4, 12.0)]:
        writer.snapshot(step, t, picture)
    writer.close("stopped", 5)
    acc = _read(tmp_path)
    assert [e.step for e in acc.Images("plots/map")] == [1, 3, 4]         # 4: the last snapshot, at close
    assert _hparams(acc)["_hparams_/session_end_info"].session_end_info.status == 0     # STATUS_UNKNOWN


def test_plot_image_maps_levels_and_lays_out_grids_and_strips():
    field = ImageData(np.array([[0.0, 2.0], [4.0, 8.0]], dtype=np.float32), levels=(0.0, 4.0))
    np.testing.assert_allclose(tbx.plot_image(field), [[1.0, 1.0], [0.0, 0.5]])       # row 0 at the top now
    tiles = np.stack([np.full((2, 3), v, dtype=np.float32) for v in (0.0, 1.0, 2.0, np.nan)])
    grid = tbx.plot_image(ImageGridData(tiles, ncols=2))                              # levels None: data range
    assert grid.shape == (5, 7)
    assert grid[0, 0] == 0.0 and grid[0, 4] == 0.5 and grid[3, 0] == 1.0 and grid[3, 4] == 0.0   # NaN -> 0
    assert grid[2].max() == 0.0 and grid[:, 3].max() == 0.0                          # the padding
    rgb = tbx.plot_image(AnnotatedImageData(np.full((4, 5, 3), 0.25, dtype=np.float32)))
    assert rgb.shape == (4, 5, 3)
    clip = tbx.plot_image(ClipData(np.random.default_rng(0).random((40, 6, 8)).astype(np.float32)))
    assert clip.shape == (6, 16 * 9 - 1)
    assert tbx.plot_image(ScatterData(np.zeros((2, 2)), np.zeros(2))) is None


def test_word_maps_go_to_the_projector_with_words_and_classes(tmp_path):
    words = ["king", "queen", "tab\there", "apple"]
    data = WordMapData(np.arange(8, dtype=np.float32).reshape(4, 2), words, np.array([0, 0, 1, 1]),
                       class_names=["royal", "fruit"], points3d=np.arange(12, dtype=np.float32).reshape(4, 3))
    writer = tbx.TensorBoardWriter(tmp_path)
    writer.open({})
    writer.snapshot(5, 0.0, {"words": data})
    writer.close("done", None)
    rows = [line.split("\t") for line in (tmp_path / "00005" / "words" / "metadata.tsv").read_text().splitlines()]
    assert rows == [["word", "class"], ["king", "royal"], ["queen", "royal"], ["tab here", "fruit"], ["apple", "fruit"]]
    points = np.loadtxt(tmp_path / "00005" / "words" / "tensors.tsv", delimiter="\t")
    np.testing.assert_allclose(points, data.points3d)


def test_scalar_tags_group_training_and_evaluation():
    assert tbx.scalar_tag("train_loss") == "train/loss"
    assert tbx.scalar_tag("val_acc@torch") == "val/acc@torch"
    assert tbx.scalar_tag("d_loss") == "metrics/d_loss"
    assert tbx.scalar_tag("train_") == "metrics/train_"


def test_non_finite_metrics_are_left_out(tmp_path):
    writer = tbx.TensorBoardWriter(tmp_path)
    writer.open({})
    writer.metrics([(1, 0.0, {"train_loss": 1.0}), (2, 0.1, {"train_loss": math.nan}), (3, 0.2, {"train_loss": 0.5})])
    writer.close("diverged", 3)
    assert [(e.step, e.value) for e in _read(tmp_path).Scalars("train/loss")] == [(1, 1.0), (3, 0.5)]


def test_cli_tensorboard_writes_a_headless_run(tmp_path, capsys):
    out = tmp_path / "tb"
    code = cli.main(["--lesson", LESSON, "--headless", "--steps", "24", "--engine", "numpy", "--tensorboard", str(out)])
    assert code == cli.EXIT_OK
    assert "tensorboard --logdir" in capsys.readouterr().out
    tags = _read(out).Tags()
    assert {"train/loss", "val/loss"} <= set(tags["scalars"])
    assert tags["histograms"] and tags["images"]
    assert (out / "projector_config.pbtxt").exists()


def test_a_folder_that_cannot_be_made_is_reported(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(tbx.TensorBoardExportError, match="Cannot write TensorBoard files to"):
        tbx.TensorBoardWriter(blocker / "run")


def test_a_missing_tensorboardx_is_named_with_the_extra(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "tensorboardX", None)          # import tensorboardX -> ImportError
    with pytest.raises(tbx.TensorBoardExportError, match=r"deep-learning-visualizer\[tensorboard\]"):
        tbx.TensorBoardWriter(tmp_path)
    code = cli.main(["--lesson", LESSON, "--headless", "--steps", "1", "--tensorboard", str(tmp_path / "x")])
    assert code == cli.EXIT_USAGE
    assert not (tmp_path / "x").exists()
