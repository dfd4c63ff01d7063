"""Unpacking a downloaded zip or tar archive into the cache, atomically and safely.

:func:`extract_archive` unpacks into ``<target>.partial`` and renames that folder to ``target`` only when every
member was written, so an interrupted or failed extraction never leaves a half-filled folder that a later run
would take for the data set.  Members that would land outside the folder (``../``, absolute paths, links that
point out) are refused: zip members are checked by path, tar members by the standard library's ``"data"``
extraction filter (PEP 706).  Used by the Pascal VOC and COCO downloads.  Qt-free.
"""
from __future__ import annotations

import shutil
import tarfile
import zipfile
from pathlib import Path
from typing import Callable, Sequence

from visualizer.data.download import DownloadError


def _safe_zip_members(zf: zipfile.ZipFile, tmp: Path, archive: Path, keep: Callable[[str], bool]) -> list[str]:
    root = tmp.resolve()
    members = []
    for name in zf.namelist():
        if not keep(name):
            continue
        if not (root / name).resolve().is_relative_to(root):
            raise DownloadError(f"The archive {archive} names a file outside its folder ({name}).", "unsafe archive")
        members.append(name)
    return members


def _unpack_one(archive: Path, tmp: Path, keep: Callable[[str], bool]) -> None:
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as zf:
            members = _safe_zip_members(zf, tmp, archive, keep)
            if not members:
                raise DownloadError(f"The archive {archive} holds none of the expected files.", "unexpected archive")
            zf.extractall(tmp, members)
        return
    with tarfile.open(archive) as tar:                         # compression detected from the content
        members = [m for m in tar.getmembers() if keep(m.name)]
        if not members:
            raise DownloadError(f"The archive {archive} holds none of the expected files.", "unexpected archive")
        try:
            tar.extractall(tmp, members, filter="data")
        except tarfile.FilterError as e:
            raise DownloadError(f"The archive {archive} holds an unsafe member ({e}).", "unsafe archive") from e


def extract_archive(archives: Path | str | Sequence[Path | str], target: Path | str, *,
                    keep: Callable[[str], bool] | None = None) -> Path:
    """Unpack one or more zip or tar (plain, .gz, .bz2, .xz) archives into the folder ``target``; returns it.

    keep: a test on each member's name (``"annotations/person_keypoints_val2017.json"``); only members it
    accepts are unpacked (all when None).  The folder is replaced as a whole: extraction goes to
    ``<target>.partial``, which is renamed to ``target`` once every archive is unpacked, and removed if
    anything fails.

    Raises DownloadError (``reason`` "damaged archive", "unsafe archive", "unexpected archive" or the disk
    error) when a file is not a readable archive, names a member outside the folder, holds nothing that
    ``keep`` accepts, or cannot be written."""
    paths = [Path(archives)] if isinstance(archives, (str, Path)) else [Path(a) for a in archives]
    target = Path(target)
    keep = keep or (lambda name: True)
    tmp = target.with_name(target.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    archive = paths[0] if paths else target
    try:
        tmp.mkdir(parents=True)
        for archive in paths:
            _unpack_one(archive, tmp, keep)
        shutil.rmtree(target, ignore_errors=True)
        tmp.rename(target)
    except (zipfile.BadZipFile, tarfile.TarError, EOFError) as e:
        raise DownloadError(f"The archive {archive} is damaged ({e}); delete it to download it again.",
                            "damaged archive") from e
    except DownloadError:
        raise
    except OSError as e:
        problem = e.strerror or str(e)
        raise DownloadError(f"Cannot unpack {archive} into {target.parent}: {problem}.", problem) from e
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target
