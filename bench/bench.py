"""streamcheck benchmarks: ratios measured side by side in one run (``make bench``).

1. streamcheck vs decode-only (CPU), per input and over the set, and vs decoding plus
   FFmpeg's R128 loudness meter (the floor of any tool measuring loudness with it); the
   ``--fast`` triage mode against the same decode-only figures (and its decoder alone);
2. streamcheck vs FFmpeg's own detection filters in-process (and the ffmpeg command if present);
3. scaling: 8 files, --jobs 1 vs --jobs 2 (throughput);
4. memory: peak RSS of a worker on a 10 s vs a 10 min 1080p file;
5. the monolith claim: the same detectors as separate stages handing frames over files;
6. start-up time of ``streamcheck --help`` and ``--version``;
7. instructions executed (valgrind's callgrind, when installed): streamcheck vs decode-only
   counted exactly, which CPU seconds on a shared machine cannot be.

Inputs are generated once into .cache/bench/ (a few minutes the first time).
"""

from __future__ import annotations

import itertools
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as in streamcheck's workers

import av
import av.filter
import cv2
import numpy as np

from streamcheck.config import Config
from streamcheck.detectors import REGISTRY, StreamDetector
from streamcheck.measure import AudioMeasure, VideoMeasure
from streamcheck.model import AudioBlock, StreamInfo, VideoFrame
from streamcheck.pipeline import analyze_file
from streamcheck.testmedia import Spec, generate

cv2.setNumThreads(1)
CACHE = Path(__file__).resolve().parents[1] / ".cache" / "bench"
QUICK = os.environ.get("BENCH_QUICK") == "1"  # shorter inputs, for trying the harness

INPUTS = [
    Spec(
        f"h264_1080p30_{20 if QUICK else 60}s",
        "mp4",
        "libx264",
        "aac",
        width=1920,
        height=1080,
        fps=30,
        duration_s=20 if QUICK else 60,
        seed=101,
    ),
    Spec(
        f"hevc_720p_{10 if QUICK else 30}s",
        "mkv",
        "libx265",
        "aac",
        width=1280,
        height=720,
        fps=25,
        duration_s=10 if QUICK else 30,
        seed=102,
    ),
    Spec(
        f"h264_2160p_{2 if QUICK else 4}s",
        "mp4",
        "libx264",
        "aac",
        width=3840,
        height=2160,
        fps=25,
        duration_s=2 if QUICK else 4,
        seed=103,
    ),
    Spec(
        f"mpeg2_1080i_{10 if QUICK else 20}s",
        "ts",
        "mpeg2video",
        "aac",
        width=1920,
        height=1080,
        fps=25,
        duration_s=10 if QUICK else 20,
        interlaced=True,
        seed=104,
    ),
    Spec(
        f"aac51_{1 if QUICK else 10}min",
        "mp4",
        None,
        "aac",
        video=None,
        channels=6,
        duration_s=60 if QUICK else 600,
        seed=105,
    ),
]


def cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def best_of(fn, n: int = 2) -> tuple[float, float]:
    """(CPU s, wall s) of the fastest of ``n`` runs."""
    runs = []
    for _ in range(n):
        c0, w0 = cpu(), time.perf_counter()
        fn()
        runs.append((cpu() - c0, time.perf_counter() - w0))
    return min(runs)


def best_interleaved(fns: list, n: int = 3) -> list[float]:
    """CPU s of the fastest of ``n`` runs of each of ``fns``, run in turn (one of each, then
    again), so that a slow spell of a shared machine falls on all of them alike."""
    best = [float("inf")] * len(fns)
    for _ in range(n):
        for i, fn in enumerate(fns):
            c0 = cpu()
            fn()
            best[i] = min(best[i], cpu() - c0)
    return best


def make_inputs() -> list[Path]:
    CACHE.mkdir(parents=True, exist_ok=True)
    paths = []
    for spec in INPUTS:
        path = CACHE / spec.filename  # names carry the duration: quick and full runs differ
        if not path.exists():
            print(f"  generating {spec.filename} …", flush=True)
            generate(spec, CACHE)
        paths.append(path)
    return paths


