"""What FFmpeg's errors mean, in one sentence a user understands.

PyAV raises FFmpeg's error codes as exceptions whose text is the C library's (``[Errno
541478725] End of file``, ``[Errno 1163346256] Not yet implemented``) with the file's path
and FFmpeg's last log line appended. :func:`describe_error` turns them into a sentence about
the file, keeping FFmpeg's own words in brackets where they add something.
"""

from __future__ import annotations

import errno
import re

import av

AVERROR_EOF = 541478725  # FFERRTAG('E','O','F',' ')
AVERROR_PATCHWELCOME = 1163346256  # FFERRTAG('P','A','W','E')

_BY_ERRNO = {
    AVERROR_EOF: "the data ends unexpectedly",
    AVERROR_PATCHWELCOME: "it uses a feature FFmpeg does not implement",
    errno.EAGAIN: "damaged data where the container could not be read",
    errno.ENOMEM: "out of memory",
    errno.EIO: "the file could not be read (input/output error)",
    errno.ENOENT: "the file has gone (moved or deleted)",
    errno.EACCES: "permission denied",
}


def _log_of(text: str) -> str | None:
    """FFmpeg's last log line, as PyAV appends it to the message."""
    found = re.search(r"last error log: (.*)$", text)
    return found.group(1).strip() if found else None


def describe_error(exc: BaseException) -> str:
    """One line for an error raised while reading or decoding a file."""
    code = getattr(exc, "errno", None)
    text = str(exc).splitlines()[0] if str(exc) else ""
    log = _log_of(text)
    if isinstance(exc, av.error.InvalidDataError):
        sentence = "invalid data FFmpeg cannot read"
    elif isinstance(exc, MemoryError):
        sentence = "out of memory"
    elif code in _BY_ERRNO:
        sentence = _BY_ERRNO[code]
    elif isinstance(exc, av.FFmpegError):
        strerror = getattr(exc, "strerror", None) or text
        sentence = f"FFmpeg could not read it ({strerror})"
    elif isinstance(exc, (IndexError, AttributeError, KeyError, TypeError, ValueError)):
        sentence = f"the file's structure confused the reader ({type(exc).__name__}: {text})"
    else:
        what = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
        sentence = f"the analysis stopped on an unexpected error ({what[:200]}); please report it"
    return f"{sentence} ({log})" if log else sentence
