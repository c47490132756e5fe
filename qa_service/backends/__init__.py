"""Model backends behind small Protocols, chosen by name from a registry."""

from qa_service.backends.base import (
    AsrBackend,
    AsrChunkResult,
    AsrSegment,
    Diarization,
    DiarizationBackend,
    SpeakerTurn,
)
from qa_service.backends.registry import get_asr_backend, get_diarizer

__all__ = [
    "AsrBackend",
    "AsrChunkResult",
    "AsrSegment",
    "Diarization",
    "DiarizationBackend",
    "SpeakerTurn",
    "get_asr_backend",
    "get_diarizer",
]
