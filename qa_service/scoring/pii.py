"""Personal numbers spoken in a call: found in digits or Chinese numerals, classified, masked."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

PiiType = Literal["phone", "id_card", "bank_card"]

_DIGIT = {
    **{str(d): str(d) for d in range(10)},
    **dict(zip("零一二三四五六七八九", "0123456789", strict=True)),
}
_DIGIT.update({"〇": "0", "幺": "1", "x": "X", "X": "X"})
NUMERALS = frozenset(ch for ch in _DIGIT if ch not in "xX")
# Separators a speaker or recogniser puts inside a spoken number.
_INSIDE = set("，,、 -")


@dataclass(frozen=True)
class PiiSpan:
    type: PiiType
    start: int  # character offsets in the text
    end: int
    digits: str


def _classify(digits: str, phone_context: bool, language: str = "zh") -> PiiType | None:
    if len(digits) == 18 and digits[:17].isdigit():
        return "id_card"
    if language == "en":
        # North American 10 digits (with or without a leading 1), British 11 from a leading 0.
        if digits.isdigit() and (len(digits) == 10 or (len(digits) == 11 and digits[0] in "10")):
            return "phone"
        if phone_context and digits.isdigit() and 9 <= len(digits) <= 12:
            return "phone"
    else:
        if len(digits) == 11 and digits[0] == "1" and digits.isdigit():
            return "phone"
        # Asked for a phone number, a recogniser that dropped or doubled a digit still heard one.
        if phone_context and 9 <= len(digits) <= 12 and digits[0] == "1" and digits.isdigit():
            return "phone"
    if 16 <= len(digits) <= 19 and digits.isdigit():
        return "bank_card"
    return None


def find_pii(text: str, phone_context: bool = False) -> list[PiiSpan]:
    """Runs of spoken digits long enough to be a mobile, ID-card or bank-card number.

    ``phone_context``: the talk around asks for a phone number, so a run one or two digits off
    (the usual ASR damage) is still taken for one.
    """
    found: list[PiiSpan] = []
    i = 0
    while i < len(text):
        if text[i] not in _DIGIT or text[i] in "xX":
            i += 1
            continue
        start, digits, j, last = i, "", i, i
        while j < len(text) and (text[j] in _DIGIT or (text[j] in _INSIDE and digits)):
            if text[j] in _DIGIT:
                digits += _DIGIT[text[j]]
                last = j
            j += 1
        kind = _classify(digits, phone_context)
        if kind is not None:
            found.append(PiiSpan(kind, start, last + 1, digits))
        i = last + 1
    return found


PHONE_CONTEXT = re.compile(r"电话|手机|号码|联系方式|phone|mobile|number", re.IGNORECASE)


def mask_pii(text: str, keep_last: int = 4, phone_context: bool = False) -> str:
    """Replace every digit of a personal number but the last ``keep_last`` with ``*``."""
    spans = find_pii(text, phone_context)
    if not spans:
        return text
    chars = list(text)
    for span in spans:
        positions = [k for k in range(span.start, span.end) if chars[k] in _DIGIT]
        for k in positions[: max(0, len(positions) - keep_last)]:
            chars[k] = "*"
    return "".join(chars)


_EN_NUMBER_TOKEN = re.compile(
    r"\b(?:zero|oh|one|two|three|four|five|six|seven|eight|nine|\d+)\b", re.IGNORECASE
)
_EN_BETWEEN = re.compile(r"^[\s,.\-]*$")


def _en_runs(text: str) -> list[list[tuple[int, int, str]]]:
    """Runs of spoken or written digits: (start, end, digits) per token."""
    runs: list[list[tuple[int, int, str]]] = []
    for m in _EN_NUMBER_TOKEN.finditer(text):
        token = m.group(0).lower()
        digits = token if token.isdigit() else _WORD_DIGIT[token]
        if runs and _EN_BETWEEN.match(text[runs[-1][-1][1] : m.start()]):
            runs[-1].append((m.start(), m.end(), digits))
        else:
            runs.append([(m.start(), m.end(), digits)])
    return runs


def find_pii_en(text: str, phone_context: bool = False) -> list[PiiSpan]:
    found = []
    for run in _en_runs(text):
        digits = "".join(d for _, _, d in run)
        kind = _classify(digits, phone_context, "en")
        if kind is not None:
            found.append(PiiSpan(kind, run[0][0], run[-1][1], digits))
    return found


def mask_pii_en(text: str, keep_last: int = 4, phone_context: bool = False) -> str:
    """Mask the digit words or digits of English personal numbers but the last ``keep_last``."""
    out = text
    for run in reversed(_en_runs(text)):
        if _classify("".join(d for _, _, d in run), phone_context, "en") is None:
            continue
        kept = 0
        for start, end, digits in reversed(run):
            if kept >= keep_last:
                out = out[:start] + "*" * len(digits) + out[end:]
            kept += len(digits)
    return out


_WORD_DIGIT = dict(
    zip(
        ["zero", "oh", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"],
        "00123456789",
        strict=True,
    )
)
