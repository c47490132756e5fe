"""UI strings: one JSON catalogue per language in ``locales/``; Simplified Chinese by default."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
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
    """The strings the console's scripts need: keys starting ``js.``, and the messages of error
    codes (``errcode.``) for the API errors the scripts show."""
    return {k: v for k, v in catalogue(language).items() if k.startswith(("js.", "errcode."))}


def _known(language: str, key: str) -> str | None:
    return catalogue(language).get(key) or catalogue(DEFAULT_LANGUAGE).get(key)


# Parameter values that are themselves words: translated through these catalogue prefixes.
_VALUE_PREFIXES = {"role": "role.", "kinds": "pii.", "language": "language."}


def _value(language: str, name: str, value: Any) -> Any:
    if value is None:  # an open bound (speech rate without a maximum)
        return "∞"
    if isinstance(value, float) and value.is_integer():  # 150.0 per minute reads as 150
        return int(value)
    if isinstance(value, list):
        item = _known(language, f"detail.item.{name}")
        parts = [
            item.format(**{k: _value(language, k, v) for k, v in entry.items()})
            if isinstance(entry, dict) and item
            else str(_value(language, name, entry))
            for entry in value
        ]
        return (_known(language, "detail.separator") or ", ").join(parts)
    prefix = _VALUE_PREFIXES.get(name)
    if prefix and isinstance(value, str):
        return _known(language, prefix + value) or value
    return value


def finding_detail(language: str, finding: Mapping[str, Any]) -> str:
    """The sentence of a finding in this language, from its ``detail_code`` and ``detail_params``;
    its English ``detail`` when it has no code (results stored before codes), or a code or values
    the catalogue cannot say."""
    english = str(finding.get("detail") or "")
    code = finding.get("detail_code")
    template = _known(language, f"detail.{code}") if isinstance(code, str) and code else None
    if template is None:
        return english
    params = finding.get("detail_params") or {}
    try:
        return template.format(**{k: _value(language, k, v) for k, v in params.items()})
    except (KeyError, IndexError, ValueError, TypeError, AttributeError):
        return english


_CODE = re.compile(r"^[a-z][a-z0-9_]*$")


def error_message(language: str, code: str | None) -> str | None:
    """The message of a typed error's ``code`` (``QAError.code``) in this language, None when the
    catalogue has none (the caller shows the English detail alone)."""
    if not code or not _CODE.match(code):
        return None
    return _known(language, f"errcode.{code}")
