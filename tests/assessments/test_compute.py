"""Assessment arithmetic on a fixture of five agents in two teams, worked by hand; config loading."""

from collections.abc import Sequence

import pytest

from qa_service.assessments.compute import CallInput, Scorecard, scorecards, target_score
from qa_service.assessments.config import (
    AssessmentConfig,
    AssessmentConfigError,
    Complaints,
    Star,
    load_assessment_config,
    parse_assessment_config,
)
from tests.conftest import ROOT


def call(
    call_id: str,
    agent: str,
    team: str | None,
    machine: float | None,
    *,
    human: float | None = None,
    sat: int | None = None,
    resolved: bool | None = None,
    duration: float = 180,
    latency: float | None = None,
    complaint: bool = False,
    failed: Sequence[str] = (),
    categories: dict[str, float] | None = None,
) -> CallInput:
    return CallInput(
        call_id=call_id,
        agent_id=agent,
        team=team,
        machine_score=machine,
        human_score=human,
        categories=categories or {},
        resolved=resolved,
        satisfaction=sat,
        duration_s=duration,
        response_latency_s=latency,
        complaint=complaint,
        failed_checks=failed,
    )


# Default weights: satisfaction 40, resolution 30, quality 15, efficiency 15;
# efficiency targets 180 s handle time, 2.5 s latency, 50/50; human score replaces machine.
FIXTURE = [
    # a1 (north): satisfaction 5, 5 → 100; resolution 2/2 → 100; quality (90 + human 100)/2 = 95;
    # efficiency: mean handle 150 ≤ 180 → 100, latency 2.0 ≤ 2.5 → 100 → 100.
    # total = 40 + 30 + 0.15·95 + 15 = 99.25 → 优秀
    call(
        "c1",
        "a1",
        "north",
        90,
        sat=5,
        resolved=True,
        duration=120,
        latency=2.0,
        categories={"courtesy": 100, "communication": 80},
    ),
    call(
        "c2",
        "a1",
        "north",
        80,
        human=100,
        sat=5,
        resolved=True,
        duration=180,
        latency=2.0,
        failed=["closing"],
        categories={"courtesy": 90, "communication": 70},
    ),
    # a2 (north): satisfaction (4 + 3)/2 = 3.5 → 62.5; resolution 1/2 → 50; quality 75;
    # efficiency: handle 300 → 100·180/300 = 60, latency 5.0 → 100·2.5/5 = 50 → 55.
    # raw = 0.4·62.5 + 0.3·50 + 0.15·75 + 0.15·55 = 25 + 15 + 11.25 + 8.25 = 59.5;
    # one complaint: 5 points → 54.5 → 不合格
    call(
        "c3",
        "a2",
        "north",
        80,
        sat=4,
        resolved=True,
        duration=240,
        latency=5.0,
        failed=["closing", "greeting"],
    ),
    call(
        "c4",
        "a2",
        "north",
        70,
        sat=3,
        resolved=False,
        duration=360,
        latency=5.0,
        failed=["closing", "closing"],
        complaint=True,
    ),
    # a3 (north): no ratings → satisfaction left out, weights re-normalised over 30 + 15 + 15 = 60:
    # resolution 1/1 known → 100 (c6 unknown); quality (90 + 94)/2 = 92; efficiency: handle 180 → 100,
    # no latency → handle time alone → 100. total = (30·100 + 15·92 + 15·100)/60 = 5880/60 = 98.0 → 优秀
    call("c5", "a3", "north", 90, resolved=True, duration=180),
    call("c6", "a3", "north", 94, resolved=None, duration=180),
    # b1 (south): satisfaction 4 → 75; resolution 100; quality 88; efficiency 100.
    # total = 30 + 30 + 13.2 + 15 = 88.2 → 合格
    call("c7", "b1", "south", 88, sat=4, resolved=True, duration=100, latency=1.0),
    call("c8", "b1", "south", 88, sat=4, resolved=True, duration=100, latency=1.0),
    call("c9", "b1", "south", 88, sat=4, resolved=True, duration=100, latency=1.0),
    # b2 (south): one call, below min_calls 2: total 100 shown, not graded or ranked
    call("c10", "b2", "south", 100, sat=5, resolved=True, duration=60, latency=1.0),
]

