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


def find_pii(text: str, asked: NumberKind | None = None) -> list[PiiSpan]:
    """Runs of spoken digits long enough to be a mobile, ID-card or bank-card number.

    ``asked``: the kind of number the talk before asked for. Asked for a phone, a run one or two
    digits off (the usual ASR damage) is still taken for one. A run the speaker names as another
    kind of number (订单号, tracking number) is none.
    """
    runs = _zh_runs(text)
    return [
        PiiSpan(kind, start, end, digits)
        for (start, end, digits), kind in zip(runs, _kinds(text, runs, asked, "zh"), strict=True)
        if kind is not None
    ]


def _zh_runs(text: str) -> list[tuple[int, int, str]]:
    """Runs of digits or numerals, separators inside allowed: (start, end, digits)."""
    runs = []
    i = 0
    while i < len(text):
        if text[i] not in _DIGIT or text[i] in "xX":
            i += 1
            continue
        digits, j, last = "", i, i
        while j < len(text) and (text[j] in _DIGIT or (text[j] in _INSIDE and digits)):
            if text[j] in _DIGIT:
                digits += _DIGIT[text[j]]
                last = j
            j += 1
        runs.append((i, last + 1, digits))
        i = last + 1
    return runs


def _kinds(
    text: str, runs: list[tuple[int, int, str]], asked: NumberKind | None, language: str
) -> list[PiiType | None]:
    """What each run is, read with the label said since the previous number."""
    kinds = []
    previous_end = 0
    for start, end, digits in runs:
        kinds.append(_labelled(text[previous_end:start], digits, asked, language))
        if len(digits) >= _NUMBER_MIN_DIGITS:
            previous_end = end
    return kinds


# What a speaker calls the number they are about to say. Other kinds come first: 订单号码 and
# "order number" name an order, not a phone.
_NUMBER_LABEL = re.compile(
    r"(?P<other>(?:订|运|快递|物流|工|取件)?单号|"
    r"(?:order|tracking|reference|confirmation|claim|case|ticket)\s+(?:number|no\.?))|"
    r"(?P<personal>电话|手机|号码|卡号|身份证|联系方式|phone|mobile|cell|number)",
    re.IGNORECASE,
)


# A number's label is looked for back to the previous number; 一下 or "one moment" is none.
_NUMBER_MIN_DIGITS = 3


NumberKind = Literal["personal", "other"]


def named_number(text: str) -> NumberKind | None:
    """``personal`` or ``other``: the kind of number the text names last, if any."""
    labels = [m.lastgroup for m in _NUMBER_LABEL.finditer(text)]
    return "other" if labels and labels[-1] == "other" else "personal" if labels else None


def _labelled(before: str, digits: str, asked: NumberKind | None, language: str) -> PiiType | None:
    # Only the speaker's own label rules a number out: a bare number after a question about an
    # order may still be a phone, and an unmasked phone costs more than a masked order number.
    named = named_number(before)
    if named == "other":
        return None
    return _classify(digits, (named or asked) == "personal", language)


Mask = tuple[int, int, str]  # replace text[start:end] by this


def locate_pii(
    text: str, keep_last: int = 4, asked: NumberKind | None = None
) -> tuple[list[PiiSpan], list[Mask]]:
    """The personal numbers, and their digits but the last ``keep_last``, each to become ``*``."""
    spans, masks = find_pii(text, asked), []
    for span in spans:
        positions = [k for k in range(span.start, span.end) if text[k] in _DIGIT]
        masks += [(k, k + 1, "*") for k in positions[: max(0, len(positions) - keep_last)]]
    return spans, masks


def apply_masks(text: str, masks: list[Mask]) -> str:
    for start, end, replacement in sorted(masks, reverse=True):
        text = text[:start] + replacement + text[end:]
    return text


def mask_pii(text: str, keep_last: int = 4, asked: NumberKind | None = None) -> str:
    """Replace every digit of a personal number but the last ``keep_last`` with ``*``."""
    return apply_masks(text, locate_pii(text, keep_last, asked)[1])


