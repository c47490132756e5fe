"""The analysis pipeline: a flat sequence of typed stages."""

from qa_service.pipeline.run import CallAnalysis, Hook, run_pipeline

__all__ = ["CallAnalysis", "Hook", "run_pipeline"]