CONFIG = AssessmentConfig(min_calls=2, star=Star(min_calls=2))


def by_agent(cards: list[Scorecard]) -> dict[str, Scorecard]:
    return {c.agent_id: c for c in cards}


def test_totals_grades_and_pass():
    cards = by_agent(scorecards(FIXTURE, CONFIG))
    expected = {
        "a1": (99.25, "优秀", True),
        "a2": (54.5, "不合格", False),
        "a3": (98.0, "优秀", True),
        "b1": (88.2, "合格", True),
        "b2": (100.0, None, None),
    }
    assert {a: (c.total, c.grade, c.passed) for a, c in cards.items()} == expected


def test_components_of_one_card():
    a2 = by_agent(scorecards(FIXTURE, CONFIG))["a2"]
    assert {n: (c["score"], c["weight"], c["weighted"]) for n, c in a2.components.items()} == {
        "satisfaction": (62.5, 40.0, 25.0),
        "resolution": (50.0, 30.0, 15.0),
        "quality": (75.0, 15.0, 11.25),
        "efficiency": (55.0, 15.0, 8.25),
    }
    assert (a2.complaints, a2.penalty) == (1, 5.0)
    assert a2.measures["mean_handle_time_s"] == 300.0
    assert a2.measures["mean_response_latency_s"] == 5.0
    assert a2.measures["mean_satisfaction"] == 3.5
    assert any("5 points off" in n for n in a2.notes)


def test_missing_component_is_renormalised_and_said():
    a3 = by_agent(scorecards(FIXTURE, CONFIG))["a3"]
    assert a3.components["satisfaction"] == {
        "label": "客户满意度",
        "score": None,
        "weight": 0.0,
        "configured_weight": 40.0,
        "weighted": None,
    }
    # 30/60, 15/60, 15/60 of 100
    assert [a3.components[n]["weight"] for n in ("resolution", "quality", "efficiency")] == [50.0, 25.0, 25.0]
    assert a3.components["quality"]["score"] == 92.0
    assert any("satisfaction" in n and "re-distributed" in n for n in a3.notes)
    assert a3.measures["resolution_known"] == 1


def test_rank_team_size_and_star():
    cards = scorecards(FIXTURE, CONFIG)
    # ordered by team, then rank, ungraded last
    assert [c.agent_id for c in cards] == ["a1", "a3", "a2", "b1", "b2"]
    got = {c.agent_id: (c.rank_in_team, c.team_size, c.star) for c in cards}
    assert got == {
        "a1": (1, 3, True),  # 服务之星 of north
        "a3": (2, 3, False),
        "a2": (3, 3, False),
        "b1": (1, 1, True),  # b2 has a higher total but too few calls to be ranked
        "b2": (None, 1, False),
    }
    assert any("not graded or ranked" in n for n in by_agent(cards)["b2"].notes)


def test_star_needs_enough_calls_and_no_complaint():
    # With the default star rule (10 calls) nobody in the fixture qualifies.
    cards = scorecards(FIXTURE, AssessmentConfig(min_calls=2))
    assert not any(c.star for c in cards)
    # A passing agent with a complaint is not eligible; the next best is.
    calls = [call(f"x{i}", "x", "t", 100, sat=5, resolved=True, complaint=i == 0) for i in range(2)]
    calls += [call(f"y{i}", "y", "t", 90, sat=5, resolved=True) for i in range(2)]
    # x: 100 - 5 = 95; y: 40 + 30 + 13.5 + 15 = 98.5
    cards = by_agent(scorecards(calls, CONFIG))
    assert (cards["x"].total, cards["y"].total) == (95.0, 98.5)
    assert (cards["x"].star, cards["y"].star) == (False, True)
    calls = [call(f"x{i}", "x", "t", 100, sat=5, resolved=True, complaint=i == 0) for i in range(2)]
    calls += [
        call("z0", "z", "t", 10, sat=1, resolved=False),
        call("z1", "z", "t", 10, sat=1, resolved=False),
    ]
    cards = by_agent(scorecards(calls, CONFIG))
    assert not cards["x"].star and not cards["z"].star  # z failed; x had a complaint


