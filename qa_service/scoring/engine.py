"""Scoring an analysed call: default rubric per language, PII masking, the combined JSON."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from qa_service.config import Settings
from qa_service.scoring.call import facts_from_dict
from qa_service.scoring.redact import redact_analysis
from qa_service.scoring.schema import LoadedRubric, RubricError, load_rubric
from qa_service.scoring.score import score_call, score_to_dict

DEFAULT_RUBRICS = {"zh": "zh-CN.default.yaml", "en": "en-US.default.yaml"}


def default_rubric_path(language: str, rubric_dir: Path) -> Path:
    name = DEFAULT_RUBRICS.get(language)
    if name is None or not (rubric_dir / name).is_file():
        raise RubricError(f"no default rubric for language {language!r} in {rubric_dir}; pass --rubric")
    return rubric_dir / name


def score_analysis(
    data: dict[str, Any], settings: Settings, rubric: LoadedRubric | None = None
) -> dict[str, Any]:
    """``analyze`` JSON plus rubric, score, flags, PII and findings; texts masked when configured."""
    loaded = rubric or load_rubric(default_rubric_path(data.get("language", "zh"), settings.rubric_dir))
    result = score_call(facts_from_dict(data), loaded, settings.scoring.sentence_model)
    redacted, pii = redact_analysis(data, settings.pii.keep_last)
    out = redacted if settings.pii.mask else dict(data)
    out.update(score_to_dict(result))
    _flag_review(out, data)
    # Re-scoring a stored (masked) analysis finds no numbers in its texts: keep those found before.
    out["pii"] = pii + [p for p in data.get("pii") or [] if p not in pii]
    if settings.pii.mask:
        out["findings"] = _mask_findings(out["findings"], settings.pii.keep_last, data.get("language"))
    return out


def unscored_output(data: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """``analyze`` JSON with the PII found, masked when configured, for calls not scored."""
    redacted, pii = redact_analysis(data, settings.pii.keep_last)
    out = redacted if settings.pii.mask else dict(data)
    out["pii"] = pii
    return out


def masked_result(data: dict[str, Any], keep_last: int) -> dict[str, Any]:
    """A copy of a stored result with personal numbers masked in every text, findings included
    (for readers whose role may not see them; a no-op on results stored masked)."""
    redacted, _ = redact_analysis(data, keep_last)
    if data.get("findings"):
        redacted["findings"] = _mask_findings(
            copy.deepcopy(data["findings"]), keep_last, data.get("language")
        )
    return redacted


def _flag_review(out: dict[str, Any], data: dict[str, Any]) -> None:
    """Pipeline doubts (role_uncertain on mono) flag the call for review like a finding would."""
    reasons = [r for r in data.get("review_reasons") or [] if r not in out["flag_reasons"]]
    if not reasons:
        return
    if "needs_review" not in out["flag_reasons"]:
        out["flag_reasons"].append("needs_review")
    out["flag_reasons"] += reasons
    out["flagged"] = True


def has_default_rubric(language: str, rubric_dir: Path) -> bool:
    name = DEFAULT_RUBRICS.get(language)
    return name is not None and (rubric_dir / name).is_file()


def _mask_findings(
    findings: list[dict[str, Any]], keep_last: int, language: str | None
) -> list[dict[str, Any]]:
    from qa_service.scoring.pii import mask_pii, mask_pii_en

    mask = mask_pii_en if language == "en" else mask_pii
    for finding in findings:
        for evidence in finding["evidence"]:
            # Evidence is read out of its context: mask a number that might be a damaged phone.
            evidence["text"] = mask(evidence["text"], keep_last, "personal")
            if evidence.get("matched"):
                evidence["matched"] = mask(evidence["matched"], keep_last, "personal")
    return findings
