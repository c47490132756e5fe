"""Homophone correction against a domain lexicon, compared in (fuzzy) toneless pinyin.

Whisper confuses characters that sound alike (订单好/订单号, 合时/核实, 快地/快递). A stretch of
ASR text whose pinyin matches a lexicon term, but whose characters differ, is replaced by the term.
Matching folds the distinctions speakers and recognisers blur most (zh/z, ch/c, sh/s, -ng/-n).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from pypinyin import Style, lazy_pinyin

from qa_service.text.normalize import is_cjk

DEFAULT_LEXICON = Path(__file__).with_name("data") / "service_terms_zh.txt"
_FUZZY = [(re.compile(r"^([zcs])h"), r"\1"), (re.compile(r"ng$"), "n")]


def _fold(syllable: str) -> str:
    for pattern, repl in _FUZZY:
        syllable = pattern.sub(repl, syllable)
    return syllable


def _syllables(text: str) -> list[str | None]:
    """The reading of each character in context (None for non-Chinese characters)."""
    out: list[str | None] = []
    for run in re.findall(
        r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[^\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+", text
    ):
        if is_cjk(run[0]):
            readings = lazy_pinyin(run, style=Style.NORMAL)
            out += readings if len(readings) == len(run) else [None] * len(run)
        else:
            out += [None] * len(run)
    return out


class Lexicon:
    def __init__(self, terms: Iterable[str]) -> None:
        self._terms: dict[int, dict[tuple[str, ...], str]] = {}
        self._words: set[str] = set()
        for term in terms:
            term = term.strip()
            if len(term) < 2 or not all(is_cjk(ch) for ch in term):
                continue
            key = tuple(_fold(p) for p in lazy_pinyin(term, style=Style.NORMAL))
            self._terms.setdefault(len(term), {})[key] = term
            self._words.add(term)
        self._lengths = sorted(self._terms, reverse=True)

    def __len__(self) -> int:
        return len(self._words)

    def correct(self, text: str) -> str:
        """Replace homophone stretches of ``text`` by lexicon terms, longest terms first."""
        syllables = _syllables(text)
        out: list[str] = []
        i = 0
        while i < len(text):
            replaced = False
            for length in self._lengths:
                window = text[i : i + length]
                readings = syllables[i : i + length]
                if len(window) < length or any(r is None for r in readings):
                    continue
                term = self._match(window, [r for r in readings if r is not None])
                if term is not None:
                    out.append(term)
                    i += length
                    replaced = True
                    break
            if not replaced:
                out.append(text[i])
                i += 1
        return "".join(out)

    def _match(self, window: str, readings: list[str]) -> str | None:
        if window in self._words:
            return window
        term = self._terms[len(window)].get(tuple(_fold(r) for r in readings))
        if term is None:
            return None
        # Two characters that share none with the term must sound exactly alike, tones included:
        # everyday phrases collide with short terms by toneless sound (直接帮您/解绑, 会员等级/登记).
        if len(term) == 2 and not set(term) & set(window) and _tones(term) != _tones(window):
            return None
        return term


@lru_cache(maxsize=4096)
def _tones(text: str) -> tuple[str, ...]:
    return tuple(lazy_pinyin(text, style=Style.TONE3, neutral_tone_with_five=True))


@lru_cache(maxsize=8)
def get_lexicon(extra: tuple[Path, ...] = ()) -> Lexicon:
    """The bundled service vocabulary plus ``extra`` term lists, loaded once per process."""
    return load_lexicon([DEFAULT_LEXICON, *extra])


def load_lexicon(paths: Iterable[Path]) -> Lexicon:
    terms: list[str] = []
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.split("#", 1)[0].strip()
            if line:
                terms.append(line)
    return Lexicon(terms)