def test_ties_share_rank_and_star():
    calls = [call(f"{a}{i}", a, None, 90, sat=5, resolved=True) for a in ("p", "q") for i in range(2)]
    calls += [call(f"r{i}", "r", None, 50, sat=5, resolved=True) for i in range(2)]
    cards = by_agent(scorecards(calls, CONFIG))
    # p, q: 40 + 30 + 13.5 + 15 = 98.5; r: 40 + 30 + 7.5 + 15 = 92.5
    assert {a: (c.total, c.rank_in_team, c.star) for a, c in cards.items()} == {
        "p": (98.5, 1, True),
        "q": (98.5, 1, True),
        "r": (92.5, 3, False),
    }
    assert all(c.team is None and c.team_size == 3 for c in cards.values())


def test_trend_against_previous_period():
    cards = by_agent(scorecards(FIXTURE, CONFIG, previous={"a1": 95.0, "b1": 90.0, "gone": 80.0}))
    assert cards["a1"].trend == 4.25
    assert cards["b1"].trend == -1.8
    assert cards["a2"].trend is None
    assert "gone" not in cards


def test_categories_and_top_failed_checks():
    cards = by_agent(scorecards(FIXTURE, CONFIG))
    assert cards["a1"].categories == {"communication": 75.0, "courtesy": 95.0}
    # closing counts once per call (c4 lists it twice): 2 calls; greeting 1
    assert cards["a2"].top_failed_checks == [
        {"check_id": "closing", "count": 2, "example_calls": ["c3", "c4"]},
        {"check_id": "greeting", "count": 1, "example_calls": ["c3"]},
    ]
    many = [call(f"m{i}", "m", None, 80, failed=["greeting"]) for i in range(5)]
    top = scorecards(many, CONFIG)[0].top_failed_checks
    assert top == [{"check_id": "greeting", "count": 5, "example_calls": ["m0", "m1", "m2"]}]
    limited = AssessmentConfig(min_calls=2, top_failed_checks=1)
    assert [t["check_id"] for t in by_agent(scorecards(FIXTURE, limited))["a2"].top_failed_checks] == [
        "closing"
    ]


def test_complaint_penalties_escalate_and_floor_at_zero():
    # four complaints: 5 + 10 + 10 + 10 = 35 off a perfect 100 → 65, and fail_at 3 fails it anyway
    calls = [call(f"k{i}", "k", None, 100, sat=5, resolved=True, complaint=True) for i in range(4)]
    card = scorecards(calls, CONFIG)[0]
    assert (card.total, card.penalty, card.passed, card.grade) == (65.0, 35.0, False, "不合格")
    # a penalty larger than the score floors at 0
    harsh = AssessmentConfig(min_calls=2, complaints=Complaints(points=[60], fail_at=None))
    calls = [call(f"h{i}", "h", None, 80, sat=3, resolved=False, complaint=True) for i in range(2)]
    card = scorecards(calls, harsh)[0]
    assert (card.total, card.penalty) == (0.0, 120.0)


def test_complaints_at_fail_at_fail_a_high_total():
    # three complaints at 1 point each: 100 - 3 = 97 (优秀 by total), but fail_at 3 fails it
    config = AssessmentConfig(min_calls=2, complaints=Complaints(points=[1], fail_at=3))
    calls = [call(f"f{i}", "f", None, 100, sat=5, resolved=True, complaint=i < 3) for i in range(3)]
    card = scorecards(calls, config)[0]
    assert (card.total, card.passed, card.grade) == (97.0, False, "不合格")
    assert any("fails the assessment" in n for n in card.notes)


def test_quality_blend_and_efficiency_formula():
    # human_weight 0.5: (0.5·100 + 0.5·80) = 90 for the reviewed call, 70 for the other → 80
    config = AssessmentConfig(min_calls=1, quality={"human_weight": 0.5})
    calls = [
        call("q1", "q", None, 80, human=100, duration=360, latency=1.0),
        call("q2", "q", None, 70, duration=360, latency=1.0),
        call("q3", "q", None, None, human=60, duration=360, latency=None),  # human only: 60
    ]
    card = scorecards(calls, config)[0]
    assert card.components["quality"]["score"] == pytest.approx((90 + 70 + 60) / 3, abs=0.01)
    # handle time 360 = 2× target → 50; latency 1.0 → 100; mean 75
    assert card.components["efficiency"]["score"] == 75.0
    assert target_score(180, 180) == 100.0 and target_score(540, 180) == pytest.approx(100 / 3)
    assert card.measures["human_scored_calls"] == 2


