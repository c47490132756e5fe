"""Phrase matching that survives ASR errors: exact, or similar in characters or in pinyin.

A role's utterances are joined into one comparison stream (normalised, no punctuation), so a
phrase may span the boundary between two consecutive utterances of that role. Every hit carries
the matched text, the similarity, the utterances, start/end times and the ASR word probabilities.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from pypinyin import Style, lazy_pinyin
from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from qa_service.text import canonical_for_comparison, strip_punctuation
from qa_service.transcript import Utterance


@dataclass(frozen=True)
class Hit:
    phrase: str
    matched: str
    similarity: float
    utterances: tuple[int, ...]  # indexes into the call's utterances
    start: float
    end: float
    word_probs: tuple[float, ...]

    @property
    def min_word_prob(self) -> float:
        return min(self.word_probs, default=1.0)


@dataclass(frozen=True)
class _Unit:
    char: str
    utterance: int
    time: float
    end: float
    prob: float


# Utterance index -> its comparison characters, each placed in time.
PlacedChars = dict[int, list[_Unit]]


@lru_cache(maxsize=4096)
def _pinyin(text: str) -> tuple[str, ...]:
    return tuple(lazy_pinyin(text, style=Style.NORMAL))


class Stream:
    """The comparison text of some utterances with, for every character, where it was said."""

    def __init__(
        self,
        utterances: Sequence[tuple[int, Utterance]],
        language: str,
        placed: PlacedChars | None = None,
    ) -> None:
        """``placed``: the characters of utterances placed before, by index, reused and added to."""
        self.language = language
        placed = {} if placed is None else placed
        units: list[_Unit] = []
        for index, utt in utterances:
            if index not in placed:
                text = canonical_for_comparison(utt.text_normalized, language)
                if language != "zh":
                    text = " " + text
                placed[index] = _place_chars(text, index, utt, language)
            units += placed[index]
        self.units = units
        self.text = "".join(u.char for u in units)
        self._pinyin: tuple[str, list[int]] | None = None

    def pinyin(self) -> tuple[str, list[int]]:
        """Pinyin of the stream, with the stream index of every pinyin letter."""
        if self._pinyin is None:
            letters: list[str] = []
            owner: list[int] = []
            syllables = _pinyin(self.text)
            if len(syllables) != len(self.text):  # non-Chinese runs come back whole
                syllables = tuple((_pinyin(ch) or (ch,))[0] for ch in self.text)
            for i, syllable in enumerate(syllables):
                letters.append(syllable + " ")
                owner += [i] * (len(syllable) + 1)
            self._pinyin = ("".join(letters), owner)
        return self._pinyin

    def hit(self, phrase: str, lo: int, hi: int, similarity: float) -> Hit:
        units = self.units[lo:hi]
        return Hit(
            phrase=phrase,
            matched=self.text[lo:hi].strip(),
            similarity=round(similarity, 3),
            utterances=tuple(sorted({u.utterance for u in units})),
            start=units[0].time,
            end=units[-1].end,
            word_probs=tuple(u.prob for u in units),
        )


def _place_chars(text: str, index: int, utt: Utterance, language: str) -> list[_Unit]:
    """Give each character of an utterance's comparison text the time and probability of its word."""
    if not text:
        return []
    sized = [(w, len(strip_punctuation(w.text, language).replace(" ", ""))) for w in utt.words]
    sized = [(w, n) for w, n in sized if n > 0]
    if not sized:
        return [_Unit(ch, index, utt.start, utt.end, 1.0) for ch in text]
    total = sum(n for _, n in sized)
    bounds: list[float] = []
    acc = 0
    for _, n in sized:
        acc += n
        bounds.append(acc / total)
    out = []
    w = 0
    for i, ch in enumerate(text):
        fraction = (i + 0.5) / len(text)
        while w < len(sized) - 1 and fraction > bounds[w]:
            w += 1
        word = sized[w][0]
        out.append(_Unit(ch, index, word.start, word.end, word.prob))
    return out


@lru_cache(maxsize=8192)
def phrase_for_comparison(phrase: str, language: str) -> str:
    """A rubric phrase's comparison text; rubrics are few, so each phrase is normalised once."""
    return canonical_for_comparison(phrase, language)