def decode_only(path: Path) -> None:
    """PyAV decoding every video and audio frame, one decoder thread, nothing else."""
    with av.open(str(path)) as c:
        streams = list(c.streams.video[:1]) + list(c.streams.audio)
        for s in streams:
            s.codec_context.thread_count = 1
        for packet in c.demux(*streams):
            for _ in packet.decode():
                pass


def decode_fast(path: Path) -> None:
    """:func:`decode_only` with ``--fast``'s decoder options (no deblocking filter, reduced
    resolution where the codec has it): what the decoder alone saves."""
    from streamcheck.decode.stream import fast_options

    with av.open(str(path)) as c:
        streams = list(c.streams.video[:1]) + list(c.streams.audio)
        for s in streams:
            s.codec_context.thread_count = 1
        for v in c.streams.video[:1]:
            v.codec_context.options = fast_options(v.codec_context.name, v.codec_context.height)
        for packet in c.demux(*streams):
            for _ in packet.decode():
                pass


def decode_and_meter(path: Path) -> None:
    """Decoding as in :func:`decode_only`, plus libavfilter's EBU R128 meter on every audio
    stream (the one streamcheck runs): the floor of any tool that measures BS.1770 loudness
    with FFmpeg's meter."""
    from r128 import R128Meter

    with av.open(str(path)) as c:
        streams = list(c.streams.video[:1]) + list(c.streams.audio)
        for s in streams:
            s.codec_context.thread_count = 1
        meters = {s.index: R128Meter(0.0) for s in c.streams.audio}
        for packet in c.demux(*streams):
            meter = meters.get(packet.stream.index)
            for frame in packet.decode():
                if meter is not None:
                    meter.push(frame)
        for meter in meters.values():
            meter.finish()


def _chain(src_kind: str, frame: av.VideoFrame | av.AudioFrame, names: list[tuple]) -> Any:
    """A filter graph: a source built from ``frame``'s properties, ``names`` in a row, a sink."""
    g = av.filter.Graph()
    if src_kind == "video":
        src = g.add_buffer(
            width=frame.width,
            height=frame.height,
            format=frame.format.name,
            time_base=frame.time_base or Fraction(1, 25),
        )
        sink = "buffersink"
    else:
        src = g.add_abuffer(
            sample_rate=frame.sample_rate,
            format=frame.format.name,
            layout=frame.layout.name,
            time_base=frame.time_base,
        )
        sink = "abuffersink"
    chain = [src, *(g.add(*n) for n in names), g.add(sink)]
    for a, b in itertools.pairwise(chain):
        a.link_to(b)
    g.configure()
    return g


# FFmpeg's detection filters covering the same checks as streamcheck's defaults: (name, options)
VIDEO_FILTERS = [("freezedetect",), ("blackdetect",), ("blockdetect",)]
AUDIO_FILTERS = [("silencedetect",), ("ebur128", "peak=true"), ("astats",)]


def ffmpeg_filters(path: Path) -> None:
    """:data:`VIDEO_FILTERS` and :data:`AUDIO_FILTERS` in-process through PyAV."""
    with av.open(str(path)) as c:
        streams = list(c.streams.video[:1]) + list(c.streams.audio[:1])
        for s in streams:
            s.codec_context.thread_count = 1
        graphs: dict[int, Any] = {}
        for packet in c.demux(*streams):
            for frame in packet.decode():
                idx = packet.stream.index
                if idx not in graphs:
                    video = isinstance(frame, av.VideoFrame)
                    kind, names = ("video", VIDEO_FILTERS) if video else ("audio", AUDIO_FILTERS)
                    graphs[idx] = _chain(kind, frame, names)
                g = graphs[idx]
                g.push(frame)
                while True:
                    try:
                        g.pull()
                    except (av.BlockingIOError, av.EOFError):
                        break


