"""Spot-check sampling: reproducible, stratified, sized as the plan says; compliance weighted back."""

import random
from collections import Counter
from datetime import date

import pytest
from pydantic import ValidationError

from qa_service.reviews.statistics import Stratum, stratified_proportion
from qa_service.spotchecks.sampling import (
    Candidate,
    Pick,
    PlanSpec,
    allocate,
    compliance_by_check,
    period_bounds,
    period_label,
    select,
    target_size,
)


def make_candidates() -> list[Candidate]:
    """a1: 60 calls, 15 flagged (ids 000-014) and 45 not; queues alternate sales/service;
    calls 050-054 already reviewed. a2: 10 calls, 1 flagged, queue None."""
    out = [
        Candidate(
            call_id=f"a1-{i:03d}",
            agent_id="a1",
            queue="sales" if i % 2 == 0 else "service",
            flagged=i < 15,
            reviewed=50 <= i < 55,
        )
        for i in range(60)
    ]
    out += [
        Candidate(call_id=f"a2-{i:03d}", agent_id="a2", queue=None, flagged=i == 0, reviewed=False)
        for i in range(10)
    ]
    return out


def ids(picks: list[Pick]) -> list[str]:
    return [p.call_id for p in picks]


def test_same_seed_same_picks_in_any_input_order():
    spec = PlanSpec(count=8, stratify_by=["flagged", "queue"])
    candidates = make_candidates()
    first = select(candidates, spec, seed=42)
    for shuffle_seed in range(5):
        shuffled = candidates[:]
        random.Random(shuffle_seed).shuffle(shuffled)
        assert select(shuffled, spec, seed=42) == first
    assert select(list(reversed(candidates)), spec, seed=42) == first


def test_picks_are_pinned_across_runs_and_processes():
    # The draw depends only on SHA-256 of (seed, agent, stratum) and the sorted call ids; these
    # values must not change between Python processes (no salted hash()) or releases.
    picks = select(make_candidates(), PlanSpec(count=4, stratify_by=[]), seed=7)
    assert ids(picks) == ids(select(make_candidates(), PlanSpec(count=4, stratify_by=[]), seed=7))
    assert len(picks) == 8 and {p.stratum for p in picks} == {"all"}
    assert ids(picks) == PINNED_SEED_7


PINNED_SEED_7 = ["a1-036", "a1-041", "a1-046", "a1-058", "a2-000", "a2-002", "a2-004", "a2-009"]


def test_different_seeds_give_different_picks():
    spec = PlanSpec(count=10)
    samples = {tuple(ids(select(make_candidates(), spec, seed=s))) for s in range(10)}
    assert len(samples) == 10


def test_proportional_allocation_over_flagged():
    # a1 has 55 eligible calls (5 reviewed excluded): 15 flagged, 40 not. count 11:
    # quotas 11·15/55 = 3, 11·40/55 = 8 exactly.
    picks = [p for p in select(make_candidates(), PlanSpec(count=11), seed=1) if p.agent_id == "a1"]
    by_stratum = Counter(p.stratum for p in picks)
    assert by_stratum == {"flagged=yes": 3, "flagged=no": 8}
    for p in picks:
        population = 15 if p.stratum == "flagged=yes" else 40
        assert (p.stratum_population, p.stratum_sampled) == (population, by_stratum[p.stratum])
        assert p.weight == pytest.approx(population / by_stratum[p.stratum])
        assert p.call_id[-3:] < "015" if p.stratum == "flagged=yes" else p.call_id[-3:] >= "015"


def test_each_non_empty_stratum_gets_one_when_the_target_allows():
    # a2: 1 flagged, 9 not; count 4: quotas 0.4 and 3.6 → floor 0, 3, remainder to 3.6 → (0, 4);
    # the flagged stratum is then fixed at 1 and the other gets 4 - 1 = 3.
    picks = [p for p in select(make_candidates(), PlanSpec(count=4), seed=3) if p.agent_id == "a2"]
    assert Counter(p.stratum for p in picks) == {"flagged=yes": 1, "flagged=no": 3}
    assert "a2-000" in ids(picks)


@pytest.mark.parametrize(
    ("target", "sizes", "expected"),
    [
        (11, {"x": 15, "y": 40}, {"x": 3, "y": 8}),
        # quotas 2.5 / 2.5: tie on remainder and size, broken by name
        (5, {"a": 10, "b": 10}, {"a": 3, "b": 2}),
        # quotas 0.0294, 0.0294, 2.94 → (0, 0, 3); b and c fixed at 1, a gets 1
        (3, {"a": 100, "b": 1, "c": 1}, {"a": 1, "b": 1, "c": 1}),
        # target smaller than the number of strata: pure largest remainder, the small one gets none
        (1, {"a": 100, "b": 1}, {"a": 1, "b": 0}),
        (0, {"a": 5, "b": 5}, {"a": 0, "b": 0}),
        (7, {"a": 3, "b": 4}, {"a": 3, "b": 4}),  # everything
    ],
)
def test_allocate(target, sizes, expected):
    assert allocate(target, sizes) == expected


