"""Every check kind: pass, fail, not applicable, window edges, with evidence."""

from __future__ import annotations

import dataclasses
import json

import pytest

from qa_service.scoring import schema as s
from qa_service.scoring.checks import CHECKS, Context, extract_deadline
from qa_service.scoring.findings import DETAIL_CODES, Finding
from qa_service.scoring.schema import load_rubric
from tests.conftest import ROOT
from tests.scoring.conftest import dialogue


def run(check: s._Check, text: str, language: str = "zh", ctx_hits: dict | None = None, **metrics) -> Finding:
    ctx = Context(call=dialogue(text, language, **metrics), low_prob=0.5)
    if ctx_hits:
        ctx.hits.update(ctx_hits)
    return well_formed(CHECKS[check.kind](check, ctx))  # type: ignore[attr-defined]


def well_formed(finding: Finding) -> Finding:
    """A registered message code with exactly its parameters, in values a stored result can hold."""
    assert finding.detail_code in DETAIL_CODES, finding
    assert set(finding.detail_params) == set(DETAIL_CODES[finding.detail_code]), finding
    assert json.loads(json.dumps(finding.detail_params, allow_nan=False)) == finding.detail_params
    return finding


def greeting(**window) -> s.RequiredPhrase:
    return s.RequiredPhrase(
        id="greeting",
        kind="required_phrase",
        category="c",
        points=10,
        phrases=["很高兴为您服务", "请问有什么可以帮您"],
        threshold=0.8,
        window=s.Window(**window) if window else None,
    )


def test_required_phrase_passes_with_evidence():
    f = run(
        greeting(first_seconds=6), "[0.5-4] agent: 您好，星河家居，很高兴为您服务！\n[5-7] customer: 你好"
    )
    assert f.status == "passed"
    [e] = f.evidence
    assert (e.role, e.matched, e.similarity) == ("agent", "很高兴为您服务", 1.0)
    assert 0.5 <= e.start < e.end <= 4.0
    assert not f.needs_review


def test_required_phrase_outside_the_time_window_fails_with_the_late_hit():
    f = run(greeting(first_seconds=6), "[0.5-2] customer: 喂？喂？\n[7.1-11] agent: 您好，很高兴为您服务")
    assert f.status == "failed"
    assert "7.1" in f.detail and f.evidence[0].start >= 7.1


def test_required_phrase_window_edge_is_inclusive():
    f = run(greeting(first_seconds=6), "[6.0-9] agent: 很高兴为您服务")
    assert f.status == "passed"


def test_required_phrase_missing_and_customer_words_do_not_count():
    f = run(greeting(), "agent: 喂，你说\ncustomer: 很高兴为您服务")
    assert f.status == "failed" and f.evidence == ()


def test_fuzzy_hit_on_shaky_words_needs_review():
    f = run(greeting(), "agent: 很高兴为你服务")
    assert f.status == "passed" and f.needs_review


def test_first_and_last_utterance_windows():
    closing = s.RequiredPhrase(
        id="closing",
        kind="required_phrase",
        category="c",
        points=5,
        phrases=["再见"],
        window=s.Window(last_utterances=1),
    )
    assert run(closing, "agent: 你好\nagent: 好的再见").status == "passed"
    assert run(closing, "agent: 再见\nagent: 好的").status == "failed"


def test_relative_window_needs_its_anchor():
    check = s.RequiredPhrase(
        id="thanks",
        kind="required_phrase",
        category="c",
        points=5,
        phrases=["谢谢"],
        window=s.Window(relative=s.RelativeWindow(check="greeting", position="after", utterances=1)),
    )
    text = "agent: 很高兴为您服务\nagent: 谢谢您"
    ctx_first = run(greeting(), text)
    assert ctx_first.status == "passed"
    from qa_service.scoring.matching import Stream, find

    call = dialogue(text)
    anchor = find(Stream(call.trusted("agent"), "zh"), "很高兴为您服务", 0.9)
    assert run(check, text, ctx_hits={"greeting": anchor}).status == "passed"
    assert run(check, text).status == "not_applicable"


