"""Rubric validation: every mistake is named with its file, key path and problem."""

import pytest

from qa_service.scoring.schema import RubricError, load_rubric, parse_rubric
from tests.conftest import ROOT

MINIMAL = """
id: t
version: 1
language: zh
name: test
categories: [{id: courtesy, name: 礼貌, weight: 1}]
checks:
  - {id: greeting, kind: required_phrase, category: courtesy, points: 5, phrases: [您好]}
"""


def test_default_rubrics_are_valid():
    for name in ("zh-CN.default.yaml", "en-US.default.yaml"):
        loaded = load_rubric(ROOT / "rubric" / name)
        ids = {c.id for c in loaded.rubric.checks}
        assert {
            "greeting",
            "closing",
            "confirm_other_questions",
            "apology_after_complaint",
            "forbidden_expressions",
            "dead_air",
            "interruptions",
            "agent_speech_rate",
            "follow_up_commitment",
            "pii_disclosure",
        } <= ids
        assert len(loaded.sha256) == 64


def test_minimal_rubric_parses_and_hashes_its_content():
    a, b = parse_rubric(MINIMAL, "a.yaml"), parse_rubric(MINIMAL + "\n# comment\n", "b.yaml")
    assert a.rubric.checks[0].id == "greeting"
    assert a.sha256 != b.sha256


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("points: 5", "points: 5, colour: red"),
            r"r.yaml: checks\[0\]\(greeting\)\.colour: Extra inputs are not permitted",
        ),
        (("points: 5", "points: -1"), r"checks\[0\]\(greeting\)\.points: Input should be greater than 0"),
        (("kind: required_phrase", "kind: telepathy"), r"checks\[0\]\(greeting\)"),
        (("category: courtesy, points", "category: nonsense, points"), r"unknown category 'nonsense'"),
        (("phrases: [您好]", "phrases: []"), r"phrases: List should have at least 1 item"),
        (("version: 1", "version: one"), r"version: Input should be a valid integer"),
        (("phrases: [您好]", "phrases: [您好], window: {first_seconds: 0}"), r"window\.first_seconds"),
        (
            (
                "phrases: [您好]",
                "phrases: [您好], window: {relative: {check: nope, position: after, utterances: 1}}",
            ),
            r"unknown check 'nope'",
        ),
    ],
)
def test_mistakes_name_file_key_and_problem(change, message):
    with pytest.raises(RubricError, match=message):
        parse_rubric(MINIMAL.replace(*change), "r.yaml")


def test_missing_key_and_duplicates():
    with pytest.raises(RubricError, match=r"r.yaml: name: Field required"):
        parse_rubric(MINIMAL.replace("name: test\n", ""), "r.yaml")
    doubled = (
        MINIMAL
        + "  - {id: greeting, kind: required_phrase, category: courtesy, points: 5, phrases: [你好]}\n"
    )
    with pytest.raises(RubricError, match="duplicate check ids: greeting"):
        parse_rubric(doubled, "r.yaml")


def test_not_yaml_or_not_a_mapping(tmp_path):
    with pytest.raises(RubricError, match="not valid YAML"):
        parse_rubric("id: [unclosed", "r.yaml")
    with pytest.raises(RubricError, match="mapping"):
        parse_rubric("- a\n- b\n", "r.yaml")
    with pytest.raises(RubricError, match="not found"):
        load_rubric(tmp_path / "missing.yaml")
