"""probes.word_map: word classes, the map's highlights, PCA, the 3-D view (a rotation) and the cached t-SNE."""
import numpy as np
import pytest

from visualizer.probes.word_map import CLASS_NAMES, Projector, class_indices, pca, view_3d, view_3d_label, word_map


def test_class_indices_and_word_map():
    classes = class_indices(["cat", "eats", "zzz", "the"], {"cat": "noun", "eats": "verb", "the": "determiner",
                                                             "and": "conjunction"})
    assert classes.tolist() == [0, 1, len(CLASS_NAMES) - 1, 3] and classes.dtype == np.int64
    words = ["a", "b", "c", "d", "e"]
    m = word_map(np.array([4, 0, 2]), np.zeros((3, 2)), words, np.array([0, 1, 2, 3, 4]), chosen=[2, 1, 4],
                 x_label="x")
    assert m.words == ["e", "a", "c"] and m.classes.tolist() == [4, 0, 2] and tuple(m.class_names) == CLASS_NAMES
    assert list(m.highlight) == [2, 0]                # the chosen words on the map, in order (1 is not on it)
    plain = word_map(np.array([1]), np.zeros((1, 2)), words, None, chosen=[])
    assert tuple(plain.class_names) == ("word",) and plain.classes.tolist() == [0]


def test_pca_and_the_3d_view_only_turn_the_cloud():
    x = np.random.default_rng(0).normal(size=(40, 6)) * np.array([5, 3, 2, 1, 0.5, 0.1])
    cloud = pca(x, 3)
    assert np.all(np.diff(cloud.var(axis=0)) < 0)                           # largest variance first
    np.testing.assert_allclose(pca(-x, 3), -cloud, atol=1e-9)              # axes keep their sign: points flip
    assert np.all(pca(x[:2], 3)[:, 2] == 0)                 # two points give two axes at most: the third is 0
    screen, depth = view_3d(cloud, 0, 0)
    np.testing.assert_allclose(screen, cloud[:, :2])
    np.testing.assert_allclose(depth, cloud[:, 2])
    screen, depth = view_3d(cloud, 37, -21)
    turned = np.column_stack([screen, depth])
    d0 = np.linalg.norm(cloud[:, None] - cloud[None], axis=-1)
    np.testing.assert_allclose(np.linalg.norm(turned[:, None] - turned[None], axis=-1), d0, atol=1e-9)
    with pytest.raises(ValueError, match=r"\(N, 3\)"):
        view_3d(cloud[:, :2], 0, 0)
    assert "azimuth 37°" in view_3d_label(37, -21)


def test_projector_methods_and_tsne_cache():
    v = np.random.default_rng(1).normal(size=(30, 8))
    ids = np.arange(20)
    p = Projector(tsne_every=10)
    flat = p.project(v, ids, "pca", 0)
    assert flat["points"].shape == (20, 2) and flat["x_label"] == "PC 1"
    turned = p.project(v, ids, "pca3d", 0, (0.0, 0.0))
    np.testing.assert_allclose(turned["points"], flat["points"], atol=1e-9)
    assert turned["points3d"].shape == (20, 3) and turned["angles"] == (0.0, 0.0)
    first = p.project(v, ids, "tsne", 5)["points"]
    assert first.shape == (20, 2) and np.all(np.isfinite(first))
    assert p.project(v, ids, "tsne", 14)["points"] is first                 # cached for tsne_every steps
    assert p.project(v, ids, "tsne", 15)["points"] is not first
    with pytest.raises(ValueError, match="unknown projection"):
        p.project(v, ids, "umap", 0)