def test_forbidden_phrase_reports_every_hit():
    check = s.ForbiddenPhrase(
        id="forbidden",
        kind="forbidden_phrase",
        category="c",
        points=10,
        severity="critical",
        phrases=["这不归我管", "不归我管", "爱买不买"],
    )
    f = run(check, "agent: 电梯是物业在管，这不归我管，您得找物业。\ncustomer: 什么？\nagent: 爱买不买。")
    assert f.status == "failed"
    assert [e.matched for e in f.evidence] == ["这不归我管", "爱买不买"]
    assert run(check, "agent: 好的，我马上帮您处理。").status == "passed"


def test_regex_with_exclusion():
    check = s.RegexCheck(id="rx", kind="regex", category="c", points=5, pattern="不行", exclude="不行的话")
    assert run(check, "agent: 这个不行。").status == "failed"
    assert run(check, "agent: 这个不行的话我再帮您问问。").status == "passed"
    required = s.RegexCheck(
        id="rx2", kind="regex", category="c", points=5, pattern=r"工号\S+", must_match=True
    )
    assert run(required, "agent: 我的工号是一二三").status == "passed"


def test_courtesy_per_utterance():
    check = s.Courtesy(
        id="polite",
        kind="courtesy",
        category="c",
        points=5,
        markers=["请", "您", "谢谢"],
        min_per_utterance=1,
    )
    assert run(check, "agent: 请您稍等\nagent: 谢谢您").status == "passed"
    f = run(check, "agent: 等一下\nagent: 好了")
    assert f.status == "failed" and f.data["count"] == 0


def test_speech_rate_bounds_and_na():
    check = s.SpeechRate(
        id="rate", kind="speech_rate", category="c", points=5, min_per_minute=150, max_per_minute=330
    )
    assert run(check, "agent: 你好", agent_speech_rate=250.0).status == "passed"
    assert run(check, "agent: 你好", agent_speech_rate=400.0).status == "failed"
    assert run(check, "customer: 你好", agent_speech_rate=None).status == "not_applicable"


def test_dead_air_excuses_an_announced_hold():
    check = s.DeadAir(
        id="dead_air",
        kind="dead_air",
        category="c",
        points=5,
        max_single_s=5,
        hold_phrases=["请您稍等"],
        hold_announce_within_s=5,
        max_hold_s=60,
    )
    held = "[1-3] agent: 好的，请您稍等，我帮您查询一下\n[3.2-3.6] customer: 好的\n[15-17] agent: 让您久等了"
    f = run(check, held)
    assert f.status == "passed"
    assert any(e.matched == "请您稍等" for e in f.evidence)
    silent = "[1-3] agent: 您说一下楼号\n[3.2-4] customer: 十二号楼\n[16-18] agent: 嗯"
    f = run(check, silent)
    assert f.status == "failed" and f.data["longest_s"] == pytest.approx(12.0)


def test_interruptions_by_role():
    check = s.Interruption(
        id="interruptions", kind="interruption", category="c", points=5, max_count=0, min_overlap_s=0.5
    )
    text = "[0-5] customer: 我跟你说这个东西坏了\n[4-7] agent: 那是快递公司的问题"
    assert run(check, text).status == "failed"
    assert run(check, "[0-5] customer: 坏了\n[5.5-7] agent: 非常抱歉").status == "passed"


def test_response_latency():
    check = s.ResponseLatency(
        id="lat", kind="response_latency", category="c", points=5, max_mean_s=2, max_s=5
    )
    assert run(check, "[0-2] customer: 你好\n[2.5-4] agent: 您好").status == "passed"
    assert run(check, "[0-2] customer: 你好\n[9-10] agent: 您好").status == "failed"
    assert run(check, "[0-2] agent: 您好").status == "not_applicable"


def test_loudness():
    check = s.Loudness(id="loud", kind="loudness", category="c", points=5, max_dbfs=-6)
    assert run(check, "agent: 你好", loudness_dbfs={"agent": {"p95": -3.0}}).status == "failed"
    assert run(check, "agent: 你好", loudness_dbfs={"agent": {"p95": -20.0}}).status == "passed"
    assert run(check, "agent: 你好").status == "not_applicable"


APOLOGY = s.ApologyAfterComplaint(
    id="apology_after_complaint",
    kind="apology_after_complaint",
    category="c",
    points=5,
    within_utterances=2,
    complaint_phrases=["少了", "太慢了"],
    apology_phrases=["非常抱歉", "对不起"],
)


