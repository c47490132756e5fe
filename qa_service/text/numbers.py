"""Arabic numerals to the words a speaker says, in Chinese or English."""

from __future__ import annotations

ZH_DIGITS = "零一二三四五六七八九"
_ZH_UNITS = ["", "十", "百", "千"]
_ZH_SECTIONS = ["", "万", "亿", "万亿"]

EN_DIGITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
_EN_TEENS = [
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_EN_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_EN_SCALES = ["", "thousand", "million", "billion", "trillion"]

# Strings at least this long (or with a leading zero) are read digit by digit: phone, order,
# card numbers. Shorter ones are quantities read as cardinals.
DIGIT_BY_DIGIT_MIN_LEN = 5


def reads_digit_by_digit(digits: str) -> bool:
    return len(digits) >= DIGIT_BY_DIGIT_MIN_LEN or (len(digits) > 1 and digits[0] == "0")


def zh_digits(digits: str) -> str:
    return "".join(ZH_DIGITS[int(d)] for d in digits)


def _zh_section(n: int) -> str:
    """0 < n < 10000 without a leading 零."""
    out: list[str] = []
    zero_pending = False
    for pos in range(3, -1, -1):
        d = (n // 10**pos) % 10
        if d == 0:
            if out:
                zero_pending = True
            continue
        if zero_pending:
            out.append("零")
            zero_pending = False
        out.append(ZH_DIGITS[d] + _ZH_UNITS[pos])
    return "".join(out)


def zh_cardinal(n: int) -> str:
    if n == 0:
        return "零"
    sections: list[int] = []
    while n:
        sections.append(n % 10000)
        n //= 10000
    if len(sections) > len(_ZH_SECTIONS):
        return zh_digits(str(n))
    parts: list[str] = []
    need_zero = False
    for idx in range(len(sections) - 1, -1, -1):
        sec = sections[idx]
        if sec == 0:
            need_zero = bool(parts)
            continue
        if parts and (need_zero or sec < 1000):
            parts.append("零")
        parts.append(_zh_section(sec) + _ZH_SECTIONS[idx])
        need_zero = False
    text = "".join(parts)
    # 一十二 is said 十二 at the start of a number.
    if text.startswith("一十"):
        text = text[1:]
    return text


def zh_number(digits: str) -> str:
    digits = digits.lstrip("+")
    if reads_digit_by_digit(digits):
        return zh_digits(digits)
    return zh_cardinal(int(digits))


def _en_below_thousand(n: int) -> list[str]:
    words: list[str] = []
    if n >= 100:
        words += [EN_DIGITS[n // 100], "hundred"]
        n %= 100
    if n >= 20:
        words.append(_EN_TENS[n // 10])
        if n % 10:
            words.append(EN_DIGITS[n % 10])
    elif n >= 10:
        words.append(_EN_TEENS[n - 10])
    elif n > 0:
        words.append(EN_DIGITS[n])
    return words


def en_cardinal(n: int) -> str:
    if n == 0:
        return "zero"
    groups: list[int] = []
    while n:
        groups.append(n % 1000)
        n //= 1000
    if len(groups) > len(_EN_SCALES):
        return " ".join(EN_DIGITS[int(d)] for d in "".join(str(g) for g in groups))
    words: list[str] = []
    for idx in range(len(groups) - 1, -1, -1):
        if groups[idx]:
            words += _en_below_thousand(groups[idx])
            if _EN_SCALES[idx]:
                words.append(_EN_SCALES[idx])
    return " ".join(words)


def en_number(digits: str) -> str:
    if reads_digit_by_digit(digits):
        return " ".join(EN_DIGITS[int(d)] for d in digits)
    return en_cardinal(int(digits))


_EN_ORDINAL_IRREGULAR = {
    "one": "first",
    "two": "second",
    "three": "third",
    "five": "fifth",
    "eight": "eighth",
    "nine": "ninth",
    "twelve": "twelfth",
}


def en_ordinal(n: int) -> str:
    *head, last = en_cardinal(n).split()
    if last in _EN_ORDINAL_IRREGULAR:
        last = _EN_ORDINAL_IRREGULAR[last]
    elif last.endswith("y"):
        last = last[:-1] + "ieth"
    else:
        last += "th"
    return " ".join([*head, last])