def test_no_data_at_all_gives_no_total():
    config = AssessmentConfig(
        min_calls=1, weights={"satisfaction": 50, "resolution": 50, "quality": 0, "efficiency": 0}
    )
    card = scorecards([call("n1", "n", None, 90)], config)[0]
    assert card.total is None and card.grade is None and card.rank_in_team is None
    assert any("no total" in n for n in card.notes)


def test_bad_satisfaction_is_refused():
    with pytest.raises(ValueError, match="1-5"):
        scorecards([call("s1", "s", None, 90, sat=6)], CONFIG)


def test_scorecard_to_dict_is_json_friendly():
    import json

    card = by_agent(scorecards(FIXTURE, CONFIG))["a2"]
    data = json.loads(json.dumps(card.to_dict(), ensure_ascii=False))
    assert data["total"] == 54.5 and data["components"]["quality"]["score"] == 75.0
    assert data["top_failed_checks"][0]["example_calls"] == ["c3", "c4"]


# ---- configuration -------------------------------------------------------------------------


def test_default_yaml_loads_and_matches_the_model_defaults():
    config = load_assessment_config(ROOT / "rubric" / "assessment.default.yaml")
    assert config == AssessmentConfig()
    assert config.weights.as_dict() == {"satisfaction": 40, "resolution": 30, "quality": 15, "efficiency": 15}
    assert config.pass_mark == 85
    assert [(g.min, g.label) for g in config.grades] == [
        (95, "优秀"),
        (90, "良好"),
        (85, "合格"),
        (0, "不合格"),
    ]
    assert [config.grade(t) for t in (100, 95, 94.99, 90, 85, 84.99, 0)] == [
        "优秀",
        "优秀",
        "良好",
        "良好",
        "合格",
        "不合格",
        "不合格",
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "weights: {satisfaction: 50, resolution: 30, quality: 15, efficiency: 15}",
            "a.yaml: weights: Value error, weights must sum to 100, they sum to 110",
        ),
        ("efficiency: {handle_time_target: 180}", "a.yaml: efficiency.handle_time_target: Extra inputs"),
        (
            "efficiency: {handle_time_target_s: 0}",
            "a.yaml: efficiency.handle_time_target_s: Input should be greater than 0",
        ),
        (
            "grades: [{min: 90, label: A}, {min: -5, label: B}]",
            "a.yaml: grades[1].min: Input should be greater than or equal to 0",
        ),
        (
            "grades: [{min: 80, label: A}, {min: 90, label: B}, {min: 0, label: C}]",
            "from the highest min to the lowest",
        ),
        ("grades: [{min: 90, label: A}]", "the last grade must have min 0"),
        (
            "complaints: {points: [5, -1]}",
            "a.yaml: complaints: Value error, penalty points cannot be negative",
        ),
        ("pass_mark: 120", "a.yaml: pass_mark: Input should be less than or equal to 100"),
        ("star: {min_calls: 0}", "a.yaml: star.min_calls"),
        ("bonus: 3", "a.yaml: bonus: Extra inputs are not permitted"),
        ("- 1\n- 2", "a.yaml: an assessment config is a YAML mapping"),
        ("weights: [", "a.yaml: not valid YAML"),
    ],
)
def test_config_errors_name_the_key_path(text, message):
    with pytest.raises(AssessmentConfigError) as exc:
        parse_assessment_config(text, "a.yaml")
    assert message in exc.value.message


def test_empty_config_means_defaults_and_missing_file_is_an_error(tmp_path):
    assert parse_assessment_config("", "empty.yaml") == AssessmentConfig()
    with pytest.raises(AssessmentConfigError, match="not found"):
        load_assessment_config(tmp_path / "nope.yaml")


def test_penalty_ladder():
    assert [Complaints().penalty(n) for n in range(5)] == [0, 5, 15, 25, 35]
