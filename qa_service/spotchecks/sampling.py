"""Spot-check sampling (录音抽查): which of each agent's calls of a period go to review.

A plan (``PlanSpec``) says how many calls per agent — a count, or a fraction with a minimum — and
how to stratify them (flagged/unflagged, queue). ``select`` is a pure function of the candidate
calls, the plan and a recorded seed: the same inputs give the same picks in any input order, on
any machine and Python process (seeds are derived with SHA-256, never with the salted ``hash()``).
Every pick carries its stratum with the stratum's size and sample size, so that the reviewed
sample can be weighted back to the agent's calls (``compliance_by_check``).
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from qa_service.reviews.statistics import Interval, Stratum, stratified_proportion

Period = Literal["week", "month"]
StratifyBy = Literal["flagged", "queue"]


def _flagged() -> list[StratifyBy]:
    return ["flagged"]


class PlanSpec(BaseModel):
    """What a spot-check plan samples, per agent and period.

    - ``count``: calls per agent; or ``fraction`` (0 < f ≤ 1) of the agent's eligible calls,
      rounded up, and at least ``minimum`` (``minimum`` applies only with ``fraction``). Either way
      never more than the agent has.
    - ``stratify_by``: strata by ``flagged`` (yes/no) and/or ``queue``; ``[]`` for one stratum.
    - ``exclude_reviewed``: leave out calls that already have a review.
    - ``queues`` / ``agents``: restrict the candidates to these (None: all).
    """

    model_config = ConfigDict(extra="forbid")

    period: Period = "month"
    count: int | None = Field(default=None, ge=1)
    fraction: float | None = Field(default=None, gt=0, le=1)
    minimum: int = Field(default=0, ge=0)
    stratify_by: list[StratifyBy] = Field(default_factory=_flagged)
    exclude_reviewed: bool = True
    queues: list[str] | None = Field(default=None, min_length=1)
    agents: list[str] | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _size(self) -> PlanSpec:
        if (self.count is None) == (self.fraction is None):
            raise ValueError("set exactly one of count (calls per agent) and fraction (share of calls)")
        if self.count is not None and self.minimum:
            raise ValueError("minimum applies only with fraction; with count, count is the sample size")
        if len(set(self.stratify_by)) != len(self.stratify_by):
            raise ValueError("stratify_by lists a dimension twice")
        return self


@dataclass(frozen=True)
class Candidate:
    """A call that may be sampled: analysed, in the period, with its agent, queue and whether the
    machine flagged it or a reviewer already reviewed it."""

    call_id: str
    agent_id: str
    queue: str | None
    flagged: bool
    reviewed: bool


@dataclass(frozen=True)
class Pick:
    """A sampled call and the stratum that chose it: ``stratum_population`` eligible calls of the
    agent in that stratum, ``stratum_sampled`` of them drawn; its sampling weight is
    population / sampled."""

    call_id: str
    agent_id: str
    stratum: str
    stratum_population: int
    stratum_sampled: int

    @property
    def weight(self) -> float:
        return self.stratum_population / self.stratum_sampled


NO_QUEUE = "(none)"


def stratum_name(candidate: Candidate, stratify_by: Sequence[StratifyBy]) -> str:
    """``flagged=yes|queue=sales``; the dimensions in a fixed order (flagged, queue) whatever the
    plan's order, ``all`` without stratification, ``queue=(none)`` for a call without a queue."""
    parts = []
    if "flagged" in stratify_by:
        parts.append(f"flagged={'yes' if candidate.flagged else 'no'}")
    if "queue" in stratify_by:
        parts.append(f"queue={candidate.queue if candidate.queue is not None else NO_QUEUE}")
    return "|".join(parts) or "all"


def target_size(spec: PlanSpec, eligible: int) -> int:
    """Calls to sample from an agent with ``eligible`` calls: count, or
    max(minimum, ⌈fraction × eligible⌉), never more than eligible."""
    if spec.count is not None:
        wanted = spec.count
    else:
        assert spec.fraction is not None
        # round() first so that 0.1 × 30 = 3.0000000000000004 gives 3, not 4.
        wanted = max(spec.minimum, math.ceil(round(spec.fraction * eligible, 9)))
    return min(wanted, eligible)


def _largest_remainder(total: int, sizes: Mapping[str, int]) -> dict[str, int]:
    """Hamilton apportionment of ``total`` in proportion to ``sizes``; remainders tied are broken
    by the larger stratum, then by name, so the result never depends on input order."""
    population = sum(sizes.values())
    if total == 0 or population == 0:
        return dict.fromkeys(sizes, 0)
    quotas = {name: total * size / population for name, size in sizes.items()}
    alloc = {name: math.floor(round(q, 9)) for name, q in quotas.items()}
    left = total - sum(alloc.values())
    order = sorted(sizes, key=lambda name: (-(quotas[name] - alloc[name]), -sizes[name], name))
    for name in order[:left]:
        alloc[name] += 1
    return alloc


def allocate(target: int, sizes: Mapping[str, int]) -> dict[str, int]:
    """Split an agent's ``target`` over the strata in proportion to their sizes (largest
    remainder). When the target allows (target ≥ number of non-empty strata) every non-empty
    stratum gets at least one call, so that e.g. the few unflagged calls of a mostly flagged agent
    are still represented: such strata are fixed at 1 and the rest of the target is apportioned
    again among the others, until none is left at 0. With a smaller target some strata get none.
    Never more than a stratum holds."""
    sizes = {name: size for name, size in sizes.items() if size > 0}
    if target > sum(sizes.values()):
        raise ValueError(f"cannot sample {target} of {sum(sizes.values())} calls")
    if target < len(sizes):
        return _largest_remainder(target, sizes)
    fixed: dict[str, int] = {}
    while True:
        rest = {name: size for name, size in sizes.items() if name not in fixed}
        alloc = _largest_remainder(target - len(fixed), rest)
        empty = [name for name, k in alloc.items() if k == 0]
        if not empty:
            return {**alloc, **fixed}
        fixed.update(dict.fromkeys(empty, 1))


