"""Decode a recording once (PyAV/FFmpeg) into 16 kHz float32, keeping its channels."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import av
import numpy as np

from qa_service.errors import (
    EmptyAudioError,
    NotAudioError,
    TruncatedAudioError,
    UnsupportedAudioError,
    ZeroLengthAudioError,
)

SAMPLE_RATE = 16_000
# A decoded length this far below the container's declared duration means the file was cut.
_TRUNCATION_TOLERANCE_S = 0.5
_TRUNCATION_RATIO = 0.98
_AGENT_CHANNEL_RE = re.compile(r"agent_channel\s*=\s*([01])\b")


@dataclass(frozen=True)
class Recording:
    """Decoded audio: ``samples`` has shape (channels, frames) at :data:`SAMPLE_RATE`."""

    samples: np.ndarray
    source_sample_rate: int
    codec: str
    container: str
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def sample_rate(self) -> int:
        return SAMPLE_RATE

    @property
    def channels(self) -> int:
        return int(self.samples.shape[0])

    @property
    def duration_s(self) -> float:
        return self.samples.shape[1] / SAMPLE_RATE

    def agent_channel_hint(self) -> int | None:
        """The agent's channel when the recorder wrote it in the file's comment tag."""
        match = _AGENT_CHANNEL_RE.search(self.metadata.get("comment", ""))
        return int(match.group(1)) if match else None


def decode_audio(path: Path | str) -> Recording:
    """Decode any FFmpeg-readable recording; raise a typed error naming what is wrong."""
    path = Path(path)
    if not path.is_file():
        raise NotAudioError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise EmptyAudioError(f"{path.name}: the file is empty (0 bytes)")
    try:
        container = av.open(str(path), mode="r", metadata_errors="replace")
    except av.error.FFmpegError as exc:
        raise NotAudioError(f"{path.name}: not a recognised audio file ({exc.strerror or exc})") from exc
    with container:
        if not container.streams.audio:
            raise NotAudioError(f"{path.name}: the file has no audio stream")
        stream = container.streams.audio[0]
        codec = stream.codec_context.name
        channels = stream.codec_context.channels or 0
        source_rate = stream.codec_context.sample_rate or 0
        if channels < 1 or source_rate <= 0:
            raise UnsupportedAudioError(
                f"{path.name}: audio stream reports {channels} channels at {source_rate} Hz"
            )
        declared = _declared_duration(container, stream)
        chunks = _decode_stream(path, container, stream, channels)
        metadata = {k.lower(): str(v) for k, v in container.metadata.items()}
        container_name = container.format.name
    samples = np.concatenate(chunks, axis=1) if chunks else np.zeros((channels, 0), np.float32)
    if samples.shape[1] == 0:
        raise ZeroLengthAudioError(f"{path.name}: the audio stream holds no samples")
    decoded = samples.shape[1] / SAMPLE_RATE
    if declared is not None and decoded < declared * _TRUNCATION_RATIO - _TRUNCATION_TOLERANCE_S:
        raise TruncatedAudioError(
            f"{path.name}: truncated: the header declares {declared:.2f} s "
            f"but only {decoded:.2f} s could be decoded"
        )
    return Recording(
        samples=np.ascontiguousarray(samples, dtype=np.float32),
        source_sample_rate=source_rate,
        codec=codec,
        container=container_name,
        metadata=metadata,
    )


def _declared_duration(container: av.container.InputContainer, stream: av.AudioStream) -> float | None:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / av.time_base
    return None


def _decode_stream(
    path: Path, container: av.container.InputContainer, stream: av.AudioStream, channels: int
) -> list[np.ndarray]:
    # The output layout is given by channel count so that unusual source layouts still map.
    layout = "mono" if channels == 1 else "stereo" if channels == 2 else f"{channels}c"
    resampler = av.AudioResampler(format="fltp", layout=layout, rate=SAMPLE_RATE)
    chunks: list[np.ndarray] = []
    try:
        for frame in container.decode(stream):
            for out in resampler.resample(frame):
                chunks.append(out.to_ndarray())
        for out in resampler.resample(None):
            chunks.append(out.to_ndarray())
    except av.error.FFmpegError as exc:
        if not chunks:
            raise NotAudioError(f"{path.name}: the audio data cannot be decoded ({exc})") from exc
        raise TruncatedAudioError(
            f"{path.name}: the audio data is corrupt or cut off after "
            f"{sum(c.shape[1] for c in chunks) / SAMPLE_RATE:.2f} s ({exc})"
        ) from exc
    return chunks


@dataclass(frozen=True)
class AudioProbe:
    """What an upload is, found without decoding all of it."""

    container: str
    codec: str
    channels: int
    source_sample_rate: int
    duration_s: float


# Packets decoded at each end of the stream to prove it decodes.
_PROBE_DECODE_PACKETS = 8


def probe_audio(path: Path | str) -> AudioProbe:
    """Demux every packet (the true duration, whatever the header says) and decode both ends.

    Cheap enough for an upload request: the file is read once without decoding its middle;
    :func:`decode_audio` later decodes all of it.
    """
    path = Path(path)
    if path.stat().st_size == 0:
        raise EmptyAudioError("the file is empty (0 bytes)")
    try:
        container = av.open(str(path), mode="r", metadata_errors="replace", options=_PROBE_OPTIONS)
    except av.error.FFmpegError as exc:
        raise NotAudioError(f"not a recognised audio file ({exc.strerror or exc})") from exc
    with container:
        if not container.streams.audio:
            raise NotAudioError("the file has no audio stream")
        stream = container.streams.audio[0]
        ctx = stream.codec_context
        channels, rate = ctx.channels or 0, ctx.sample_rate or 0
        if channels < 1 or rate <= 0:
            raise UnsupportedAudioError(f"audio stream reports {channels} channels at {rate} Hz")
        declared = _declared_duration(container, stream)
        first, end = _demux_and_decode_ends(container, stream)
    duration = end - first
    if duration <= 0:
        raise ZeroLengthAudioError("the audio stream holds no samples")
    if declared is not None and duration < declared * _TRUNCATION_RATIO - _TRUNCATION_TOLERANCE_S:
        raise TruncatedAudioError(
            f"truncated: the header declares {declared:.2f} s but the file holds {duration:.2f} s"
        )
    return AudioProbe(container.format.name, ctx.name, channels, rate, round(duration, 3))


# Bytes FFmpeg reads to recognise the container and the stream's parameters: WAV, FLAC, MP3, Ogg and
# MP4 need a few hundred (ID3 tags are skipped, not read). FFmpeg's default of 5 MB would make
# opening the file cost more than the rest of an upload.
_PROBE_OPTIONS = {"probesize": "8192"}


def _demux_and_decode_ends(
    container: av.container.InputContainer, stream: av.AudioStream
) -> tuple[float, float]:
    """(first, end) seconds of the stream's packets; the first and last packets are decoded."""
    # Integer timestamps in the stream's time base: Fraction arithmetic per packet would cost
    # more than the demuxing itself.
    first: int | None = None
    end = 0
    decoded = 0
    tail: list[av.Packet] = []
    try:
        for count, packet in enumerate(container.demux(stream)):
            pts = packet.pts
            if packet.size == 0 or pts is None:
                continue
            if first is None or pts < first:
                first = pts
            end = max(end, pts + (packet.duration or 0))
            if count < _PROBE_DECODE_PACKETS:
                decoded += sum(frame.samples for frame in packet.decode())
            else:
                tail.append(packet)
                if len(tail) > 2 * _PROBE_DECODE_PACKETS:
                    del tail[:-_PROBE_DECODE_PACKETS]
        for packet in tail[-_PROBE_DECODE_PACKETS:]:
            stream.codec_context.decode(packet)
    except av.error.FFmpegError as exc:
        if first is None:
            raise NotAudioError(f"the audio data cannot be decoded ({exc})") from exc
        raise TruncatedAudioError(f"the file is corrupt or cut off ({exc})") from exc
    if first is None:
        raise ZeroLengthAudioError("the audio stream holds no samples")
    if not decoded:
        raise NotAudioError("the audio data cannot be decoded")
    time_base = stream.time_base
    if time_base is None:
        raise UnsupportedAudioError("the audio stream has no time base")
    return float(first * time_base), float(end * time_base)
