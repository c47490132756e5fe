"""What the call review page shows, built from a call's stored result: the transcript (masked
for roles that may not see personal numbers), findings, and the timeline strip's segments."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from qa_service import rubrics
from qa_service.config import Settings
from qa_service.db.tables import Rubric
from qa_service.errors import QAError
from qa_service.scoring.engine import masked_result

DECIDABLE = ("passed", "failed")


def visible_result(result: dict[str, Any], role: str, settings: Settings) -> dict[str, Any]:
    """The result as this role may see it: masked unless the role is allowed unmasked numbers."""
    if role in settings.pii.unmasked_roles:
        return result
    return masked_result(result, settings.pii.keep_last)


def _segment(kind: str, start: float, end: float, duration: float, label: str = "") -> dict[str, Any]:
    start, end = max(0.0, start), min(duration, max(start, end))
    return {
        "kind": kind,
        "start": round(start, 2),
        "end": round(end, 2),
        "left": round(100 * start / duration, 3),
        # Very short events stay visible as a thin mark.
        "width": round(max(0.4, 100 * (end - start) / duration), 3),
        "label": label,
    }


def timeline(result: dict[str, Any]) -> dict[str, Any]:
    """Rows of positioned segments: each role's speech, dead air and interruptions."""
    duration = float(result.get("duration_s") or 0) or max(
        (float(u["end"]) for u in result.get("utterances", [])), default=1.0
    )
    rows: dict[str, list[dict[str, Any]]] = {"agent": [], "customer": [], "dead_air": [], "interruption": []}
    for u in result.get("utterances", []):
        if u.get("role") in ("agent", "customer"):
            rows[u["role"]].append(_segment(u["role"], float(u["start"]), float(u["end"]), duration))
    metrics = result.get("metrics") or {}
    for gap in metrics.get("dead_air") or []:
        rows["dead_air"].append(_segment("dead_air", float(gap["start"]), float(gap["end"]), duration))
    for cut in metrics.get("interruptions") or []:
        start = float(cut["start"])
        end = start + float(cut.get("overlap_s") or 0.5)
        rows["interruption"].append(_segment("interruption", start, end, duration, str(cut.get("by", ""))))
    return {"duration": round(duration, 2), "rows": rows}


def transcript(result: dict[str, Any]) -> list[dict[str, Any]]:
    """Utterances with their words (for highlighting while playing); text alone when no words."""
    out = []
    for index, u in enumerate(result.get("utterances", [])):
        words = [
            {"start": float(w["start"]), "end": float(w["end"]), "text": w["text"]}
            for w in u.get("words") or []
            if w.get("text")
        ]
        out.append(
            {
                "index": index,
                "role": u.get("role", "unknown"),
                "start": float(u["start"]),
                "end": float(u["end"]),
                "text": u.get("text_normalized") or u.get("text", ""),
                "words": words,
                "suspect": u.get("suspect"),
            }
        )
    return out


def findings(result: dict[str, Any]) -> list[dict[str, Any]]:
    """Failed first, then what needs review, then the rest; each with where to jump to."""
    order = {"failed": 0, "passed": 2}
    rows = []
    for f in result.get("findings", []):
        evidence = f.get("evidence") or []
        first = min((float(e["start"]) for e in evidence if e.get("start") is not None), default=None)
        rows.append(
            {
                **f,
                "evidence": evidence,
                "jump_to": first,
                "decidable": f.get("status") in DECIDABLE,
                "rank": order.get(f.get("status", ""), 1) - (0.5 if f.get("needs_review") else 0),
            }
        )
    return sorted(rows, key=lambda r: (r["rank"], r["check_id"]))


def clock(seconds: float | None) -> str:
    if seconds is None:
        return ""
    whole = int(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


def category_names(rows: Iterable[Rubric | None]) -> dict[str, str]:
    """Category id -> its name in these rubric versions (e.g. courtesy -> 服务态度/礼貌用语)."""
    names: dict[str, str] = {}
    for row in rows:
        if row is None:
            continue
        try:
            loaded = rubrics.loaded(row)
        except QAError:
            continue
        names.update({c.id: c.name for c in loaded.rubric.categories})
    return names