def test_apology_after_complaint():
    ok = "agent: 您好\ncustomer: 打开一看少了两个碗\nagent: 非常抱歉给您带来不便"
    assert run(APOLOGY, ok).status == "passed"
    late = "agent: 您好\ncustomer: 少了两个碗\nagent: 订单号多少\nagent: 我看一下\nagent: 对不起"
    assert run(APOLOGY, late).status == "failed"
    assert run(APOLOGY, "agent: 您好\ncustomer: 我想查一下订单").status == "not_applicable"


RESOLUTION = s.Resolution(
    id="follow_up_commitment",
    kind="resolution",
    category="c",
    points=5,
    resolved_phrases=["已经为您处理好了"],
    follow_up_phrases=["给您回复", "联系您"],
)


@pytest.mark.parametrize(
    ("said", "status", "outcome"),
    [
        ("agent: 我们会在二十四小时内给您回复", "passed", "follow_up_promised"),
        ("agent: 明天下午三点前工程师会联系您", "passed", "follow_up_promised"),
        ("agent: 已经为您处理好了", "passed", "resolved"),
        ("agent: 我们会给您回复的", "failed", "unresolved"),
        ("agent: 好的", "failed", "unresolved"),
    ],
)
def test_resolution_outcomes(said, status, outcome):
    f = run(RESOLUTION, said)
    assert (f.status, f.data["outcome"]) == (status, outcome)


def _zh_resolution() -> s.Resolution:
    check = _zh_default("follow_up_commitment")
    assert isinstance(check, s.Resolution)
    return check


@pytest.mark.parametrize(
    ("said", "outcome"),
    [
        ("agent: 我马上转给项目部，今天下班前让项目经理给您回电话。", "follow_up_promised"),
        ("agent: 明天上午十点前，工程师会给您打电话。", "follow_up_promised"),
        # money arriving is no promise to get back to the customer
        ("agent: 您把银行卡号告诉我，我给您登记一下，三到五个工作日到账。", "unresolved"),
    ],
)
def test_zh_default_follow_up_is_someone_getting_back(said, outcome):
    assert run(_zh_resolution(), said).data["outcome"] == outcome


def _en_resolution() -> s.Resolution:
    rubric = load_rubric(ROOT / "rubric" / "en-US.default.yaml").rubric
    check = next(c for c in rubric.checks if c.id == "follow_up_commitment")
    assert isinstance(check, s.Resolution)
    return check


@pytest.mark.parametrize(
    ("said", "outcome"),
    [
        ("agent: We'll call you back within twenty four hours.", "follow_up_promised"),
        ("agent: Someone will text you a new slot by five o'clock today.", "follow_up_promised"),
        ("agent: The adjuster usually replies in a few days.", "unresolved"),  # nobody commits
        ("agent: You can call the main number tomorrow morning.", "unresolved"),
        ("agent: I'll get back to you.", "unresolved"),  # no deadline
    ],
)
def test_english_follow_up_needs_a_commitment_and_a_deadline(said, outcome):
    f = run(_en_resolution(), said, language="en")
    assert f.data["outcome"] == outcome


def _zh_default(check_id: str) -> s._Check:
    rubric = load_rubric(ROOT / "rubric" / "zh-CN.default.yaml").rubric
    return next(c for c in rubric.checks if c.id == check_id)


@pytest.mark.parametrize(
    ("said", "matched"),
    [
        ("agent: 缺货了，我们不补货了，钱会退给您。", ["我们不补货"]),  # named by the seed regulation
        ("agent: 我查了一下，是你自己操作错门。", ["你自己操作错"]),  # the particle misheard
        ("agent: 水放得够不够，你自己去看说明书。", ["你自己去看说明书"]),
        ("agent: 这款暂时缺货，工厂不再生产了。", []),  # the wording the regulation asks for
        ("agent: 您可以参考说明书第三页，我也给您讲一下。", []),
    ],
)
def test_zh_default_forbidden_expressions(said, matched):
    f = run(_zh_default("forbidden_expressions"), said)
    assert [e.matched for e in f.evidence] == matched
    assert f.status == ("failed" if matched else "passed")


