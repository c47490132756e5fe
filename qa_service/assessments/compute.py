"""Scorecards: each agent's calls of a period turned into a weighted assessment (月度考核).

Per agent, four components on a 0-100 scale (the weights come from ``AssessmentConfig``):

- satisfaction (客户满意度): mean of the customers' 1-5 ratings mapped linearly, 1 → 0, 5 → 100,
  i.e. (s - 1) / 4 × 100, over the calls that have a rating;
- resolution (问题解决率): resolved / calls whose outcome is known, × 100;
- quality (服务态度, the QA score): mean over scored calls of the human score blended with the
  machine score (``quality.human_weight``), the machine score where no reviewer scored the call;
- efficiency (工作效率): the mean handle time (call duration) and the mean response latency, each
  scored 100 at or under its target and 100 × target / mean above it, combined by their weights.

A component without data (no ratings, no known outcome, ...) is left out and the weights of the
others are re-normalised to sum to 100; the card says so in its notes. The total is
Σ weight × score / 100, less the complaint penalty (floored at 0), rounded to 2 decimals; the pass
mark, grade and ranks use that rounded total, so what is shown is what was judged.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from statistics import fmean
from typing import Any

from qa_service.assessments.config import COMPONENTS, AssessmentConfig

LABELS = {
    "satisfaction": "客户满意度",
    "resolution": "问题解决率",
    "quality": "服务态度（质检得分）",
    "efficiency": "工作效率",
}


@dataclass(frozen=True)
class CallInput:
    """One call of the period as the assessment sees it. Scores are 0-100; ``satisfaction`` is the
    customer's 1-5 rating; ``resolved`` None when the outcome is unknown (e.g. a follow-up promised);
    ``failed_checks`` the checks the call failed (after review, where reviewed)."""

    call_id: str
    agent_id: str
    team: str | None
    machine_score: float | None
    human_score: float | None
    categories: Mapping[str, float]
    resolved: bool | None
    satisfaction: int | None
    duration_s: float
    response_latency_s: float | None
    complaint: bool
    failed_checks: Sequence[str]


@dataclass(frozen=True)
class Scorecard:
    """An agent's assessment for a period.

    ``components``: {name: {label, score, weight (effective, %), configured_weight, weighted}},
    score None when there was no data. ``total`` None when no component had data. ``passed``,
    ``grade`` and ``rank_in_team`` are None for an agent with fewer than ``min_calls`` calls (not
    graded); ``team_size`` counts the graded agents of the team. ``trend``: total minus the previous
    period's, None without one."""

    agent_id: str
    team: str | None
    calls: int
    total: float | None
    components: dict[str, dict[str, Any]]
    passed: bool | None
    grade: str | None
    rank_in_team: int | None
    team_size: int
    star: bool
    trend: float | None
    categories: dict[str, float]
    top_failed_checks: list[dict[str, Any]]
    complaints: int = 0
    penalty: float = 0.0
    measures: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "agent_id": self.agent_id,
            "team": self.team,
            "calls": self.calls,
            "total": self.total,
            "passed": self.passed,
            "grade": self.grade,
            "rank_in_team": self.rank_in_team,
            "team_size": self.team_size,
            "star": self.star,
            "trend": self.trend,
            "complaints": self.complaints,
            "penalty": self.penalty,
            "components": {name: dict(c) for name, c in self.components.items()},
            "categories": dict(self.categories),
            "top_failed_checks": [
                {**c, "example_calls": list(c["example_calls"])} for c in self.top_failed_checks
            ],
            "measures": dict(self.measures),
            "notes": list(self.notes),
        }


def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 2)


def _mean(values: Sequence[float]) -> float | None:
    return fmean(values) if values else None


def call_quality(call: CallInput, config: AssessmentConfig) -> float | None:
    """The call's QA score: human and machine blended where a reviewer scored it."""
    human, machine = call.human_score, call.machine_score
    if human is None:
        return machine
    if machine is None:
        return human
    w = config.quality.human_weight
    return w * human + (1 - w) * machine


def target_score(mean: float, target: float) -> float:
    """100 at or under the target, 100 × target / mean above it."""
    return 100.0 if mean <= target else 100.0 * target / mean


@dataclass
class _Partial:
    agent_id: str
    team: str | None
    calls: list[CallInput]
    scores: dict[str, float | None]
    measures: dict[str, Any]
    complaints: int
    total: float | None = None
    notes: list[str] = field(default_factory=list)


