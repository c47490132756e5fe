"""Mask personal numbers in every text of an analysis, and list where they were said."""

from __future__ import annotations

import copy
from typing import Any

from qa_service.scoring.pii import NUMERALS, PHONE_CONTEXT, find_pii, find_pii_en, mask_pii, mask_pii_en


def redact_analysis(data: dict[str, Any], keep_last: int = 4) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A copy of ``analyze`` JSON with numbers masked, and the PII found: type, role, start, end."""
    out = copy.deepcopy(data)
    found: list[dict[str, Any]] = []
    english = out.get("language") == "en"
    find, mask = (find_pii_en, mask_pii_en) if english else (find_pii, mask_pii)
    utterances = out.get("utterances", [])
    for index, utt in enumerate(utterances):
        recent = " ".join(u.get("text_normalized", "") for u in utterances[max(0, index - 2) : index + 1])
        context = bool(PHONE_CONTEXT.search(recent))
        spans = find(utt.get("text_normalized", ""), context) or find(utt.get("text", ""), context)
        if not spans:
            continue
        utt["text"] = mask(utt["text"], keep_last, context)
        utt["text_normalized"] = mask(utt.get("text_normalized", ""), keep_last, context)
        if english:
            _mask_english_words(utt, keep_last, context)
            found += [
                {"type": s.type, "role": utt["role"], "start": utt["start"], "end": utt["end"]} for s in spans
            ]
            continue
        numeral_words = [w for w in utt.get("words", []) if any(ch in NUMERALS for ch in w["text"])]
        numerals = sum(sum(ch in NUMERALS for ch in w["text"]) for w in numeral_words)
        to_mask = max(0, numerals - keep_last)
        for w in numeral_words:
            chars = list(w["text"])
            for k, ch in enumerate(chars):
                if to_mask and ch in NUMERALS:
                    chars[k] = "*"
                    to_mask -= 1
            w["text"] = "".join(chars)
        start = numeral_words[0]["start"] if numeral_words else utt["start"]
        end = numeral_words[-1]["end"] if numeral_words else utt["end"]
        found += [{"type": s.type, "role": utt["role"], "start": start, "end": end} for s in spans]
    return out, found


def _mask_english_words(utt: dict[str, Any], keep_last: int, context: bool) -> None:
    """Mask number words in the word list the same way as in the utterance text."""
    words = utt.get("words", [])
    joined = "".join(w["text"] for w in words)
    masked = mask_pii_en(joined, keep_last, context)
    pos = 0
    for w in words:
        w["text"] = masked[pos : pos + len(w["text"])]
        pos += len(w["text"])
