"""The small exception tree of streamcheck.

Each error is also the builtin that fits it, so callers who know nothing of streamcheck
can still catch it: a :class:`ParameterError` is a ``ValueError``, a :class:`MediaOpenError`
an ``OSError``.
"""

from __future__ import annotations


class StreamcheckError(Exception):
    """Base of every error streamcheck raises on purpose."""


class ParameterError(StreamcheckError, ValueError):
    """A configuration key or value is invalid; the message names it and what is allowed."""


class UsageError(StreamcheckError, ValueError):
    """The request cannot be carried out as asked: no inputs, a path that does not exist,
    an output folder that cannot be written."""


class MediaOpenError(StreamcheckError, OSError):
    """A media file cannot be opened or holds no stream we can analyse."""
