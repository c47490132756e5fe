"""Findings, check kinds, flag reasons and typed errors in the reader's language: every message
code the checks emit has its sentence in both catalogues, the call page says each finding in
Chinese (English on request), results stored before codes show their English detail, and errors
shown by the console are said by their code with the English detail beneath."""

from __future__ import annotations

import html
import re
import string
import typing
from typing import Any

import pytest
from sqlalchemy.orm.attributes import flag_modified

import api.app  # noqa: F401  (imports every module that defines a typed error)
from api.console import i18n
from qa_service.db.session import session_scope
from qa_service.db.tables import Call
from qa_service.errors import QAError
from qa_service.reviews.queue import _PRIORITY
from qa_service.scoring.checks import CHECKS
from qa_service.scoring.findings import DETAIL_CODES
from qa_service.scoring.pii import PiiType
from tests.console.conftest import scored_call, signed_in

LANGUAGES = i18n.LANGUAGES
# Values of each parameter's type, to prove every sentence can be said.
SAMPLE: dict[str, Any] = {
    "phrase": "很高兴为您服务",
    "seconds": 8.2,
    "count": 2,
    "rate": 0.5,
    "needed": 1.0,
    "rates": [{"role": "agent", "rate": 412.0}, {"role": "customer", "rate": 95.5}],
    "min": 150.0,
    "max": None,
    "longest_s": 12.0,
    "total_s": 14.5,
    "holds": 1,
    "allowed": 0,
    "mean_s": 1.2,
    "max_s": 6.0,
    "levels": [{"role": "agent", "dbfs": -3.2}],
    "limit": -6.0,
    "within": 2,
    "deadline": "两个工作日内",
    "kinds": ["id_card", "bank_card"],
    "judged": 3,
    "language": "zh",
}


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_code_has_a_sentence_in_each_catalogue(language):
    own = i18n.catalogue(language)
    for code, params in DETAIL_CODES.items():
        sentence = own.get(f"detail.{code}")
        assert sentence, (language, code)
        assert _placeholders(sentence) <= set(params), (language, code, sentence)
        finding = {"detail": "ENGLISH", "detail_code": code, "detail_params": {p: SAMPLE[p] for p in params}}
        said = i18n.finding_detail(language, finding)
        assert said != "ENGLISH" and "{" not in said, (code, said)
    for name in ("rates", "levels"):  # lists of per-role values have an item sentence
        assert own.get(f"detail.item.{name}"), name
    assert {f"pii.{kind}" for kind in typing.get_args(PiiType)} <= set(own)


@pytest.mark.parametrize("language", LANGUAGES)
def test_check_kinds_statuses_and_flag_reasons_are_translated(language):
    own = i18n.catalogue(language)
    assert {f"kind.{kind}" for kind in CHECKS} <= set(own)
    assert {
        f"finding.{s}" for s in ("passed", "failed", "not_applicable", "critical", "needs_review")
    } <= set(own)
    assert {f"reason.{r}" for r in _PRIORITY} | {"reason.below_threshold"} <= set(own)


def _error_codes() -> set[str]:
    codes, pending = set(), [QAError]
    while pending:
        kind = pending.pop()
        codes.add(kind.code)
        pending += kind.__subclasses__()
    # The API's own codes (api/errors.py), which the review script shows.
    return codes | {"invalid_request", "internal_error", "http_error", "method_not_allowed"}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_typed_error_code_has_a_message(language):
    codes = _error_codes()
    assert {"conflict", "invalid_rubric", "locked_out", "malformed_upload"} <= codes
    missing = {c for c in codes if i18n.error_message(language, c) is None}
    assert missing == set()
    assert set(i18n.script_strings(language)) >= {f"errcode.{c}" for c in codes}