_WORD_DIGIT = dict(
    zip(
        ["zero", "oh", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"],
        "00123456789",
        strict=True,
    )
)
# Words a recogniser writes for a digit word: homophones (to, for, won, ate), and on telephone
# audio, where /f/ and /θ/ are faint, three heard as "free" and five as "time".
_EN_SOUNDALIKE = {"to": "2", "too": "2", "for": "4", "won": "1", "ate": "8", "free": "3", "time": "5"}
_EN_DIGIT_WORDS = _WORD_DIGIT | _EN_SOUNDALIKE
_EN_NUMBER_TOKEN = re.compile(r"\b(?:\d+|" + "|".join(_EN_DIGIT_WORDS) + r")\b", re.IGNORECASE)
_EN_BETWEEN = re.compile(r"^[\s,.\-]*$")
_Token = tuple[int, int, str, bool]  # start, end, digits, a sound-alike word


def _en_runs(text: str) -> list[list[tuple[int, int, str]]]:
    """Runs of spoken or written digits: (start, end, digits) per token."""
    runs: list[list[_Token]] = []
    for m in _EN_NUMBER_TOKEN.finditer(text):
        token = m.group(0).lower()
        alike = token in _EN_SOUNDALIKE
        digits = token if token.isdigit() else _EN_DIGIT_WORDS[token]
        if runs and _EN_BETWEEN.match(text[runs[-1][-1][1] : m.start()]):
            runs[-1].append((m.start(), m.end(), digits, alike))
        else:
            runs.append([(m.start(), m.end(), digits, alike)])
    return [[(start, end, digits) for start, end, digits, _ in run] for r in runs for run in _trusted(r)]


def _trusted(run: list[_Token]) -> list[list[_Token]]:
    """A sound-alike word is a digit only inside a run of digit words that outnumber such words;
    otherwise the run is split where they stand, and they are words again."""
    while run and run[0][3]:
        run = run[1:]
    while run and run[-1][3]:
        run = run[:-1]
    alike = sum(t[3] for t in run)
    if len(run) - alike >= alike:
        return [run] if run else []
    pieces: list[list[_Token]] = [[]]
    for token in run:
        if token[3]:
            pieces.append([])
        else:
            pieces[-1].append(token)
    return [piece for piece in pieces if piece]


def _en_pii_runs(text: str, asked: NumberKind | None) -> list[tuple[PiiType, list[tuple[int, int, str]]]]:
    runs = _en_runs(text)
    bounds = [(run[0][0], run[-1][1], "".join(d for _, _, d in run)) for run in runs]
    return [
        (kind, run)
        for run, kind in zip(runs, _kinds(text, bounds, asked, "en"), strict=True)
        if kind is not None
    ]


def find_pii_en(text: str, asked: NumberKind | None = None) -> list[PiiSpan]:
    return [_en_span(kind, run) for kind, run in _en_pii_runs(text, asked)]


def _en_span(kind: PiiType, run: list[tuple[int, int, str]]) -> PiiSpan:
    return PiiSpan(kind, run[0][0], run[-1][1], "".join(d for _, _, d in run))


def locate_pii_en(
    text: str, keep_last: int = 4, asked: NumberKind | None = None
) -> tuple[list[PiiSpan], list[Mask]]:
    """English personal numbers, and their digit words or digits but the last ``keep_last``: one
    ``*`` per digit."""
    spans, masks = [], []
    for kind, run in _en_pii_runs(text, asked):
        spans.append(_en_span(kind, run))
        kept = 0
        for start, end, digits in reversed(run):
            if kept >= keep_last:
                masks.append((start, end, "*" * len(digits)))
            kept += len(digits)
    return spans, masks


def mask_pii_en(text: str, keep_last: int = 4, asked: NumberKind | None = None) -> str:
    return apply_masks(text, locate_pii_en(text, keep_last, asked)[1])