def find(stream: Stream, phrase: str, threshold: float, *, all_hits: bool = False) -> list[Hit]:
    """Hits of ``phrase`` in ``stream`` at or above ``threshold`` similarity, best or all."""
    target = phrase_for_comparison(phrase, stream.language)
    if not target or not stream.text:
        return []
    hits: list[Hit] = []
    _search(stream, phrase, target, threshold, 0, len(stream.text), hits, all_hits)
    return sorted(hits, key=lambda h: h.start)


def _search(
    stream: Stream,
    phrase: str,
    target: str,
    threshold: float,
    lo: int,
    hi: int,
    hits: list[Hit],
    all_hits: bool,
) -> None:
    if hi - lo < max(1, int(len(target) * threshold)):
        return
    found = _best(stream, target, lo, hi, threshold)
    if found is None:
        return
    start, end, similarity = found
    hits.append(stream.hit(phrase, start, end, similarity))
    if all_hits:
        _search(stream, phrase, target, threshold, lo, start, hits, all_hits)
        _search(stream, phrase, target, threshold, end, hi, hits, all_hits)


def _best(stream: Stream, target: str, lo: int, hi: int, threshold: float) -> tuple[int, int, float] | None:
    """Best alignment of ``target`` inside stream[lo:hi], or None when none reaches ``threshold``.

    Candidate places come from fast fuzzy alignment in characters and in pinyin letters; each is
    then scored by edit distance over characters, and (Chinese) over syllables, where identical
    sounds cost nothing and near sounds (您/你, 在/菜) cost little.
    """
    text = stream.text[lo:hi]
    exact = text.find(target)
    if exact >= 0:
        return lo + exact, lo + exact + len(target), 1.0
    candidates: set[tuple[int, int]] = set()
    # The fast alignments only propose places; far below the threshold, none is worth scoring.
    floor = 100 * threshold - _PREFILTER_SLACK
    by_chars = fuzz.partial_ratio_alignment(target, text, score_cutoff=floor)
    if by_chars is not None and by_chars.dest_end > by_chars.dest_start:
        candidates.add((lo + by_chars.dest_start, lo + by_chars.dest_end))
    if stream.language == "zh":
        letters, owner = stream.pinyin()
        first = owner.index(lo) if lo < len(stream.text) else len(letters)
        last = len(owner) if hi >= len(stream.text) else owner.index(hi)
        by_sound = fuzz.partial_ratio_alignment(
            " ".join(_pinyin(target)) + " ", letters[first:last], score_cutoff=floor
        )
        if by_sound is not None and by_sound.dest_end > by_sound.dest_start:
            candidates.add(
                (
                    owner[first + by_sound.dest_start],
                    owner[min(first + by_sound.dest_end, len(owner)) - 1] + 1,
                )
            )
    size = len(target)
    windows = {
        (max(lo, start), min(hi, end))
        for a, _ in candidates
        for start, end in (
            (a, a + size),
            (a - 1, a - 1 + size),
            (a + 1, a + 1 + size),
            (a, a + size - 1),
            (a, a + size + 1),
        )
    }
    # Score the most promising windows first; one that cannot reach the best so far is skipped.
    bounded = sorted(
        (
            (_Similarity(target, stream.text[start:end], stream.language), (start, end))
            for start, end in windows
            if end > start
        ),
        key=lambda item: -item[0].upper,
    )
    scored: list[tuple[float, tuple[int, int]]] = []
    for similarity, place in bounded:
        if similarity.upper < threshold or (scored and similarity.upper < max(scored)[0]):
            break
        scored.append((similarity.exact(), place))
    if not scored or max(scored)[0] < threshold:
        return None
    score, (start, end) = min(scored, key=lambda item: (-item[0], item[1]))
    return start, end, score


_PREFILTER_SLACK = 12.0
# The least a differing syllable can cost (a folded sound: zh/z, ng/n), and how much less
# sounding alike counts than reading alike.
_NEAREST_SOUND = 0.1
_SOUND_WEIGHT = 0.98


