"""Every finding names its message: a registered ``detail_code`` with exactly its parameters, so
that the console can say it in Chinese. The cases walk each check kind's pass, fail and
not-applicable paths with the fixtures of ``test_checks``."""

from __future__ import annotations

from typing import Any

import pytest

from qa_service.scoring import schema as s
from qa_service.scoring.findings import DETAIL_CODES
from qa_service.scoring.score import score_call, score_to_dict
from tests.scoring.conftest import dialogue
from tests.scoring.test_checks import APOLOGY, RESOLUTION, _identified, greeting, run, well_formed

ANCHORED = {"window": s.Window(relative=s.RelativeWindow(check="greeting", position="after", utterances=1))}
FORBIDDEN = s.ForbiddenPhrase(
    id="forbidden", kind="forbidden_phrase", category="c", points=10, phrases=["不归我管"]
)
REGEX = s.RegexCheck(id="rx", kind="regex", category="c", points=5, pattern="不行")
REQUIRED_REGEX = s.RegexCheck(id="rx2", kind="regex", category="c", points=5, pattern="工号", must_match=True)
POLITE = s.Courtesy(
    id="polite", kind="courtesy", category="c", points=5, markers=["请", "您"], min_per_utterance=1
)
POLITE_PER_MINUTE = s.Courtesy(
    id="polite", kind="courtesy", category="c", points=5, markers=["请", "您"], min_per_minute=2
)
RATE = s.SpeechRate(id="rate", kind="speech_rate", category="c", points=5, min_per_minute=150)
DEAD_AIR = s.DeadAir(id="dead_air", kind="dead_air", category="c", points=5, max_single_s=5)
INTERRUPTION = s.Interruption(id="cut", kind="interruption", category="c", points=5, max_count=0)
LATENCY = s.ResponseLatency(id="lat", kind="response_latency", category="c", points=5, max_s=5)
LOUDNESS = s.Loudness(id="loud", kind="loudness", category="c", points=5, max_dbfs=-6)
PII = s.PiiDisclosure(id="pii", kind="pii_disclosure", category="c", points=5)
ID_CARD = "agent: 您的身份证号是一一零一零五一九九零零三零七一二三四"
LANGUAGE_TEXT = "[0-3] agent: 您好\n[3-5] customer: 喂\n[5-9] agent: 我帮您查一下"