def _components(
    calls: Sequence[CallInput], config: AssessmentConfig
) -> tuple[dict[str, float | None], dict[str, Any]]:
    for c in calls:
        if c.satisfaction is not None and not 1 <= c.satisfaction <= 5:
            raise ValueError(f"call {c.call_id}: satisfaction must be 1-5, got {c.satisfaction}")
    ratings = [c.satisfaction for c in calls if c.satisfaction is not None]
    known = [c.resolved for c in calls if c.resolved is not None]
    qualities = [q for c in calls if (q := call_quality(c, config)) is not None]
    handle_time = _mean([c.duration_s for c in calls])
    latency = _mean([c.response_latency_s for c in calls if c.response_latency_s is not None])

    eff = config.efficiency
    parts = []
    if handle_time is not None and eff.handle_time_weight > 0:
        parts.append((eff.handle_time_weight, target_score(handle_time, eff.handle_time_target_s)))
    if latency is not None and eff.response_latency_weight > 0:
        parts.append((eff.response_latency_weight, target_score(latency, eff.response_latency_target_s)))
    efficiency = sum(w * s for w, s in parts) / sum(w for w, _ in parts) if parts else None

    scores: dict[str, float | None] = {
        "satisfaction": (fmean(ratings) - 1) / 4 * 100 if ratings else None,
        "resolution": 100 * sum(known) / len(known) if known else None,
        "quality": _mean(qualities),
        "efficiency": efficiency,
    }
    measures = {
        "satisfaction_ratings": len(ratings),
        "mean_satisfaction": _r(_mean([float(r) for r in ratings])),
        "resolution_known": len(known),
        "resolved": sum(known),
        "scored_calls": len(qualities),
        "human_scored_calls": sum(c.human_score is not None for c in calls),
        "mean_handle_time_s": _r(handle_time),
        "mean_response_latency_s": _r(latency),
    }
    return scores, measures


def _assess(agent_id: str, calls: list[CallInput], config: AssessmentConfig) -> _Partial:
    scores, measures = _components(calls, config)
    complaints = sum(c.complaint for c in calls)
    part = _Partial(agent_id, calls[-1].team, calls, scores, measures, complaints)
    weights = config.weights.as_dict()
    with_data = {name: w for name, w in weights.items() if scores[name] is not None and w > 0}
    for name in COMPONENTS:
        if scores[name] is None and weights[name] > 0:
            part.notes.append(
                f"{LABELS[name]} ({name}): no data this period; its {weights[name]:g}% weight is "
                "re-distributed over the other components in proportion to their weights"
            )
    if not with_data:
        part.notes.append("no component has data: no total")
        return part
    raw = sum(w * (scores[name] or 0.0) for name, w in with_data.items()) / sum(with_data.values())
    penalty = config.complaints.penalty(complaints)
    if complaints:
        part.notes.append(f"{complaints} complaint(s): {penalty:g} points off the total")
    part.total = round(max(0.0, raw - penalty), 2)
    return part


def _top_failed(calls: Sequence[CallInput], limit: int) -> list[dict[str, Any]]:
    counts: Counter[str] = Counter()
    examples: dict[str, list[str]] = {}
    for c in calls:
        for check_id in dict.fromkeys(c.failed_checks):  # once per call, in order
            counts[check_id] += 1
            if len(examples.setdefault(check_id, [])) < 3:
                examples[check_id].append(c.call_id)
    ranked = sorted(counts, key=lambda check_id: (-counts[check_id], check_id))[:limit]
    return [{"check_id": k, "count": counts[k], "example_calls": examples[k]} for k in ranked]


def _categories(calls: Sequence[CallInput]) -> dict[str, float]:
    values: dict[str, list[float]] = {}
    for c in calls:
        for category, score in c.categories.items():
            values.setdefault(category, []).append(score)
    return {category: round(fmean(v), 2) for category, v in sorted(values.items())}