class _Similarity:
    """1 - edit distance / target length, in characters and (Chinese) in weighted syllables.

    ``upper`` is cheap and never below ``exact()``, which runs the weighted syllable alignment."""

    def __init__(self, target: str, window: str, language: str) -> None:
        self.target, self.window = target, window
        self.by_chars = max(0.0, 1 - Levenshtein.distance(target, window) / len(target))
        self.syllables: tuple[tuple[str, ...], tuple[str, ...]] | None = None
        self.upper = self.by_chars
        if language == "zh":
            a, b = _pinyin(target), _pinyin(window)
            if len(a) == len(target) and len(b) == len(window):
                self.syllables = a, b
                # Of the syllables that differ, those with different sound keys cost 1 each; a
                # character read differently in the two contexts (了 le/liao) costs nothing.
                read_apart = _read_apart(target, a, window, b)
                differing = Levenshtein.distance(a, b) - read_apart
                far = max(0, Levenshtein.distance(_sound_keys(target), _sound_keys(window)) - read_apart)
                least_cost = max(0.0, (1 - _NEAREST_SOUND) * far + _NEAREST_SOUND * differing)
                self.upper = max(self.by_chars, (1 - least_cost / len(a)) * _SOUND_WEIGHT)

    def exact(self) -> float:
        if self.syllables is None or self.upper == self.by_chars:
            return self.by_chars
        a, b = self.syllables
        target, window = self.target, self.window
        prev = [float(j) for j in range(len(b) + 1)]
        for i in range(1, len(a) + 1):
            cur = [float(i)]
            left = float(i)
            for j in range(1, len(b) + 1):
                if target[i - 1] == window[j - 1] or a[i - 1] == b[j - 1]:
                    cost = 0.0
                else:
                    cost = _sound_cost(a[i - 1], b[j - 1])
                left = min(prev[j] + 1, left + 1, prev[j - 1] + cost)
                cur.append(left)
            prev = cur
        return max(self.by_chars, (1 - prev[-1] / len(a)) * _SOUND_WEIGHT)


def _read_apart(target: str, a: tuple[str, ...], window: str, b: tuple[str, ...]) -> int:
    """How many characters of the target the window also has, but read another way there."""
    readings: dict[str, set[str]] = {}
    for char, syllable in zip(window, b, strict=True):
        readings.setdefault(char, set()).add(syllable)
    return sum(
        1 for char, syllable in zip(target, a, strict=True) if readings.get(char, {syllable}) != {syllable}
    )


@lru_cache(maxsize=4096)
def _sound_keys(text: str) -> tuple[str, ...]:
    """Per syllable, a key that two syllables a near sound apart share (others may share it too)."""
    keys = []
    for syllable in _pinyin(text):
        initial, final = _split(syllable)
        keys.append(_KEY_INITIALS.get(initial, initial) + "|" + final.rstrip("g").rstrip("n"))
    return tuple(keys)


_KEY_INITIALS = {"zh": "z", "ch": "c", "sh": "s", "n": "l", "r": "l", "h": "f"}


@lru_cache(maxsize=65536)
def _sound_cost(a: str, b: str) -> float:
    if _fold(a) == _fold(b):
        return _NEAREST_SOUND
    ia, fa = _split(a)
    ib, fb = _split(b)
    # The fuzzy sounds of Chinese input methods: a dropped nasal coda (您/你, 因/应) or the
    # l/n, f/h, r/l initials. Anything else is a different syllable.
    if ia == ib and (fa.rstrip("g").rstrip("n") == fb.rstrip("g").rstrip("n")):
        return 0.15
    if fa == fb and frozenset((ia, ib)) in _NEAR_INITIALS:
        return 0.15
    return 1.0


_INITIALS = (
    "zh",
    "ch",
    "sh",
    "b",
    "p",
    "m",
    "f",
    "d",
    "t",
    "n",
    "l",
    "g",
    "k",
    "h",
    "j",
    "q",
    "x",
    "r",
    "z",
    "c",
    "s",
    "y",
    "w",
)
_NEAR_INITIALS = {frozenset(p) for p in (("l", "n"), ("f", "h"), ("r", "l"))}


def _split(syllable: str) -> tuple[str, str]:
    for initial in _INITIALS:
        if syllable.startswith(initial):
            return initial, syllable[len(initial) :]
    return "", syllable


def _fold(syllable: str) -> str:
    for pattern, repl in _FOLDS:
        syllable = pattern.sub(repl, syllable)
    return syllable


_FOLDS = [(re.compile(r"^([zcs])h"), r"\1"), (re.compile(r"ng$"), "n")]
