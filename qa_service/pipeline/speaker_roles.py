"""Which speaker is the agent, from what each one says, with a confidence.

Mono recordings carry no channel map: the diarizer's speakers (SPEAKER_00, ...) get roles from
evidence in their own words. Each speaker gets an agent score:

* phrases of the active rubric that agents say (greeting, closing, confirming other questions,
  hold announcements, apologies, follow-up promises), matched as the rubric matches them (exact,
  characters or pinyin), counted once per phrase;
* self-identification (客服中心, 工号, 这里是…, "thank you for calling", "my name is …");
* service language per utterance (为您/帮您/给您/请您, "let me", "your order") against customer
  language per utterance (你们, 我的, 我买的, 投诉, "my order", "you guys");
* courtesy markers of the rubric per utterance (请, 您, 谢谢 …), a weak cue on its own since
  customers are polite too (a customer may say 您好 first);
* who speaks first, weaker still (a customer's 喂？ often comes first).

With two speakers the confidence is the logistic of the score difference: 0.5 means no evidence
either way, 1.0 certainty. Stereo calls keep their channel map; the same scores check it and warn
when the configured agent channel sounds like the customer.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from qa_service.text import canonical_for_comparison
from qa_service.transcript import Role, Utterance

RoleMethod = Literal["channel_map", "evidence", "metadata", "single_speaker"]

_SELF_ID = {
    "zh": re.compile(
        r"客服(中心|专员|部)?|工号|这里是|很高兴为您服务|有什么可以(帮|为)您|欢迎致电|感谢(您的)?来电|我是\S{0,6}(客服|专员)"
    ),
    "en": re.compile(
        r"thank(s| you) for calling|my name is|this is \w+ (from|at|speaking)|how (can|may) i (help|assist)|"
        r"customer (service|support|care)|speaking how"
    ),
}
_SERVICE = {
    "zh": re.compile(r"为您|帮您|给您|请您|您的|稍等|核实|查询一下|帮你|给你|为你"),
    "en": re.compile(
        r"\blet me\b|\byour (order|account|number)\b|\bi can (help|check|see)\b|\bfor you\b|\byou can\b|"
        r"\byou('d| would| will)? (have|need) to\b|\bthe system\b|\bour (policy|system|records|team|driver)s?\b|"
        r"\b(tracking|order|account|reference|claim|policy) number\b|\bone moment\b|\bbear with me\b"
    ),
}
_CUSTOMER = {
    "zh": re.compile(r"你们|我的|我买|我家|我这|我想(问|要|退|换)|我要|投诉|怎么回事|我订"),
    "en": re.compile(
        r"\byou guys\b|\bmy (order|account|package|parcel|delivery|refund|bill|card)\b|"
        r"\bi (want|need|ordered|bought|paid|was told)\b|\bi('ve| have) been waiting\b|\bwhy should i\b|"
        r"\byour (driver|company|engineer|technician|website|app)\b|\b(ridiculous|unbelievable)\b"
    ),
}

# Weights of the agent score and the logistic slope; set on constructed dialogues, checked on zh-dev.
_W_PHRASE, _CAP_PHRASE = 1.0, 4
_W_SELF_ID, _CAP_SELF_ID = 1.0, 2
_W_SERVICE, _W_CUSTOMER, _CAP_RATE = 1.0, 1.0, 2.0
_W_COURTESY, _CAP_COURTESY = 0.5, 1.0
_W_FIRST = 0.2  # alone (logistic 0.57) it stays below the review threshold
_SLOPE = 1.5


@dataclass(frozen=True)
class RoleEvidence:
    """What agents say, taken from the active rubric (phrases with their similarity threshold)."""

    language: str
    agent_phrases: tuple[tuple[str, float], ...] = ()
    courtesy_markers: tuple[str, ...] = ()

    @classmethod
    def from_rubric(cls, rubric: Any, language: str) -> RoleEvidence:
        """Agent phrases and courtesy markers of a rubric (a ``Rubric``; None gives built-ins only)."""
        phrases: dict[str, float] = {}
        markers: list[str] = []
        for check in getattr(rubric, "checks", ()) if rubric is not None else ():
            kind = getattr(check, "kind", "")
            threshold = float(getattr(check, "threshold", 0.85))
            if kind == "required_phrase" and getattr(check, "role", "agent") == "agent":
                for p in check.phrases:
                    phrases.setdefault(p, threshold)
            for name in ("hold_phrases", "apology_phrases", "follow_up_phrases"):
                for p in getattr(check, name, None) or ():
                    phrases.setdefault(p, max(threshold, 0.85))
            if kind == "courtesy":
                markers += list(check.markers)
        return cls(language, tuple(phrases.items()), tuple(dict.fromkeys(markers)))


@dataclass(frozen=True)
class SpeakerEvidence:
    speaker: str
    score: float
    features: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class RoleAssignment:
    """Roles of the speakers of a call. ``confidence`` is for the whole map, in [0, 1]."""

    roles: dict[str, Role]
    confidence: float
    method: RoleMethod
    evidence: dict[str, SpeakerEvidence] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    agreement: float | None = None  # stereo: how well the words agree with the channel map

    @property
    def agent(self) -> str | None:
        return next((s for s, r in self.roles.items() if r == "agent"), None)


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _phrase_hits(utterances: Sequence[Utterance], evidence: RoleEvidence) -> int:
    from qa_service.scoring.matching import Stream, find

    if not utterances or not evidence.agent_phrases:
        return 0
    stream = Stream(list(enumerate(utterances)), evidence.language)
    return sum(1 for phrase, threshold in evidence.agent_phrases if find(stream, phrase, threshold))


def speaker_evidence(
    speaker: str, utterances: Sequence[Utterance], evidence: RoleEvidence, first: bool
) -> SpeakerEvidence:
    """The agent score of one speaker from its trusted utterances."""
    lang = "en" if evidence.language == "en" else "zh"
    trusted = [u for u in utterances if u.suspect is None and u.text_normalized.strip()]
    texts = [canonical_for_comparison(u.text_normalized, evidence.language) for u in trusted]
    n = max(1, len(texts))
    phrases = min(_phrase_hits(trusted, evidence), _CAP_PHRASE)
    self_id = min(sum(len(_SELF_ID[lang].findall(t)) for t in texts), _CAP_SELF_ID)
    service = min(sum(len(_SERVICE[lang].findall(t)) for t in texts) / n, _CAP_RATE)
    customer = min(sum(len(_CUSTOMER[lang].findall(t)) for t in texts) / n, _CAP_RATE)
    courtesy = min(
        sum(t.count(m.lower()) for t in texts for m in evidence.courtesy_markers) / n, _CAP_COURTESY
    )
    features = {
        "agent_phrases": float(phrases),
        "self_identification": float(self_id),
        "service_language": round(service, 3),
        "customer_language": round(customer, 3),
        "courtesy": round(courtesy, 3),
        "speaks_first": float(first),
    }
    score = (
        _W_PHRASE * phrases
        + _W_SELF_ID * self_id
        + _W_SERVICE * service
        - _W_CUSTOMER * customer
        + _W_COURTESY * courtesy
        + _W_FIRST * float(first)
    )
    return SpeakerEvidence(speaker, round(score, 3), features)


def _by_speaker(utterances: Sequence[Utterance]) -> dict[str, list[Utterance]]:
    out: dict[str, list[Utterance]] = {}
    for u in sorted(utterances, key=lambda u: u.start):
        out.setdefault(u.speaker, []).append(u)
    return out


def score_speakers(utterances: Sequence[Utterance], evidence: RoleEvidence) -> dict[str, SpeakerEvidence]:
    groups = _by_speaker(utterances)
    spoken = [u for u in sorted(utterances, key=lambda u: u.start) if u.suspect is None]
    first = spoken[0].speaker if spoken else None
    return {s: speaker_evidence(s, utts, evidence, s == first) for s, utts in groups.items()}


def assign_speaker_roles(
    utterances: Sequence[Utterance],
    speakers: Sequence[str],
    evidence: RoleEvidence,
    forced: Mapping[str, Role] | None = None,
) -> RoleAssignment:
    """Roles of diarized speakers: the uploader's map if given, else the best-scoring agent."""
    scores = score_speakers(utterances, evidence)
    names = list(dict.fromkeys([*speakers, *scores]))
    if forced:
        unknown = set(forced) - set(names)
        roles: dict[str, Role] = {s: forced.get(s, "customer") for s in names}
        warnings = tuple(f"forced_speaker_not_found:{s}" for s in sorted(unknown))
        return RoleAssignment(roles, 1.0, "metadata", scores, warnings)
    if len(names) < 2:
        roles = {s: "agent" for s in names}
        return RoleAssignment(roles, 0.0, "single_speaker", scores, ("one_speaker_found",))
    ranked = sorted(names, key=lambda s: scores[s].score if s in scores else -math.inf, reverse=True)
    top = scores[ranked[0]].score if ranked[0] in scores else 0.0
    second = scores[ranked[1]].score if ranked[1] in scores else 0.0
    confidence = _sigmoid(_SLOPE * (top - second))
    roles = {s: ("agent" if s == ranked[0] else "customer") for s in names}
    return RoleAssignment(roles, round(confidence, 3), "evidence", scores)


def check_channel_map(utterances: Sequence[Utterance], evidence: RoleEvidence) -> RoleAssignment:
    """Stereo: keep the configured channel roles, warn when the agent channel sounds like the customer.

    ``utterances`` carry their configured roles. The channel is physical evidence, so the map keeps
    confidence 1.0; ``agreement`` says how well the words agree with it.
    """
    scores = score_speakers(utterances, evidence)
    roles: dict[str, Role] = {}
    for u in utterances:
        roles.setdefault(u.speaker, u.role)
    agent = next((s for s, r in roles.items() if r == "agent"), None)
    customer = next((s for s, r in roles.items() if r == "customer"), None)
    if agent is None or customer is None or agent not in scores or customer not in scores:
        return RoleAssignment(roles, 1.0, "channel_map", scores)
    agreement = _sigmoid(_SLOPE * (scores[agent].score - scores[customer].score))
    warnings: tuple[str, ...] = ()
    if agreement < 0.2:
        warnings = ("agent_channel_looks_like_customer",)
    return RoleAssignment(roles, 1.0, "channel_map", scores, warnings, round(agreement, 3))