def ffmpeg_command(path: Path) -> float | None:
    """CPU seconds of the ``ffmpeg`` command running the filters of :func:`ffmpeg_filters` on
    the file (one decoder thread, one filter thread, output discarded); None when it fails
    (a build without one of the filters, say)."""
    with av.open(str(path)) as c:
        has_video, has_audio = bool(c.streams.video), bool(c.streams.audio)
    chains, maps = [], []
    for present, pad, filters in ((has_video, "v", VIDEO_FILTERS), (has_audio, "a", AUDIO_FILTERS)):
        if present:
            chain = ",".join("=".join(f) for f in filters)
            chains.append(f"[0:{pad}:0]{chain}[{pad}]")
            maps += ["-map", f"[{pad}]"]
    cmd = ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-threads", "1"]
    cmd += ["-i", str(path), "-filter_threads", "1", "-filter_complex", ";".join(chains)]
    cmd += [*maps, "-f", "null", "-"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(cmd, capture_output=True, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        print(f"  ffmpeg failed on {path.name}: {done.stderr.strip().splitlines()[-1:]}")
        return None
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def streamcheck_run(path: Path) -> None:
    analyze_file(path, Config(decoder_threads=1))


def streamcheck_fast(path: Path) -> None:
    """``scan --fast``: every detector that holds on pictures decoded with less work."""
    analyze_file(path, Config(decoder_threads=1, fast=True))


def blockdetect_vs_ours(path: Path) -> tuple[float, float, int]:
    """CPU of FFmpeg's blockdetect and of our blockiness score on the same decoded frames
    (decoding excluded from both)."""
    from streamcheck.decode.video import luma_plane
    from streamcheck.detectors.blockiness import blockiness_score

    t_ff = t_ours = 0.0
    n = 0
    with av.open(str(path)) as c:
        v = c.streams.video[0]
        g = av.filter.Graph()
        src = g.add_buffer(template=v)
        bd, sink = g.add("blockdetect"), g.add("buffersink")
        src.link_to(bd)
        bd.link_to(sink)
        g.configure()
        for frame in c.decode(v):
            c0 = cpu()
            g.push(frame)
            while True:
                try:
                    g.pull()
                except (av.BlockingIOError, av.EOFError):
                    break
            c1 = cpu()
            luma, _ = luma_plane(frame)
            blockiness_score(luma)
            c2 = cpu()
            t_ff += c1 - c0
            t_ours += c2 - c1
            n += 1
    return t_ff, t_ours, n


# ---- 5. the staged (serverless-style) variant, living only here ------------------------------


def staged(path: Path, work: Path) -> None:
    """Decode stage writes every picture (PNG of its luma plane) and audio block (.npy) to files;
    each detector stage then reads all of them back and runs the same detector classes."""
    frames_dir, audio_dir = work / "frames", work / "audio"
    frames_dir.mkdir(parents=True)
    audio_dir.mkdir()
    meta = []
    with av.open(str(path)) as c:
        v, a = c.streams.video[0], c.streams.audio[0]
        v.codec_context.thread_count = 1
        vi = StreamInfo(v.index, "video", frame_s=float(1 / v.average_rate))
        ai = StreamInfo(a.index, "audio", sample_rate=a.sample_rate, channels=a.channels)
        n = 0
        for packet in c.demux(v, a):
            for frame in packet.decode():
                if isinstance(frame, av.VideoFrame):
                    cv2.imwrite(str(frames_dir / f"{n:06d}.png"), frame.to_ndarray(format="gray"))
                    meta.append((n, float(frame.time)))
                    n += 1
                else:
                    np.save(
                        audio_dir / f"{frame.pts:012d}_{frame.time:.6f}.npy",
                        frame.to_ndarray().reshape(-1, frame.samples).astype(np.float32),
                    )
    for cls in REGISTRY.values():
        det_params = cls.Params()
        if not issubclass(cls, StreamDetector):  # file-level: nothing per frame
            continue
        if cls.kind in ("video", "av"):
            det = cls(det_params, vi)
            prev = None
            for i, t in meta:
                luma = cv2.imread(str(frames_dir / f"{i:06d}.png"), cv2.IMREAD_GRAYSCALE)
                small = np.ascontiguousarray(luma[::5, ::5])
                f = VideoFrame(i, t, vi.frame_s, luma, small, 5, 16, 235, 255)
                if prev is None:
                    prev = VideoMeasure()
                prev.update(f)
                det.update(f)
            det.finish(meta[-1][1])
        if cls.kind in ("audio", "av"):
            det = cls(det_params, ai)
            measure = AudioMeasure()
            for npy in sorted(audio_dir.iterdir()):
                t = float(npy.stem.split("_")[1])
                block = AudioBlock(ai.index, t, ai.sample_rate, np.load(npy))
                measure.update(block)
                det.update(block)
            det.finish(0.0)


# ---- 4. memory ------------------------------------------------------------------------------


def loop_file(src: Path, dst: Path, times: int) -> Path:
    """``src`` repeated ``times`` times by remuxing its packets with shifted timestamps."""
    with av.open(str(src)) as inp, av.open(str(dst), "w") as out:
        ins = [inp.streams.video[0], inp.streams.audio[0]]
        outs = {s.index: out.add_stream_from_template(s) for s in ins}
        packets = [p for p in inp.demux(*ins) if p.size and p.pts is not None]
        span = {}
        for s in ins:
            own = [p for p in packets if p.stream.index == s.index]
            span[s.index] = max(p.pts + (p.duration or 0) for p in own) - min(p.pts for p in own)
        for k in range(times):
            for p in packets:
                shift = k * int(span[p.stream.index])
                np_ = av.Packet(bytes(p))
                np_.pts = None if p.pts is None else p.pts + shift
                np_.dts = None if p.dts is None else p.dts + shift
                np_.time_base = p.time_base
                np_.is_keyframe = p.is_keyframe
                np_.stream = outs[p.stream.index]
                out.mux(np_)
    return dst


def peak_rss_mb(path: Path) -> float:
    """Peak RSS of a fresh process analysing ``path``. Linux keeps ru_maxrss across execve,
    so a child forked from a large parent reports the parent's size (this bench's process holds
    about 1 GB after writing the 10 min input): VmHWM, the new program's own high-water mark,
    where /proc has it."""
    code = (
        "import resource, sys; from pathlib import Path; "
        "from streamcheck.pipeline import analyze_file; "
        "from streamcheck.config import Config; "
        "analyze_file(sys.argv[1], Config(decoder_threads=1)); "
        "status = Path('/proc/self/status'); "
        "hwm = [l.split()[1] for l in status.read_text().splitlines() if l.startswith('VmHWM')] "
        "if status.exists() else []; "
        "print(hwm[0] if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True
    )
    return int(out.stdout.strip().splitlines()[-1]) / 1024


def instructions(kind: str, path: Path) -> int:
    """Instructions a fresh process executes (callgrind) to import this module and run
    ``kind`` ('start': nothing more, 'decode', 'streamcheck') on ``path``."""
    code = (
        f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); import bench; "
        "from pathlib import Path; p = Path(sys.argv[2]); "
        "{'start': lambda: None, 'decode': lambda: bench.decode_only(p), "
        "'streamcheck': lambda: bench.streamcheck_run(p)}[sys.argv[1]]()"
    )
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        valgrind = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"]
        subprocess.run(
            [*valgrind, sys.executable, "-c", code, kind, str(path)],
            capture_output=True,
            check=True,
        )
        for line in out.read_text().splitlines():
            if line.startswith(("summary:", "totals:")):
                return int(line.split()[1])
    raise RuntimeError("no instruction total in callgrind's output")


# ---- the run ---------------------------------------------------------------------------------


def row(*cells) -> None:
    print("| " + " | ".join(str(c) for c in cells) + " |")


def print_fast(rows: list[tuple[str, float, float, float, float]]) -> None:
    """The ``--fast`` table: per input (name, decode-only, fast decode-only, streamcheck
    --fast, streamcheck) CPU seconds, measured in the same interleaved runs as table 1."""
    print(
        "\n### 1b. `--fast` triage (blockiness, interlace, levels left out) against full "
        "decode-only, same runs (target ≤ 0.85× over the set)\n"
    )
    row(
        "input",
        "decode only",
        "decode, --fast options",
        "streamcheck --fast",
        "--fast / decode only",
        "--fast / streamcheck",
    )
    row(*["---"] * 6)
    for name, d, fd, fs, s in rows:
        row(name, f"{d:.2f}", f"{fd:.2f}", f"{fs:.2f}", f"{fs / d:.2f}×", f"{fs / s:.2f}×")
    d, fd, fs, s = (sum(r[i] for r in rows) for i in range(1, 5))
    row("**all**", f"{d:.2f}", f"{fd:.2f}", f"{fs:.2f}", f"**{fs / d:.2f}×**", f"{fs / s:.2f}×")


def main() -> int:
    print("## streamcheck benchmark")
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, PyAV {av.__version__}, FFmpeg {av.ffmpeg_version_info}"
    )
    print("inputs:", flush=True)
    paths = make_inputs()

    print(
        "\n### 1–2. CPU seconds, one decoder thread (best of 3 run in turn; FFmpeg filters: "
        "best of 2)\n"
    )
    row(
        "input",
        "decode only",
        "decode + R128 meter",
        "streamcheck",
        "ratio to decode",
        "ratio to decode + meter",
        "FFmpeg filters",
        "filters / streamcheck",
    )
    row(*["---"] * 8)
    tot = np.zeros(4)
    ours_cpu = []
    fast_rows = []
    for path in paths:
        d, m, s, fd, fs = best_interleaved(
            [
                lambda p=path: decode_only(p),
                lambda p=path: decode_and_meter(p),
                lambda p=path: streamcheck_run(p),
                lambda p=path: decode_fast(p),
                lambda p=path: streamcheck_fast(p),
            ]
        )
        fast_rows.append((path.name, d, fd, fs, s))
        f = best_of(lambda p=path: ffmpeg_filters(p))[0]
        tot += (d, m, s, f)
        ours_cpu.append(s)
        row(
            path.name,
            f"{d:.2f}",
            f"{m:.2f}",
            f"{s:.2f}",
            f"{s / d:.2f}×",
            f"{s / m:.2f}×",
            f"{f:.2f}",
            f"{f / s:.2f}×",
        )
    d, m, s, f = tot
    row(
        "**all**",
        f"{d:.2f}",
        f"{m:.2f}",
        f"{s:.2f}",
        f"**{s / d:.2f}×**",
        f"**{s / m:.2f}×**",
        f"{f:.2f}",
        f"**{f / s:.2f}×**",
    )
    print_fast(fast_rows)
    if shutil.which("ffmpeg"):
        version = subprocess.run(["ffmpeg", "-version"], capture_output=True, text=True)
        print(
            f"\n#### The `ffmpeg` command ({version.stdout.split(' Copyright')[0]}), same "
            "filters, one decoder and one filter thread, best of 2 (CPU s)\n"
        )
        row("input", "ffmpeg command", "streamcheck", "ffmpeg / streamcheck")
        row(*["---"] * 4)
        cmd_total = ours_total = 0.0
        for path, ours in zip(paths, ours_cpu, strict=True):
            runs = [ffmpeg_command(path) for _ in range(2)]
            if None in runs:
                continue
            f = min(runs)
            cmd_total, ours_total = cmd_total + f, ours_total + ours
            row(path.name, f"{f:.2f}", f"{ours:.2f}", f"{f / ours:.2f}×")
        if ours_total:
            row(
                "**all**",
                f"{cmd_total:.2f}",
                f"{ours_total:.2f}",
                f"**{cmd_total / ours_total:.2f}×**",
            )
    else:
        print(
            "\nThe `ffmpeg` command is not on PATH here: only the in-process filter chain is "
            "measured (the same libavfilter code)."
        )

    print("\n### Blockiness vs FFmpeg's blockdetect, same frames (CPU, decoding excluded)\n")
    ff, ours, n = blockdetect_vs_ours(CACHE / INPUTS[0].filename)
    row("frames", "blockdetect", "streamcheck blockiness", "ratio")
    row("---", "---", "---", "---")
    row(n, f"{ff:.2f} s", f"{ours:.2f} s", f"**{ff / ours:.1f}× less CPU**")

    print("\n### 3. Scaling: 8 files, wall seconds\n")
    with tempfile.TemporaryDirectory() as tmp:
        src = CACHE / INPUTS[1].filename
        files = []
        for i in range(8):
            dst = Path(tmp) / f"copy{i}{src.suffix}"
            shutil.copy(src, dst)
            files.append(dst)
        from streamcheck.runner import scan_files

        walls = {}
        for jobs in (1, 2):
            w0 = time.perf_counter()
            list(scan_files([str(f) for f in files], Config(), jobs=jobs))
            walls[jobs] = time.perf_counter() - w0
        row("--jobs 1", "--jobs 2", "throughput gain")
        row("---", "---", "---")
        row(f"{walls[1]:.1f}", f"{walls[2]:.1f}", f"**{walls[1] / walls[2]:.2f}×**")

    print("\n### 4. Memory: peak RSS of a worker process\n")
    long_src = CACHE / INPUTS[0].filename
    ten_s = CACHE / "h264_1080p30_10s.mp4"
    if not ten_s.exists():
        generate(
            Spec(
                "h264_1080p30_10s",
                "mp4",
                "libx264",
                "aac",
                width=1920,
                height=1080,
                fps=30,
                duration_s=10,
                seed=101,
            ),
            CACHE,
        )
    ten_min = CACHE / "h264_1080p30_10min.mp4"
    if not ten_min.exists():
        loop_file(long_src, ten_min, max(1, round(600 / INPUTS[0].duration_s)))
    a, b = peak_rss_mb(ten_s), peak_rss_mb(ten_min)
    row("10 s 1080p", "10 min 1080p", "growth")
    row("---", "---", "---")
    row(f"{a:.0f} MB", f"{b:.0f} MB", f"**{(b / a - 1) * 100:+.1f}%**")

    print("\n### 5. In memory vs staged through files (the old serverless design)\n")
    path = CACHE / INPUTS[1].filename
    mem = best_of(lambda: streamcheck_run(path), 1)
    with tempfile.TemporaryDirectory() as tmp:
        stg = best_of(lambda: staged(path, Path(tmp) / "run"), 1)
    row("", "CPU s", "wall s")
    row("---", "---", "---")
    row("in memory (streamcheck)", f"{mem[0]:.2f}", f"{mem[1]:.2f}")
    row("staged through files", f"{stg[0]:.2f}", f"{stg[1]:.2f}")
    row(
        "**in memory / staged**",
        f"**{mem[0] / stg[0] * 100:.1f}%**",
        f"**{mem[1] / stg[1] * 100:.1f}%**",
    )
    print(
        f"\nsaving: {100 - mem[0] / stg[0] * 100:.0f}% CPU, {100 - mem[1] / stg[1] * 100:.0f}% wall"
    )

    print("\n### 6. Start-up (wall, best of 5)\n")
    for args in (["--help"], ["--version"]):
        ts = []
        for _ in range(5):
            w0 = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "streamcheck", *args], capture_output=True, check=True
            )
            ts.append(time.perf_counter() - w0)
        row(f"streamcheck {args[0]}", f"{min(ts) * 1000:.0f} ms")

    print("\n### 7. Instructions executed (callgrind), start-up and imports subtracted\n")
    if not shutil.which("valgrind"):
        print("valgrind is not installed: skipped (apt-get install valgrind).")
        return 0
    from concurrent.futures import ThreadPoolExecutor

    chosen = [ten_s, CACHE / INPUTS[1].filename, CACHE / INPUTS[3].filename]
    jobs = [(k, p) for p in chosen for k in ("start", "decode", "streamcheck")]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        counts = dict(zip(jobs, pool.map(lambda j: instructions(*j), jobs), strict=True))
    row("input", "decode only", "streamcheck", "ratio")
    row("---", "---", "---", "---")
    for p in chosen:
        base = counts[("start", p)]
        d, sc = counts[("decode", p)] - base, counts[("streamcheck", p)] - base
        row(p.name, f"{d / 1e9:.2f} G", f"{sc / 1e9:.2f} G", f"{sc / d:.3f}×")
    return 0


if __name__ == "__main__":
    sys.exit(main())