def _rng(seed: int, agent_id: str, stratum: str) -> random.Random:
    material = "\x1f".join((str(seed), agent_id, stratum)).encode("utf-8")
    return random.Random(int.from_bytes(hashlib.sha256(material).digest()[:8], "big"))


def eligible(candidates: Sequence[Candidate], spec: PlanSpec) -> list[Candidate]:
    """The candidates a plan may draw from (agents, queues, not yet reviewed), sorted by call id.
    Raises ValueError for a call id given twice."""
    seen: set[str] = set()
    out = []
    for c in candidates:
        if c.call_id in seen:
            raise ValueError(f"call {c.call_id!r} is a candidate twice")
        seen.add(c.call_id)
        if spec.exclude_reviewed and c.reviewed:
            continue
        if spec.agents is not None and c.agent_id not in spec.agents:
            continue
        if spec.queues is not None and c.queue not in spec.queues:
            continue
        out.append(c)
    return sorted(out, key=lambda c: c.call_id)


def select(candidates: Sequence[Candidate], spec: PlanSpec, seed: int) -> list[Pick]:
    """The spot-check sample: per agent, ``target_size`` calls allocated over the strata by
    ``allocate`` and drawn without replacement within each stratum by a ``random.Random`` seeded
    from SHA-256 of (seed, agent id, stratum), over the stratum's calls sorted by call id.

    Deterministic: the same candidates (in any order), plan and seed give the same picks, sorted
    by agent, stratum and call id."""
    by_agent: dict[str, dict[str, list[Candidate]]] = {}
    for c in eligible(candidates, spec):
        by_agent.setdefault(c.agent_id, {}).setdefault(stratum_name(c, spec.stratify_by), []).append(c)
    picks: list[Pick] = []
    for agent_id in sorted(by_agent):
        strata = by_agent[agent_id]
        sizes = {name: len(calls) for name, calls in strata.items()}
        alloc = allocate(target_size(spec, sum(sizes.values())), sizes)
        for name in sorted(strata):
            k = alloc.get(name, 0)
            if k == 0:
                continue
            chosen = _rng(seed, agent_id, name).sample(strata[name], k)
            picks.extend(
                Pick(
                    call_id=c.call_id,
                    agent_id=agent_id,
                    stratum=name,
                    stratum_population=sizes[name],
                    stratum_sampled=k,
                )
                for c in sorted(chosen, key=lambda c: c.call_id)
            )
    return picks


def period_bounds(period: Period, day: date) -> tuple[date, date]:
    """[start, end) of the period holding ``day``: ISO week Monday to next Monday, or the 1st of
    the month to the 1st of the next."""
    if period == "week":
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=7)
    if period == "month":
        start = day.replace(day=1)
        end = date(start.year + 1, 1, 1) if start.month == 12 else date(start.year, start.month + 1, 1)
        return start, end
    raise ValueError(f"unknown period {period!r}")


def period_label(period: Period, day: date) -> str:
    """``2026-11`` for a month, ``2026-W48`` for an ISO week (the ISO year, which differs from the
    calendar year around New Year: 2026-12-31 is in 2026-W53, 2027-01-01 too)."""
    if period == "week":
        year, week, _ = day.isocalendar()
        return f"{year:04d}-W{week:02d}"
    if period == "month":
        return f"{day.year:04d}-{day.month:02d}"
    raise ValueError(f"unknown period {period!r}")


def compliance_by_check(
    picks: Sequence[Pick], verdicts: Mapping[str, Mapping[str, bool]], confidence: float = 0.95
) -> dict[str, Interval]:
    """Per check, the estimated share of calls passing it, weighted back from the sample.

    ``verdicts`` is ``{call_id: {check_id: passed}}`` for the sampled calls that were reviewed;
    picks without verdicts (not reviewed yet) and verdicts of calls not among the picks are
    ignored. Strata are (agent, stratum name), each with the population recorded on its picks; for
    a check, a stratum's sample is its picks that have a verdict for that check, so strata where no
    call has one drop out and their weight is re-normalised (``stratified_proportion``). A check
    that does not apply to every call (e.g. an apology after a complaint) is thus estimated over
    the calls where it applied, with the stratum sizes as weights."""
    populations: dict[tuple[str, str], int] = {}
    for p in picks:
        key = (p.agent_id, p.stratum)
        if populations.setdefault(key, p.stratum_population) != p.stratum_population:
            raise ValueError(f"stratum {key} is recorded with two populations")
    counts: dict[str, dict[tuple[str, str], list[int]]] = {}
    seen: set[str] = set()
    for p in picks:
        if p.call_id in seen:
            raise ValueError(f"call {p.call_id!r} is picked twice")
        seen.add(p.call_id)
        for check_id, passed in verdicts.get(p.call_id, {}).items():
            tally = counts.setdefault(check_id, {}).setdefault((p.agent_id, p.stratum), [0, 0])
            tally[0] += 1
            tally[1] += int(passed)
    return {
        check_id: stratified_proportion(
            [Stratum(populations[key], sampled, passed) for key, (sampled, passed) in sorted(tally.items())],
            confidence,
        )
        for check_id, tally in sorted(counts.items())
    }
