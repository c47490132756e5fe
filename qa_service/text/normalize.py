"""Normalised text beside the raw ASR text.

Chinese: Traditional to Simplified (OpenCC t2s), full width to half width, punctuation reduced
to one canonical set, Arabic numerals written as spoken (phone numbers digit by digit, quantities
as cardinals). English: lower case, numerals as words, canonical punctuation. Comparison strips
punctuation entirely and folds spoken variants of the same digit (幺/一, 两/二).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

import opencc

from qa_service.text.numbers import en_cardinal, en_number, en_ordinal, zh_cardinal, zh_digits, zh_number

_ZH_PUNCT = {",": "，", "?": "？", "!": "！", ";": "；", ":": "：", ".": "。", "、": "、"}
# Groups of digits read as one number: 138-1276-4509, 4782 6601 3952, 1478,6601,3952.
_DIGIT_GROUPS = re.compile(r"\d+(?:(?:[ \-]|[,，] ?)\d+)+")
_THOUSANDS = re.compile(r"(?<![\d,])\d{1,3}(?:,\d{3})+(?!\d)(?!, ?\d)")
_DECIMAL = re.compile(r"(\d+)\.(\d+)")
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)%")
_CLOCK = re.compile(r"(\d{1,2}):(\d{2})")
_YEAR = re.compile(r"(\d{4})(?=年)")
_DIGITS = re.compile(r"\d+")
_SPACE_NEAR_CJK = re.compile(r"(?<=[\u3000-\u9fff\uff00-\uffef])\s+|\s+(?=[\u3000-\u9fff\uff00-\uffef])")
_SPACES = re.compile(r"\s+")
_EN_PUNCT = re.compile(r"[^\w\s',.?!]|_")
_EN_EDGE_APOSTROPHE = re.compile(r"(?<!\w)'|'(?!\w)")
_EN_PUNCT_RUN = re.compile(r"\s*([,.?!])[,.?!\s]*")


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    return str(_t2s().convert(text))


def is_cjk(ch: str) -> bool:
    code = ord(ch)
    return 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0xF900 <= code <= 0xFAFF


def _is_punct(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "PSZC"


def _join_digit_groups(
    text: str, cardinal: Callable[[int], str], min_digits: int = 7, max_thousands_digits: int | None = None
) -> str:
    """Write thousands-separated numbers as cardinals and join long digit groups into one string.

    ``max_thousands_digits``: longer comma-grouped numbers are digit strings (Whisper writes a
    dictated Chinese phone number as 182,663,517 as readily as an amount as 1,200).
    """

    def thousands(m: re.Match[str]) -> str:
        digits = m.group(0).replace(",", "")
        if max_thousands_digits is not None and len(digits) > max_thousands_digits:
            return digits
        return cardinal(int(digits))

    text = _THOUSANDS.sub(thousands, text)

    def repl(m: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", m.group(0))
        return digits if len(digits) >= min_digits else m.group(0)

    return _DIGIT_GROUPS.sub(repl, text)


def _zh_numerals(text: str) -> str:
    text = _join_digit_groups(text, zh_cardinal, max_thousands_digits=6)
    text = _PERCENT.sub(lambda m: "百分之" + _zh_decimal(m.group(1)), text)
    text = _CLOCK.sub(
        lambda m: (
            zh_cardinal(int(m.group(1)))
            + "点"
            + ("" if m.group(2) == "00" else zh_cardinal(int(m.group(2))) + "分")
        ),
        text,
    )
    text = _YEAR.sub(lambda m: zh_digits(m.group(1)), text)
    text = _DECIMAL.sub(lambda m: _zh_decimal(m.group(0)), text)
    return _DIGITS.sub(lambda m: zh_number(m.group(0)), text)


def _zh_decimal(number: str) -> str:
    whole, _, frac = number.partition(".")
    out = zh_number(whole)
    return out + ("点" + zh_digits(frac) if frac else "")


def _normalize_zh(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    text = _t2s().convert(text)
    text = _zh_numerals(text)
    text = _SPACE_NEAR_CJK.sub("", text)
    text = "".join(_ZH_PUNCT.get(ch, ch) for ch in text)
    text = re.sub(r"([，。？！；：、])[，。？！；：、\s]*", r"\1", text)
    return _SPACES.sub(" ", text).strip().lstrip("，。？！；：、")


def _en_numerals(text: str) -> str:
    text = _join_digit_groups(text, lambda n: " " + en_cardinal(n) + " ")
    text = _PERCENT.sub(lambda m: _en_decimal(m.group(1)) + " percent", text)
    text = _DECIMAL.sub(lambda m: _en_decimal(m.group(0)), text)
    text = re.sub(r"(\d+)(?:st|nd|rd|th)\b", lambda m: " " + en_ordinal(int(m.group(1))) + " ", text)
    return _DIGITS.sub(lambda m: " " + en_number(m.group(0)) + " ", text)


def _en_decimal(number: str) -> str:
    whole, _, frac = number.partition(".")
    out = en_number(whole)
    return out + (" point " + " ".join(en_number(d) for d in frac) if frac else "")


def _normalize_en(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).replace("’", "'").lower()
    text = _en_numerals(text)
    text = text.replace("-", " ")
    text = _EN_PUNCT.sub(" ", text)
    text = _EN_EDGE_APOSTROPHE.sub(" ", text)
    text = _EN_PUNCT_RUN.sub(r"\1 ", text)
    return _SPACES.sub(" ", text).strip().lstrip(",.?! ")


def normalize(text: str, language: str) -> str:
    """Readable normalised text for ``language`` (``zh`` or ``en``; others pass through NFKC)."""
    if language == "zh":
        return _normalize_zh(text)
    if language == "en":
        return _normalize_en(text)
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text)).strip()


class _Unpunctuate(dict[int, int | None]):
    """A ``str.translate`` table that deletes punctuation, symbols, spaces and control characters,
    filled in as characters are first met."""

    def __init__(self, keep: str = "") -> None:
        super().__init__()
        self.keep = {ord(ch) for ch in keep}

    def __missing__(self, code: int) -> int | None:
        value = None if code not in self.keep and _is_punct(chr(code)) else code
        self[code] = value
        return value


_UNPUNCTUATE = _Unpunctuate()
_UNPUNCTUATE_WORD = _Unpunctuate(keep="'")


def strip_punctuation(text: str, language: str) -> str:
    if language == "zh":
        return text.translate(_UNPUNCTUATE)
    words = (w.translate(_UNPUNCTUATE_WORD).strip("'") for w in text.split())
    return " ".join(w for w in words if w)


# 幺/两 are spoken forms of 一/二; 帐 is the variant of 账 that OpenCC t2s keeps.
_ZH_COMPARE_FOLD = str.maketrans({"幺": "一", "两": "二", "帐": "账"})


def canonical_for_comparison(text: str, language: str) -> str:
    """Normalised, punctuation-free text in which spoken variants of one digit are folded."""
    out = strip_punctuation(normalize(text, language), language)
    if language == "zh":
        out = out.translate(_ZH_COMPARE_FOLD).lower()
    return out


def count_spoken_units(text: str, language: str) -> int:
    """Characters for Chinese (a Latin word counts once), words for English."""
    plain = strip_punctuation(normalize(text, language), language)
    if language == "en":
        return len(plain.split())
    count = 0
    in_word = False
    for ch in plain:
        if is_cjk(ch):
            count += 1
            in_word = False
        elif ch.isalnum():
            if not in_word:
                count += 1
            in_word = True
        else:
            in_word = False
    return count
