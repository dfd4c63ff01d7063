"""Checkpoints: a model's arrays in a NumPy ``.npz`` archive, written atomically, read without pickle.

A truncated or foreign file gives :class:`CheckpointError` with a message for the user; the model in
memory is untouched in that case.  Qt-free.
"""
from __future__ import annotations

import json
import zipfile
import zlib
from pathlib import Path
from typing import Mapping

import numpy as np

from visualizer.core.errors import LessonConfigError
from visualizer.core.export import atomic_write

FORMAT = "dlvis-checkpoint-1"


class CheckpointError(ValueError):
    """The file is not a readable checkpoint of this lesson (truncated, corrupt, other lesson)."""


def save_checkpoint(path: Path | str, lesson_id: str, state: dict[str, np.ndarray], meta: dict | None = None) -> None:
    """Write ``state`` (name -> array) to ``path`` with the lesson id and ``meta`` (JSON) alongside.

    Raises ExportError (read-only folder, full disk)."""
    header = json.dumps({"format": FORMAT, "lesson": lesson_id, "meta": meta or {}})
    arrays = {f"array/{k}": np.asarray(v) for k, v in state.items()}
    atomic_write(path, lambda f: np.savez(f, __header__=np.array(header), **arrays), mode="wb")


def load_checkpoint(path: Path | str, lesson_id: str) -> tuple[dict[str, np.ndarray], dict]:
    """Read a checkpoint written by :func:`save_checkpoint` for ``lesson_id``: (state, meta).

    state: name -> array as saved (any dtype NumPy stores without pickle; :func:`check_state` then checks
    them against the model); meta: the JSON object saved alongside.  The archive is read member by member:
    every array header is checked before its data is read (no object arrays, so no pickle ever runs; no
    array larger than its member), and the header is checked before any array is read.

    Raises CheckpointError, with a message naming the file and what to do, if the path is missing, a folder
    or empty; if the file is not a zip archive (e.g. a single ``.npy``), damaged or truncated (CRC checked);
    if its header is not this format's JSON object; if it belongs to another lesson; or if an array holds
    Python objects or is malformed."""
    path = Path(path)
    name = path.name or str(path)
    if not path.exists():
        raise CheckpointError(f"{path} does not exist. Choose a file saved with Save weights.")
    if path.is_dir():
        raise CheckpointError(f"{name} is a folder, not a checkpoint file. Choose a .npz file saved with "
                              "Save weights.")
    if not path.is_file():
        raise CheckpointError(f"{name} is not a regular file (a device or a pipe). Choose a .npz file saved "
                              "with Save weights.")
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            magic = f.read(6)
        if size == 0:
            raise CheckpointError(f"{name} is empty (0 bytes): it was not written completely. Choose another "
                                  "checkpoint.")
        if magic == b"\x93NUMPY":
            raise CheckpointError(f"{name} holds a single NumPy array (a .npy file renamed), not a checkpoint. "
                                  "Choose a file saved with Save weights.")
        if not zipfile.is_zipfile(path):
            raise CheckpointError(f"{name} is damaged or truncated (not a complete .npz archive), or not a "
                                  "checkpoint at all. Choose a file saved with Save weights.")
        with zipfile.ZipFile(path) as z:
            members = {info.filename: info for info in z.infolist()}
            total = sum(info.file_size for info in members.values())
            if total > MAX_BYTES:
                raise CheckpointError(f"{name} unpacks to {total / 2**30:.1f} GiB, more than any checkpoint of "
                                      "this app: it is damaged or not a checkpoint.")
            if "__header__.npy" not in members:
                raise CheckpointError(f"{name} is not a Deep Learning Visualizer checkpoint (it has no header). "
                                      "Choose a file saved with Save weights.")
            header = _read_header(z, members["__header__.npy"], name)
            _check_header(header, name, lesson_id)
            state = {}
            for member, info in members.items():
                if member.startswith("array/"):
                    key = member[len("array/"):].removesuffix(".npy")
                    state[key] = _read_array(z, info, name, key)
    except CheckpointError:
        raise
    except PermissionError:
        raise CheckpointError(f"No permission to read {name}. Check the file's permissions or copy it "
                              "somewhere readable.") from None
    except RuntimeError as e:                       # zipfile: encrypted members
        raise CheckpointError(f"{name} is password-protected or damaged and cannot be read "
                              f"({_reason(e)}).") from None
    except (zipfile.BadZipFile, EOFError, zlib.error, ValueError, KeyError, NotImplementedError) as e:
        raise CheckpointError(f"{name} is damaged or truncated and cannot be read ({_reason(e)}). Save the "
                              "weights again or choose another checkpoint.") from None
    except OSError as e:
        raise CheckpointError(f"{name} cannot be read: {_reason(e)}.") from None
    return state, header.get("meta", {})