def test_allocate_invariants_on_random_sizes():
    rng = random.Random(0)
    for _ in range(2000):
        sizes = {f"s{i}": rng.choice([1, 1, 2, 3, 5, 8, 40, 200]) for i in range(rng.randint(1, 6))}
        total = sum(sizes.values())
        target = rng.randint(0, total)
        alloc = allocate(target, sizes)
        assert sum(alloc.values()) == target
        assert all(0 <= alloc[k] <= sizes[k] for k in sizes)
        if target >= len(sizes):
            assert all(v >= 1 for v in alloc.values())
    with pytest.raises(ValueError):
        allocate(5, {"a": 2, "b": 2})


def test_stratum_names_follow_a_fixed_order():
    spec = PlanSpec(count=60, stratify_by=["queue", "flagged"])
    picks = select(make_candidates(), spec, seed=0)
    names = {p.stratum for p in picks}
    assert names == {
        "flagged=yes|queue=sales",
        "flagged=yes|queue=service",
        "flagged=no|queue=sales",
        "flagged=no|queue=service",
        "flagged=yes|queue=(none)",
        "flagged=no|queue=(none)",
    }
    # count above what an agent has: everything eligible, each stratum a census
    assert len(picks) == 55 + 10
    assert all(p.stratum_population == p.stratum_sampled for p in picks)


def test_reviewed_calls_are_excluded_unless_asked():
    reviewed = {f"a1-{i:03d}" for i in range(50, 55)}
    picks = select(make_candidates(), PlanSpec(fraction=1.0), seed=5)
    assert not reviewed & set(ids(picks))
    assert len([p for p in picks if p.agent_id == "a1"]) == 55
    everything = select(make_candidates(), PlanSpec(fraction=1.0, exclude_reviewed=False), seed=5)
    assert reviewed <= set(ids(everything))
    assert len([p for p in everything if p.agent_id == "a1"]) == 60


def test_queue_and_agent_restrictions():
    picks = select(make_candidates(), PlanSpec(count=5, queues=["sales"], stratify_by=["queue"]), seed=9)
    assert {p.agent_id for p in picks} == {"a1"}  # a2's calls have no queue
    assert {p.stratum for p in picks} == {"queue=sales"}
    # 30 even ids are in sales; 050, 052 and 054 were reviewed: 27 eligible
    assert all(p.stratum_population == 27 and p.stratum_sampled == 5 for p in picks)
    only_a2 = select(make_candidates(), PlanSpec(count=3, agents=["a2"]), seed=9)
    assert {p.agent_id for p in only_a2} == {"a2"} and len(only_a2) == 3


@pytest.mark.parametrize(
    ("spec", "eligible", "expected"),
    [
        (PlanSpec(count=8), 55, 8),
        (PlanSpec(count=8), 5, 5),  # never more than the agent has
        (PlanSpec(fraction=0.1), 30, 3),  # 0.1·30 = 3.0000000000000004 in floats: still 3
        (PlanSpec(fraction=0.1), 31, 4),  # ⌈3.1⌉
        (PlanSpec(fraction=0.5), 7, 4),  # ⌈3.5⌉
        (PlanSpec(fraction=0.1, minimum=5), 30, 5),  # the minimum wins
        (PlanSpec(fraction=0.1, minimum=5), 3, 3),  # ... but not beyond what there is
        (PlanSpec(fraction=0.1, minimum=5), 0, 0),
        (PlanSpec(fraction=1.0), 55, 55),
    ],
)
def test_target_size(spec, eligible, expected):
    assert target_size(spec, eligible) == expected


def test_fraction_plan_end_to_end():
    # a1: 55 eligible → ⌈5.5⌉ = 6; a2: 10 → max(3, 1) = 3
    picks = select(make_candidates(), PlanSpec(fraction=0.1, minimum=3), seed=11)
    assert Counter(p.agent_id for p in picks) == {"a1": 6, "a2": 3}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "exactly one of count"),
        ({"count": 5, "fraction": 0.2}, "exactly one of count"),
        ({"count": 5, "minimum": 2}, "minimum applies only with fraction"),
        ({"fraction": 0}, "greater than 0"),
        ({"fraction": 1.5}, "less than or equal to 1"),
        ({"count": 0}, "greater than or equal to 1"),
        ({"count": 5, "stratify_by": ["flagged", "flagged"]}, "twice"),
        ({"count": 5, "stratify_by": ["team"]}, "'flagged' or 'queue'"),
        ({"count": 5, "period": "day"}, "'week' or 'month'"),
        ({"count": 5, "seed": 3}, "Extra inputs are not permitted"),
        ({"count": 5, "queues": []}, "at least 1 item"),
    ],
)
def test_plan_validation(data, message):
    with pytest.raises(ValidationError) as exc:
        PlanSpec.model_validate(data)
    assert message in str(exc.value)


