"""Export and checkpoint-save errors say what is wrong and what to do, in plain words: no "[Errno N]",
no bare "File exists".  Each errno is produced for real where this machine allows (a file where a
folder should be, a name too long) and by making a call fail with it otherwise."""
import errno
import os

import numpy as np
import pytest

from tests.core.toy_lesson import ToyLesson
from visualizer.core.checkpoint import save_checkpoint
from visualizer.core.export import ExportError, atomic_write, describe_os_error, export_tables, write_csv
from visualizer.core.session import TrainingSession

TABLE = (["step", "loss"], [[1, 0.5], [2, 0.25]])


def message_of(call) -> str:
    with pytest.raises(ExportError) as info:
        call()
    e = info.value
    text = str(e)
    assert text == e.strerror                       # str() is the sentence itself, as the CLI prints it
    assert "[Errno" not in text and "Errno" not in text
    assert "Error" not in text                      # no exception class names
    return text


def failing(code, strerror):
    def fail(*a, **k):
        raise OSError(code, strerror)
    return fail


def test_a_file_where_the_export_folder_should_be(tmp_path):
    target = tmp_path / "results"
    target.write_text("not a folder")
    text = message_of(lambda: write_csv(TABLE, target / "loss.csv"))
    assert f"{target} is a file, not a folder" in text and "choose a folder" in text
    assert "File exists" not in text
    assert target.read_text() == "not a folder"


def test_a_file_further_up_the_path(tmp_path):
    (tmp_path / "results").write_text("x")
    text = message_of(lambda: write_csv(TABLE, tmp_path / "results" / "run1" / "loss.csv"))
    assert f"{tmp_path / 'results'} is a file, not a folder" in text


def test_a_folder_where_the_file_should_be(tmp_path):
    (tmp_path / "loss.csv").mkdir()
    text = message_of(lambda: write_csv(TABLE, tmp_path / "loss.csv"))
    assert "is a folder, not a file" in text and "choose another file name" in text
    assert [p.name for p in tmp_path.iterdir()] == ["loss.csv"]          # no temporary file left


def test_disk_full_keeps_the_old_file_and_says_the_run_is_kept(tmp_path, monkeypatch):
    path = tmp_path / "loss.csv"
    path.write_text("old")
    monkeypatch.setattr("visualizer.core.export.os.fsync", failing(errno.ENOSPC, "No space left on device"))
    text = message_of(lambda: write_csv(TABLE, path))
    assert "the disk is full" in text and "free some space or choose another folder" in text
    assert "the run is kept" in text
    assert path.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["loss.csv"]


def test_quota_exceeded_reads_like_a_full_disk(tmp_path, monkeypatch):
    monkeypatch.setattr("visualizer.core.export.os.fsync", failing(errno.EDQUOT, "Disk quota exceeded"))
    assert "quota" in message_of(lambda: write_csv(TABLE, tmp_path / "loss.csv"))


def test_permission_denied(tmp_path, monkeypatch):
    monkeypatch.setattr("tempfile.mkstemp", failing(errno.EACCES, "Permission denied"))
    text = message_of(lambda: write_csv(TABLE, tmp_path / "loss.csv"))
    assert f"no permission to write into {tmp_path}" in text and "choose another folder" in text


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into a read-only folder")
def test_permission_denied_for_real(tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        text = message_of(lambda: write_csv(TABLE, folder / "loss.csv"))
    finally:
        folder.chmod(0o755)
    assert "no permission" in text


def test_read_only_file_system(tmp_path, monkeypatch):
    monkeypatch.setattr("tempfile.mkstemp", failing(errno.EROFS, "Read-only file system"))
    text = message_of(lambda: write_csv(TABLE, tmp_path / "loss.csv"))
    assert "read-only disk" in text and "choose another folder" in text


def test_a_name_too_long(tmp_path):
    text = message_of(lambda: write_csv(TABLE, tmp_path / ("x" * 300) / "loss.csv"))
    assert "too long" in text and "shorter" in text


def test_a_folder_that_went_away(tmp_path, monkeypatch):
    monkeypatch.setattr("tempfile.mkstemp", failing(errno.ENOENT, "No such file or directory"))
    text = message_of(lambda: write_csv(TABLE, tmp_path / "gone" / "loss.csv"))
    assert f"the folder {tmp_path / 'gone'} does not exist" in text and "choose another folder" in text


def test_a_disk_error(tmp_path, monkeypatch):
    monkeypatch.setattr("visualizer.core.export.os.fsync", failing(errno.EIO, "Input/output error"))
    text = message_of(lambda: write_csv(TABLE, tmp_path / "loss.csv"))
    assert "read or write error" in text


def test_any_other_errno_is_plain_words_too(tmp_path, monkeypatch):
    monkeypatch.setattr("visualizer.core.export.os.fsync", failing(errno.ETXTBSY, "Text file busy"))
    text = message_of(lambda: write_csv(TABLE, tmp_path / "loss.csv"))
    assert "text file busy" in text and str(tmp_path / "loss.csv") in text


def test_every_errno_gets_a_sentence(tmp_path):
    for code in sorted(errno.errorcode):
        text = describe_os_error(OSError(code, os.strerror(code)), tmp_path / "loss.csv")
        assert "Errno" not in text and text.endswith(".") and str(tmp_path / "loss.csv") in text, (code, text)


def test_export_tables_into_a_file_names_it(tmp_path):
    session = TrainingSession(ToyLesson)
    try:
        session.step(3)
        assert session.wait_idle(5)
        target = tmp_path / "out"
        target.write_text("")
        text = message_of(lambda: export_tables(session, target))
        assert f"{target} is a file, not a folder" in text
    finally:
        assert session.stop()


def test_checkpoint_save_errors_read_the_same(tmp_path, monkeypatch):
    (tmp_path / "weights").write_text("")
    text = message_of(lambda: save_checkpoint(tmp_path / "weights" / "w.npz", "toy", {"w": np.zeros(2)}))
    assert f"{tmp_path / 'weights'} is a file, not a folder" in text
    monkeypatch.setattr("visualizer.core.export.os.fsync", failing(errno.ENOSPC, "No space left on device"))
    assert "the disk is full" in message_of(lambda: save_checkpoint(tmp_path / "w.npz", "toy", {"w": np.zeros(2)}))


def test_text_is_written_as_utf8(tmp_path):
    path = tmp_path / "t.csv"
    write_csv((["name", "change"], [["lr", "0.1 → 0.2"], ["Übung", "µ"]]), path)
    assert "0.1 → 0.2" in path.read_bytes().decode("utf-8")
    atomic_write(tmp_path / "b.bin", lambda f: f.write(b"\x00\xff"), mode="wb")
    assert (tmp_path / "b.bin").read_bytes() == b"\x00\xff"


def test_run_json_is_strict_json_whatever_the_values(tmp_path):
    """NumPy scalars (a float32 NaN too), arrays and paths in a record give valid JSON, NaN as null."""
    import json
    from pathlib import Path

    from visualizer.core.export import write_json

    def no_constants(name):
        raise AssertionError(f"{name} is not JSON")
    record = {"loss": np.float32("nan"), "acc": np.float32(0.5), "sizes": np.arange(3), "folder": Path("/data"),
              "curve": [np.float64("inf"), 1.0], "pair": (np.int64(2), None)}
    write_json(record, tmp_path / "run.json")
    back = json.loads((tmp_path / "run.json").read_text(), parse_constant=no_constants)
    assert back == {"loss": None, "acc": 0.5, "sizes": [0, 1, 2], "folder": "/data", "curve": [None, 1.0],
                    "pair": [2, None]}
