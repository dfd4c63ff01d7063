"""The real download path (pooch over HTTP) against a loopback server that serves small IDX files
written in tmp_path: download, cache hit, checksum mismatch, damaged cache, offline, and MNIST loading."""
import contextlib
import functools
import gzip
import hashlib
import http.server
import socket
import struct
import threading

import numpy as np
import pytest

from visualizer.data import mnist
from visualizer.data.download import DownloadError, ProgressForwarder, cache_dir, fetch
from visualizer.data.idx import DataFormatError


class _Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):           # keep test output clean
        pass

    def do_GET(self):
        self.server.requested.append(self.path)
        super().do_GET()


@contextlib.contextmanager
def serve_folder(folder):
    """Serve ``folder`` over HTTP on 127.0.0.1 in a thread; yields (base URL, list of requested paths)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Handler, directory=str(folder)))
    server.requested = []
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", server.requested
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def unreachable_url():
    """A loopback URL on a port that nothing listens on (connection refused at once)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


def write_idx_gz(path, array):
    """Write a uint8 array as a gzip-compressed IDX file (type 0x08); returns its md5 as 'md5:...'."""
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())
    return "md5:" + hashlib.md5(path.read_bytes()).hexdigest()


def fake_mnist(folder, n_train=300, n_test=100, seed=0):
    """Four MNIST-named IDX files of 28×28 images whose class is readable from a bright pixel row.

    Returns role -> (file name, md5 hash), the shape of ``IdxSource.files``."""
    rng = np.random.default_rng(seed)
    files = {}
    for part, n in (("train", n_train), ("t10k", n_test)):
        labels = rng.integers(0, 10, n).astype(np.uint8)
        images = rng.integers(0, 40, (n, 28, 28)).astype(np.uint8)
        images[np.arange(n), 2 + 2 * labels, :] = 255               # class k: bright row 2 + 2k
        role = "train" if part == "train" else "test"
        for kind, arr, tag in (("images", images, "idx3"), ("labels", labels, "idx1")):
            name = f"{part}-{kind}-{tag}-ubyte.gz"
            files[f"{role}_{kind}"] = (name, write_idx_gz(folder / name, arr))
    return files


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("DLVIS_CACHE_DIR", str(folder))
    return folder


@pytest.fixture
def served(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    data = np.arange(5 * 28 * 28, dtype=np.int64).reshape(5, 28, 28) % 256
    known = write_idx_gz(site / "images.gz", data)
    with serve_folder(site) as (url, requested):
        yield site, url, requested, known


def test_cache_dir_follows_the_environment(cache):
    assert cache_dir() == cache


def test_download_then_cache_hit(served, cache):
    site, url, requested, known = served
    calls = []
    path = fetch("images.gz", known, [url], cache, progress=lambda m, f: calls.append((m, f)), label="test images")
    assert path == cache / "images.gz"
    assert path.read_bytes() == (site / "images.gz").read_bytes()
    assert requested == ["/images.gz"]
    assert calls and calls[-1][1] == 1.0 and "test images" in calls[-1][0]
    fractions = [f for _, f in calls]
    assert fractions == sorted(fractions)
    again = fetch("images.gz", known, [url], cache)
    assert again == path and requested == ["/images.gz"]          # served from the cache, no second request


def test_second_mirror_is_used_when_the_first_fails(served, cache):
    _site, url, requested, known = served
    path = fetch("images.gz", known, [unreachable_url(), url], cache)
    assert path.exists() and requested == ["/images.gz"]


def test_checksum_mismatch_raises_and_caches_nothing(served, cache):
    _site, url, _requested, _known = served
    with pytest.raises(DownloadError, match="checksum"):
        fetch("images.gz", "md5:" + "0" * 32, [url], cache)
    assert not (cache / "images.gz").exists()


def test_http_error_is_named(served, cache):
    _site, url, _requested, known = served
    with pytest.raises(DownloadError, match="HTTP 404"):
        fetch("missing.gz", known, [url], cache)


def test_offline_raises_download_error_with_message(cache):
    url = unreachable_url()
    with pytest.raises(DownloadError, match=r"Could not download .*could not connect to 127\.0\.0\.1"):
        fetch("images.gz", "md5:" + "0" * 32, [url], cache, timeout=5)


def test_truncated_cache_file_is_downloaded_again(served, cache):
    site, url, requested, known = served
    path = fetch("images.gz", known, [url], cache)
    path.write_bytes(path.read_bytes()[:100])                       # a download cut short
    again = fetch("images.gz", known, [url], cache)
    assert requested == ["/images.gz", "/images.gz"]
    assert again.read_bytes() == (site / "images.gz").read_bytes()


def test_truncated_cache_file_offline_is_reported(served, cache):
    _site, url, _requested, known = served
    path = fetch("images.gz", known, [url], cache)
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(DownloadError, match="cached copy .* is damaged"):
        fetch("images.gz", known, [unreachable_url()], cache, timeout=5)


def test_unwritable_cache_is_reported(served, tmp_path):
    _site, url, _requested, known = served
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(DownloadError, match="Cannot write the data cache"):
        fetch("images.gz", known, [url], blocker / "cache")


def test_progress_forwarder_thins_calls():
    calls = []
    bar = ProgressForwarder(lambda m, f: calls.append(f), "x")
    bar.total = 100_000
    for _ in range(1000):
        bar.update(100)
    bar.reset()
    bar.update(100_000)
    assert 90 <= len(calls) <= 102 and calls[-1] == 1.0


def test_load_idx_split_end_to_end(tmp_path, cache, monkeypatch):
    site = tmp_path / "site"
    site.mkdir()
    files = fake_mnist(site)
    with serve_folder(site) as (url, requested):
        source = mnist.IdxSource("Fake MNIST", "fake", (url,), files, mnist.DIGIT_NAMES)
        monkeypatch.setitem(mnist.SOURCES, "mnist", source)
        progress = []
        split = mnist.load_idx_split("mnist", val_fraction=0.2, seed=1, max_train=200,
                                     progress=lambda m, f: progress.append(m))
        assert len(requested) == 4
        assert split.x_train.shape == (200, 784) and split.x_train.dtype == np.float32
        assert split.x_val.shape == (50, 784)                       # 200 * 0.2 / 0.8
        assert split.x_train.min() >= 0 and split.x_train.max() == 1.0
        img = split.x_train[0].reshape(28, 28)
        assert np.all(img[2 + 2 * split.y_train[0]] == 1.0)          # the label's bright row survived
        assert any("(4/4)" in m for m in progress)
        again = mnist.load_idx_split("mnist", val_fraction=0.2, seed=1, max_train=200, dtype="float64")
        assert len(requested) == 4 and again.x_train.dtype == np.float64
        np.testing.assert_allclose(again.x_train, split.x_train, atol=1e-6)


def test_corrupt_idx_content_with_matching_hash_is_a_format_error(tmp_path, cache, monkeypatch):
    site = tmp_path / "site"
    site.mkdir()
    files = fake_mnist(site, n_train=20, n_test=10)
    bad = site / "bad-labels.gz"
    files["train_labels"] = ("bad-labels.gz", write_idx_gz(bad, np.zeros(19, np.uint8)))   # 20 images, 19 labels
    with serve_folder(site) as (url, _requested):
        monkeypatch.setitem(mnist.SOURCES, "mnist", mnist.IdxSource("Fake", "fake", (url,), files, mnist.DIGIT_NAMES))
        with pytest.raises(DataFormatError, match="20 images but .* 19 labels"):
            mnist.load_idx_split("mnist", max_train=None)
