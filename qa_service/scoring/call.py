"""What scoring reads: a call's analysis, rebuilt from its stored JSON (so re-scoring never re-transcribes)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from qa_service.pipeline.pacing import Interruption
from qa_service.transcript import Span, Utterance, Word


@dataclass(frozen=True)
class CallFacts:
    language: str
    duration_s: float
    utterances: tuple[Utterance, ...]
    speech_rate: dict[str, float | None]
    speaking_s: dict[str, float]
    dead_air: tuple[Span, ...]
    interruptions: tuple[Interruption, ...]
    latency_mean_s: float | None
    latency_max_s: float | None
    loudness_p95: dict[str, float | None]
    # Personal numbers found when the analysis was first scored (its texts may now be masked).
    recorded_pii: tuple[tuple[str, str, float, float], ...] = ()

    def trusted(self, role: str) -> list[tuple[int, Utterance]]:
        """(index, utterance) of the role's utterances whose text may be used ('any': all roles)."""
        return [
            (i, u)
            for i, u in enumerate(self.utterances)
            if u.suspect is None and (role == "any" or u.role == role)
        ]


def facts_from_dict(data: dict[str, Any]) -> CallFacts:
    """Rebuild scoring input from ``analyze --json`` output."""
    utterances = tuple(
        Utterance(
            role=u["role"],
            speaker=u.get("speaker", ""),
            start=float(u["start"]),
            end=float(u["end"]),
            text=u["text"],
            text_normalized=u.get("text_normalized", u["text"]),
            words=tuple(Word(w["start"], w["end"], w["text"], w["prob"]) for w in u.get("words", [])),
            avg_logprob=float(u.get("avg_logprob") or 0.0),
            language=u.get("language", data.get("language", "zh")),
            suspect=u.get("suspect"),
            role_confidence=u.get("role_confidence"),
            language_id=(u["language_id"]["language"], float(u["language_id"]["prob"]))
            if u.get("language_id")
            else None,
        )
        for u in data["utterances"]
    )
    metrics = data.get("metrics", {})
    latency = metrics.get("response_latency") or {}
    loudness = metrics.get("loudness_dbfs") or {}
    return CallFacts(
        language=data.get("language", "zh"),
        duration_s=float(data["duration_s"]),
        utterances=utterances,
        speech_rate={r: metrics.get(f"{r}_speech_rate") for r in ("agent", "customer")},
        speaking_s={r: float(v or 0.0) for r, v in (metrics.get("speaking_s") or {}).items()},
        dead_air=tuple(Span(d["start"], d["end"]) for d in metrics.get("dead_air", [])),
        interruptions=tuple(
            Interruption(i["by"], i["start"], i["overlap_s"]) for i in metrics.get("interruptions", [])
        ),
        latency_mean_s=latency.get("mean_s"),
        latency_max_s=latency.get("max_s"),
        loudness_p95={r: (v or {}).get("p95") for r, v in loudness.items()},
        recorded_pii=tuple(
            (p["type"], p["role"], float(p["start"]), float(p["end"])) for p in data.get("pii") or []
        ),
    )
