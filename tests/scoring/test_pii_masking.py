"""Personal numbers: found in digits or spoken numerals, masked everywhere, keeping the last 4."""

import pytest

from qa_service.scoring.dialogue import parse_dialogue
from qa_service.scoring.pii import find_pii, find_pii_en, mask_pii, mask_pii_en
from qa_service.scoring.redact import redact_analysis


@pytest.mark.parametrize(
    ("text", "kind", "digits"),
    [
        ("我的手机号是一三八，一二七六，四五零九。", "phone", "13812764509"),
        ("手机幺三八幺二七六四五零九", "phone", "13812764509"),
        ("电话13812764509", "phone", "13812764509"),
        ("身份证号一一零一零五一九九零零三零七一二三X", "id_card", "11010519900307123X"),
        ("卡号6222 0212 3456 7890 123", "bank_card", "6222021234567890123"),
    ],
)
def test_find_pii(text, kind, digits):
    [span] = find_pii(text)
    assert (span.type, span.digits) == (kind, digits)


@pytest.mark.parametrize(
    "text", ["订单号四七八二六六零一三九五二", "一共三百二十元", "二十四小时内", "12345"]
)
def test_other_numbers_are_not_pii(text):
    assert find_pii(text) == []


def test_a_phone_number_with_a_dropped_digit_counts_when_one_was_asked_for():
    damaged = "一八二六六三五一七八"  # ten digits
    assert find_pii(damaged) == []
    [span] = find_pii(damaged, phone_context=True)
    assert span.type == "phone"
    assert find_pii("二三四五六七八九零", phone_context=True) == []  # does not start like a mobile


def test_mask_keeps_the_last_four():
    assert mask_pii("手机一三八，一二七六，四五零九。") == "手机***，****，四五零九。"
    assert mask_pii("电话13812764509", keep_last=2) == "电话*********09"
    assert mask_pii("没有号码") == "没有号码"


def test_english_numbers_in_words_or_digits():
    said = "sure, it's three one two, five five five, zero one four seven."
    [span] = find_pii_en(said)
    assert (span.type, span.digits) == ("phone", "3125550147")
    assert mask_pii_en(said) == "sure, it's * * *, * * *, zero one four seven."
    assert mask_pii_en("call 312-555-0147") == "call ***-***-0147"
    assert find_pii_en("order two three five") == []
    assert find_pii_en("the card is 4111 1111 1111 1111")[0].type == "bank_card"


def test_redact_analysis_masks_every_text_and_lists_the_pii():
    data = parse_dialogue(
        "customer: 我的手机号是一三八一二七六四五零九\nagent: 好的，一三八一二七六四五零九，对吗", "zh"
    )
    masked, found = redact_analysis(data)
    assert [(p["type"], p["role"]) for p in found] == [("phone", "customer"), ("phone", "agent")]
    for utt in masked["utterances"]:
        assert "一三八一二七" not in utt["text"] and "一三八一二七" not in utt["text_normalized"]
        assert utt["text_normalized"].count("*") == 7
        assert "".join(w["text"] for w in utt["words"]).count("*") == 7
    assert data["utterances"][0]["text"].endswith("四五零九")  # the input is not modified


def test_rescoring_a_masked_analysis_keeps_the_disclosure_and_the_pii_spans(zh_rubric):
    from qa_service.config import Settings
    from qa_service.scoring.dialogue import parse_dialogue
    from qa_service.scoring.engine import score_analysis

    data = parse_dialogue(
        "agent: 您好，请问有什么可以帮您\ncustomer: 我查一下订单\nagent: 您的身份证号是一一零一零五一九九零零三零七一二三四\n",
        "zh",
    )
    first = score_analysis(data, Settings(), zh_rubric)
    assert "一二三四" in first["utterances"][2]["text"] and "零五一九" not in first["utterances"][2]["text"]
    again = score_analysis(first, Settings(), zh_rubric)
    status = {f["check_id"]: f["status"] for f in again["findings"]}
    assert status["pii_disclosure"] == "failed"
    assert again["pii"] == first["pii"] and [p["type"] for p in again["pii"]] == ["id_card"]
    clean = score_analysis(parse_dialogue("agent: 您好\n", "zh"), Settings(), zh_rubric)
    assert {f["check_id"]: f["status"] for f in clean["findings"]}["pii_disclosure"] == "passed"