# The most bytes a checkpoint may unpack to: far above every lesson's model (a few MB), far below memory.
MAX_BYTES = 4 * 2**30


def _reason(e: BaseException) -> str:
    """An exception's text for a user: the OS's words without "[Errno N]", no exception class names."""
    if isinstance(e, OSError) and e.strerror:
        return e.strerror.lower()
    text = str(e).strip().rstrip(".") or "unexpected end of data"
    return text[0].lower() + text[1:] if text[1:2].islower() else text


def _read_member_header(f, name: str, key: str) -> tuple[tuple[int, ...], bool, np.dtype]:
    """The .npy header of one archive member: (shape, fortran_order, dtype).  Raises CheckpointError."""
    from numpy.lib import format as npy
    try:
        version = npy.read_magic(f)
        if version == (1, 0):
            shape, fortran, dtype = npy.read_array_header_1_0(f)
        elif version == (2, 0):
            shape, fortran, dtype = npy.read_array_header_2_0(f)
    except (ValueError, EOFError, SyntaxError, TypeError):
        raise CheckpointError(f"{name}: the array {key!r} is damaged (its header cannot be read). Save the weights "
                              "again or choose another checkpoint.") from None
    if version not in ((1, 0), (2, 0)):
        raise CheckpointError(f"{name}: the array {key!r} is stored in .npy version {version[0]}.{version[1]}, "
                              "which checkpoints do not use: the file is damaged or not a checkpoint.")
    if any(int(n) < 0 for n in shape):
        raise CheckpointError(f"{name}: the array {key!r} has a negative size: the file is damaged.")
    if dtype.hasobject:
        raise CheckpointError(f"{name}: the array {key!r} holds Python objects, which a checkpoint never does. "
                              "The file is not loaded (reading it could run code hidden in it).")
    return tuple(int(n) for n in shape), bool(fortran), dtype


def _read_array(z: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, key: str) -> np.ndarray:
    """One member's array, read after its header is checked; a new, writable array."""
    with z.open(info) as f:
        shape, fortran, dtype = _read_member_header(f, name, key)
        count = int(np.prod(shape, dtype=object)) if shape else 1
        nbytes = count * dtype.itemsize
        if nbytes > info.file_size:
            raise CheckpointError(f"{name}: the array {key!r} claims {nbytes:,} bytes in a member of "
                                  f"{info.file_size:,}: the file is damaged.")
        data = f.read(nbytes)
        f.read()                                   # to the member's end: zipfile checks its CRC there
    if len(data) != nbytes:
        raise CheckpointError(f"{name}: the array {key!r} is cut short: the file is damaged or truncated.")
    flat = np.frombuffer(data, dtype=dtype, count=count)
    arr = flat.reshape(shape[::-1]).T if fortran else flat.reshape(shape)
    return np.array(arr, copy=True)


def _read_header(z: zipfile.ZipFile, info: zipfile.ZipInfo, name: str) -> dict:
    """The checkpoint's JSON header as a dict.  Raises CheckpointError."""
    arr = _read_array(z, info, name, "__header__")
    not_ours = (f"{name} is not a Deep Learning Visualizer checkpoint (its header is not one). Choose a file "
                "saved with Save weights.")
    if arr.shape != () or arr.dtype.kind not in "US":
        raise CheckpointError(not_ours)
    try:
        text = arr.item().decode("utf-8") if arr.dtype.kind == "S" else str(arr.item())
        header = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise CheckpointError(not_ours) from None
    if not isinstance(header, dict):
        raise CheckpointError(not_ours)
    return header


def _check_header(header: dict, name: str, lesson_id: str) -> None:
    fmt, lesson, meta = header.get("format"), header.get("lesson"), header.get("meta", {})
    if fmt is None:
        raise CheckpointError(f"{name} is not a Deep Learning Visualizer checkpoint (its header names no format). "
                              "Choose a file saved with Save weights.")
    if fmt != FORMAT:
        shown = repr(fmt) if isinstance(fmt, str) else "none"
        raise CheckpointError(f"{name} has the checkpoint format {shown}; this app reads {FORMAT!r}. It was saved "
                              "by another program or another version of this app.")
    if not isinstance(lesson, str):
        raise CheckpointError(f"{name}'s header names no lesson: the file is damaged. Save the weights again.")
    if lesson != lesson_id:
        raise CheckpointError(f"{name} belongs to lesson {lesson!r}, not {lesson_id!r}. Open that lesson to "
                              "load it, or choose a checkpoint of this one.")
    if not isinstance(meta, dict):
        raise CheckpointError(f"{name}'s header is damaged (its settings are not a JSON object). Save the weights "
                              "again.")


