"""The IDX reader on files written byte by byte here with struct (not with the reader's own code)."""
import gzip
import struct

import numpy as np
import pytest

from visualizer.data.idx import DataFormatError, read_idx, read_idx_images_labels


def idx_bytes(array: np.ndarray, code: int, big_endian_dtype: str) -> bytes:
    """The IDX encoding of ``array``: 0x0000, type code, ndim, dims as >u4, then big-endian data."""
    header = struct.pack(">HBB", 0, code, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(big_endian_dtype).tobytes()


def write(path, data: bytes, compress: bool):
    if compress:
        with gzip.open(path, "wb") as f:
            f.write(data)
    else:
        path.write_bytes(data)
    return path


@pytest.mark.parametrize("compress", [True, False])
def test_reads_uint8_images_and_labels(tmp_path, compress):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(7, 5, 3), dtype=np.uint8)
    labels = rng.integers(0, 10, size=7, dtype=np.uint8)
    ip = write(tmp_path / "img", idx_bytes(images, 0x08, ">u1"), compress)
    lp = write(tmp_path / "lab", idx_bytes(labels, 0x08, ">u1"), compress)
    got_images, got_labels = read_idx_images_labels(ip, lp)
    assert got_images.shape == (7, 5, 3) and got_images.dtype == np.uint8
    np.testing.assert_array_equal(got_images, images)
    np.testing.assert_array_equal(got_labels, labels)


@pytest.mark.parametrize("code,dtype", [(0x09, ">i1"), (0x0B, ">i2"), (0x0C, ">i4"), (0x0D, ">f4"), (0x0E, ">f8")])
def test_reads_every_type_code_big_endian(tmp_path, code, dtype):
    values = np.array([[-3, 1, 2], [100, -100, 7]]).astype(dtype)
    path = write(tmp_path / "x.idx", idx_bytes(values, code, dtype), compress=False)
    got = read_idx(path)
    assert got.dtype == np.dtype(dtype).newbyteorder("=")
    np.testing.assert_array_equal(got, values.astype(got.dtype))


def test_truncated_data_is_reported(tmp_path):
    data = idx_bytes(np.zeros((4, 3, 3), np.uint8), 0x08, ">u1")
    path = write(tmp_path / "short.idx", data[:-5], compress=False)
    with pytest.raises(DataFormatError, match="truncated"):
        read_idx(path)


def test_truncated_gzip_is_reported(tmp_path):
    data = idx_bytes(np.arange(600, dtype=np.uint8).reshape(6, 10, 10) % 251, 0x08, ">u1")
    full = write(tmp_path / "full.gz", data, compress=True).read_bytes()
    path = tmp_path / "cut.gz"
    path.write_bytes(full[: len(full) // 2])
    with pytest.raises(DataFormatError, match="truncated|damaged"):
        read_idx(path)


def test_trailing_bytes_are_reported(tmp_path):
    data = idx_bytes(np.zeros((2, 2), np.uint8), 0x08, ">u1") + b"\x00\x01"
    with pytest.raises(DataFormatError, match="unexpected bytes"):
        read_idx(write(tmp_path / "long.idx", data, compress=False))


@pytest.mark.parametrize("head", [b"\x00\x01\x08\x01", b"\x00\x00\x07\x01", b"PK\x03\x04", b"\x00\x00\x08\x00"])
def test_wrong_magic_is_reported(tmp_path, head):
    path = write(tmp_path / "bad.idx", head + b"\x00" * 16, compress=False)
    with pytest.raises(DataFormatError, match="bad.idx"):
        read_idx(path)


def test_missing_and_tiny_files(tmp_path):
    with pytest.raises(DataFormatError, match="does not exist"):
        read_idx(tmp_path / "nope.gz")
    with pytest.raises(DataFormatError, match="too short"):
        read_idx(write(tmp_path / "tiny", b"\x00\x00", compress=False))


def test_mismatched_counts_are_reported(tmp_path):
    ip = write(tmp_path / "img.gz", idx_bytes(np.zeros((5, 4, 4), np.uint8), 0x08, ">u1"), compress=True)
    lp = write(tmp_path / "lab.gz", idx_bytes(np.zeros(4, np.uint8), 0x08, ">u1"), compress=True)
    with pytest.raises(DataFormatError, match="5 images but .* 4 labels"):
        read_idx_images_labels(ip, lp)


def test_images_and_labels_swapped_are_reported(tmp_path):
    ip = write(tmp_path / "img.gz", idx_bytes(np.zeros((5, 4, 4), np.uint8), 0x08, ">u1"), compress=True)
    lp = write(tmp_path / "lab.gz", idx_bytes(np.zeros(5, np.uint8), 0x08, ">u1"), compress=True)
    with pytest.raises(DataFormatError, match=r"expected \(N, H, W\)"):
        read_idx_images_labels(lp, ip)
