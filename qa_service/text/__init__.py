"""Text normalisation (Chinese and English) used for matching, metrics and evaluation."""

from qa_service.text.normalize import (
    canonical_for_comparison,
    count_spoken_units,
    is_cjk,
    normalize,
    strip_punctuation,
)

__all__ = [
    "canonical_for_comparison",
    "count_spoken_units",
    "is_cjk",
    "normalize",
    "strip_punctuation",
]