def test_sentences_fill_translated_values_and_fall_back_to_the_english_detail():
    speech = {
        "detail": "agent 412/min (allowed 150-inf)",
        "detail_code": "speech_rate.out_of_range",
        "detail_params": {"rates": [{"role": "agent", "rate": 412.0}], "min": 150.0, "max": None},
    }
    assert i18n.finding_detail("zh-CN", speech) == "语速超出范围：坐席 412/分钟（允许每分钟 150–∞）"
    pii = {
        "detail": "x",
        "detail_code": "pii.read_out",
        "detail_params": {"count": 2, "kinds": ["phone", "id_card"]},
    }
    assert i18n.finding_detail("zh-CN", pii) == "完整读出 2 个个人号码：手机号、身份证号"
    assert i18n.finding_detail("en", pii) == "2 full number(s) read out: mobile number, ID-card number"
    old = {"detail": "none of the phrases was said"}  # stored before codes
    assert i18n.finding_detail("zh-CN", old) == "none of the phrases was said"
    unknown = {"detail": "something new", "detail_code": "brand.new", "detail_params": {}}
    assert i18n.finding_detail("zh-CN", unknown) == "something new"
    broken = {"detail": "mean 1.0 s", "detail_code": "latency.summary", "detail_params": {"mean_s": "?"}}
    assert i18n.finding_detail("zh-CN", broken) == "mean 1.0 s"
    assert i18n.error_message("zh-CN", "conflict") and i18n.error_message("zh-CN", "no_such_code") is None
    assert i18n.error_message("zh-CN", "../x") is None


def _page_text(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", re.sub(r"<script.*?</script>", "", page, flags=re.S)))


def _stored_findings(settings, call_id: str) -> list[dict[str, Any]]:
    with session_scope(settings.db_url) as session:
        call = session.get(Call, call_id)
        assert call is not None and call.result is not None
        return list(call.result["findings"])


def test_the_call_page_says_every_finding_in_chinese_and_in_english_on_request(client, settings, people):
    call_id = scored_call(client, settings)
    findings = _stored_findings(settings, call_id)
    assert all(f.get("detail_code") for f in findings)
    signed_in(client, "li")
    text = _page_text(client.get(f"/calls/{call_id}").text)
    for f in findings:
        assert i18n.finding_detail("zh-CN", f) in text, f
        assert f["detail"] not in text, f  # no English sentence in the Chinese page
    assert "发现 1 处禁语" in text and "禁语" in text and "必说话术" in text
    assert "forbidden expression" not in text

    client.get("/lang?to=en")
    text = _page_text(client.get(f"/calls/{call_id}").text)
    for f in findings:
        assert i18n.finding_detail("en", f) in text, f
    assert "1 forbidden expression(s)" in text and "发现 1 处禁语" not in text


def test_a_result_stored_before_message_codes_shows_its_english_detail(client, settings, people):
    call_id = scored_call(client, settings)
    with session_scope(settings.db_url) as session:
        call = session.get(Call, call_id)
        assert call is not None and call.result is not None
        result = dict(call.result)
        result["findings"] = [
            {k: v for k, v in f.items() if k not in ("detail_code", "detail_params")}
            for f in result["findings"]
        ]
        call.result = result
        flag_modified(call, "result")
    findings = _stored_findings(settings, call_id)
    assert not any("detail_code" in f for f in findings)
    signed_in(client, "li")
    page = client.get(f"/calls/{call_id}")
    assert page.status_code == 200
    text = _page_text(page.text)
    for f in findings:
        assert f["detail"] in text, f
    assert '<p class="detail" lang="en">1 forbidden expression(s)</p>' in page.text


def test_errors_are_said_by_their_code_with_the_english_detail_beneath(client, settings, people):
    call_id = scored_call(client, settings)
    csrf = signed_in(client, "wang")
    refused = client.post(
        f"/calls/{call_id}/disputes", data={"csrf_token": csrf, "check_id": "no_such_check", "reason": "r"}
    )
    assert refused.status_code == 303
    page = client.get(f"/calls/{call_id}").text
    flash = re.search(r'<p class="flash flash-error"[^>]*>(.*?)</p>', page, flags=re.S)
    assert flash, page
    assert "无法提交申诉: 提交的内容有误" in flash.group(1)
    assert (
        '<span class="muted error-detail" lang="en">the call has no finding &#39;no_such_check&#39;</span>'
        in flash.group(1)
    )

    missing = client.get("/rubrics/zh-CN.default/9")
    assert missing.status_code == 404
    assert "没有这个质检标准版本: 找不到对象" in missing.text
    assert '<p class="muted error-detail" lang="en">no rubric zh-CN.default version 9</p>' in missing.text

    client.get("/lang?to=en")
    missing = client.get("/rubrics/zh-CN.default/9")
    assert "not found" in missing.text and "找不到对象" not in missing.text
