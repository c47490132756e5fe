"""UI strings: one JSON catalogue per language in ``locales/``; Simplified Chinese by default."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

LOCALES = Path(__file__).resolve().parent / "locales"
LANGUAGES = ("zh-CN", "en")
DEFAULT_LANGUAGE = "zh-CN"
LANG_COOKIE = "qa_lang"

Translate = Callable[..., str]


@cache
def catalogue(language: str) -> dict[str, str]:
    data: dict[str, str] = json.loads((LOCALES / f"{language}.json").read_text(encoding="utf-8"))
    return data


def pick_language(cookie: str | None) -> str:
    return cookie if cookie in LANGUAGES else DEFAULT_LANGUAGE


def translator(language: str) -> Translate:
    """``t(key, **values)``: the string of the key with ``{name}`` placeholders filled; a missing
    key falls back to the default language, then to the key itself (tests keep both complete)."""
    own, fallback = catalogue(language), catalogue(DEFAULT_LANGUAGE)

    def t(key: str, **values: Any) -> str:
        text = own.get(key) or fallback.get(key) or key
        return text.format(**values) if values else text

    return t


def script_strings(language: str) -> dict[str, str]:
    """The strings the console's scripts need (keys starting ``js.``)."""
    return {k: v for k, v in catalogue(language).items() if k.startswith("js.")}
