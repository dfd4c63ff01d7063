"""CIFAR-10 through the real download path (loopback server) from a tiny tarball in the real format:
pixel values and R, G, B plane order, labels, subsets, truncated and foreign files, checksums, offline."""
import hashlib
import io
import pickle
import struct
import tarfile

import numpy as np
import pytest

from tests.core.test_data_download import serve_folder, unreachable_url
from visualizer.data import cifar10
from visualizer.data.download import DownloadError
from visualizer.data.idx import DataFormatError

BATCH_NAMES = (*cifar10.TRAIN_BATCHES, cifar10.TEST_BATCH)


def _str(b: bytes) -> bytes:
    """A Python 2 ``str`` in pickle protocol 2: SHORT_BINSTRING or BINSTRING."""
    return (b"U" + bytes([len(b)]) if len(b) < 256 else b"T" + struct.pack("<I", len(b))) + b


def _int(v: int) -> bytes:
    """BININT1, BININT2 or BININT."""
    if 0 <= v < 256:
        return b"K" + bytes([v])
    if 0 <= v < 65536:
        return b"M" + struct.pack("<H", v)
    return b"J" + struct.pack("<i", v)


def py2_batch_pickle(data: np.ndarray, labels, batch_label: bytes) -> bytes:
    """One batch as Python 2's cPickle wrote the real files (protocol 2): str as BINSTRING, the uint8
    array (N, 3072) through ``numpy.core.multiarray._reconstruct`` with a version-3 dtype state."""
    n = len(data)
    out = [b"\x80\x02}(", _str(b"batch_label"), _str(batch_label), _str(b"labels"), b"](",
           *(_int(int(v)) for v in labels), b"e", _str(b"data"),
           b"cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\n", _int(0), b"\x85", _str(b"b"), b"\x87R",
           b"(", _int(1), _int(n), _int(3072), b"\x86",
           b"cnumpy\ndtype\n", _str(b"u1"), _int(0), _int(1), b"\x87R",
           b"(", _int(3), _str(b"|"), b"NNN", _int(-1), _int(-1), _int(0), b"tb",
           b"\x89", _str(data.tobytes()), b"tb",
           _str(b"filenames"), b"](", *(_str(b"img_%d.png" % i) for i in range(n)), b"e", b"u."]
    return b"".join(out)


def pattern(k: int) -> np.ndarray:
    """Image number k as (3, 32, 32) uint8: R grows down the rows, G across the columns, B is 5·k."""
    r, c = np.mgrid[0:32, 0:32]
    return np.stack([8 * r, 8 * c, np.full((32, 32), 5 * k)]).astype(np.uint8)


def fake_cifar10(path, per_batch=4, n_test=10, batches=None):
    """Write a CIFAR-10 python tarball with ``per_batch`` images in each of data_batch_1..5 and
    ``n_test`` in test_batch: image k (counted over all batches) is ``pattern(k)`` with label k % 10.
    ``batches`` replaces a batch's pickle bytes by name.  Returns the file's "md5:..."."""
    batches = batches or {}
    k = 0
    with tarfile.open(path, "w:gz") as tar:
        for name in BATCH_NAMES:
            n = n_test if name == cifar10.TEST_BATCH else per_batch
            ids = range(k, k + n)
            k += n
            data = np.stack([pattern(i).reshape(-1) for i in ids]) if n else np.zeros((0, 3072), np.uint8)
            blob = batches.get(name, py2_batch_pickle(data, [i % 10 for i in ids], name.encode()))
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))
    return "md5:" + hashlib.md5(path.read_bytes()).hexdigest()


@pytest.fixture
def site(tmp_path, monkeypatch):
    """A loopback server with a fake tarball that ``cifar10.SOURCE`` points at; yields (folder,
    requested paths).  The cache is an empty folder in tmp_path."""
    monkeypatch.setenv("DLVIS_CACHE_DIR", str(tmp_path / "cache"))
    folder = tmp_path / "site"
    folder.mkdir()
    known = fake_cifar10(folder / cifar10.SOURCE.filename)
    with serve_folder(folder) as (url, requested):
        monkeypatch.setattr(cifar10, "SOURCE", cifar10.Cifar10Source("CIFAR-10", "cifar10", (url,),
                                                                     cifar10.SOURCE.filename, known))
        yield folder, requested


def test_the_real_file_is_checked_by_its_published_md5():
    assert cifar10.SOURCE.known_hash == "md5:c58f30108f718f92721af3b95e74349a"
    assert cifar10.SOURCE.mirrors[0] + cifar10.SOURCE.filename == \
        "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
    assert len(cifar10.CLASS_NAMES) == 10 and cifar10.CLASS_NAMES[3] == "cat"


def test_read_keeps_values_plane_order_and_labels(tmp_path):
    path = tmp_path / "c.tar.gz"
    fake_cifar10(path, per_batch=3, n_test=4)
    x_tr, y_tr, x_te, y_te = cifar10.read_cifar10(path)
    assert x_tr.shape == (15, 3, 32, 32) and x_tr.dtype == np.uint8 and x_te.shape == (4, 3, 32, 32)
    for k in (0, 7, 14):                                  # batches concatenated in order 1..5
        np.testing.assert_array_equal(x_tr[k], pattern(k))
    np.testing.assert_array_equal(x_te[2], pattern(17))
    np.testing.assert_array_equal(y_tr, np.arange(15) % 10)
    np.testing.assert_array_equal(y_te, np.arange(15, 19) % 10)
    assert not list(tmp_path.glob("cifar-10-batches-py"))            # nothing extracted to disk


