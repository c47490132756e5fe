"""Model backends behind small Protocols, chosen by name from a registry."""

from qa_service.backends.base import AsrBackend, AsrChunkResult, AsrSegment
from qa_service.backends.registry import get_asr_backend

__all__ = ["AsrBackend", "AsrChunkResult", "AsrSegment", "get_asr_backend"]
