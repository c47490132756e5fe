"""Mask personal numbers in every text of an analysis, and list where they were said."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from qa_service.scoring.pii import (
    NUMERALS,
    Mask,
    NumberKind,
    PiiSpan,
    apply_masks,
    locate_pii,
    locate_pii_en,
    named_number,
)

_Locate = Callable[[str, int, NumberKind | None], tuple[list[PiiSpan], list[Mask]]]


def redact_analysis(data: dict[str, Any], keep_last: int = 4) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A copy of ``analyze`` JSON with numbers masked, and the PII found: type, role, start, end.

    The copy shares what it does not mask with ``data``: an utterance is copied when masked."""
    out = dict(data)
    found: list[dict[str, Any]] = []
    english = out.get("language") == "en"
    locate: _Locate = locate_pii_en if english else locate_pii
    utterances = list(data.get("utterances", []))
    if "utterances" in data:
        out["utterances"] = utterances
    for index, utt in enumerate(utterances):
        # The number the last two turns asked for; labels in the utterance itself are read by locate.
        asked = named_number(
            " ".join(u.get("text_normalized", "") for u in utterances[max(0, index - 2) : index])
        )
        text, normalized = utt.get("text", ""), utt.get("text_normalized", "")
        spans, normalized_masks = locate(normalized, keep_last, asked)
        text_spans, text_masks = locate(text, keep_last, asked)
        spans = spans or text_spans
        if not spans:
            continue
        utt = utterances[index] = dict(utt)
        utt["text"], utt["text_normalized"] = (
            apply_masks(text, text_masks),
            apply_masks(normalized, normalized_masks),
        )
        words = utt["words"] = [dict(w) for w in utt.get("words", [])]
        times = _mask_words(words, locate, keep_last, asked)
        if times is None and not english:
            # Only the normalised text shows the number (e.g. 16号 read as a digit run): mask
            # every numeral the words carry but the last ones, and time it by those words.
            times = _mask_numerals(words, keep_last)
        start, end = times or (utt["start"], utt["end"])
        found += [{"type": s.type, "role": utt["role"], "start": start, "end": end} for s in spans]
    return out, found


def _mask_words(
    words: list[dict[str, Any]], locate: _Locate, keep_last: int, asked: NumberKind | None
) -> tuple[float, float] | None:
    """Mask, character for character, what the text's masking covers in the words' own text;
    the time from the first to the last word of the numbers, or None when the words show none."""
    joined = "".join(w["text"] for w in words)
    spans, masks = locate(joined, keep_last, asked)
    if not spans:
        return None
    hidden = {k for start, end, _ in masks for k in range(start, end)}
    pos, inside = 0, []
    for w in words:
        end = pos + len(w["text"])
        if any(s.start < end and pos < s.end for s in spans):
            inside.append(w)
        w["text"] = "".join("*" if pos + k in hidden else ch for k, ch in enumerate(w["text"]))
        pos = end
    return inside[0]["start"], inside[-1]["end"]


def _mask_numerals(words: list[dict[str, Any]], keep_last: int) -> tuple[float, float] | None:
    numeral_words = [w for w in words if any(ch in NUMERALS for ch in w["text"])]
    if not numeral_words:
        return None
    to_mask = max(0, sum(sum(ch in NUMERALS for ch in w["text"]) for w in numeral_words) - keep_last)
    for w in numeral_words:
        chars = list(w["text"])
        for k, ch in enumerate(chars):
            if to_mask and ch in NUMERALS:
                chars[k] = "*"
                to_mask -= 1
        w["text"] = "".join(chars)
    return numeral_words[0]["start"], numeral_words[-1]["end"]
