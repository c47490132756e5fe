"""``run_pipeline``: decode, detect speech, transcribe, (mono: diarize), assign roles, measure pacing."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from qa_service.audio import SAMPLE_RATE, Recording, decode_audio
from qa_service.backends import AsrBackend, Diarization, DiarizationBackend, get_asr_backend, get_diarizer
from qa_service.config import Settings
from qa_service.errors import LayoutError
from qa_service.pipeline.diarize import diarize, mono_transcript
from qa_service.pipeline.pacing import PacingMetrics, measure_pacing
from qa_service.pipeline.roles import assign_roles
from qa_service.pipeline.speaker_roles import RoleAssignment, RoleEvidence, check_channel_map
from qa_service.pipeline.speech import detect_speech
from qa_service.pipeline.transcribe import transcribe_channel
from qa_service.text.lexicon import Lexicon, get_lexicon
from qa_service.transcript import ChannelTranscript, Role, Span, Transcript

Hook = Callable[..., None]
"""``hook(step, artefact, completed=None, total=None)``, called after each stage."""

_LID_WINDOW_S = 30.0
# Two channels this similar are one signal written twice: a mono recording in a stereo file.
_DUAL_MONO_CORRELATION = 0.98


@dataclass(frozen=True)
class CallAnalysis:
    source: str
    duration_s: float
    transcript: Transcript
    metrics: PacingMetrics
    timings: dict[str, float]
    audio: dict[str, Any] = field(default_factory=dict)
    roles: RoleAssignment | None = None
    diarization: Diarization | None = None
    review_reasons: tuple[str, ...] = ()  # e.g. role_uncertain: a reviewer should check the roles


@contextmanager
def _timed(timings: dict[str, float], stage: str) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        timings[stage] = timings.get(stage, 0.0) + time.perf_counter() - start


def run_pipeline(
    path: Path | str,
    settings: Settings,
    *,
    agent_channel: int | None = None,
    language: str | None = None,
    hook: Hook | None = None,
    asr: AsrBackend | None = None,
    diarizer: DiarizationBackend | None = None,
    rubric: Any | None = None,
    roles: Mapping[str, Role] | None = None,
    agent_speaker: str | None = None,
) -> CallAnalysis:
    """Analyse one recording.

    ``agent_channel`` overrides the file's tag and the settings (stereo). Mono recordings (and
    stereo files holding one signal twice) are diarized; ``roles`` (speaker label to role) or
    ``agent_speaker`` (the agent's label, everyone else a customer) force the roles the uploader
    knows. ``rubric`` (a ``LoadedRubric``) supplies the agent phrases used as role evidence;
    default: the language's default rubric.
    """
    notify: Hook = hook or (lambda *a, **k: None)
    timings: dict[str, float] = {}

    with _timed(timings, "decode"):
        recording = decode_audio(path)
    notify("decode", recording)
    mono = _is_mono(recording)
    if mono and recording.channels == 2:
        recording = replace(recording, samples=recording.samples.mean(axis=0, keepdims=True))
    agent = None if mono else _agent_channel(recording, agent_channel, settings)

    with _timed(timings, "load_models"):
        backend = asr or get_asr_backend(settings.asr, settings.models_dir)
        diarization_backend = (diarizer or get_diarizer(settings.diarization)) if mono else None

    with _timed(timings, "detect_speech"):
        speech = [detect_speech(recording.samples[c], settings.vad) for c in range(recording.channels)]
    notify("detect_speech", speech)

    with _timed(timings, "detect_language"):
        lang = _language(language or settings.asr.language, backend, recording, speech)

    channels: list[ChannelTranscript] = []
    with _timed(timings, "transcribe"):
        for index in range(recording.channels):
            channels.append(
                transcribe_channel(
                    backend,
                    recording.samples[index],
                    index,
                    speech[index],
                    language=lang,
                    asr=settings.asr,
                    turn_max_pause=settings.pacing.turn_max_pause_s,
                )
            )
            notify("transcribe", channels[-1], completed=index + 1, total=recording.channels)

    diarization: Diarization | None = None
    if diarization_backend is not None:
        with _timed(timings, "diarize"):
            diarization = diarize(recording.samples[0], diarization_backend)
        notify("diarize", diarization)

    with _timed(timings, "assign_roles"):
        lexicon = (
            get_lexicon(tuple(settings.text.lexicon_paths)) if settings.text.lexicon_correction else None
        )
        evidence = RoleEvidence.from_rubric(_rubric(rubric, lang, settings), lang)
        transcript, assignment = _roles(
            channels, diarization, agent, lang, settings, lexicon, evidence, roles, agent_speaker
        )
    notify("assign_roles", transcript)

    if settings.asr.utterance_language_id:
        with _timed(timings, "identify_language"):
            transcript = identify_languages(transcript, recording, backend, settings.asr.language_id_min_s)

    with _timed(timings, "measure_pacing"):
        metrics = measure_pacing(transcript, recording, settings.pacing, assignment.confidence)
    notify("measure_pacing", metrics)

    review: tuple[str, ...] = ()
    if (
        assignment.method == "evidence" and assignment.confidence < settings.roles.min_confidence
    ) or assignment.method == "single_speaker":
        review = ("role_uncertain",)
    return CallAnalysis(
        source=str(path),
        duration_s=recording.duration_s,
        transcript=transcript,
        metrics=metrics,
        timings=timings,
        audio={
            "codec": recording.codec,
            "container": recording.container,
            "channels": recording.channels if not mono else (1 if recording.channels == 1 else 2),
            "source_sample_rate": recording.source_sample_rate,
            "agent_channel": agent,
        },
        roles=assignment,
        diarization=diarization,
        review_reasons=review,
    )


def identify_languages(
    transcript: Transcript, recording: Recording, backend: AsrBackend, min_s: float
) -> Transcript:
    """Whisper's language identification on the agent's own audio.

    Whisper identifies a language from one padded 30 s window, so consecutive agent utterances are
    packed into windows of at most 30 s and each utterance takes its window's verdict: the cost is
    one encoder pass per 30 s of agent speech instead of one per utterance.
    """
    channel = recording.samples[transcript.channel_of["agent"]]
    windows: list[list[int]] = []
    filled = _LID_WINDOW_S
    for i, u in enumerate(transcript.utterances):
        length = u.end - u.start
        if u.role != "agent" or u.suspect is not None or length < min_s:
            continue
        if filled + length > _LID_WINDOW_S:
            windows.append([])
            filled = 0.0
        windows[-1].append(i)
        filled += min(length, _LID_WINDOW_S)
    utterances = list(transcript.utterances)
    for window in windows:
        audio = np.concatenate(
            [
                channel[int(utterances[i].start * SAMPLE_RATE) : int(utterances[i].end * SAMPLE_RATE)]
                for i in window
            ]
        )
        identified = backend.detect_language(np.ascontiguousarray(audio[: int(_LID_WINDOW_S * SAMPLE_RATE)]))
        for i in window:
            utterances[i] = replace(utterances[i], language_id=identified)
    return replace(transcript, utterances=tuple(utterances))


def _rubric(rubric: Any | None, language: str, settings: Settings) -> Any | None:
    """The rubric whose agent phrases serve as role evidence (None: built-in cues only)."""
    if rubric is not None:
        return getattr(rubric, "rubric", rubric)
    from qa_service.scoring.engine import default_rubric_path, has_default_rubric
    from qa_service.scoring.schema import load_rubric

    if not has_default_rubric(language, settings.rubric_dir):
        return None
    return load_rubric(default_rubric_path(language, settings.rubric_dir)).rubric


def _roles(
    channels: list[ChannelTranscript],
    diarization: Diarization | None,
    agent: int | None,
    language: str,
    settings: Settings,
    lexicon: Lexicon | None,
    evidence: RoleEvidence,
    roles: Mapping[str, Role] | None,
    agent_speaker: str | None,
) -> tuple[Transcript, RoleAssignment]:
    if diarization is not None:
        forced: dict[str, Role] | None = dict(roles) if roles else None
        if agent_speaker is not None:
            forced = {s: "customer" for s in diarization.speakers}
            forced[agent_speaker] = "agent"
        return mono_transcript(channels[0], diarization, language, settings.pacing, evidence, lexicon, forced)
    assert agent is not None
    transcript = assign_roles(channels, agent, language, settings.pacing, lexicon)
    assignment = check_channel_map(transcript.utterances, evidence)
    utterances = tuple(replace(u, role_confidence=1.0) for u in transcript.utterances)
    return replace(transcript, utterances=utterances), assignment


def _is_mono(recording: Recording) -> bool:
    if recording.channels > 2:
        raise LayoutError(
            f"recordings with {recording.channels} channels are not supported: expected mono or "
            "stereo with one party per channel"
        )
    return recording.channels == 1 or _is_dual_mono(recording.samples)


def _is_dual_mono(samples: np.ndarray) -> bool:
    left, right = samples[0].astype(np.float64), samples[1].astype(np.float64)
    if not left.any() or not right.any():
        return False
    corr = float(np.corrcoef(left, right)[0, 1])
    return corr >= _DUAL_MONO_CORRELATION


def _agent_channel(recording: Recording, requested: int | None, settings: Settings) -> int:
    if requested is not None:
        if requested not in (0, 1):
            raise LayoutError(f"agent channel must be 0 or 1, got {requested}")
        return requested
    hint = recording.agent_channel_hint()
    return hint if hint is not None else settings.agent_channel


def _language(
    requested: str, backend: AsrBackend, recording: Recording, speech: list[tuple[Span, ...]]
) -> str:
    if requested != "auto":
        return requested
    # Up to 30 s of detected speech from all channels is what Whisper's language head sees.
    pieces = [
        recording.samples[c][int(s.start * SAMPLE_RATE) : int(s.end * SAMPLE_RATE)]
        for c in range(recording.channels)
        for s in speech[c]
    ]
    audio = np.concatenate(pieces)[: 30 * SAMPLE_RATE] if pieces else recording.samples[0]
    language, _ = backend.detect_language(audio)
    return language
