"""Malformed checkpoint files (issue #14, failure class 4): each gives CheckpointError with a plain message.

Every attack goes through ``load_checkpoint(path, lesson_id)`` for every registered lesson id: a .npy renamed
.npz, a header that is JSON but not an object, not JSON, missing keys or of the wrong type, a truncated zip, a
zero-byte file, a folder, a missing file, pickled object arrays (never unpickled), an array whose header claims
more bytes than the file holds, a non-array member.  No TypeError, AttributeError, MemoryError or raw errno may
reach the user."""
from __future__ import annotations

import io
import json
import re
import zipfile

import numpy as np
import pytest

from visualizer.core import registry
from visualizer.core.checkpoint import FORMAT, CheckpointError, load_checkpoint, save_checkpoint

LESSONS = list(registry.infos())
STATE = {"layer.W": np.arange(6, dtype=np.float32).reshape(2, 3), "layer.b": np.zeros(3), "opt.t": np.array(4)}
UNPICKLED: list[str] = []


class Payload:
    """Unpickling this appends to UNPICKLED: a checkpoint must never run it."""

    def __reduce__(self):
        return (UNPICKLED.append, ("ran",))


def _npy(arr: np.ndarray, allow_pickle: bool = False) -> bytes:
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=allow_pickle)
    return buf.getvalue()


def _zip(path, members: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)


def _header(obj) -> bytes:
    return _npy(np.array(json.dumps(obj)))


def _good_members(lesson_id: str) -> dict[str, bytes]:
    out = {"__header__.npy": _header({"format": FORMAT, "lesson": lesson_id, "meta": {}})}
    out.update({f"array/{k}.npy": _npy(v) for k, v in STATE.items()})
    return out


def _attack(kind: str, path, lesson_id: str):
    """Write the attack ``kind`` at ``path``; returns a regex the message must match."""
    if kind == "npy_renamed":
        path.write_bytes(_npy(STATE["layer.W"]))
        return r"single array|not a .*checkpoint"
    if kind in ("header_list", "header_number", "header_string", "header_garbage", "header_not_utf8",
                "header_missing_keys", "header_lesson_not_str", "header_meta_list", "header_int_array",
                "header_2d"):
        members = _good_members(lesson_id)
        members["__header__.npy"] = {
            "header_list": _header([FORMAT, lesson_id]),
            "header_number": _header(7),
            "header_string": _header("dlvis"),
            "header_garbage": _npy(np.array("{not json")),
            "header_not_utf8": _npy(np.frombuffer(b"\xff\xfe\x00", dtype=np.uint8)),
            "header_missing_keys": _header({"meta": {}}),
            "header_lesson_not_str": _header({"format": FORMAT, "lesson": [lesson_id], "meta": {}}),
            "header_meta_list": _header({"format": FORMAT, "lesson": lesson_id, "meta": [1, 2]}),
            "header_int_array": _npy(np.arange(3)),
            "header_2d": _npy(np.array([["a", "b"]])),
        }[kind]
        _zip(path, members)
        return r"header|format|not a .*checkpoint|lesson"
    if kind == "no_header":
        members = _good_members(lesson_id)
        del members["__header__.npy"]
        _zip(path, members)
        return r"not a .*checkpoint"
    if kind == "truncated":
        save_checkpoint(path, lesson_id, STATE)
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])
        return r"damaged|truncated"
    if kind == "corrupt_member":
        save_checkpoint(path, lesson_id, STATE)
        data = bytearray(path.read_bytes())
        i = data.find(b"\x93NUMPY", data.find(b"array/layer.W"))     # zero bytes of the first array's data
        data[i + 130: i + 140] = b"\x00" * 10
        path.write_bytes(bytes(data))
        return r"damaged|truncated"
    if kind == "zero_bytes":
        path.write_bytes(b"")
        return r"empty"
    if kind == "text_file":
        path.write_text("weights = [1, 2, 3]\n")
        return r"not a .*checkpoint"
    if kind == "directory":
        path.mkdir()
        return r"folder"
    if kind == "missing":
        return r"does not exist|no file"
    if kind == "pickled_object_array":
        members = _good_members(lesson_id)
        members["array/layer.W.npy"] = _npy(np.array([Payload(), 1], dtype=object), allow_pickle=True)
        _zip(path, members)
        return r"Python objects|not numbers|cannot be read safely"
    if kind == "pickled_header":
        members = _good_members(lesson_id)
        members["__header__.npy"] = _npy(np.array([Payload()], dtype=object), allow_pickle=True)
        _zip(path, members)
        return r"Python objects|header|cannot be read safely"
    if kind == "bogus_npy_member":
        members = _good_members(lesson_id)
        members["array/layer.W.npy"] = b"\x93NUMPY\x01\x00garbage"
        _zip(path, members)
        return r"damaged|layer.W"
    if kind == "huge_shape":
        members = _good_members(lesson_id)
        # a header that claims 8e13 bytes in a member of 32
        hdr = "{'descr': '<f8', 'fortran_order': False, 'shape': (10000000000000,), }"
        hdr = hdr + " " * (63 - len(hdr) % 64) + "\n"
        members["array/layer.W.npy"] = b"\x93NUMPY\x01\x00" + len(hdr).to_bytes(2, "little") + hdr.encode() + b"\0" * 32
        _zip(path, members)
        return r"damaged|layer.W|larger"
    if kind == "other_lesson":
        other = next(k for k in LESSONS if k != lesson_id)
        save_checkpoint(path, other, STATE)
        return re.escape(other)
    if kind == "other_format":
        members = _good_members(lesson_id)
        members["__header__.npy"] = _header({"format": "dlvis-checkpoint-99", "lesson": lesson_id, "meta": {}})
        _zip(path, members)
        return r"format"
    raise ValueError(kind)


