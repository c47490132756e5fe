"""faster-whisper (CTranslate2) ASR, loaded once per process per configuration."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from qa_service.backends.base import AsrChunkResult, AsrSegment
from qa_service.config import AsrSettings
from qa_service.errors import ModelNotFoundError
from qa_service.transcript import Word

if TYPE_CHECKING:
    from faster_whisper import WhisperModel

_MODELS: dict[tuple[str, str, str, int, str], WhisperModel] = {}
_LOCK = threading.Lock()
_SAMPLING_SEED = 0


def resolve_model(model: str, models_dir: Path) -> str:
    """A model directory (given, or under ``models_dir``), else a name for the offline HF cache."""
    for candidate in (Path(model).expanduser(), models_dir / model):
        if candidate.is_dir():
            if not (candidate / "model.bin").is_file():
                raise ModelNotFoundError(
                    f"{candidate} is not a CTranslate2 Whisper model (no model.bin); "
                    "run `qa-service models install` for the bundled model"
                )
            return str(candidate.resolve())
    if "/" in model or model.startswith("."):
        raise ModelNotFoundError(f"ASR model directory {model!r} does not exist")
    return model


def locate_model(settings: AsrSettings, models_dir: Path) -> str:
    """The local directory the model will load from, without loading it (readiness checks)."""
    model = resolve_model(settings.model, models_dir)
    if Path(model).is_dir():
        return model
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from faster_whisper.utils import download_model

    try:
        return str(
            download_model(
                model,
                local_files_only=True,
                cache_dir=str(settings.cache_dir) if settings.cache_dir else None,
            )
        )
    except Exception as exc:
        raise ModelNotFoundError(f"ASR model {model!r} is not in the local Hugging Face cache") from exc


def _load(model: str, settings: AsrSettings) -> WhisperModel:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import ctranslate2
    from faster_whisper import WhisperModel

    # The temperature fallback samples; each decoding thread seeds its generator once, from this
    # seed, so a process given the same calls in the same order writes the same text.
    ctranslate2.set_random_seed(_SAMPLING_SEED)

    threads = settings.cpu_threads or (os.cpu_count() or 1)
    key = (model, settings.device, settings.compute_type, threads, str(settings.cache_dir))
    with _LOCK:
        if key not in _MODELS:
            try:
                _MODELS[key] = WhisperModel(
                    model,
                    device=settings.device,
                    compute_type=settings.compute_type,
                    cpu_threads=threads,
                    local_files_only=True,
                    download_root=str(settings.cache_dir) if settings.cache_dir else None,
                )
            except Exception as exc:  # faster-whisper raises several unrelated types here
                raise ModelNotFoundError(
                    f"cannot load ASR model {model!r} offline: {exc}. Give a local CTranslate2 "
                    "model directory, or a model name already in the local Hugging Face cache"
                ) from exc
        return _MODELS[key]


class FasterWhisperAsr:
    name = "faster-whisper"

    def __init__(self, settings: AsrSettings, models_dir: Path) -> None:
        self._settings = settings
        self.model_path = resolve_model(settings.model, models_dir)
        self._model = _load(self.model_path, settings)

    def detect_language(self, audio: np.ndarray) -> tuple[str, float]:
        language, prob, _ = self._model.detect_language(audio)
        return language, float(prob)

    def transcribe(self, audio: np.ndarray, *, language: str, initial_prompt: str | None) -> AsrChunkResult:
        s = self._settings
        segments, info = self._model.transcribe(
            audio,
            language=language,
            beam_size=s.beam_size,
            best_of=s.beam_size,
            temperature=s.temperatures,
            compression_ratio_threshold=s.max_compression_ratio,
            log_prob_threshold=s.min_avg_logprob,
            no_speech_threshold=s.max_no_speech_prob,
            condition_on_previous_text=s.condition_on_previous_text,
            initial_prompt=initial_prompt or None,
            word_timestamps=True,
            # Whisper hears only the detected speech, concatenated; times are mapped back.
            vad_filter=True,
            vad_parameters={
                "threshold": s.vad_threshold,
                "min_silence_duration_ms": s.vad_min_silence_ms,
                "speech_pad_ms": s.vad_speech_pad_ms,
            },
        )
        out = tuple(
            AsrSegment(
                start=seg.start,
                end=seg.end,
                text=seg.text,
                words=tuple(
                    Word(start=w.start, end=w.end, text=w.word, prob=w.probability) for w in (seg.words or [])
                ),
                avg_logprob=seg.avg_logprob,
                compression_ratio=seg.compression_ratio,
                no_speech_prob=seg.no_speech_prob,
            )
            for seg in segments
        )
        return AsrChunkResult(info.language, float(info.language_probability), out)