# (code, check, what was said, metrics)
CASES: list[tuple[str, s._Check, str, dict[str, Any]]] = [
    ("window.no_anchor", s.RequiredPhrase(**{**greeting().model_dump(), **ANCHORED}), "agent: 你好", {}),
    ("window.no_anchor", s.ForbiddenPhrase(**{**FORBIDDEN.model_dump(), **ANCHORED}), "agent: 你好", {}),
    ("window.no_anchor", s.RegexCheck(**{**REGEX.model_dump(), **ANCHORED}), "agent: 你好", {}),
    ("phrase.found", greeting(), "agent: 很高兴为您服务", {}),
    ("phrase.outside_window", greeting(first_seconds=6), "[7.1-11] agent: 您好，很高兴为您服务", {}),
    ("phrase.missing", greeting(), "agent: 喂，你说", {}),
    ("forbidden.none", FORBIDDEN, "agent: 好的", {}),
    ("forbidden.found", FORBIDDEN, "agent: 这不归我管", {}),
    ("regex.matches", REGEX, "agent: 这个不行", {}),
    ("regex.found", REQUIRED_REGEX, "agent: 我的工号是一二三", {}),
    ("regex.not_found", REQUIRED_REGEX, "agent: 你好", {}),
    ("courtesy.no_speech", POLITE, "customer: 你好", {}),
    ("courtesy.per_utterance", POLITE, "agent: 请您稍等", {}),
    ("courtesy.per_minute", POLITE_PER_MINUTE, "[0-3] agent: 等一下", {}),
    ("speech_rate.no_speech", RATE, "customer: 你好", {"agent_speech_rate": None}),
    ("speech_rate.out_of_range", RATE, "agent: 你好", {"agent_speech_rate": 90.0}),
    ("speech_rate.within_range", RATE, "agent: 你好", {"agent_speech_rate": 250.0}),
    ("dead_air.summary", DEAD_AIR, "[1-3] agent: 您说\n[3.2-4] customer: 十二号楼\n[16-18] agent: 嗯", {}),
    ("interruption.count", INTERRUPTION, "[0-5] customer: 坏了\n[4-7] agent: 那是快递的问题", {}),
    ("latency.no_turns", LATENCY, "[0-2] agent: 您好", {}),
    ("latency.summary", LATENCY, "[0-2] customer: 你好\n[9-10] agent: 您好", {}),
    ("loudness.not_measured", LOUDNESS, "agent: 你好", {}),
    ("loudness.levels", LOUDNESS, "agent: 你好", {"loudness_dbfs": {"agent": {"p95": -3.0}}}),
    ("apology.no_complaint", APOLOGY, "agent: 您好\ncustomer: 我想查一下订单", {}),
    ("apology.found", APOLOGY, "customer: 少了两个碗\nagent: 非常抱歉", {}),
    ("apology.missing", APOLOGY, "customer: 少了两个碗\nagent: 订单号多少\nagent: 我看一下", {}),
    ("resolution.follow_up", RESOLUTION, "agent: 我们会在二十四小时内给您回复", {}),
    ("resolution.resolved", RESOLUTION, "agent: 已经为您处理好了", {}),
    ("resolution.no_deadline", RESOLUTION, "agent: 我们会给您回复的", {}),
    ("resolution.unresolved", RESOLUTION, "agent: 好的", {}),
    ("pii.none", PII, "agent: 好的", {}),
    ("pii.read_out", PII, ID_CARD, {}),
]
LANGUAGE = [
    ("language.not_identified", [None, None]),
    ("language.expected", [("zh", 0.99), ("zh", 0.97)]),
    ("language.other", [("zh", 0.99), ("yue", 0.91)]),
    ("language.unsure", [("my", 0.35), ("ja", 0.40)]),
]


@pytest.mark.parametrize(("code", "check", "said", "metrics"), CASES, ids=[c[0] for c in CASES])
def test_each_path_of_each_check_kind_names_its_message(code, check, said, metrics):
    finding = run(check, said, **metrics)
    assert finding.detail_code == code, finding.detail
    well_formed(finding)


@pytest.mark.parametrize(("code", "ids"), LANGUAGE, ids=[c[0] for c in LANGUAGE])
def test_the_language_check_names_its_message(code, ids):
    finding = _identified(LANGUAGE_TEXT, ids[0], None, ids[1])
    assert finding.detail_code == code
    well_formed(finding)


def test_the_cases_cover_every_registered_code_and_every_check_kind():
    emitted = {c[0] for c in CASES} | {c[0] for c in LANGUAGE}
    assert emitted == set(DETAIL_CODES)
    from qa_service.scoring.checks import CHECKS

    assert {c[1].kind for c in CASES} | {"language"} == set(CHECKS)


def test_the_values_are_the_ones_the_english_detail_says():
    late = run(greeting(first_seconds=6), "[7.1-11] agent: 您好，很高兴为您服务")
    assert late.detail_params == {"phrase": "很高兴为您服务", "seconds": 7.1}
    assert late.detail == "'很高兴为您服务' said from 7.1 s, outside the window"  # unchanged
    promised = run(RESOLUTION, "agent: 我们会在二十四小时内给您回复")
    assert promised.detail_params == {"deadline": "二十四小时内"}
    pii = run(PII, ID_CARD)
    assert pii.detail_params == {"count": 1, "kinds": ["id_card"]}


def test_the_scored_json_carries_code_and_parameters_beside_the_detail(zh_rubric):
    call = dialogue(
        "[0.5-3] agent: 您好，很高兴为您服务\n[3.5-6] customer: 我的快递没到\n[6.5-9] agent: 好的，再见"
    )
    scored = score_to_dict(score_call(call, zh_rubric))
    for f in scored["findings"]:
        assert f["detail"] and f["detail_code"] in DETAIL_CODES, f
        assert set(f["detail_params"]) == set(DETAIL_CODES[f["detail_code"]])