@pytest.mark.parametrize(
    ("said", "asked"),
    [
        ("agent: 好的。请问还有什么可以帮您的吗？", True),
        ("agent: 已经处理好了，还有什么可以帮您吗？", True),
        ("agent: 您好，请问有什么可以帮您的吗？", False),  # the greeting, one character away
        ("agent: 您好，有什么可以帮您的？", False),
        ("agent: 你好，请问有什么可以帮您吗？", False),
    ],
)
def test_zh_default_confirm_other_questions_is_not_the_greeting(said, asked):
    f = run(_zh_default("confirm_other_questions"), said)
    assert (f.status == "passed") is asked


def test_zh_default_hears_a_complaint_about_an_unusable_product():
    f = run(
        _zh_default("apology_after_complaint"),
        "customer: 这两天煮饭老是夹生，根本没法吃。\nagent: 非常抱歉。",
    )
    assert f.status == "passed"
    assert f.evidence[0].matched == "根本没法"


@pytest.mark.parametrize(
    ("text", "deadline"),
    [
        ("我们会在二十四小时内给您回复", "二十四小时内"),
        ("两个工作日内处理", "两个工作日内"),
        ("明天下午三点前给您打电话", "明天下午三点前"),
        ("We will call you back within two business days", "within two business days"),
        ("we'll call you back within twenty four hours", "within twenty four hours"),
        ("you'll get an email by tonight", "by tonight"),
        ("we'll call you in the next 24 hours", "in the next 24 hours"),
        ("we'll text you a new slot by five o'clock today", "by five o'clock today"),
        ("I'll ring you back by 5pm", "by 5pm"),
        ("someone will call you tomorrow morning", "tomorrow morning"),
        ("I'll update you later today", "later today"),
        ("we'll email you before the end of the week", "before the end of the week"),
        ("we'll get back to you", None),
        ("at the moment I can't see it", None),
        ("稍后回复您", None),
    ],
)
def test_extract_deadline(text, deadline):
    assert extract_deadline(text) == deadline


def test_pii_disclosure():
    check = s.PiiDisclosure(id="pii_disclosure", kind="pii_disclosure", category="c", points=5)
    read_out = "agent: 您的身份证号是一一零一零五一九九零零三零七一二三四"
    f = run(check, read_out)
    assert f.status == "failed" and f.evidence[0].matched == "id_card"
    assert run(check, "agent: 您的手机号是一三八一二七六四五零九").status == "passed"  # phones are allowed
    assert (
        run(check, "customer: 我的卡号是六二二二零二一二三四五六七八九零一二").status == "passed"
    )  # customer


def _identified(text: str, *ids: tuple[str, float] | None) -> Finding:
    check = s.LanguageCheck(id="mandarin", kind="language", category="c", points=5, min_evidence=0.7)
    call = dialogue(text)
    utterances = tuple(
        dataclasses.replace(u, language_id=i) for u, i in zip(call.utterances, ids, strict=True)
    )
    return well_formed(
        CHECKS["language"](
            check, Context(call=dataclasses.replace(call, utterances=utterances), low_prob=0.5)
        )
    )


LANGUAGE_CASES = [
    # (language identified for the agent's two utterances, expected status)
    ([None, None], "not_applicable"),  # nothing identified: no evidence
    ([("zh", 0.99), ("zh", 0.97)], "passed"),
    ([("zh", 0.99), ("yue", 0.91)], "failed"),  # one confident Cantonese utterance
    ([("yue", 0.70), None], "failed"),  # the threshold is inclusive
    ([("my", 0.35), ("ja", 0.40)], "not_applicable"),  # only unsure guesses: weak evidence
    ([("zh", 0.95), ("my", 0.35)], "passed"),  # an unsure guess does not fail the call
]


@pytest.mark.parametrize(("ids", "status"), LANGUAGE_CASES)
def test_language_check(ids, status):
    agent_first, agent_second = ids
    f = _identified(
        "[0-3] agent: 您好\n[3-5] customer: 喂\n[5-9] agent: 我帮您查一下", agent_first, None, agent_second
    )
    assert f.status == status
    if status == "failed":
        assert {e.matched for e in f.evidence} == {"yue"} and all(e.role == "agent" for e in f.evidence)


def test_language_check_ignores_the_customer():
    f = _identified("[0-3] customer: 喂\n[3-5] agent: 您好", ("yue", 0.99), ("zh", 0.98))
    assert f.status == "passed"