def test_split_from_a_local_server(site):
    _folder, requested = site
    progress = []
    split = cifar10.load_cifar10_split(val_fraction=0.2, seed=1, max_train=12,
                                       progress=lambda m, f: progress.append((m, f)))
    assert requested == ["/" + cifar10.SOURCE.filename]
    assert any(f == 1.0 for _, f in progress) and progress[-1][0] == "Reading CIFAR-10"
    assert split.name == "CIFAR-10" and split.class_names == cifar10.CLASS_NAMES
    assert split.channels == 3 and split.image_shape == (32, 32)
    assert split.x_train.shape == (12, 3072) and split.x_train.dtype == np.float32
    assert split.x_val.shape == (3, 3072)                          # 12 · 0.2 / 0.8
    images = split.train_images()
    assert images.shape == (12, 3, 32, 32) and np.shares_memory(images, split.x_train)
    rows = np.arange(32, dtype=np.float32)[:, None]
    for x, y in zip(images, split.y_train):
        k = int(np.rint(x[2, 0, 0] * 255 / 5))                     # the image's number, from its blue plane
        np.testing.assert_allclose(x[0], np.broadcast_to(8 * rows / 255, (32, 32)), atol=1e-6)   # red: rows
        np.testing.assert_allclose(x[1], np.broadcast_to(8 * rows.T / 255, (32, 32)), atol=1e-6)  # green: cols
        assert y == k % 10 and k < 20
    k_val = np.rint(split.val_images()[:, 2, 0, 0] * 255 / 5).astype(int)
    assert np.all(k_val >= 20) and np.array_equal(split.y_val, k_val % 10)     # validation from test_batch
    again = cifar10.load_cifar10_split(val_fraction=0.2, seed=1, max_train=12, dtype="float64")
    assert len(requested) == 1 and again.x_train.dtype == np.float64           # the cache answered
    np.testing.assert_allclose(again.x_train, split.x_train, atol=1e-6)


def test_truncated_or_garbage_file_is_a_format_error(tmp_path):
    path = tmp_path / "c.tar.gz"
    fake_cifar10(path)
    whole = path.read_bytes()
    for cut in (len(whole) // 3, len(whole) - 40, 10):
        path.write_bytes(whole[:cut])
        with pytest.raises(DataFormatError, match="c.tar.gz is not a complete CIFAR-10 tarball"):
            cifar10.read_cifar10(path)
    path.write_bytes(b"<html>Service unavailable</html>")
    with pytest.raises(DataFormatError, match="damaged or truncated"):
        cifar10.read_cifar10(path)
    with pytest.raises(DataFormatError, match="does not exist"):
        cifar10.read_cifar10(tmp_path / "missing.tar.gz")


def test_foreign_or_inconsistent_batches_are_format_errors(tmp_path):
    data = pattern(0).reshape(1, -1)
    cases = {
        "asks to load os.system": b"\x80\x02cos\nsystem\nU\x04echo\x85R.",       # os.system("echo"), never run
        "not a readable CIFAR-10 batch": py2_batch_pickle(data, [0], b"x")[:200],
        "1 images but 2 labels": py2_batch_pickle(data, [0, 1], b"x"),
        "class ids must be 0-9": py2_batch_pickle(data, [10], b"x"),
        r"expected b'data' to be \(N, 3072\) uint8": pickle.dumps({b"data": np.zeros((1, 10), np.uint8),
                                                                   b"labels": [0]}),
    }
    for i, (message, blob) in enumerate(cases.items()):
        path = tmp_path / f"c{i}.tar.gz"
        fake_cifar10(path, batches={"data_batch_3": blob})
        with pytest.raises(DataFormatError, match=message):
            cifar10.read_cifar10(path)
    path = tmp_path / "no_test.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        info = tarfile.TarInfo("cifar-10-batches-py/data_batch_1")
        blob = py2_batch_pickle(data, [0], b"x")
        info.size = len(blob)
        tar.addfile(info, io.BytesIO(blob))
    with pytest.raises(DataFormatError, match="lacks data_batch_2, .*test_batch"):
        cifar10.read_cifar10(path)


def test_wrong_checksum_is_rejected_and_not_cached(site, monkeypatch, tmp_path):
    monkeypatch.setattr(cifar10, "SOURCE", cifar10.Cifar10Source(
        "CIFAR-10", "cifar10", cifar10.SOURCE.mirrors, cifar10.SOURCE.filename, "md5:" + "0" * 32))
    with pytest.raises(DownloadError, match="checksum"):
        cifar10.load_cifar10_split()
    assert not (tmp_path / "cache" / "cifar10" / cifar10.SOURCE.filename).exists()


def test_damaged_content_with_matching_hash_is_a_format_error(site, monkeypatch):
    folder, _requested = site
    bad = folder / cifar10.SOURCE.filename
    bad.write_bytes(bad.read_bytes()[: bad.stat().st_size // 2])
    known = "md5:" + hashlib.md5(bad.read_bytes()).hexdigest()
    monkeypatch.setattr(cifar10, "SOURCE", cifar10.Cifar10Source(
        "CIFAR-10", "cifar10", cifar10.SOURCE.mirrors, cifar10.SOURCE.filename, known))
    with pytest.raises(DataFormatError, match="not a complete CIFAR-10 tarball"):
        cifar10.load_cifar10_split()


def test_offline_is_a_download_error(tmp_path, monkeypatch):
    monkeypatch.setenv("DLVIS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(cifar10, "SOURCE", cifar10.Cifar10Source(
        "CIFAR-10", "cifar10", (unreachable_url(),), cifar10.SOURCE.filename, cifar10.SOURCE.known_hash))
    with pytest.raises(DownloadError, match=r"Could not download CIFAR-10 .*could not connect to 127\.0\.0\.1"):
        cifar10.load_cifar10_split(timeout=5)
    with pytest.raises(ValueError, match="validation fraction"):
        cifar10.load_cifar10_split(val_fraction=1.0)