def scorecards(
    calls: Sequence[CallInput], config: AssessmentConfig, previous: Mapping[str, float] | None = None
) -> list[Scorecard]:
    """One scorecard per agent in ``calls``, ranked within each team.

    - An agent's team is the team of its last call in input order (callers pass calls by time).
      Agents without a team are ranked together as one group.
    - Agents with fewer than ``config.min_calls`` calls get a total but no grade, pass or rank.
    - Passed: total ≥ pass_mark, and fewer complaints than ``complaints.fail_at``; failing on
      complaints gives the lowest grade whatever the total.
    - Rank: by total, highest first, ties sharing a rank (1, 1, 3) among the graded agents of the
      team. 服务之星: the highest total among the team's agents that passed, with at least
      ``star.min_calls`` calls and at most ``star.max_complaints`` complaints; ties share it.
    - Trend: total minus ``previous[agent_id]``.
    - Example calls of the most failed checks are the first three in input order.

    Cards are ordered by team (no team last), rank (ungraded last) and agent id."""
    by_agent: dict[str, list[CallInput]] = {}
    for c in calls:
        by_agent.setdefault(c.agent_id, []).append(c)
    partials = [_assess(agent_id, agent_calls, config) for agent_id, agent_calls in sorted(by_agent.items())]

    fail_at = config.complaints.fail_at
    graded: dict[str, bool] = {}
    passed: dict[str, bool | None] = {}
    grades: dict[str, str | None] = {}
    for p in partials:
        is_graded = p.total is not None and len(p.calls) >= config.min_calls
        graded[p.agent_id] = is_graded
        if not is_graded:
            passed[p.agent_id], grades[p.agent_id] = None, None
            if p.total is not None:
                p.notes.append(f"{len(p.calls)} call(s), fewer than {config.min_calls}: not graded or ranked")
            continue
        assert p.total is not None
        failed_on_complaints = fail_at is not None and p.complaints >= fail_at
        passed[p.agent_id] = p.total >= config.pass_mark and not failed_on_complaints
        grades[p.agent_id] = config.grades[-1].label if failed_on_complaints else config.grade(p.total)
        if failed_on_complaints:
            p.notes.append(
                f"{p.complaints} complaints (≥ {fail_at}): fails the assessment whatever the total"
            )

    teams: dict[str | None, list[_Partial]] = {}
    for p in partials:
        teams.setdefault(p.team, []).append(p)
    rank: dict[str, int | None] = {}
    team_size: dict[str, int] = {}
    star: dict[str, bool] = {}
    for members in teams.values():
        ranked = sorted((p for p in members if graded[p.agent_id]), key=lambda p: -(p.total or 0.0))
        for p in members:
            team_size[p.agent_id] = len(ranked)
            rank[p.agent_id] = None
            star[p.agent_id] = False
        for p in ranked:
            rank[p.agent_id] = 1 + sum((q.total or 0.0) > (p.total or 0.0) for q in ranked)
        eligible = [
            p
            for p in ranked
            if passed[p.agent_id]
            and len(p.calls) >= config.star.min_calls
            and p.complaints <= config.star.max_complaints
        ]
        if eligible:
            best = max(p.total or 0.0 for p in eligible)
            for p in eligible:
                star[p.agent_id] = p.total == best

    weights = config.weights.as_dict()
    cards = []
    for p in partials:
        used = sum(w for name, w in weights.items() if p.scores[name] is not None and w > 0)
        components: dict[str, dict[str, Any]] = {}
        for name in COMPONENTS:
            score = p.scores[name]
            effective = 100 * weights[name] / used if score is not None and used > 0 else 0.0
            components[name] = {
                "label": LABELS[name],
                "score": _r(score),
                "weight": round(effective, 2),
                "configured_weight": weights[name],
                "weighted": _r(score * effective / 100) if score is not None else None,
            }
        prev = (previous or {}).get(p.agent_id)
        cards.append(
            Scorecard(
                agent_id=p.agent_id,
                team=p.team,
                calls=len(p.calls),
                total=p.total,
                components=components,
                passed=passed[p.agent_id],
                grade=grades[p.agent_id],
                rank_in_team=rank[p.agent_id],
                team_size=team_size[p.agent_id],
                star=star[p.agent_id],
                trend=round(p.total - prev, 2) if p.total is not None and prev is not None else None,
                categories=_categories(p.calls),
                top_failed_checks=_top_failed(p.calls, config.top_failed_checks),
                complaints=p.complaints,
                penalty=config.complaints.penalty(p.complaints),
                measures=p.measures,
                notes=p.notes,
            )
        )
    big = 1 << 30
    cards.sort(
        key=lambda c: (c.team is None, c.team or "", c.rank_in_team if c.rank_in_team else big, c.agent_id)
    )
    return cards