def test_plan_defaults_round_trip():
    spec = PlanSpec(count=5)
    assert (spec.period, spec.stratify_by, spec.exclude_reviewed, spec.minimum) == (
        "month",
        ["flagged"],
        True,
        0,
    )
    assert PlanSpec.model_validate(spec.model_dump()) == spec


def test_duplicate_candidates_are_refused():
    c = make_candidates()
    with pytest.raises(ValueError, match="twice"):
        select([*c, c[0]], PlanSpec(count=3), seed=1)


@pytest.mark.parametrize(
    ("period", "day", "bounds", "label"),
    [
        ("month", date(2026, 11, 25), (date(2026, 11, 1), date(2026, 12, 1)), "2026-11"),
        ("month", date(2026, 12, 31), (date(2026, 12, 1), date(2027, 1, 1)), "2026-12"),
        ("month", date(2026, 1, 1), (date(2026, 1, 1), date(2026, 2, 1)), "2026-01"),
        # 2026-11-25 is a Wednesday of ISO week 48
        ("week", date(2026, 11, 25), (date(2026, 11, 23), date(2026, 11, 30)), "2026-W48"),
        ("week", date(2026, 11, 23), (date(2026, 11, 23), date(2026, 11, 30)), "2026-W48"),
        ("week", date(2026, 11, 29), (date(2026, 11, 23), date(2026, 11, 30)), "2026-W48"),
        # a Friday in ISO week 53 of 2026 (weeks take the ISO year)
        ("week", date(2027, 1, 1), (date(2026, 12, 28), date(2027, 1, 4)), "2026-W53"),
    ],
)
def test_periods(period, day, bounds, label):
    assert period_bounds(period, day) == bounds
    assert period_label(period, bounds[0]) == label
    assert period_label(period, day) == label


def test_compliance_by_check_weights_the_strata():
    picks = [Pick(f"y{i}", "a1", "flagged=yes", 20, 4) for i in range(4)]
    picks += [Pick(f"n{i}", "a1", "flagged=no", 80, 4) for i in range(4)]
    verdicts = {
        # flagged: 3 of 4 reviewed (y3 not yet), greeting passed 1 of 3
        "y0": {"greeting": True, "closing": True},
        "y1": {"greeting": False, "closing": True},
        "y2": {"greeting": False},
        # unflagged: all 4 reviewed, greeting passed 4 of 4; closing judged on two, both failed
        "n0": {"greeting": True, "closing": False},
        "n1": {"greeting": True, "closing": False},
        "n2": {"greeting": True},
        "n3": {"greeting": True},
        "other": {"greeting": False},  # not a pick: ignored
    }
    result = compliance_by_check(picks, verdicts)
    assert sorted(result) == ["closing", "greeting"]
    # greeting: W = 0.2, 0.8; p = 0.2·(1/3) + 0.8·1 = 0.866667
    # var = 0.04·(1 - 3/20)·(1/3)(2/3)/3 = 0.0025185; n_eff = 0.866667·0.133333/0.0025185 = 45.882
    greeting = result["greeting"]
    assert greeting == stratified_proportion([Stratum(80, 4, 4), Stratum(20, 3, 1)])
    assert greeting.estimate == pytest.approx(0.866667, abs=1e-6)
    assert greeting.n == pytest.approx(45.882, abs=1e-3)
    assert (greeting.low, greeting.high) == pytest.approx((0.73970, 0.93698), abs=5e-5)
    # closing: p = 0.2·1 + 0.8·0 = 0.2; both strata have p_h in {0, 1}: var 0 → n = 4 sampled
    closing = result["closing"]
    assert closing.estimate == pytest.approx(0.2)
    assert closing.n == 4


def test_compliance_keeps_agents_apart():
    picks = [Pick("a", "a1", "all", 10, 1), Pick("b", "a2", "all", 30, 1)]
    result = compliance_by_check(picks, {"a": {"greeting": True}, "b": {"greeting": False}})
    assert result["greeting"].estimate == pytest.approx(0.25)  # 10/40 of the calls are a1's


def test_compliance_refuses_inconsistent_strata():
    picks = [Pick("a", "a1", "all", 10, 2), Pick("b", "a1", "all", 11, 2)]
    with pytest.raises(ValueError, match="two populations"):
        compliance_by_check(picks, {})
