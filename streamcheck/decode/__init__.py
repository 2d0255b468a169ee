"""The only package that imports PyAV: opens media, decodes it, and hands the rest of
streamcheck numpy views and plain dataclasses (:mod:`streamcheck.model`)."""

from .messages import describe_error
from .probe import Media, open_media, versions
from .stream import DecodeStats, iter_decoded

__all__ = ["DecodeStats", "Media", "describe_error", "iter_decoded", "open_media", "versions"]
