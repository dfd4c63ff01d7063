"""Reader for the IDX format of MNIST and Fashion-MNIST, gzip-compressed or raw.

Format (LeCun et al., "The MNIST database", http://yann.lecun.com/exdb/mnist/): two zero bytes, a
type code (0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64), the number of
dimensions ``ndim``, then ``ndim`` big-endian uint32 sizes, then the values in row-major order, big-endian.
Every size is checked against the file, so a truncated or foreign file gives :class:`DataFormatError`
instead of a reshape error or silently wrong images.  Qt-free.
"""
from __future__ import annotations

import gzip
import struct
import zlib
from pathlib import Path

import numpy as np

IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
GZIP_MAGIC = b"\x1f\x8b"


class DataFormatError(ValueError):
    """A data file is not what it claims to be (truncated, wrong magic number, mismatched counts).

    The message names the file and says what is wrong."""


def _read_bytes(path: Path) -> bytes:
    try:
        with open(path, "rb") as f:
            head = f.read(2)
        if head == GZIP_MAGIC:
            with gzip.open(path, "rb") as g:
                return g.read()
        return path.read_bytes()
    except FileNotFoundError:
        raise DataFormatError(f"{path} does not exist") from None
    except (EOFError, gzip.BadGzipFile, zlib.error) as e:
        raise DataFormatError(f"{path.name} is a damaged or truncated gzip file ({e})") from None


def parse_idx(data: bytes, name: str = "IDX data") -> np.ndarray:
    """Decode the bytes of an uncompressed IDX file into an array of its native shape.

    Returns an array in native byte order, e.g. (N, 28, 28) uint8 for MNIST images or (N,) uint8
    for labels.  Raises DataFormatError (naming ``name``) for a wrong magic number, an unknown type
    code, or a data section shorter or longer than the header announces."""
    if len(data) < 4:
        raise DataFormatError(f"{name} is too short to be an IDX file ({len(data)} bytes)")
    zero, code, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or code not in IDX_DTYPES:
        raise DataFormatError(
            f"{name} is not an IDX file: wrong magic number 0x{data[:4].hex()} "
            "(expected 0x0000, a type code 08/09/0B/0C/0D/0E and the number of dimensions)")
    if ndim == 0:
        raise DataFormatError(f"{name}: an IDX file needs at least one dimension")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataFormatError(f"{name} is truncated inside its header")
    dims = struct.unpack(f">{ndim}I", data[4:header])
    dtype = IDX_DTYPES[code]
    expected = int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    found = len(data) - header
    if found < expected:
        raise DataFormatError(f"{name} is truncated: the header announces shape {dims} ({expected:,} bytes of "
                              f"data) but only {found:,} bytes follow")
    if found > expected:
        raise DataFormatError(f"{name} has {found - expected:,} unexpected bytes after the {expected:,} bytes "
                              f"of data for shape {dims}")
    arr = np.frombuffer(data, dtype=dtype, offset=header).reshape(dims)
    return arr.astype(dtype.newbyteorder("="), copy=True)


def read_idx(path: Path | str) -> np.ndarray:
    """Read an IDX file (``.gz`` compressed or raw, detected from its first bytes).

    Returns the array in native byte order (see :func:`parse_idx`).  Raises DataFormatError for a
    missing, truncated, corrupt or non-IDX file."""
    path = Path(path)
    return parse_idx(_read_bytes(path), path.name)


def read_idx_images_labels(images_path: Path | str, labels_path: Path | str) -> tuple[np.ndarray, np.ndarray]:
    """Read a pair of IDX files: images (N, H, W) uint8 and labels (N,) uint8.

    Raises DataFormatError if either file is unreadable, the images are not 3-D uint8, the labels
    are not 1-D uint8, or the counts differ."""
    images = read_idx(images_path)
    labels = read_idx(labels_path)
    if images.ndim != 3 or images.dtype != np.uint8:
        raise DataFormatError(f"{Path(images_path).name}: expected (N, H, W) uint8 images, got shape "
                              f"{images.shape} of {images.dtype}")
    if labels.ndim != 1 or labels.dtype != np.uint8:
        raise DataFormatError(f"{Path(labels_path).name}: expected (N,) uint8 labels, got shape "
                              f"{labels.shape} of {labels.dtype}")
    if len(images) != len(labels):
        raise DataFormatError(f"{Path(images_path).name} holds {len(images):,} images but "
                              f"{Path(labels_path).name} holds {len(labels):,} labels")
    return images, labels
