"""The standard set of test recordings: defects injected at known times on several codecs and
containers, and hard clean negatives that must produce no findings."""

from __future__ import annotations

from .generate import Defect, Spec

# One set of injected defects, reused across codecs so results compare across them. The black
# stretch is also a still picture: it tests that freeze is not reported inside black.
STANDARD_DEFECTS = (
    Defect("silence", 1.5, 4.0),
    Defect("black", 2.0, 4.4),
    Defect("freeze", 6.0, 8.6),
    Defect("clipping", 7.0, 7.5),
)

DEFECT_SPECS = (
    Spec("h264_aac_mp4", "mp4", "libx264", "aac", defects=STANDARD_DEFECTS),
    Spec("hevc_opus_mkv", "mkv", "libx265", "libopus", seed=2, defects=STANDARD_DEFECTS),
    Spec("vp9_opus_webm", "webm", "libvpx-vp9", "libopus", seed=3, defects=STANDARD_DEFECTS),
    Spec("mpeg2_aac_ts", "ts", "mpeg2video", "aac", seed=4, defects=STANDARD_DEFECTS),
    Spec("prores10_pcm_mov", "mov", "prores_ks", "pcm_s16le", seed=5, defects=STANDARD_DEFECTS),
    Spec("av1_flac_mkv", "mkv", "libsvtav1", "flac", seed=6, defects=STANDARD_DEFECTS),
    Spec(
        "h264_fullrange_mp4",
        "mp4",
        "libx264",
        "aac",
        full_range=True,
        seed=7,
        defects=STANDARD_DEFECTS,
    ),
    Spec(
        "pcm_wav",
        "wav",
        None,
        "pcm_s16le",
        video=None,
        audio="speech",
        seed=8,
        defects=(Defect("silence", 3.0, 5.5), Defect("clipping", 7.2, 7.4)),
    ),
)

# Video integrity and A/V: damage placed by packet (its ground truth is computed from the packets'
# times and the next keyframe), dropped frames, A/V offsets, flashes, bars, a digital hit.
INTEGRITY_SPECS = (
    Spec("damaged_h264_ts", "ts", "libx264", "aac", gop=25, seed=21, damage_at_s=(3.0, 6.5)),
    Spec("damaged_hevc_mkv", "mkv", "libx265", "libopus", gop=25, seed=22, damage_at_s=(4.0,)),
    Spec(
        "dropped_frames_pcm_mkv",
        "mkv",
        "libx264",
        "pcm_s16le",
        seed=23,
        defects=(
            Defect("timestamp_gap", 3.0, 3.2, value=5),
            Defect("timestamp_gap", 6.0, 6.3, stream="audio", value=0.3),
        ),
    ),
    Spec(
        "audio_late_mp4",
        "mp4",
        "libx264",
        "aac",
        seed=24,
        audio_offset_s=0.3,
        defects=(Defect("av_offset", 0.0, 10.3, value=0.3),),
    ),
    Spec(
        "audio_early_mkv",
        "mkv",
        "libx264",
        "libopus",
        seed=25,
        audio_offset_s=-0.3,
        defects=(Defect("av_offset", 0.0, 10.3, value=-0.3),),
    ),
    Spec(
        "audio_short_mp4",
        "mp4",
        "libx264",
        "aac",
        seed=26,
        audio_duration_s=8.0,
        defects=(Defect("duration_mismatch", 0.0, 10.0, value=-2.0),),
    ),
    Spec("flash_mp4", "mp4", "libx264", "aac", seed=27, defects=(Defect("flash", 4.0, 6.0),)),
    Spec(
        "letterbox_mp4",
        "mp4",
        "libx264",
        "aac",
        seed=28,
        defects=(Defect("letterbox", 0.0, 10.0, value=0.25),),
    ),
    Spec(
        "pillarbox_webm",
        "webm",
        "libvpx-vp9",
        "libopus",
        seed=29,
        bars="pillarbox",
        defects=(Defect("letterbox", 3.0, 10.0, value=0.25),),
    ),
    Spec("blocky_mp4", "mp4", "libx264", "aac", seed=30, defects=(Defect("blockiness", 5.0, 5.5),)),
)

# Audio measurement: a muted channel in stereo and 5.1, dropouts in speech and music, an
# inverted channel.
AUDIO_SPECS = (
    Spec(
        "mute_ch1_stereo_wav",
        "wav",
        None,
        "pcm_s16le",
        video=None,
        seed=41,
        defects=(Defect("silence", 3.0, 6.5, channel=1),),
    ),
    Spec(
        "mute_fc_51_mp4",
        "mp4",
        "libx264",
        "aac",
        channels=6,
        seed=42,
        defects=(Defect("silence", 2.0, 5.0, channel=2),),
    ),
    Spec(
        "dropouts_speech_wav",
        "wav",
        None,
        "pcm_s16le",
        video=None,
        audio="speech",
        seed=43,
        defects=(
            Defect("dropout", 2.0, 2.02),
            Defect("dropout", 4.0, 4.08),
            Defect("dropout", 6.0, 6.3),
        ),
    ),
    Spec(
        "dropouts_music_mkv",
        "mkv",
        "libx264",
        "flac",
        seed=44,
        defects=(
            Defect("dropout", 2.5, 2.52),
            Defect("dropout", 5.0, 5.08),
            Defect("dropout", 7.5, 7.8),
        ),
    ),
    Spec(
        "inverted_channel_flac_mkv",
        "mkv",
        "libx264",
        "flac",
        seed=45,
        invert_channel=1,
        defects=(Defect("phase", 0.0, 10.0, value=-1.0),),
    ),
)

NEGATIVE_SPECS = (
    Spec(
        "neg_dark_quietspeech", "mp4", "libx264", "aac", video="dark", audio="quiet_speech", seed=11
    ),
    Spec("neg_slowpan_speech", "mkv", "libx265", "libopus", video="pan", audio="speech", seed=12),
    Spec(
        "neg_noisy_static_loud",
        "mp4",
        "libx264",
        "aac",
        video="static_noisy",
        audio="loud",
        seed=13,
    ),
    Spec("neg_cuts_loud_pcm", "mov", "libx264", "pcm_s16le", video="cuts", audio="loud", seed=14),
    Spec(
        "neg_noisy_static_vp9",
        "webm",
        "libvpx-vp9",
        "libopus",
        video="static_noisy",
        audio="speech",
        seed=15,
    ),
    Spec("neg_pulldown_mp4", "mp4", "libx264", "aac", seed=31, pulldown=True),
    Spec("neg_vfr_screen_mp4", "mp4", "libx264", "aac", seed=32, vfr=True),
    Spec("neg_audio_late_ok_mp4", "mp4", "libx264", "aac", seed=33, audio_offset_s=0.1),
    Spec("neg_wide_stereo_wav", "wav", None, "pcm_s16le", video=None, audio="wide", seed=34),
)

DEMO_SPECS = (
    DEFECT_SPECS[0],
    DEFECT_SPECS[1],
    DEFECT_SPECS[3],
    DEFECT_SPECS[7],
    INTEGRITY_SPECS[0],
    INTEGRITY_SPECS[3],
    INTEGRITY_SPECS[6],
    NEGATIVE_SPECS[0],
    NEGATIVE_SPECS[1],
)

SETS = {
    "defects": DEFECT_SPECS,
    "negatives": NEGATIVE_SPECS,
    "demo": DEMO_SPECS,
    "integrity": INTEGRITY_SPECS,
    "audio": AUDIO_SPECS,
    "all": DEFECT_SPECS + INTEGRITY_SPECS + AUDIO_SPECS + NEGATIVE_SPECS,
}