ATTACKS = ["npy_renamed", "header_list", "header_number", "header_string", "header_garbage", "header_not_utf8",
           "header_missing_keys", "header_lesson_not_str", "header_meta_list", "header_int_array", "header_2d",
           "no_header", "truncated", "corrupt_member", "zero_bytes", "text_file", "directory", "missing",
           "pickled_object_array", "pickled_header", "bogus_npy_member", "huge_shape", "other_lesson",
           "other_format"]


@pytest.mark.parametrize("kind", ATTACKS)
@pytest.mark.parametrize("lesson_id", LESSONS)
def test_a_malformed_file_is_a_checkpoint_error_in_plain_words(tmp_path, lesson_id, kind):
    path = tmp_path / "run.npz"
    pattern = _attack(kind, path, lesson_id)
    UNPICKLED.clear()
    with pytest.raises(CheckpointError) as e:
        load_checkpoint(path, lesson_id)
    msg = str(e.value)
    assert not UNPICKLED, "a pickle in the checkpoint ran"
    assert re.search(pattern, msg, re.I), f"{kind}: {msg}"
    assert not re.search(r"\b\w*(Error|Exception)\b", msg), msg
    assert "[Errno" not in msg and "Traceback" not in msg, msg
    assert path.name in msg, f"the message does not name the file: {msg}"


@pytest.mark.parametrize("lesson_id", LESSONS)
def test_a_good_file_reads_back_bit_for_bit(tmp_path, lesson_id):
    path = tmp_path / "run.npz"
    save_checkpoint(path, lesson_id, STATE, {"step": 12, "hyperparameters": {"lr": 0.1}})
    state, meta = load_checkpoint(path, lesson_id)
    assert meta == {"step": 12, "hyperparameters": {"lr": 0.1}}
    assert list(state) == list(STATE)
    for k, v in STATE.items():
        assert state[k].dtype == v.dtype and state[k].shape == v.shape and state[k].tobytes() == v.tobytes()


def test_string_arrays_in_a_file_are_read_but_rejected_by_the_model(tmp_path):
    """A string array is a valid .npy member; check_state (not the file reader) rejects it, naming it."""
    from visualizer.core.checkpoint import check_state
    from visualizer.core.errors import LessonConfigError
    path = tmp_path / "run.npz"
    save_checkpoint(path, "playground", {**STATE, "layer.b": np.array(["0", "1", "2"])})
    state, _ = load_checkpoint(path, "playground")
    with pytest.raises(LessonConfigError, match="layer.b"):
        check_state(STATE, state)
