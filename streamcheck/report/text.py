"""Text that is safe wherever it goes: file names and messages from hostile or broken input
reach Parquet (valid UTF-8 only), terminals (where ESC sequences are commands) and XML (which
forbids most control characters).

Paths inside streamcheck are ``str`` as Python's file-system functions give them: bytes that
are not valid UTF-8 (a Latin-1 ``café.wav`` on a Linux disk) are kept as surrogate escapes
(PEP 383), so the file can still be opened. In the reports such a path is stored as text with
each undecodable byte written ``\\xNN`` (:func:`path_text`) and, in files.parquet, its exact
bytes beside it (``path_bytes``), from which :func:`path_from_row` gives the path back.
"""

from __future__ import annotations

import os
import re

# C0 controls (tab and newline included: one line per item), DEL, C1 controls
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
# what XML 1.0 cannot hold: C0 controls but tab, newline and carriage return, surrogates,
# U+FFFE and U+FFFF
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:  # a surrogate escape: the raw byte
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def is_utf8(path: str) -> bool:
    """True when ``path`` is valid text (no undecodable bytes kept as surrogates)."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def path_text(path: str) -> str:
    """``path`` as valid UTF-8 text: undecodable bytes (and any lone surrogate) written
    ``\\xNN``. The same as ``path`` for every ordinary name."""
    if is_utf8(path):
        return path
    return re.sub("[\ud800-\udfff]", _escape, path)


def path_bytes(path: str) -> bytes | None:
    """The exact bytes of a path that is not valid UTF-8 (None for ordinary paths)."""
    return None if is_utf8(path) else os.fsencode(path)


def path_from_row(text: str, raw: bytes | None) -> str:
    """The path a report row stands for: from its bytes when it has them."""
    return os.fsdecode(raw) if raw is not None else text


def printable(text: str) -> str:
    """``text`` with control characters (ESC, BEL, newlines, C1 codes…) and undecodable
    bytes written as ``\\xNN``: what is printed can never command a terminal or break a line."""
    return _CONTROL.sub(_escape, path_text(text))


def xml_safe(text: str) -> str:
    """``text`` with what XML 1.0 cannot hold written as ``\\xNN``."""
    return _NOT_XML.sub(_escape, text)
