"""Decoding of every common recording format, and typed errors for bad input."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from qa_service.audio import SAMPLE_RATE, decode_audio, probe_audio
from qa_service.errors import (
    EmptyAudioError,
    NotAudioError,
    TruncatedAudioError,
    ZeroLengthAudioError,
)
from tests.conftest import SAMPLES, write_audio


@pytest.fixture(scope="module")
def speech_8k() -> np.ndarray:
    """3 s of the real call, both channels, back at the telephone rate of 8 kHz."""
    rec = decode_audio(SAMPLES / "zh-dev-01.wav")
    return rec.samples[:, int(1.0 * SAMPLE_RATE) : int(4.0 * SAMPLE_RATE) : 2].copy()


FORMATS = [
    # (suffix, codec, container, rate, lossless)
    ("wav", "pcm_s16le", "wav", 8000, True),
    ("wav", "pcm_s24le", "wav", 8000, True),
    ("wav", "pcm_s32le", "wav", 8000, True),
    ("wav", "pcm_f32le", "wav", 8000, True),
    ("wav", "pcm_mulaw", "wav", 8000, False),
    ("wav", "pcm_alaw", "wav", 8000, False),
    ("flac", "flac", "flac", 8000, True),
    ("mp3", "libmp3lame", "mp3", 8000, False),
    ("ogg", "libopus", "ogg", 48000, False),
    ("m4a", "aac", "ipod", 44100, False),
]


@pytest.mark.parametrize(
    ("suffix", "codec", "container", "rate", "lossless"), FORMATS, ids=[f[1] for f in FORMATS]
)
def test_decodes_common_formats_keeping_channels(
    tmp_path, speech_8k, suffix, codec, container, rate, lossless
):
    source = speech_8k
    if rate != 8000:  # encoders with fixed rates get the signal resampled by linear interpolation
        n = int(source.shape[1] * rate / 8000)
        x = np.linspace(0, source.shape[1] - 1, n)
        source = np.stack([np.interp(x, np.arange(source.shape[1]), ch) for ch in source])
    path = write_audio(tmp_path / f"call.{suffix}", source, rate, codec, container)
    rec = decode_audio(path)
    assert rec.channels == 2
    assert rec.source_sample_rate == rate
    assert rec.samples.dtype == np.float32
    assert rec.duration_s == pytest.approx(3.0, abs=0.08)
    # The two parties stay apart: each decoded channel matches its own source channel best.
    ref = decode_audio(write_audio(tmp_path / "ref.wav", speech_8k, 8000, "pcm_f32le", "wav")).samples
    n = min(ref.shape[1], rec.samples.shape[1]) - 4000
    if lossless:
        corr = [np.corrcoef(ref[c, :n], rec.samples[c, :n])[0, 1] for c in (0, 1)]
        assert min(corr) > 0.99
    energy = np.sqrt(np.mean(rec.samples**2, axis=1))
    ref_energy = np.sqrt(np.mean(ref**2, axis=1))
    assert energy == pytest.approx(ref_energy, rel=0.25)


@pytest.mark.parametrize(
    ("suffix", "codec", "container", "rate", "lossless"), FORMATS, ids=[f[1] for f in FORMATS]
)
def test_probe_reads_layout_and_true_duration_of_common_formats(
    tmp_path, speech_8k, suffix, codec, container, rate, lossless
):
    path = write_audio(tmp_path / f"call.{suffix}", speech_8k, 8000, codec, container)
    probe = probe_audio(path)
    assert probe.channels == 2
    assert probe.duration_s == pytest.approx(3.0, abs=0.2)  # lossy encoders add priming samples


def test_probe_finds_the_stream_behind_a_long_tag(tmp_path, speech_8k):
    """An MP3 whose ID3v2 tag (cover art, say) is larger than the quick probe's window."""
    mp3 = write_audio(tmp_path / "plain.mp3", speech_8k, 8000, "libmp3lame", "mp3").read_bytes()
    padding = 300_000
    syncsafe = bytes((padding >> shift) & 0x7F for shift in (21, 14, 7, 0))
    tagged = tmp_path / "tagged.mp3"
    tagged.write_bytes(b"ID3\x04\x00\x00" + syncsafe + bytes(padding) + mp3)
    probe = probe_audio(tagged)
    assert (probe.channels, probe.source_sample_rate) == (2, 8000)
    assert probe.duration_s == pytest.approx(3.0, abs=0.2)  # lossy encoders add priming samples


def test_decodes_mono_at_any_rate(tmp_path, speech_8k):
    path = write_audio(tmp_path / "mono.wav", speech_8k[:1], 8000, "pcm_s16le", "wav")
    rec = decode_audio(path)
    assert rec.channels == 1 and rec.sample_rate == SAMPLE_RATE
    assert rec.samples.shape[1] == pytest.approx(3 * SAMPLE_RATE, abs=64)


def test_reads_the_agent_channel_from_the_comment_tag(tmp_path, speech_8k):
    path = write_audio(
        tmp_path / "tagged.wav",
        speech_8k,
        8000,
        "pcm_s16le",
        "wav",
        {"comment": "agent_channel=1; customer_channel=0"},
    )
    assert decode_audio(path).agent_channel_hint() == 1
    assert decode_audio(SAMPLES / "zh-dev-23-cut.wav").agent_channel_hint() == 1
    assert decode_audio(SAMPLES / "zh-dev-01.wav").agent_channel_hint() is None


def test_empty_file(tmp_path):
    path = tmp_path / "empty.wav"
    path.write_bytes(b"")
    with pytest.raises(EmptyAudioError, match="empty"):
        decode_audio(path)


def test_missing_file(tmp_path):
    with pytest.raises(NotAudioError, match="no such file"):
        decode_audio(tmp_path / "nope.wav")


def test_non_audio_file(tmp_path):
    path = tmp_path / "notes.wav"
    path.write_text("this is a text file, not a recording\n" * 20)
    with pytest.raises(NotAudioError, match=r"not a recognised audio file|no audio stream|cannot be decoded"):
        decode_audio(path)


def test_image_is_not_audio(tmp_path):
    path = tmp_path / "picture.png"
    path.write_bytes(bytes.fromhex("89504e470d0a1a0a") + b"\0" * 200)
    with pytest.raises(NotAudioError):
        decode_audio(path)


def test_zero_length_audio(tmp_path):
    # A valid RIFF/WAVE header (stereo PCM16, 8 kHz) whose data chunk holds no samples.
    fmt = struct.pack("<HHIIHH", 1, 2, 8000, 32000, 4, 16)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", 0)
    path = tmp_path / "zero.wav"
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    with pytest.raises(ZeroLengthAudioError, match="no samples"):
        decode_audio(path)


def test_truncated_wav(tmp_path):
    data = (SAMPLES / "zh-dev-01.wav").read_bytes()
    path = tmp_path / "cut.wav"
    path.write_bytes(data[: len(data) // 3])  # header still declares the whole call
    with pytest.raises(TruncatedAudioError, match="truncated"):
        decode_audio(path)


def test_truncated_flac_reports_what_was_lost(tmp_path, speech_8k):
    full = write_audio(tmp_path / "full.flac", np.tile(speech_8k, 4), 8000, "flac", "flac")
    data = full.read_bytes()
    path = tmp_path / "cut.flac"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(TruncatedAudioError):
        decode_audio(path)


def test_very_short_input_decodes(tmp_path, speech_8k):
    path = write_audio(tmp_path / "short.wav", speech_8k[:, :400], 8000, "pcm_s16le", "wav")  # 50 ms
    rec = decode_audio(path)
    assert rec.duration_s == pytest.approx(0.05, abs=0.01)
