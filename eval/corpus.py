"""The evaluation corpus: its catalogue of scenarios and :func:`build`.

    from eval.corpus import build
    files = build(".cache/eval/corpus", subset="quick")   # [(path, ground truth), …]

Each scenario (:class:`eval.scenario.Scenario`) is one file: a programme made of content kinds
(:mod:`eval.content`, :mod:`eval.sound`) from the real footage and recordings of
``../shared/media/``, the defects injected into it (:mod:`eval.defects`) and its codecs and
container. ``NAME.json`` beside each file is its ground truth (see :mod:`eval.scenario`).

A file is rebuilt when its scenario or the code that makes it changed (a digest of both is kept
in its JSON). Subsets: ``quick`` (a few minutes of media, every detector class) and ``full``
(everything, the quick files included).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from .defects import D
from .scenario import Scenario

HERE = Path(__file__).resolve().parent
CODE_FILES = (
    "sources.py",
    "picture.py",
    "program.py",
    "content.py",
    "sound.py",
    "truth.py",
    "encode.py",
    "defects.py",
    "scenario.py",
)

Q = ("quick",)

# the detector classes the corpus has ground truth for (a class the registry gains later is
# scanned but not scored until its truth and scenarios are added here)
CLASSES = (
    "black",
    "freeze",
    "decode_error",
    "blockiness",
    "timestamp_gap",
    "flash",
    "letterbox",
    "silence",
    "clipping",
    "dropout",
    "loudness",
    "true_peak",
    "phase",
    "av_offset",
    "av_sync",
    "duration_mismatch",
    "missing_stream",
    "levels",
    "bars_tone",
    "interlace",
)


def _s(name: str, **kw: Any) -> Scenario:
    return Scenario(name, **kw)


def seq(*items: tuple[Any, ...], overlays: tuple[str, ...] = ()) -> tuple[str, dict[str, Any]]:
    """A ``sequence`` picture recipe: items (kind, seconds[, parameters[, transition]])."""
    norm = []
    for it in items:
        kind, dur = it[0], it[1]
        kw = it[2] if len(it) > 2 else {}
        tr = it[3] if len(it) > 3 else {}
        norm.append((kind, dur, kw, tr))
    return ("sequence", {"items": norm, "overlays": overlays})


def prog(**kw: Any) -> tuple[str, dict[str, Any]]:
    return ("programme", kw)


def snd(**kw: Any) -> tuple[str, dict[str, Any]]:
    return ("programme", kw)


def lay(*items: tuple[Any, ...]) -> tuple[str, dict[str, Any]]:
    """A ``layers`` sound recipe: (kind, start, end, gain dB[, parameters])."""
    return ("layers", {"items": [(*it[:4], it[4] if len(it) > 4 else {}) for it in items]})


NEWS = prog(overlays=("bug", "lower_third", "clock", "ticker"))
MAGAZINE = prog(
    kinds={"footage": 4, "kenburns": 2, "pip": 1, "grain": 1},
    overlays=("bug", "lower_third", "captions"),
)
DOC = prog(
    kinds={"footage": 2, "dark": 3, "kenburns": 2, "grain": 1},
    overlays=("bug", "captions"),
    transitions={"cut": 2, "dissolve": 4, "dip": 2},
)
SPEECH = snd(parts={"speech": 1})
TALK = snd(parts={"speech": 3, "music": 1})
MUSIC = snd(parts={"music": 1})


def music_then(src: str = "jazz", start: float = 0.0, dur: float = 60.0) -> tuple[str, dict]:
    """Sound: the music track ``src`` from ``start`` for the whole file."""
    return lay(("music", 0, dur, 0, {"src": src, "start": start}))


def speech_over(src: str = "strings", dur: float = 60.0, bed: float = -12.0) -> tuple[str, dict]:
    """Sound: speech over an orchestral (or other music) bed."""
    return lay(("speech", 0, dur, 0), ("music", 0, dur, bed, {"src": src}))


# ---- the quick subset: a few minutes, every class ----------------------------------------
QUICK = (
    _s(
        "quick_news_black_freeze_silence_h264_aac",
        container="mp4",
        dur=30,
        seed=1,
        subsets=Q,
        picture=NEWS,
        sound=lay(("speech", 0, 16, 0), ("music", 15.7, 30, -3, {"src": "jazz", "start": 5})),
        defects=(
            D("black", 5.0, 7.6),
            D("freeze", 12.0, 15.0),
            D("mute", 18.0, 21.0),
            D("clip", 23.0, 24.3),
            D("dropout", 27.0, 27.15),
        ),
        about="news: black, frozen picture, lost sound, clipped music, a dropout",
    ),
    _s(
        "quick_damage_flash_blocky_gaps_h264_aac",
        container="ts",
        dur=30,
        seed=2,
        subsets=Q,
        picture=NEWS,
        sound=TALK,
        defects=(
            D("damage", 4.0, how="corrupt"),
            D("flash", 11.0, 13.0, mode="strobe", hz=8),
            D("blocky", 18.0, 18.8, mode="requant"),
            D("drop_frames", 23.0, 23.4),
            D("audio_gap", 26.0, 26.5),
        ),
        about="MPEG-TS: damaged picture, strobe, macroblocking, dropped frames, lost audio",
    ),
    _s(
        "quick_letterbox_black_hevc_opus",
        container="mkv",
        vcodec="hevc",
        acodec="opus",
        dur=30,
        seed=3,
        subsets=Q,
        sound=MUSIC,
        picture=seq(
            ("boxed:letterbox:footage", 13, {"src": "bottles", "start": 3}),
            ("black", 3.0),
            ("boxed:letterbox:footage", 14, {"src": "parking", "start": 16}),
        ),
        about="letterboxed film with a black stretch: the black is black, not letterbox",
    ),
    _s(
        "quick_dropouts_phase_peak_h264_pcm24",
        container="mov",
        acodec="pcm24",
        dur=30,
        seed=4,
        subsets=Q,
        picture=MAGAZINE,
        sound=speech_over("strings", 30),
        defects=(
            D("dropout", 6.0, 6.06),
            D("dropout", 12.0, 12.15),
            D("dropout", 18.0, 18.3),
            D("invert", 20.0, 25.0, channel=1),
            D("hot", 26.5, 28.0),
        ),
        about="24-bit PCM speech over orchestra: dropouts of 60/150/300 ms, polarity, overs",
    ),
    _s(
        "quick_av_late_h264_aac",
        container="mp4",
        dur=12,
        seed=5,
        subsets=Q,
        picture=NEWS,
        sound=SPEECH,
        defects=(D("av_shift", offset=0.3),),
        about="sound 300 ms late",
    ),
    _s(
        "quick_audio_short_hevc_aac",
        container="mkv",
        vcodec="hevc",
        dur=12,
        seed=6,
        subsets=Q,
        picture=MAGAZINE,
        sound=TALK,
        defects=(D("audio_length", delta=-1.5),),
        about="sound ends 1.5 s before the picture",
    ),
    _s(
        "quick_no_audio_h264_aac",
        container="mkv",
        dur=10,
        seed=7,
        subsets=Q,
        picture=NEWS,
        defects=(D("empty_stream", what="audio"),),
        about="audio track declared, never written",
    ),
    _s(
        "quick_inverted_pcm16",
        container="wav",
        vcodec=None,
        acodec="pcm16",
        dur=20,
        seed=8,
        subsets=Q,
        sound=SPEECH,
        defects=(D("invert", 0.0, None, channel=1),),
        about="right channel's polarity inverted over the whole 20 s file",
    ),
    _s(
        "quick_loud_music_aac",
        container="mp4",
        vcodec=None,
        dur=20,
        seed=9,
        subsets=Q,
        sound=music_then("song", 30, 20),
        loudness=-16.0,
        limit=-3.0,
        about="music at -16 LUFS (too loud for EBU R128)",
    ),
    _s(
        "quick_hard_cases_h264_aac",
        container="mp4",
        dur=40,
        seed=10,
        subsets=Q,
        sound=TALK,
        picture=seq(
            ("bars", 8, {"pattern": "card", "flash_box": 0.5}),
            ("pip", 8, {"background": "deer", "live": "signing"}),
            ("dim_lownoise", 8, {"src": "office", "start": 40}),
            ("chroma_wash", 8),
            ("boxed:pillarbox:kenburns", 8),
        ),
        about="test card with a flashing box, picture-in-picture, dim scene, chroma-only "
        "changes, pillarboxed slow pan: none frozen, none blocky",
    ),
    _s(
        "quick_leader_levels_weave_h264_aac",
        container="mp4",
        dur=36,
        seed=9,
        subsets=Q,
        picture=seq(
            ("random:footage", 18),
            ("random:animation", 14),
            ("random:footage", 4),
            overlays=("bug", "clock"),
        ),
        sound=TALK,
        loudness=-22.5,
        defects=(
            D("leader", 0.0, 6.0, slate=3.0),
            D("illegal_levels", 11.0, 14.0, mode="superwhite", area=0.06),
            D("weave", 20.0, 30.0),
        ),
        about="delivery: bars, tone and slate leader; superwhite graphic; interlaced animation",
    ),
)

# ---- clean programmes: no defect injected; hard negatives of every kind -------------------
SPORT = prog(
    kinds={"footage": 1},
    seg=(3.0, 7.0),
    overlays=("bug", "clock"),
    transitions={"cut": 5, "dissolve": 1},
)
KIDS = prog(
    kinds={"animation": 1},
    seg=(6.0, 15.0),
    overlays=("bug",),
    transitions={"cut": 3, "dissolve": 1, "dip": 1},
)
CUTS = prog(
    kinds={"footage": 6, "card": 1, "pip": 1, "kenburns": 1},
    seg=(2.0, 6.0),
    overlays=("bug",),
    transitions={"cut": 1},
)
CLEAN = (
    _s(
        "clean_news_h264_aac",
        container="mp4",
        dur=240,
        seed=201,
        picture=NEWS,
        sound=TALK,
        about="news: footage, lower thirds, ticker, clock, bug; speech with a music bed",
    ),
    _s(
        "clean_magazine_hevc_aac",
        container="mkv",
        vcodec="hevc",
        dur=240,
        seed=202,
        picture=MAGAZINE,
        sound=snd(parts={"speech": 2, "music": 2}),
        about="magazine: footage, Ken Burns stills, picture-in-picture, film grain, captions",
    ),
    _s(
        "clean_night_doc_h264_ac3",
        container="ts",
        acodec="ac3",
        dur=180,
        seed=203,
        picture=DOC,
        sound=snd(parts={"speech": 2, "ambience": 1, "classical": 2}),
        about="documentary: night and low-key scenes with sensor noise, quiet classical, "
        "whale song ambience",
    ),
    _s(
        "clean_sport_720p50_h264_aac",
        container="mp4",
        dur=60,
        size=(1280, 720),
        fps=50,
        seed=204,
        picture=SPORT,
        sound=snd(parts={"music": 1, "speech": 1}),
        about="720p50: short shots, zooms and pans over real footage",
    ),
    _s(
        "clean_kids_animation_av1_opus",
        container="mkv",
        vcodec="av1",
        acodec="opus",
        size=(512, 288),
        dur=180,
        seed=205,
        picture=KIDS,
        sound=snd(parts={"music": 2, "speech": 1}),
        about="flat-colour animation drawn on ones, twos and threes; music with stops",
    ),
    _s(
        "clean_screen_tutorial_vfr_h264_aac",
        container="mp4",
        size=(1280, 720),
        vfr=True,
        dur=150,
        seed=206,
        picture=seq(("screen", 150)),
        sound=SPEECH,
        floor=("hiss", -60.0),
        about="variable-frame-rate screen recording of a text editor (a picture only when "
        "something changes), voice-over over -60 dBFS hiss",
    ),
    _s(
        "clean_concert_mpeg2_pcm24",
        container="mxf",
        vcodec="mpeg2",
        acodec="pcm24",
        size=(720, 576),
        dur=120,
        seed=207,
        picture=prog(
            kinds={"grain": 2, "kenburns": 1, "dark": 1},
            overlays=("bug",),
            transitions={"dissolve": 3, "cut": 1},
        ),
        sound=snd(parts={"classical": 1}),
        loudness=-23.0,
        about="MPEG-2/MXF: film-grain pictures, slow moves; quiet classical (strings, piano)",
    ),
    _s(
        "clean_drama_prores_pcm24",
        container="mov",
        vcodec="prores",
        acodec="pcm24",
        fps=24,
        dur=60,
        seed=208,
        picture=prog(
            kinds={"grain": 3, "dark": 1}, overlays=("captions",), transitions={"cut": 2, "dip": 2}
        ),
        sound=snd(parts={"speech": 2, "ambience": 1}),
        floor=("room_tone", -55.0),
        about="ProRes 10-bit drama at 24 fps: grain, fades to and from black under 2 s",
    ),
    _s(
        "clean_magazine_vp9_opus_hum50",
        container="mkv",
        vcodec="vp9",
        acodec="opus",
        dur=180,
        seed=209,
        picture=prog(
            kinds={"footage": 3, "pip": 1, "card": 1, "kenburns": 1},
            overlays=("bug", "captions", "timecode"),
        ),
        sound=TALK,
        floor=("hum", -50.0),
        about="VP9: footage, PiP, test cards with a burned-in timecode; -50 dBFS mains hum",
    ),
    _s(
        "clean_radio_speech_hiss70_aac",
        container="mp4",
        vcodec=None,
        dur=240,
        seed=210,
        sound=TALK,
        floor=("hiss", -70.0),
        about="radio: speech with pauses under 2 s over -70 dBFS hiss, music between",
    ),
    _s(
        "clean_podcast_opus_hum60",
        container="mkv",
        vcodec=None,
        acodec="opus",
        dur=180,
        seed=211,
        sound=SPEECH,
        floor=("hum", -60.0),
        loudness=-19.0,
        about="podcast: two readers over -60 dBFS hum, at -19 LUFS",
    ),
    _s(
        "clean_music_pcm16",
        container="wav",
        vcodec=None,
        acodec="pcm16",
        dur=120,
        seed=212,
        sound=snd(parts={"music": 1}, seg=(20, 40)),
        loudness=-16.0,
        limit=-2.0,
        about="music at -16 LUFS with natural stops between pieces",
    ),
    _s(
        "clean_sd_news_51_mpeg2_ac3",
        container="ts",
        vcodec="mpeg2",
        acodec="ac3",
        size=(720, 576),
        channels=6,
        dur=150,
        seed=213,
        picture=NEWS,
        sound=TALK,
        about="SD MPEG-2 news with 5.1 AC-3: surrounds carry only quiet ambience",
    ),
    _s(
        "clean_surround_h264_ac3",
        container="mkv",
        acodec="ac3",
        channels=6,
        dur=120,
        seed=214,
        picture=MAGAZINE,
        sound=snd(parts={"music": 2, "speech": 1}),
        about="5.1 with quiet surrounds and an LFE",
    ),
    _s(
        "clean_pip_h264_pcm16",
        container="mov",
        acodec="pcm16",
        fps=29.97,
        dur=90,
        seed=215,
        picture=seq(
            ("pip", 30, {"background": "deer", "live": "signing"}),
            ("pip", 30, {"background": "office_empty", "live": "bottles", "start": 5}),
            (
                "pip",
                30,
                {"background": "leaf", "live": "parking", "start": 3, "corner": (0.35, 0.6)},
            ),
        ),
        sound=SPEECH,
        about="29.97 fps: static photos with a small live window (8% of the frame): not frozen",
    ),
    _s(
        "clean_test_cards_h264_aac",
        container="mp4",
        dur=90,
        seed=216,
        picture=seq(
            ("bars", 15, {"pattern": "ebu"}),
            ("bars", 15, {"pattern": "smpte"}),
            ("bars", 20, {"pattern": "card", "flash_box": 0.5}),
            ("bars", 10, {"pattern": "card", "flash_box": 1.0, "box_area": 0.2}),
            ("random:footage", 30),
        ),
        sound=lay(("tone", 0, 50, 0), ("speech", 50, 90, 6)),
        # bars and line-up tone open the programme: a leader (bars_tone says so, as info)
        defects=(
            D("expect", 0.0, 30.0, detector="bars_tone", stream="video"),
            D("expect", 0.0, 50.0, detector="bars_tone", stream="audio"),
        ),
        about="EBU and SMPTE bars and a test card with a running timecode, a white box "
        "flashing on and off; line-up tone",
    ),
    _s(
        "clean_dim_lownoise_hevc_opus",
        container="mkv",
        vcodec="hevc",
        acodec="opus",
        dur=90,
        seed=217,
        picture=seq(
            ("dim_lownoise", 45, {"src": "office", "start": 10}),
            ("dim_lownoise", 45, {"src": "parking", "start": 0, "level": 0.3, "noise": 0.8}),
        ),
        sound=snd(parts={"ambience": 1, "classical": 1}),
        about="dim scenes with faint sensor noise: live, not frozen",
    ),
    _s(
        "clean_chroma_wash_h264_aac",
        container="mp4",
        dur=45,
        seed=218,
        picture=seq(("random:footage", 10), ("chroma_wash", 20), ("random:footage", 15)),
        sound=MUSIC,
        about="luma constant while chroma changes every frame: not frozen",
    ),
    _s(
        "clean_kenburns_av1_aac",
        container="mp4",
        vcodec="av1",
        dur=90,
        seed=219,
        picture=seq(("kenburns", 90, {"per_still": 7.0, "zoom_rate": 0.02, "pan_rate": 0.01})),
        sound=snd(parts={"classical": 1, "speech": 1}),
        about="slow pans and zooms over real stills: never frozen",
    ),
    _s(
        "clean_cuts_testpattern_h264_aac",
        container="mov",
        dur=120,
        seed=220,
        picture=CUTS,
        sound=MUSIC,
        about="a programme of cuts, test-pattern shots among them",
    ),
)

# ---- defects: each in several kinds of content, codecs and containers ----------------------------
VIDEO_DEFECTS = (
    _s(
        "black_news_hevc_aac",
        container="mp4",
        vcodec="hevc",
        dur=60,
        seed=301,
        picture=NEWS,
        sound=TALK,
        defects=(D("black", 20.0, 22.6), D("black", 40.0, 42.5, noise=1.5)),
        about="lost feed: pure black, then black with a little noise",
    ),
    _s(
        "black_sd_mpeg2_ac3",
        container="ts",
        vcodec="mpeg2",
        acodec="ac3",
        size=(720, 576),
        dur=50,
        seed=302,
        picture=MAGAZINE,
        sound=TALK,
        defects=(D("black", 10.0, 14.0), D("black", 30.0, 32.4)),
    ),
    _s(
        "black_leader_prores_pcm24",
        container="mov",
        vcodec="prores",
        acodec="pcm24",
        fps=24,
        dur=30,
        seed=303,
        picture=prog(kinds={"grain": 1}),
        sound=SPEECH,
        defects=(D("black", 0.0, 2.5), D("black", 27.5, 30.0)),
        about="black at the very start and the very end",
    ),
    _s(
        "black_vp9_opus",
        container="mkv",
        vcodec="vp9",
        acodec="opus",
        dur=40,
        seed=304,
        picture=DOC,
        sound=TALK,
        defects=(D("black", 15.0, 18.0),),
    ),
    _s(
        "black_av1_aac",
        container="mp4",
        vcodec="av1",
        dur=40,
        seed=305,
        picture=KIDS,
        sound=MUSIC,
        defects=(D("black", 25.0, 28.0),),
    ),
    _s(
        "black_mxf_mpeg2_pcm24",
        container="mxf",
        vcodec="mpeg2",
        acodec="pcm24",
        size=(720, 576),
        dur=40,
        seed=306,
        picture=NEWS,
        sound=TALK,
        defects=(D("black", 12.0, 15.0),),
    ),
    _s(
        "freeze_news_h264_aac",
        container="mp4",
        dur=60,
        seed=311,
        picture=seq(
            ("random:footage", 30), ("pip", 30, {"background": "rock"}), overlays=("bug", "clock")
        ),
        sound=TALK,
        defects=(D("freeze", 10.0, 13.0), D("freeze", 35.0, 39.5)),
        about="the whole picture stops, graphics and live window included",
    ),
    _s(
        "freeze_sd_mpeg2_ac3",
        container="ts",
        vcodec="mpeg2",
        acodec="ac3",
        size=(720, 576),
        dur=50,
        seed=312,
        picture=seq(("random:footage", 25), ("dark", 25, {"src": "office"})),
        sound=TALK,
        defects=(D("freeze", 15.0, 18.5), D("freeze", 30.0, 33.0)),
        about="MPEG-2 (a GOP of 12): a frozen shot, a frozen night scene with its noise",
    ),
    _s(
        "freeze_vp9_opus",
        container="mkv",
        vcodec="vp9",
        acodec="opus",
        dur=40,
        seed=313,
        picture=MAGAZINE,
        sound=TALK,
        defects=(D("freeze", 20.0, 23.0),),
    ),
    _s(
        "freeze_av1_opus",
        container="mp4",
        vcodec="av1",
        acodec="opus",
        dur=30,
        seed=314,
        picture=NEWS,
        sound=SPEECH,
        defects=(D("freeze", 10.0, 12.6),),
    ),
    _s(
        "freeze_prores_pcm16",
        container="mov",
        vcodec="prores",
        acodec="pcm16",
        dur=25,
        seed=315,
        picture=prog(kinds={"footage": 1}),
        sound=SPEECH,
        defects=(D("freeze", 8.0, 11.0),),
    ),
    _s(
        "slideshow_stills_h264_aac",
        container="mp4",
        dur=60,
        seed=316,
        picture=seq(("slideshow", 60)),
        sound=snd(parts={"classical": 1, "music": 1}),
        about="real stills held 2.4-5 s with cross-fades: frozen while each is held",
    ),
    _s(
        "slideshow_mixed_hevc_aac",
        container="mkv",
        vcodec="hevc",
        dur=50,
        seed=317,
        picture=seq(
            ("slideshow", 20, {"hold": (1.2, 1.7)}),
            ("kenburns", 15),
            ("slideshow", 15, {"hold": (2.5, 4.0)}),
        ),
        sound=MUSIC,
        about="stills held 1.2-1.7 s (not frozen), slow moves, then held 2.5-4 s (frozen)",
    ),
    _s(
        "damaged_h264_aac",
        container="ts",
        dur=60,
        seed=321,
        picture=NEWS,
        sound=TALK,
        defects=(
            D("damage", 10.0, how="corrupt"),
            D("damage", 25.0, how="zero"),
            D("damage", 40.0, how="wipe"),
        ),
        about="MPEG-TS with corrupted, zeroed and wiped packets of the picture",
    ),
    _s(
        "damaged_sd_mpeg2_ac3",
        container="ts",
        vcodec="mpeg2",
        acodec="ac3",
        size=(720, 576),
        dur=40,
        seed=322,
        picture=MAGAZINE,
        sound=TALK,
        defects=(D("damage", 8.0, how="corrupt"), D("damage", 25.0, how="wipe")),
    ),
    _s(
        "damaged_hevc_aac",
        container="ts",
        vcodec="hevc",
        dur=40,
        seed=323,
        picture=DOC,
        sound=TALK,
        defects=(D("damage", 12.0, how="corrupt"), D("damage", 28.0, how="zero")),
    ),
    _s(
        "damaged_h264_aac_mkv",
        container="mkv",
        dur=30,
        seed=324,
        picture=NEWS,
        sound=TALK,
        defects=(D("damage", 10.0, how="corrupt"),),
    ),
    _s(
        "damaged_h264_aac_mp4",
        container="mp4",
        dur=30,
        seed=325,
        picture=MAGAZINE,
        sound=TALK,
        defects=(D("damage", 15.0, how="zero"),),
    ),
    _s(
        "blocky_h264_aac",
        container="mp4",
        dur=60,
        seed=331,
        picture=NEWS,
        sound=TALK,
        defects=(D("blocky", 10.0, 10.5, mode="tiles"), D("blocky", 30.0, 31.5, mode="requant")),
    ),
    _s(
        "blocky_hevc_opus",
        container="mkv",
        vcodec="hevc",
        acodec="opus",
        dur=40,
        seed=332,
        picture=MAGAZINE,
        sound=TALK,
        defects=(D("blocky", 15.0, 17.0, mode="requant"),),
    ),
    _s(
        "blocky_sd_mpeg2_ac3",
        container="ts",
        vcodec="mpeg2",
        acodec="ac3",
        size=(720, 576),
        dur=40,
        seed=333,
        picture=NEWS,
        sound=TALK,
        defects=(D("blocky", 20.0, 20.3, mode="tiles", block=8),),
    ),
    _s(
        "blocky_vp9_opus",
        container="mkv",
        vcodec="vp9",
        acodec="opus",
        dur=40,
        seed=334,
        picture=DOC,
        sound=TALK,
        defects=(
            D("blocky", 12.0, 13.0, mode="requant", q=24),
            D("blocky", 28.0, 28.4, mode="tiles"),
        ),
    ),
    _s(
        "blocky_av1_aac",
        container="mp4",
        vcodec="av1",
        dur=30,
        seed=335,
        picture=MAGAZINE,
        sound=MUSIC,
        defects=(D("blocky", 10.0, 12.0, mode="requant"),),
    ),
    _s(
        "gaps_h264_pcm16",
        container="mkv",
        acodec="pcm16",
        dur=40,
        seed=341,
        picture=NEWS,
        sound=TALK,
        defects=(D("drop_frames", 10.0, 10.3), D("audio_gap", 25.0, 25.3)),
    ),
    _s(
        "gaps_h264_aac",
        container="mp4",
        dur=40,
        seed=342,
        picture=MAGAZINE,
        sound=TALK,
        defects=(D("drop_frames", 15.0, 16.0), D("audio_gap", 30.0, 32.5)),
        about="a 2.5 s hole in the sound's timestamps: a gap, not a silence",
    ),
    _s(
        "gaps_sd_mpeg2_ac3",
        container="ts",
        vcodec="mpeg2",
        acodec="ac3",
        size=(720, 576),
        dur=40,
        seed=343,
        picture=NEWS,
        sound=TALK,
        defects=(D("drop_frames", 12.0, 12.2), D("audio_gap", 28.0, 31.0)),
    ),
    _s(
        "gaps_hevc_opus",
        container="mkv",
        vcodec="hevc",
        acodec="opus",
        dur=30,
        seed=344,
        picture=DOC,
        sound=MUSIC,
        defects=(D("audio_gap", 10.0, 10.2),),
    ),
    _s(
        "flash_strobe_photo_h264_aac",
        container="mp4",
        dur=40,
        seed=351,
        picture=NEWS,
        sound=TALK,
        defects=(
            D("flash", 10.0, 12.0, mode="strobe", hz=8),
            D("flash", 25.0, 28.0, mode="photo", hz=8),
        ),
    ),
    _s(
        "flash_box_hevc_aac",
        container="mkv",
        vcodec="hevc",
        dur=30,
        seed=352,
        picture=MAGAZINE,
        sound=MUSIC,
        defects=(D("flash", 10.0, 13.0, mode="box", hz=5, area=0.6),),
    ),
    _s(
        "flash_cuts_sd_mpeg2_ac3",
        container="ts",
        vcodec="mpeg2",
        acodec="ac3",
        size=(720, 576),
        dur=30,
        seed=353,
        picture=SPORT,
        sound=MUSIC,
        defects=(D("flash", 12.0, 14.0, mode="cuts", hz=6),),
    ),
    _s(
        "flash_strobe_vp9_opus",
        container="mkv",
        vcodec="vp9",
        acodec="opus",
        dur=30,
        seed=354,
        picture=DOC,
        sound=MUSIC,
        defects=(D("flash", 15.0, 16.5, mode="strobe", hz=10),),
    ),
    _s(
        "flash_photo_av1_aac",
        container="mp4",
        vcodec="av1",
        dur=30,
        seed=355,
        picture=NEWS,
        sound=TALK,
        defects=(D("flash", 8.0, 11.0, mode="photo", hz=12),),
    ),
    _s(
        "letterbox_film_h264_aac",
        container="mp4",
        dur=90,
        seed=361,
        picture=seq(
            ("boxed:letterbox:random-footage", 30),
            ("boxed:letterbox:random-grain", 30),
            ("boxed:letterbox:random-dark", 30),
        ),
        sound=snd(parts={"speech": 1, "music": 1, "ambience": 1}),
        about="a 2.39:1 film letterboxed in 16:9 throughout, night scenes included",
    ),
    _s(
        "pillarbox_kenburns_hevc_opus",
        container="mkv",
        vcodec="hevc",
        acodec="opus",
        dur=60,
        seed=362,
        picture=seq(("boxed:pillarbox:kenburns", 60, {"zoom_rate": 0.015, "pan_rate": 0.008})),
        sound=snd(parts={"classical": 1}),
        about="4:3 pillarboxed slow pan over stills: letterbox (pillarbox), not frozen",
    ),
    _s(
        "letterbox_insert_sd_mpeg2_ac3",
        container="ts",
        vcodec="mpeg2",
        acodec="ac3",
        size=(720, 576),
        dur=60,
        seed=363,
        picture=seq(
            ("random:footage", 20),
            ("boxed:letterbox:random-footage", 20, {"aspect": 2.0}),
            ("random:kenburns", 20),
            overlays=("bug",),
        ),
        sound=TALK,
        about="news with a 2:1 letterboxed trailer in the middle",
    ),
    _s(
        "pillarbox_webcam_h264_pcm16",
        container="mov",
        acodec="pcm16",
        dur=45,
        seed=364,
        picture=seq(("boxed:pillarbox:footage", 45, {"src": "signing", "start": 2})),
        sound=SPEECH,
        about="a 4:3 webcam pillarboxed in 16:9",
    ),
    _s(
        "letterbox_black_av1_opus",
        container="mkv",
        vcodec="av1",
        acodec="opus",
        dur=50,
        seed=365,
        picture=seq(
            ("boxed:letterbox:footage", 20, {"src": "office", "start": 20}),
            ("black", 3.0),
            ("boxed:letterbox:footage", 27, {"src": "bottles", "start": 8}),
        ),
        sound=MUSIC,
        about="letterbox bars during a black stretch: that stretch is black",
    ),
    _s(
        "letterbox_2to1_prores_pcm24",
        container="mov",
        vcodec="prores",
        acodec="pcm24",
        fps=24,
        dur=30,
        seed=366,
        picture=seq(("boxed:letterbox:random-grain", 30, {"aspect": 2.0})),
        sound=TALK,
    ),
)

AUDIO_DEFECTS = (
    _s(
        "silence_news_h264_aac",
        container="mp4",
        dur=60,
        seed=401,
        picture=NEWS,
        sound=lay(("speech", 0, 30, 0), ("music", 29.7, 60, -4, {"src": "song", "start": 20})),
        defects=(D("mute", 20.0, 23.0), D("noise_replace", 40.0, 44.0, level=-70)),
        about="sound lost: digital zero, then the programme replaced by -70 dBFS noise",
    ),
    _s(
        "silence_right_channel_pcm16",
        container="wav",
        vcodec=None,
        acodec="pcm16",
        dur=40,
        seed=402,
        sound=MUSIC,
        defects=(D("mute", 10.0, 14.0, channel=1),),
        about="the right channel lost for 4 s",
    ),
    _s(
        "silence_centre_51_h264_ac3",
        container="mkv",
        acodec="ac3",
        channels=6,
        dur=60,
        seed=403,
        picture=MAGAZINE,
        sound=TALK,
        defects=(D("mute", 20.0, 25.0, channel=2),),
        about="5.1: the centre channel lost for 5 s",
    ),
    _s(
        "silence_noise_h264_pcm24",
        container="mov",
        acodec="pcm24",
        dur=40,
        seed=404,
        picture=DOC,
        sound=MUSIC,
        defects=(D("noise_replace", 20.0, 22.5, level=-70),),
        about="the programme replaced by white noise at -70 dBFS RMS for 2.5 s",
    ),
    _s(
        "silence_end_vp9_opus",
        container="mkv",
        vcodec="vp9",
        acodec="opus",
        dur=40,
        seed=405,
        picture=MAGAZINE,
        sound=TALK,
        defects=(D("mute", 36.0, None),),
        about="the sound dies 4 s before the end",
    ),
    _s(
        "silence_mxf_mpeg2_pcm24",
        container="mxf",
        vcodec="mpeg2",
        acodec="pcm24",
        size=(720, 576),
        dur=40,
        seed=406,
        picture=NEWS,
        sound=TALK,
        defects=(D("mute", 15.0, 18.0),),
    ),
    _s(
        "clipping_music_h264_aac",
        container="mp4",
        dur=40,
        seed=411,
        picture=MAGAZINE,
        sound=music_then("jazz", 2, 40),
        defects=(D("clip", 15.0, 16.3),),
        about="a 1.3 s hard-clipped stretch of music in AAC",
    ),
    _s(
        "clipping_pcm16",
        container="wav",
        vcodec=None,
        acodec="pcm16",
        dur=30,
        seed=412,
        sound=music_then("song", 40, 30),
        defects=(D("clip", 10.0, 10.5), D("clip", 20.0, 22.0)),
    ),
    _s(
        "clipping_hevc_opus",
        container="mkv",
        vcodec="hevc",
        acodec="opus",
        dur=30,
        seed=413,
        picture=NEWS,
        sound=music_then("strings", 5, 30),
        defects=(D("clip", 12.0, 13.0),),
    ),
    _s(
        "clipping_sd_mpeg2_ac3",
        container="ts",
        vcodec="mpeg2",
        acodec="ac3",
        size=(720, 576),
        dur=30,
        seed=414,
        picture=DOC,
        sound=music_then("jazz", 20, 30),
        defects=(D("clip", 15.0, 15.8),),
    ),
    _s(
        "clipping_mxf_mpeg2_pcm24",
        container="mxf",
        vcodec="mpeg2",
        acodec="pcm24",
        size=(720, 576),
        dur=30,
        seed=415,
        picture=MAGAZINE,
        sound=music_then("song", 60, 30),
        defects=(D("clip", 10.0, 11.0),),
    ),
    _s(
        "loud_master_h264_aac",
        container="mp4",
        dur=45,
        seed=416,
        picture=SPORT,
        sound=music_then("song", 0, 45),
        loudness=-14.0,
        limit=-0.3,
        about="a loud, limited master peaking at -0.3 dBFS: loud and over the true-peak "
        "ceiling, but not clipped",
    ),
    _s(
        "dropouts_speech_orchestra_h264_pcm24",
        container="mov",
        acodec="pcm24",
        dur=40,
        seed=421,
        picture=MAGAZINE,
        sound=speech_over("strings", 40),
        defects=(D("dropout", 8.0, 8.06), D("dropout", 16.0, 16.15), D("dropout", 24.0, 24.3)),
        about="24-bit PCM speech over orchestra: digital-zero holes of 60, 150, 300 ms",
    ),
    _s(
        "dropouts_music_h264_aac",
        container="mp4",
        dur=30,
        seed=422,
        picture=NEWS,
        sound=music_then("jazz", 10, 30),
        defects=(D("dropout", 10.0, 10.02), D("dropout", 20.0, 20.1)),
    ),
    _s(
        "dropouts_hevc_opus",
        container="mkv",
        vcodec="hevc",
        acodec="opus",
        dur=30,
        seed=423,
        picture=DOC,
        sound=music_then("song", 50, 30),
        defects=(D("dropout", 12.0, 12.05),),
    ),
    _s(
        "dropouts_sd_mpeg2_ac3",
        container="ts",
        vcodec="mpeg2",
        acodec="ac3",
        size=(720, 576),
        dur=30,
        seed=424,
        picture=NEWS,
        sound=speech_over("jazz", 30),
        defects=(D("dropout", 15.0, 15.04),),
    ),
    _s(
        "dropouts_pcm16",
        container="wav",
        vcodec=None,
        acodec="pcm16",
        dur=20,
        seed=425,
        sound=music_then("strings", 12, 20),
        defects=(D("dropout", 10.0, 10.2),),
    ),
    _s(
        "inverted_h264_aac",
        container="mp4",
        dur=20,
        seed=431,
        picture=NEWS,
        sound=music_then("jazz", 30, 20),
        defects=(D("invert", 0.0, None, channel=1),),
        about="one channel's polarity inverted over the whole 20 s file",
    ),
    _s(
        "phase_stretch_hevc_opus",
        container="mkv",
        vcodec="hevc",
        acodec="opus",
        dur=40,
        seed=432,
        picture=MAGAZINE,
        sound=music_then("song", 70, 40),
        defects=(D("invert", 10.0, 18.0, channel=1),),
    ),
    _s(
        "phase_front_51_h264_ac3",
        container="mkv",
        acodec="ac3",
        channels=6,
        dur=40,
        seed=433,
        picture=NEWS,
        sound=music_then("jazz", 5, 40),
        defects=(D("invert", 10.0, 20.0, channel=1),),
        about="5.1: FR inverted for 10 s",
    ),
    _s(
        "phase_stretch_h264_aac",
        container="ts",
        dur=30,
        seed=434,
        picture=DOC,
        sound=speech_over("jazz", 30, -8),
        defects=(D("invert", 12.0, 20.0, channel=1),),
    ),
    _s(
        "phase_mxf_mpeg2_pcm24",
        container="mxf",
        vcodec="mpeg2",
        acodec="pcm24",
        size=(720, 576),
        dur=30,
        seed=435,
        picture=MAGAZINE,
        sound=music_then("strings", 2, 30),
        defects=(D("invert", 5.0, 15.0, channel=1),),
    ),
    _s(
        "truepeak_h264_aac",
        container="mp4",
        dur=30,
        loudness=-24.0,
        seed=441,
        picture=NEWS,
        sound=TALK,
        defects=(D("hot", 12.0, 14.0),),
        about="a jingle mastered too hot",
    ),
    _s(
        "truepeak_pcm16",
        container="wav",
        vcodec=None,
        acodec="pcm16",
        dur=30,
        loudness=-24.0,
        seed=442,
        sound=MUSIC,
        defects=(D("hot", 10.0, 11.5, peak=-0.5),),
    ),
    _s(
        "truepeak_vp9_opus",
        container="mkv",
        vcodec="vp9",
        acodec="opus",
        dur=30,
        loudness=-24.0,
        seed=443,
        picture=MAGAZINE,
        sound=MUSIC,
        defects=(D("hot", 20.0, 22.0),),
    ),
    _s(
        "truepeak_sd_mpeg2_ac3",
        container="ts",
        vcodec="mpeg2",
        acodec="ac3",
        size=(720, 576),
        dur=30,
        loudness=-24.0,
        seed=444,
        picture=NEWS,
        sound=TALK,
        defects=(D("hot", 15.0, 16.0),),
    ),
    _s(
        "truepeak_h264_pcm24",
        container="mov",
        acodec="pcm24",
        dur=30,
        loudness=-24.0,
        seed=445,
        picture=DOC,
        sound=MUSIC,
        defects=(D("hot", 8.0, 9.5, peak=-0.3),),
    ),
    _s(
        "loudness_quiet_classical_pcm16",
        container="wav",
        vcodec=None,
        acodec="pcm16",
        dur=60,
        seed=451,
        sound=snd(parts={"classical": 1}),
        loudness=-31.0,
        about="quiet classical at -31 LUFS",
    ),
    _s(
        "loudness_quiet_doc_hevc_ac3",
        container="mkv",
        vcodec="hevc",
        acodec="ac3",
        dur=45,
        seed=452,
        picture=DOC,
        sound=snd(parts={"speech": 1, "ambience": 1}),
        loudness=-28.0,
    ),
    _s(
        "loudness_hot_promo_h264_aac",
        container="mp4",
        dur=30,
        seed=453,
        picture=SPORT,
        sound=TALK,
        loudness=-17.0,
        limit=-3.0,
    ),
    _s(
        "loudness_speech_opus",
        container="mkv",
        vcodec=None,
        acodec="opus",
        dur=45,
        seed=454,
        sound=SPEECH,
        loudness=-20.0,
    ),
    _s(
        "loudness_ok_h264_aac",
        container="mp4",
        dur=30,
        seed=455,
        picture=NEWS,
        sound=TALK,
        loudness=-23.5,
        about="-23.5 LUFS: inside EBU R128's ±1 LU",
    ),
)

AV_DEFECTS = (
    _s(
        "avoffset_late200_h264_aac",
        container="mp4",
        dur=15,
        seed=501,
        picture=NEWS,
        sound=TALK,
        defects=(D("av_shift", offset=0.2),),
    ),
    _s(
        "avoffset_early120_hevc_opus",
        container="mkv",
        vcodec="hevc",
        acodec="opus",
        dur=15,
        seed=502,
        picture=MAGAZINE,
        sound=TALK,
        defects=(D("av_shift", offset=-0.12),),
    ),
    _s(
        "avoffset_late500_sd_mpeg2_ac3",
        container="ts",
        vcodec="mpeg2",
        acodec="ac3",
        size=(720, 576),
        dur=15,
        seed=503,
        picture=NEWS,
        sound=TALK,
        defects=(D("av_shift", offset=0.5),),
    ),
    _s(
        "avoffset_early300_h264_pcm16",
        container="mov",
        acodec="pcm16",
        dur=15,
        seed=504,
        picture=DOC,
        sound=TALK,
        defects=(D("av_shift", offset=-0.3),),
    ),
    _s(
        "avoffset_late1s_vp9_opus",
        container="mkv",
        vcodec="vp9",
        acodec="opus",
        dur=15,
        seed=505,
        picture=NEWS,
        sound=TALK,
        defects=(D("av_shift", offset=1.0),),
    ),
    _s(
        "avoffset_ok_late60_h264_aac",
        container="mp4",
        dur=15,
        seed=506,
        picture=MAGAZINE,
        sound=TALK,
        defects=(D("av_shift", offset=0.06),),
        about="60 ms late: inside the detectability window",
    ),
    _s(
        "avoffset_ok_early30_hevc_aac",
        container="mkv",
        vcodec="hevc",
        dur=15,
        seed=507,
        picture=NEWS,
        sound=TALK,
        defects=(D("av_shift", offset=-0.03),),
    ),
    _s(
        "duration_short_h264_aac",
        container="mp4",
        dur=15,
        seed=511,
        picture=NEWS,
        sound=TALK,
        defects=(D("audio_length", delta=-1.5),),
    ),
    _s(
        "duration_short3_hevc_opus",
        container="mkv",
        vcodec="hevc",
        acodec="opus",
        dur=15,
        seed=512,
        picture=MAGAZINE,
        sound=TALK,
        defects=(D("audio_length", delta=-3.0),),
    ),
    _s(
        "duration_short04_sd_mpeg2_ac3",
        container="ts",
        vcodec="mpeg2",
        acodec="ac3",
        size=(720, 576),
        dur=15,
        seed=513,
        picture=NEWS,
        sound=TALK,
        defects=(D("audio_length", delta=-0.4),),
    ),
    _s(
        "duration_long35_h264_pcm16",
        container="mov",
        acodec="pcm16",
        dur=15,
        seed=514,
        picture=DOC,
        sound=TALK,
        defects=(D("audio_length", delta=3.5),),
    ),
    _s(
        "duration_long6_vp9_opus",
        container="mkv",
        vcodec="vp9",
        acodec="opus",
        dur=15,
        seed=515,
        picture=NEWS,
        sound=MUSIC,
        defects=(D("audio_length", delta=6.0),),
    ),
    _s(
        "duration_ok_long1_h264_aac",
        container="mp4",
        dur=15,
        seed=516,
        picture=MAGAZINE,
        sound=TALK,
        defects=(D("audio_length", delta=1.0),),
        about="sound 1 s longer than the picture: allowed",
    ),
    _s(
        "duration_ok_short1frame_h264_aac",
        container="mkv",
        dur=15,
        seed=517,
        picture=NEWS,
        sound=TALK,
        defects=(D("audio_length", delta=-0.04),),
        about="sound one frame short: allowed",
    ),
    _s(
        "missing_audio_empty_h264_aac",
        container="mkv",
        dur=12,
        seed=521,
        picture=NEWS,
        sound=TALK,
        defects=(D("empty_stream", what="audio"),),
    ),
    _s(
        "missing_audio_empty_sd_mpeg2_ac3",
        container="ts",
        vcodec="mpeg2",
        acodec="ac3",
        size=(720, 576),
        dur=12,
        seed=522,
        picture=NEWS,
        sound=TALK,
        defects=(D("empty_stream", what="audio"),),
    ),
    _s(
        "missing_audio_garbage_h264_aac",
        container="mov",
        dur=12,
        seed=523,
        picture=DOC,
        sound=TALK,
        defects=(D("empty_stream", what="audio", how="garbage"),),
    ),
    _s(
        "missing_second_audio_hevc_opus",
        container="mkv",
        vcodec="hevc",
        acodec="opus",
        dur=12,
        seed=524,
        picture=MAGAZINE,
        sound=TALK,
        defects=(D("empty_stream", what="audio", extra=True),),
        about="a second (Spanish) audio track declared but empty",
    ),
    _s(
        "missing_video_h264_aac",
        container="mkv",
        dur=12,
        seed=525,
        picture=NEWS,
        sound=TALK,
        defects=(D("empty_stream", what="video"),),
        about="video declared, never written",
    ),
)

# ---- delivery QC (issue 17): legal levels, leaders, interlaced content ---------------------
DELIVERY_DEFECTS = (
    _s(
        "levels_superwhite_news_h264_aac",
        container="mp4",
        dur=40,
        seed=901,
        picture=NEWS,
        sound=TALK,
        defects=(
            D("illegal_levels", 8.0, 12.0, mode="superwhite", area=0.05),
            D("illegal_levels", 24.0, 27.0, mode="superblack", area=0.04),
        ),
        about="a graphic at 107% (superwhite), later one at -5% (superblack)",
    ),
    _s(
        "levels_colour_xdcam_mxf_mpeg2_pcm24",
        container="mxf",
        vcodec="mpeg2",
        acodec="pcm24",
        size=(1920, 1080),
        dur=30,
        seed=902,
        picture=MAGAZINE,
        sound=TALK,
        defects=(D("illegal_levels", 10.0, 16.0, mode="colour", area=0.1),),
        about="a red graphic whose luma and chroma are legal but whose R' is ~160%: gamut",
    ),
    _s(
        "levels_superwhite_vp9_opus",
        container="mkv",
        vcodec="vp9",
        acodec="opus",
        dur=30,
        seed=903,
        picture=DOC,
        sound=TALK,
        defects=(D("illegal_levels", 12.0, 15.0, mode="superwhite", code=245, area=0.03),),
        about="a 105% highlight on 3% of dark programme pictures",
    ),
    _s(
        "levels_full_range_prores_pcm24",
        container="mov",
        vcodec="prores",
        acodec="pcm24",
        dur=30,
        seed=904,
        picture=seq(
            ("bars", 6, {"pattern": "card"}),
            ("random:footage", 12),
            ("bars", 12, {"pattern": "smpte"}),
        ),
        sound=SPEECH,
        defects=(D("full_range", 0.0, None),),
        about="a full-range export flagged limited range: crushed blacks, clipped whites",
    ),
    _s(
        "leader_ebu_xdcam_mxf_mpeg2_pcm24",
        container="mxf",
        vcodec="mpeg2",
        acodec="pcm24",
        size=(1920, 1080),
        dur=45,
        seed=905,
        picture=NEWS,
        sound=TALK,
        defects=(D("leader", 0.0, 10.0, slate=5.0),),
        about="a broadcast master's leader: EBU bars with -18 dBFS tone, a slate, the programme",
    ),
    _s(
        "leader_smpte_h264_aac",
        container="mov",
        dur=40,
        seed=906,
        picture=MAGAZINE,
        sound=TALK,
        defects=(D("leader", 0.0, 8.0, pattern="smpte", tone=-20.0),),
        about="SMPTE bars with -20 dBFS tone straight into the programme",
    ),
    _s(
        "interlace_weave_footage_h264_aac",
        container="mp4",
        dur=40,
        seed=907,
        picture=SPORT,
        sound=TALK,
        defects=(D("weave", 10.0, 25.0),),
        about="interlaced camera footage stored as progressive pictures, mid-programme",
    ),
    _s(
        "interlace_weave_hevc_aac",
        container="mkv",
        vcodec="hevc",
        dur=30,
        seed=908,
        picture=CUTS,
        sound=MUSIC,
        defects=(D("weave", 0.0, None),),
        about="a whole programme of interlaced content flagged progressive",
    ),
)

CATALOGUE: tuple[Scenario, ...] = (
    QUICK + CLEAN + VIDEO_DEFECTS + AUDIO_DEFECTS + AV_DEFECTS + DELIVERY_DEFECTS
)


def catalogue(subset: str = "full", only: Iterable[str] | None = None) -> list[Scenario]:
    """The scenarios of ``subset`` (``quick`` or ``full``), optionally only names containing
    one of ``only``."""
    out = [s for s in CATALOGUE if subset == "full" or subset in s.subsets]
    if only:
        keys = list(only)
        out = [s for s in out if any(k in s.name for k in keys)]
    return out


def code_digest() -> str:
    h = hashlib.sha256()
    for name in CODE_FILES:
        h.update((HERE / name).read_bytes())
    return h.hexdigest()[:16]


def digest(s: Scenario, code: str) -> str:
    return hashlib.sha256(
        (code + json.dumps(s.spec(), sort_keys=True, default=str)).encode()
    ).hexdigest()[:16]


def _build_worker(s: Scenario, out_dir: str, dig: str) -> tuple[str, dict[str, Any], float]:
    from .scenario import build_one

    t0 = time.process_time()
    truth = build_one(s, Path(out_dir))
    truth["digest"] = dig
    truth["build_cpu_s"] = round(time.process_time() - t0, 2)
    p = Path(out_dir) / s.filename
    p.with_suffix(".json").write_text(json.dumps(truth, indent=1))
    return str(p), truth, time.process_time() - t0


def up_to_date(s: Scenario, out_dir: Path, dig: str) -> dict[str, Any] | None:
    p = out_dir / s.filename
    j = p.with_suffix(".json")
    if not p.exists() or not j.exists():
        return None
    try:
        t = json.loads(j.read_text())
    except ValueError:
        return None
    return t if t.get("digest") == dig else None


def build(
    out_dir: str | Path = ".cache/eval/corpus",
    subset: str = "full",
    *,
    jobs: int = 1,
    only: Iterable[str] | None = None,
    log: Any = None,
) -> list[tuple[Path, dict[str, Any]]]:
    """Build (or reuse, when up to date) the files of ``subset`` into ``out_dir``; returns
    [(media path, ground truth)] in catalogue order."""
    out = Path(out_dir).resolve()
    out.mkdir(parents=True, exist_ok=True)
    code = code_digest()
    scns = catalogue(subset, only)
    done: dict[str, tuple[Path, dict[str, Any]]] = {}
    todo = []
    for s in scns:
        dig = digest(s, code)
        t = up_to_date(s, out, dig)
        if t is not None:
            done[s.name] = (out / s.filename, t)
        else:
            todo.append((s, dig))
    if todo:
        from .sources import prepare_all

        prepare_all()  # decode the sources once, before the workers read the cache
        say = log or (lambda m: print(m, file=sys.stderr))
        say(f"building {len(todo)} of {len(scns)} files into {out} with {jobs} process(es)")
        t0 = time.perf_counter()
        failed: list[str] = []
        if jobs <= 1:
            for s, dig in todo:
                try:
                    p, t, cpu = _build_worker(s, str(out), dig)
                except Exception as exc:  # report every failing scenario, not the first
                    failed.append(f"{s.name}: {type(exc).__name__}: {exc}")
                    say(f"  {s.filename}: FAILED {exc}")
                    continue
                done[s.name] = (Path(p), t)
                say(f"  {s.filename}: {cpu:.1f} s CPU")
        else:
            import multiprocessing as mp

            with ProcessPoolExecutor(jobs, mp_context=mp.get_context("spawn")) as ex:
                futs = {ex.submit(_build_worker, s, str(out), dig): s for s, dig in todo}
                for f in as_completed(futs):
                    s = futs[f]
                    try:
                        p, t, cpu = f.result()
                    except Exception as exc:
                        failed.append(f"{s.name}: {type(exc).__name__}: {exc}")
                        say(f"  {s.filename}: FAILED {exc}")
                        continue
                    done[s.name] = (Path(p), t)
                    say(f"  {s.filename}: {cpu:.1f} s CPU")
        if failed:
            raise RuntimeError("could not build:\n  " + "\n  ".join(failed))
        say(f"built in {time.perf_counter() - t0:.1f} s")
    from . import sync  # A/V sync scenarios: their own builder (eval/sync.py)

    say = log or (lambda m: print(m, file=sys.stderr))
    synced = sync.build(out, subset, list(only) if only else None, jobs, say)
    return [done[s.name] for s in scns] + synced


def main(argv: list[str] | None = None) -> int:
    import argparse

    ap = argparse.ArgumentParser(prog="python -m eval.corpus", description="Build the corpus.")
    ap.add_argument("--out", default=str(HERE.parent / ".cache" / "eval" / "corpus"))
    ap.add_argument("--subset", default="full", choices=["quick", "full"])
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--only", action="append")
    a = ap.parse_args(argv)
    for p, t in build(a.out, a.subset, jobs=a.jobs, only=a.only):
        print(p.name, len(t["defects"]), "events", *t.get("notes", []), sep="  ")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
