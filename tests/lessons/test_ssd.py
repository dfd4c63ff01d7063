"""Lesson ssd: training steps, the two loss terms, live matching settings, the pictures and their sliders,
the box probe, bad inputs, checkpoints, and SSD300 through the headless CLI (run.json records 8,732 boxes)."""
import json
import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from lessons.ssd.lesson import LESSON
from lessons.ssd.pictures import parse_box
from visualizer.core.errors import LessonConfigError
from visualizer.core.plotdata import AnnotatedImageData, ScatterData
from tests.lessons.torch_helpers import Recorder, one_torch_thread  # noqa: F401  (a fixture)

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def make(ctx=None, **values):
    base = {"train_scenes": 32, "batch_size": 8}
    base.update(values)
    return LESSON(LESSON.hyperparameters(base), ctx)


@pytest.fixture(scope="module")
def lesson():
    torch.set_num_threads(1)
    les = make()
    for step in range(1, 4):
        les.train_step(step)
    les.flush()
    yield les
    les.close()


def test_package_imports_without_torch():
    code = "import sys, lessons.ssd, lessons.ssd.specs, lessons.ssd.lesson; assert 'torch' not in sys.modules"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_steps_record_both_loss_terms_and_the_batch_is_mirrored_consistently():
    les = make(seed=3)
    x, boxes, labels = les.next_batch()
    assert x.shape == (8, 3, 64, 64) and boxes.shape[:2] == labels.shape
    valid = labels >= 0
    assert (boxes[valid][:, 2] > boxes[valid][:, 0]).all() and boxes.min() >= 0 and boxes.max() <= 1
    m = {}
    for step in range(1, 3):
        les.train_step(step)
        m = les.flush()
    assert {"train_loss", "train_loss_loc", "train_loss_conf"} <= set(m)
    assert m["train_loss"] == pytest.approx(m["train_loss_loc"] + m["train_loss_conf"], rel=1e-5)
    les.close()


def test_mirroring_keeps_boxes_on_their_objects():
    les = make(seed=1)
    x0, b0, l0 = les.data["train"]
    gen = les.trainer.generator
    state = gen.get_state()
    x, boxes, labels = les.next_batch()
    gen.set_state(state)
    idx = torch.randint(0, len(x0), (8,), generator=gen)
    for j, i in enumerate(idx.tolist()):
        mirrored = not torch.equal(x[j], x0[i])
        assert torch.equal(x[j], x0[i].flip(2) if mirrored else x0[i])
        v = l0[i] >= 0
        expect = torch.stack([1 - b0[i][v][:, 2], b0[i][v][:, 1], 1 - b0[i][v][:, 0], b0[i][v][:, 3]], -1) \
            if mirrored else b0[i][v]
        torch.testing.assert_close(boxes[j][v], expect)
    les.close()


def test_evaluate_and_pictures(lesson):
    v = lesson.evaluate()
    assert 0 <= v["val_map"] <= 1 and {"val_loss_loc", "val_loss_conf"} <= set(v)
    assert any(k.startswith("val_ap_") for k in v)
    snap = lesson.snapshot()
    assert set(snap) == {"default_boxes", "probe", "detections", "truth_vs_pred", "matching", "pr_curves"}
    for k, d in snap.items():
        assert isinstance(d, ScatterData if k == "pr_curves" else AnnotatedImageData), k
        header, rows = d.table()
        assert header
    gt, _ = lesson.val_set.truth(lesson.hp["image_index"])
    m = snap["matching"]
    assert m.box_styles.count("solid") == len(gt) and m.box_styles.count("dashed") >= len(gt)


def test_view_sliders_redraw_without_training(lesson):
    hp = lesson.hp
    from visualizer.probes.detection import box_iou

    lesson.set_live("conf_threshold", 0.1)
    lesson.set_live("nms_iou", 0.95)
    many = lesson.snapshot()["detections"]
    lesson.set_live("nms_iou", 0.1)
    fewer = lesson.snapshot()["detections"]
    def overlap(d):                                               # the largest IoU of two boxes of one class
        same = d.box_classes[:, None] == d.box_classes[None, :]
        return np.where(same & ~np.eye(len(same), dtype=bool), box_iou(d.boxes, d.boxes), 0).max()
    assert len(many.boxes) >= len(fewer.boxes) > 0
    assert overlap(fewer) <= 0.1 + 1e-6 < overlap(many)          # NMS at 0.1 left no overlapping pair
    scores = [float(t.split()[-1]) for t in many.box_labels]
    assert min(scores) >= 0.1
    lesson.set_live("conf_threshold", 0.99)
    d = lesson.snapshot()["detections"]             # untrained: none passes; the 3 best below, dotted
    assert len(d.boxes) == 3 and d.box_styles == ["dotted"] * 3 and "no detection reaches" in d.caption
    lesson.set_live("iou_threshold", 0.3)
    low = lesson.snapshot()["matching"].box_styles.count("dashed")
    lesson.set_live("iou_threshold", 0.8)
    high = lesson.snapshot()["matching"].box_styles.count("dashed")
    assert low > high
    lesson.set_live("source_map", 2)
    lesson.set_live("aspect", "3")
    d = lesson.snapshot()["default_boxes"]
    assert d.box_labels == ["ratio 3"] and "source map 2 of 4 (8x8" in d.caption
    lesson.set_live("source_map", 6)                      # the small SSD has 4 maps: clipped, said so
    lesson.set_live("aspect", "all")
    d = lesson.snapshot()["default_boxes"]
    assert "source map 4 of 4" in d.caption and "clipped" in d.caption and len(d.boxes) == 4
    for name in ("conf_threshold", "nms_iou", "iou_threshold", "source_map", "aspect"):
        hp.set(name, LESSON.hyperparameters()[name])


