"""SmallVGG (visualizer/models/small_vgg_torch.py) and its pretrained source model (shapes_pretrained.py)."""
import numpy as np
import pytest
import torch

from visualizer.core.checkpoint import CheckpointError
from visualizer.core.model_shelf import ShelvedModel
from visualizer.data.shapes import source_sets
from visualizer.models import shapes_pretrained
from visualizer.models.small_vgg_torch import (SmallVGGConfig, build_small_vgg, load_numpy_state, numpy_state,
                                               small_vgg_from_shelf)


def test_layout_follows_torchvision_vgg_and_blocks_cover_the_features():
    m = build_small_vgg(SmallVGGConfig(5), seed=0)
    assert m(torch.rand(2, 3, 32, 32)).shape == (2, 5)
    assert m.embed(torch.rand(2, 3, 32, 32)).shape == (2, 64)
    blocks = m.block_slices()
    assert blocks[0].start == 0 and blocks[-1].stop == len(m.features)
    assert all(isinstance(m.features[b.stop - 1], torch.nn.MaxPool2d) for b in blocks)
    assert m.conv_names()[0] == "features.0"


def test_a_new_head_keeps_the_backbone_and_leaves_the_original_alone():
    m = build_small_vgg(SmallVGGConfig(8), seed=0)
    twin = m.with_new_head(3, seed=1)
    assert twin(torch.rand(1, 3, 32, 32)).shape == (1, 3) and twin.cfg.n_classes == 3
    assert torch.equal(twin.features[0].weight, m.features[0].weight)
    twin.features[0].weight.data += 1
    assert not torch.equal(twin.features[0].weight, m.features[0].weight)
    assert m.classifier[-1].out_features == 8


def test_loading_a_damaged_state_changes_nothing():
    m = build_small_vgg(SmallVGGConfig(4), seed=0)
    before = numpy_state(m)
    for damage in (np.zeros((1, 1), np.float32), None, np.full_like(before["features.0.weight"], np.nan)):
        state = dict(before)
        if damage is None:
            del state["features.0.weight"]
        else:
            state["features.0.weight"] = damage
        with pytest.raises(ValueError, match="features.0.weight"):
            load_numpy_state(m, state)
        assert all(np.array_equal(before[k], v) for k, v in numpy_state(m).items())


def test_a_shelved_small_vgg_is_rebuilt_with_its_weights():
    m = build_small_vgg(SmallVGGConfig(4, widths=(8, 16)), seed=2).eval()
    from dataclasses import asdict
    cfg = asdict(m.cfg) | {"widths": list(m.cfg.widths)}                  # as JSON gives it back
    shelved = ShelvedModel("transfer_learning", "small_vgg", cfg, numpy_state(m), 10, {}, ("a", "b", "c", "d"))
    x = torch.rand(2, 3, 32, 32)
    assert torch.allclose(small_vgg_from_shelf(shelved)(x), m(x))
    with pytest.raises(ValueError, match="small_vgg"):
        small_vgg_from_shelf(ShelvedModel("cnn_scratch", "cnn", {}, {}, 0, {}, ()))


def test_the_shipped_source_model_loads_and_recognizes_the_source_shapes():
    assert shapes_pretrained.sha256(shapes_pretrained.SHIPPED) == shapes_pretrained.SHIPPED_SHA256
    model, info = shapes_pretrained.load_source_model()
    assert info["origin"] == "shipped"
    _, val = source_sets(2, 40, seed=0)
    assert shapes_pretrained.accuracy(model, val.images, val.labels) > 0.85


def test_a_damaged_shipped_file_falls_back_to_pretraining_and_the_cache(tmp_path, monkeypatch):
    bad = tmp_path / "small_vgg_shapes.npz"
    bad.write_bytes(shapes_pretrained.SHIPPED.read_bytes()[:1000])
    monkeypatch.setattr(shapes_pretrained, "SHIPPED", bad)
    monkeypatch.setenv("DLVIS_CACHE_DIR", str(tmp_path / "cache"))
    real = shapes_pretrained.pretrain
    calls = []
    monkeypatch.setattr(shapes_pretrained, "pretrain",
                        lambda progress=None, threads=None: real(epochs=1, n_per_class=8, progress=progress,
                                                                 threads=threads))
    model, info = shapes_pretrained.load_source_model(progress=lambda d, t: calls.append((d, t)))
    assert info["origin"] == "pretrained now" and calls[-1][0] == calls[-1][1] > 0
    assert shapes_pretrained.cached_path().is_file()
    again, info2 = shapes_pretrained.load_source_model()
    assert info2["origin"] == "cache"
    assert all(np.array_equal(a, b) for a, b in zip(numpy_state(model).values(), numpy_state(again).values()))
    shapes_pretrained.cached_path().write_bytes(b"not a zip")
    with pytest.raises(CheckpointError):
        shapes_pretrained.load(shapes_pretrained.cached_path())
