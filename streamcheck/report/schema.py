"""Explicit Arrow schemas of the three Parquet reports (the output contract in DESIGN.md)."""

from __future__ import annotations

import pyarrow as pa

from ..metrics import columns as metric_columns

DEFECTS = pa.schema(
    [
        pa.field("path", pa.string(), nullable=False),
        pa.field("detector", pa.string(), nullable=False),
        pa.field("severity", pa.string(), nullable=False),
        pa.field("start_s", pa.float64(), nullable=False),
        pa.field("end_s", pa.float64(), nullable=False),
        pa.field("duration_s", pa.float64(), nullable=False),
        pa.field("stream_index", pa.int32()),
        pa.field("channel", pa.int32()),
        pa.field("value", pa.float64()),
        pa.field("unit", pa.string()),
        pa.field("detail", pa.string(), nullable=False),
        pa.field("frame_start", pa.int64()),
        pa.field("frame_end", pa.int64()),
        pa.field("expected", pa.bool_(), nullable=False),
        pa.field("thumbnail", pa.string()),
        pa.field("thumbnail_middle", pa.string()),
    ]
)

FILES = pa.schema(
    [
        pa.field("path", pa.string(), nullable=False),
        pa.field("size_bytes", pa.int64()),
        pa.field("mtime", pa.timestamp("us", tz="UTC")),
        pa.field("status", pa.string(), nullable=False),
        pa.field("error", pa.string()),
        pa.field("container", pa.string()),
        pa.field("duration_s", pa.float64()),
        pa.field("video_codec", pa.string()),
        pa.field("width", pa.int32()),
        pa.field("height", pa.int32()),
        pa.field("fps", pa.float64()),
        pa.field("audio_codec", pa.string()),
        pa.field("sample_rate", pa.int32()),
        pa.field("channels", pa.int32()),
        pa.field("frames", pa.int64()),
        pa.field("integrated_lufs", pa.float64()),
        pa.field("loudness_range_lu", pa.float64()),
        pa.field("max_momentary_lufs", pa.float64()),
        pa.field("max_short_term_lufs", pa.float64()),
        pa.field("true_peak_dbtp", pa.float64()),
        pa.field("loudness_start_s", pa.float64()),
        pa.field("start_timecode", pa.string()),
        pa.field("av_sync_s", pa.float64()),
        pa.field("defects", pa.int32(), nullable=False),
        pa.field("worst_severity", pa.string()),
        pa.field("wall_s", pa.float64(), nullable=False),
        pa.field("cpu_s", pa.float64(), nullable=False),
        pa.field("config_digest", pa.string()),
        # the exact bytes of a path that is not valid UTF-8 (``path`` then holds \xNN escapes)
        pa.field("path_bytes", pa.binary()),
    ]
)

STREAMS = pa.schema(
    [
        pa.field("path", pa.string(), nullable=False),
        pa.field("stream_index", pa.int32()),
        pa.field("programme", pa.string()),
        pa.field("kind", pa.string(), nullable=False),
        pa.field("tracks", pa.string()),
        pa.field("codec", pa.string()),
        pa.field("profile", pa.string()),
        pa.field("width", pa.int32()),
        pa.field("height", pa.int32()),
        pa.field("fps", pa.float64()),
        pa.field("pix_fmt", pa.string()),
        pa.field("field_order", pa.string()),
        pa.field("scan", pa.string()),
        pa.field("sar", pa.string()),
        pa.field("dar", pa.string()),
        pa.field("color_primaries", pa.string()),
        pa.field("color_transfer", pa.string()),
        pa.field("color_matrix", pa.string()),
        pa.field("color_range", pa.string()),
        pa.field("start_timecode", pa.string()),
        pa.field("sample_rate", pa.int32()),
        pa.field("channels", pa.int32()),
        pa.field("layout", pa.string()),
        pa.field("bit_depth", pa.int32()),
        pa.field("language", pa.string()),
        pa.field("start_s", pa.float64()),
        pa.field("duration_s", pa.float64()),
        pa.field("integrated_lufs", pa.float64()),
        pa.field("loudness_range_lu", pa.float64()),
        pa.field("max_momentary_lufs", pa.float64()),
        pa.field("max_short_term_lufs", pa.float64()),
        pa.field("true_peak_dbtp", pa.float64()),
        pa.field("loudness_start_s", pa.float64()),
        pa.field("av_sync_s", pa.float64()),
    ]
)

SORT_KEYS = {
    "defects": [("path", "ascending"), ("start_s", "ascending"), ("detector", "ascending")],
    "files": [("path", "ascending")],
    "metrics": [
        ("path", "ascending"),
        ("programme", "ascending"),
        ("stream_index", "ascending"),
        ("t_s", "ascending"),
    ],
    "streams": [("path", "ascending"), ("stream_index", "ascending"), ("programme", "ascending")],
}

METRICS = pa.schema(
    [
        pa.field("path", pa.string(), nullable=False),
        pa.field("t_s", pa.float64(), nullable=False),
        pa.field("stream_index", pa.int32()),
        pa.field("programme", pa.string()),
        # one column per declared metric (measure step, detectors, audio), in declaration order
        *(pa.field(m.name, pa.float64()) for m in metric_columns()),
    ]
)