def check_state(expected: Mapping[str, np.ndarray | tuple[tuple[int, ...], np.dtype | str]],
                state: Mapping[str, object], *, allow_nonfinite: frozenset[str] = frozenset(),
                nonnegative: frozenset[str] = frozenset()) -> dict[str, np.ndarray]:
    """Validate a checkpoint ``state`` against what a model holds, before anything is assigned.

    expected: name -> the model's current array (or a (shape, dtype) pair).  Every expected name must be in
    ``state`` with the same shape and a numeric dtype that casts safely to the expected kind (float arrays
    accept any float, integer or bool array; integer arrays only integers and bools), with every value
    representable in the expected dtype (an int64 count beyond int32 would wrap; a float64 beyond float32
    would become inf).  Float arrays must be finite (names in ``allow_nonfinite`` excepted); names in
    ``nonnegative`` (step counts, squared-gradient averages) must hold no negative value.  Extra names are an
    error too: they mean another model.

    Returns name -> array converted to the expected dtype (new arrays, ready to assign).  Raises
    LessonConfigError naming the first offending array; nothing is assigned by this function."""
    missing = [k for k in expected if k not in state]
    extra = [k for k in state if k not in expected]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"it lacks {_names(missing)}")
        if extra:
            parts.append(f"it has arrays this model does not: {_names(extra)}")
        raise LessonConfigError(f"The checkpoint does not fit this model: {'; '.join(parts)}. "
                                "It was saved with other settings or by another lesson.")
    out: dict[str, np.ndarray] = {}
    for name, ref in expected.items():
        shape, dtype = ((tuple(ref.shape), ref.dtype) if isinstance(ref, np.ndarray)
                        else (tuple(ref[0]), np.dtype(ref[1])))
        dtype = np.dtype(dtype)
        what = f"The checkpoint's array {name!r}"
        try:
            arr = np.asarray(state[name])
        except (ValueError, TypeError):          # ragged lists and other things NumPy cannot hold as an array
            raise LessonConfigError(f"{what} is not an array of numbers.") from None
        if arr.dtype.kind not in "fiub":
            if arr.dtype.kind == "c":
                raise LessonConfigError(f"{what} holds complex numbers; this model keeps real ones.")
            kind = {"U": "text", "S": "text", "O": "Python objects"}.get(arr.dtype.kind, f"{arr.dtype} values")
            raise LessonConfigError(f"{what} holds {kind}, not numbers.")
        if dtype.kind in "iub" and arr.dtype.kind == "f":
            raise LessonConfigError(f"{what} holds floats where this model keeps integers.")
        if tuple(arr.shape) != shape:
            raise LessonConfigError(f"{what} has shape {tuple(arr.shape)}; this model needs {shape}. It was saved "
                                    "with other layer sizes or other data (another vocabulary).")
        if dtype.kind in "iu" and arr.dtype.kind in "iu" and arr.size:
            info = np.iinfo(dtype)
            low, high = int(arr.min()), int(arr.max())
            if low < info.min or high > info.max:
                raise LessonConfigError(f"{what} holds {low if low < info.min else high}, out of the range of "
                                        f"this model's {dtype} ({info.min} to {info.max}): the file is damaged.")
        if name in nonnegative and arr.size and arr.dtype.kind in "fi" and np.any(arr < 0):
            raise LessonConfigError(f"{what} holds negative values where this model keeps counts or averages of "
                                    "squares, which cannot be negative: the file is damaged.")
        if arr.dtype.kind == "f" and name not in allow_nonfinite and not np.all(np.isfinite(arr)):
            raise LessonConfigError(f"{what} contains NaN or infinite values: it was saved from a run that "
                                    "diverged.")
        with np.errstate(over="ignore", invalid="ignore"):
            converted = np.array(arr, dtype=dtype, copy=True)
        if dtype.kind == "f" and name not in allow_nonfinite and not np.all(np.isfinite(converted)):
            raise LessonConfigError(f"{what} holds values too large for this model's {dtype} (they would become "
                                    "infinite): the file is damaged.")
        out[name] = converted
    return out


def _names(names: list[str], most: int = 4) -> str:
    shown = ", ".join(repr(n) for n in names[:most])
    return shown + (f" and {len(names) - most} more" if len(names) > most else "")