def test_box_probe(lesson):
    assert parse_box("") is None and parse_box(" 1, 2, 30.5, 40 ") == (1, 2, 30.5, 40)
    lesson.set_live("probe_box", "10,12,40,50")
    p = lesson.snapshot()["probe"]
    assert p.box_labels[0] == "your box" and len(p.boxes) == 6
    np.testing.assert_allclose(p.boxes[0], [10, 12, 40, 50])
    ious = [float(s.split()[1]) for s in p.box_labels[1:]]
    assert ious == sorted(ious, reverse=True) and ious[0] > 0.3
    for bad, msg in (("1,2,3", "four numbers"), ("a,b,c,d", "four numbers"), ("10,10,5,20", "x1 > x0"),
                     ("100,100,120,120", "outside")):
        with pytest.raises(LessonConfigError, match=msg):
            lesson.set_live("probe_box", bad)
        assert lesson.hp["probe_box"] == "10,12,40,50"             # the old box stays
    with pytest.raises(LessonConfigError, match="four numbers"):
        make(probe_box="nonsense")
    lesson.set_live("probe_box", "")


def test_checkpoint_round_trip(lesson):
    state = lesson.checkpoint_state()
    other = make(seed=9)
    other.load_checkpoint_state(state)
    x = lesson.data["val"][0][:2]
    lesson.net.eval(), other.net.eval()
    torch.testing.assert_close(other.net(x)[1], lesson.net(x)[1])
    bad = dict(state)
    key = next(k for k in bad if k.endswith("conf.0.weight"))
    bad[key] = bad[key][:1]
    with pytest.raises(LessonConfigError):
        other.load_checkpoint_state(bad)
    other.close()


def test_run_facts(lesson):
    assert lesson.run_facts()["default_boxes"] == 1520


def test_ssd300_headless_records_8732_default_boxes(tmp_path):
    out = tmp_path / "run"
    r = subprocess.run([sys.executable, "-m", "visualizer", "--headless", "--lesson", "ssd", "--set", "variant=ssd300",
                        "--set", "train_scenes=16", "--steps", "1", "--export", str(out)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    run = json.loads((out / "run.json").read_text())
    assert run["facts"]["default_boxes"] == 8732
    assert run["facts"]["source_maps"] == [38, 19, 10, 5, 3, 1]
    assert "batches of 4" in r.stderr


# ---- data: VOC folders and the download's fallback ------------------------------------------------------------
def tiny_voc(root, n=6):
    from tests.core.test_data_voc import write_jpeg, write_xml

    rng = np.random.default_rng(0)
    for i in range(1, n + 1):
        write_jpeg(root / f"JPEGImages/{i:06d}.jpg", rng.integers(0, 255, (48, 64, 3)))
        write_xml(root / f"Annotations/{i:06d}.xml", 64, 48, [("dog", 5, 5, 30, 40), ("person", 35, 2, 60, 46)])
    write_jpeg(root / "JPEGImages/000100.jpg", rng.integers(0, 255, (48, 64, 3)))
    write_xml(root / "Annotations/000100.xml", 64, 48, [("cat", 40, 10, 90, 30)])      # reaches outside
    (root / "Annotations/000101.xml").write_text("<annotation><object>")                  # broken XML
    (root / "JPEGImages/000101.jpg").write_bytes(b"not a jpeg")
    return root


def test_voc_folder_trains_and_names_bad_files(tmp_path):
    ctx = Recorder()
    les = make(ctx, dataset="VOC folder", voc_folder=str(tiny_voc(tmp_path / "VOC2007")))
    assert les.class_names[0] == "aeroplane" and len(les.class_names) == 20
    assert les.cfg.num_classes == 21 and len(les.train_set) + len(les.val_set) == 7
    assert any("000100.xml" in n and "000101" in n for n in ctx.notices), ctx.notices
    les.train_step(1)
    assert np.isfinite(les.flush()["train_loss"])
    assert "val_map" in les.evaluate() and les.snapshot()["detections"].class_names[0] == "aeroplane"
    les.close()


def test_voc_folder_errors(tmp_path):
    with pytest.raises(LessonConfigError, match="Choose a VOC folder"):
        make(dataset="VOC folder")
    with pytest.raises(LessonConfigError, match="VOC folder"):
        make(dataset="VOC folder", voc_folder=str(tmp_path / "nowhere"))


def test_voc_download_offline_falls_back_to_the_scenes(monkeypatch):
    from visualizer.data import voc
    from visualizer.data.download import DownloadError

    def offline(year, progress=None):
        raise DownloadError("no network", reason="offline")
    monkeypatch.setattr(voc, "fetch_voc", offline)
    ctx = Recorder()
    les = make(ctx, dataset="VOC2007 (download)")
    assert les.class_names[0] == "circle" and any("generated scenes instead" in n for n in ctx.notices)
    les.close()
