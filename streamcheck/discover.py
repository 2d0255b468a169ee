"""Turn what the user named (files, folders, globs, ``-`` for stdin) into the list of media
files to analyse: absolute paths, duplicates removed, in a deterministic (sorted) order.

Folders are walked recursively, following symbolic links but never into a folder already seen
(symlink loops are safe); hidden files and folders (name starting with ".") are skipped. Inside
folders a file counts as media by its extension (:data:`MEDIA_EXTENSIONS`, case-insensitive); a
file named explicitly is always taken, whatever its extension. A folder that cannot be
listed (permissions, an I/O error) is not skipped in silence: :func:`discover_all` returns it
with the reason, and a run gives it a files.parquet row of its own (status ``error``).
"""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Iterable
from typing import TextIO

from .errors import UsageError

MEDIA_EXTENSIONS = frozenset(
    """
    3g2 3gp aac ac3 aif aifc aiff amr ape asf au avi caf dts dv eac3 f4v flac flv gxf h264
    h265 hevc ivf m1v m2p m2t m2ts m2v m4a m4b m4v mj2 mjpeg mka mkv mov mp2 mp3 mp4 mpa
    mpeg mpg mts mxf nut oga ogg ogm ogv opus qt rm rmvb spx ts vob w64 wav weba webm wma
    wmv wv y4m
    """.split()  # noqa: SIM905 (a word list reads better than 70 quoted strings)
)


def is_media_name(name: str) -> bool:
    """True when ``name`` has one of the recognised media extensions."""
    ext = os.path.splitext(name)[1].lower().lstrip(".")
    return ext in MEDIA_EXTENSIONS


def _walk(
    root: str, media_only: bool = True, unreadable: list[tuple[str, str]] | None = None
) -> Iterable[str]:
    """Files under ``root``: hidden ones skipped, each real folder entered once; folders that
    cannot be listed go to ``unreadable`` as (path, reason)."""
    seen: set[tuple[int, int]] = set()

    def failed(exc: OSError) -> None:
        if unreadable is not None and exc.filename is not None:
            reason = exc.strerror or type(exc).__name__
            unreadable.append((os.fsdecode(exc.filename), reason))

    for dirpath, dirnames, filenames in os.walk(root, followlinks=True, onerror=failed):
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
            if not f.startswith(".") and (is_media_name(f) or not media_only):
                yield os.path.join(dirpath, f)


def _glob_regex(pattern: str) -> re.Pattern[str]:
    """Regex for a glob pattern where ``**/`` spans any number of folders."""
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[":
            j = pattern.find("]", i + 1)
            if j < 0:
                out.append(re.escape("["))
                i += 1
            else:
                out.append("[" + pattern[i + 1 : j].replace("!", "^", 1) + "]")
                i = j + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")


def _expand_glob(pattern: str) -> list[str]:
    """Files matching ``pattern``. ``**`` patterns are matched while walking the folder before
    the first wildcard with the loop-safe walker (glob's own ``**`` follows symlink loops)."""
    if "**" not in pattern:
        try:
            return sorted(p for p in glob.glob(pattern) if not os.path.isdir(p))
        except re.error as exc:
            raise UsageError(f"{pattern!r} is not a valid pattern ({exc})") from None
    parts = pattern.split(os.sep)
    base_parts = []
    for part in parts:
        if glob.has_magic(part):
            break
        base_parts.append(part)
    base = os.sep.join(base_parts) or "."
    try:
        regex = _glob_regex(pattern)
    except re.error as exc:
        raise UsageError(f"{pattern!r} is not a valid pattern ({exc})") from None
    return sorted(p for p in _walk(base, media_only=False) if regex.match(p))


def discover(inputs: Iterable[str], stdin: TextIO | None = None) -> list[str]:
    """Media files named by ``inputs``. ``-`` reads one path per line from ``stdin``.

    Raises :class:`UsageError` naming an input that does not exist (and is no glob matching
    anything)."""
    return discover_all(inputs, stdin)[0]


def discover_all(
    inputs: Iterable[str], stdin: TextIO | None = None
) -> tuple[list[str], list[tuple[str, str]]]:
    """:func:`discover`, and the folders that could not be listed: (absolute path, reason)."""
    found: list[str] = []
    unreadable: list[tuple[str, str]] = []
    for item in inputs:
        if item == "-":
            if stdin is None:
                raise UsageError("'-' given but no standard input to read paths from")
            lines = [ln.rstrip("\r\n") for ln in stdin]
            more, bad = discover_all([ln for ln in lines if ln.strip()])
            found += more
            unreadable += bad
            continue
        if os.path.isdir(item):
            found += _walk(item, unreadable=unreadable)
        elif os.path.lexists(item):
            found.append(item)  # named explicitly: taken even if broken or oddly named
        elif glob.has_magic(item):
            matches = _expand_glob(item)
            if not matches:
                raise UsageError(f"no file matches {item!r}")
            more, bad = discover_all(matches)
            found += more
            unreadable += bad
        else:
            raise UsageError(f"no such file or folder: {item!r}")
    unique: dict[str, str] = {}
    # the same file reached twice (a link, a relative name): keep its shortest absolute path
    for path in sorted(found, key=lambda p: (len(os.path.abspath(p)), p)):
        apath = os.path.abspath(path)
        key = os.path.realpath(apath) if os.path.exists(apath) else apath
        unique.setdefault(key, apath)
    folders = sorted({os.path.abspath(p): why for p, why in unreadable}.items())
    return sorted(unique.values()), folders
