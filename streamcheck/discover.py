"""Turn what the user named (files, folders, globs, ``-`` for stdin) into the list of media
files to analyse: absolute paths, duplicates removed, in a deterministic (sorted) order.

Folders are walked recursively, following symbolic links but never into a folder already seen
(symlink loops are safe); hidden files and folders (name starting with ".") are skipped. Inside
folders a file counts as media by its extension (:data:`MEDIA_EXTENSIONS`, case-insensitive); a
file named explicitly is always taken, whatever its extension.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable
from typing import TextIO

from .errors import UsageError

MEDIA_EXTENSIONS = frozenset(
    """
    3g2 3gp aac ac3 aif aifc aiff amr ape asf au avi caf dts dv eac3 f4v flac flv gxf h264
    h265 hevc ivf m1v m2p m2t m2ts m2v m4a m4b m4v mj2 mjpeg mka mkv mov mp2 mp3 mp4 mpa mpeg
    mpg mts mxf nut oga ogg ogm ogv opus qt rm rmvb spx ts vob w64 wav weba webm wma wmv wv
    y4m
    """.split()
)


def is_media_name(name: str) -> bool:
    """True when ``name`` has one of the recognised media extensions."""
    ext = os.path.splitext(name)[1].lower().lstrip(".")
    return ext in MEDIA_EXTENSIONS


def _walk(root: str) -> Iterable[str]:
    seen: set[tuple[int, int]] = set()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        try:
            st = os.stat(dirpath)
        except OSError:
            dirnames[:] = []
            continue
        key = (st.st_dev, st.st_ino)
        if key in seen:  # a symlink led back to a folder already walked
            dirnames[:] = []
            continue
        seen.add(key)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for f in filenames:
            if not f.startswith(".") and is_media_name(f):
                yield os.path.join(dirpath, f)


def discover(inputs: Iterable[str], stdin: TextIO | None = None) -> list[str]:
    """Media files named by ``inputs``. ``-`` reads one path per line from ``stdin``.

    Raises :class:`UsageError` naming an input that does not exist (and is no glob matching
    anything)."""
    found: list[str] = []
    for item in inputs:
        if item == "-":
            if stdin is None:
                raise UsageError("'-' given but no standard input to read paths from")
            lines = [ln.rstrip("\r\n") for ln in stdin]
            found += discover([ln for ln in lines if ln.strip()])
            continue
        if os.path.isdir(item):
            found += _walk(item)
        elif os.path.lexists(item):
            found.append(item)  # named explicitly: taken even if broken or oddly named
        elif glob.has_magic(item):
            matches = sorted(glob.glob(item, recursive=True))
            if not matches:
                raise UsageError(f"no file matches {item!r}")
            found += discover(matches)
        else:
            raise UsageError(f"no such file or folder: {item!r}")
    unique: dict[str, str] = {}
    for path in found:
        apath = os.path.abspath(path)
        key = os.path.realpath(apath) if os.path.exists(apath) else apath
        unique.setdefault(key, apath)
    return sorted(unique.values())
