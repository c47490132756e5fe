"""Personal numbers: found in digits or spoken numerals, masked everywhere, keeping the last 4."""

import copy

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
        ("身份证编号是一一零一零五一九九零零三零七一二三X", "id_card", "11010519900307123X"),
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


@pytest.mark.parametrize(
    "text",
    [
        "订单号我看一下，一四七八，六六一，三九五二",  # a misheard order number that looks like a mobile
        "订单号码是一四七八六六一三九五二",
        "您的运单号是一二三四五六七八九零一二三四五六七八",  # 18 digits, not an ID card
    ],
)
def test_a_number_named_as_an_order_or_tracking_number_is_not_pii(text):
    assert find_pii(text) == []
    assert find_pii(text, asked="personal") == []


def test_labels_belong_to_the_number_they_precede():
    [span] = find_pii("订单号是一二三四五，手机是一三八一二七六四五零九")
    assert span.digits == "13812764509"
    assert find_pii_en("my order number is three one two five five five zero one four seven") == []
    assert find_pii_en("the tracking number, one moment, is 3125550147") == []
    [span] = find_pii_en(
        "order number one two three, and my phone is three one two five five five zero one four"
    )
    assert span.type == "phone"  # nine digits: a damaged phone, as the speaker said


def test_the_question_decides_what_a_damaged_bare_number_is():
    asked_order = parse_dialogue("agent: 请您提供一下订单号。\ncustomer: 一八二六六三五一七八。", "zh")
    assert redact_analysis(asked_order)[1] == []
    whole = parse_dialogue("agent: 请您提供一下订单号。\ncustomer: 一四七八，六六一，三九五二。", "zh")
    assert [p["type"] for p in redact_analysis(whole)[1]] == ["phone"]  # unnamed: masked to be safe
    asked_phone = parse_dialogue("agent: 请问您的手机号码是多少？\ncustomer: 一八二六六三五一七八。", "zh")
    assert [p["type"] for p in redact_analysis(asked_phone)[1]] == ["phone"]  # ten digits, one lost


def test_a_phone_number_with_a_dropped_digit_counts_when_one_was_asked_for():
    damaged = "一八二六六三五一七八"  # ten digits
    assert find_pii(damaged) == []
    [span] = find_pii(damaged, asked="personal")
    assert span.type == "phone"
    assert find_pii("二三四五六七八九零", asked="personal") == []  # does not start like a mobile


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


@pytest.mark.parametrize(
    ("said", "masked"),
    [
        # five heard as "time" on telephone audio, inside a number of plain digit words
        (
            "my phone number is four one time, time, time, time, zero one six three",
            "my phone number is * * *, *, *, *, zero one six three",
        ),
        (  # homophones
            "it's three one two, won two free, zero one for seven, thanks",
            "it's * * *, * * *, zero one for seven, thanks",
        ),
        ("the number is time time time", None),  # no digit word vouches for the sound-alikes
        ("matt's free one, too. time, time, time. mirror one for heaven", None),  # mostly sound-alikes
        ("it takes two to three days, one time for free", None),
    ],
)
def test_english_digits_misheard_as_words_still_make_a_number(said, masked):
    assert [s.type for s in find_pii_en(said)] == (["phone"] if masked else [])
    assert mask_pii_en(said) == (masked or said)


def test_redact_analysis_masks_every_text_and_lists_the_pii():
    data = parse_dialogue(
        "customer: 我的手机号是一三八一二七六四五零九\nagent: 好的，一三八一二七六四五零九，对吗", "zh"
    )
    before = copy.deepcopy(data)
    masked, found = redact_analysis(data)
    assert data == before  # the input is not modified: its words and texts still show the number
    assert [(p["type"], p["role"]) for p in found] == [("phone", "customer"), ("phone", "agent")]
    for utt in masked["utterances"]:
        assert "一三八一二七" not in utt["text"] and "一三八一二七" not in utt["text_normalized"]
        assert utt["text_normalized"].count("*") == 7
        assert "".join(w["text"] for w in utt["words"]).count("*") == 7


@pytest.mark.parametrize(
    ("said", "language", "kept", "masked_words"),
    [
        ("customer: 我看一下，手机是一三八一二七六四五零九", "zh", "我看一下，手机是", 7),
        (
            "customer: one moment, it's three one two five five five zero one four seven",
            "en",
            " one moment,",
            6,
        ),
    ],
)
def test_only_the_words_of_the_number_are_masked_and_timed(said, language, kept, masked_words):
    data = parse_dialogue(said, language)
    masked, [pii] = redact_analysis(data)
    words = masked["utterances"][0]["words"]
    assert "".join(w["text"] for w in words).startswith(kept)  # 一下 and "one moment" are no number
    assert sum("*" in w["text"] for w in words) == masked_words
    number = [w for w in data["utterances"][0]["words"] if w["start"] >= pii["start"]]
    assert pii["end"] == words[-1]["end"] and len(number) == masked_words + 4


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


def test_english_evidence_is_masked_like_the_transcript():
    from qa_service.config import Settings
    from qa_service.scoring.engine import score_analysis
    from qa_service.scoring.schema import load_rubric
    from tests.conftest import ROOT

    card = "four five three two seven seven one eight zero six two nine three three five one"
    data = parse_dialogue(
        f"customer: my card is {card}\nagent: thank you, that is {card}, anything else I can help with?",
        "en",
    )
    out = score_analysis(data, Settings(), load_rubric(ROOT / "rubric" / "en-US.default.yaml"))
    evidence = [e for f in out["findings"] for e in f["evidence"]]
    assert {f["check_id"]: f["status"] for f in out["findings"]}["pii_disclosure"] == "failed"
    assert evidence and all("four five three two" not in e["text"] for e in evidence)
    assert any(e["text"].endswith("three three five one, anything else i can help with?") for e in evidence)
    for utt in out["utterances"]:
        assert "four five three two" not in "".join(w["text"] for w in utt["words"])


def test_a_result_stored_unmasked_is_shown_masked_without_changing_what_is_stored():
    from qa_service.config import PiiSettings, Settings
    from qa_service.scoring.engine import masked_result, score_analysis
    from qa_service.scoring.schema import load_rubric
    from tests.conftest import ROOT

    card = "four five three two seven seven one eight zero six two nine three three five one"
    data = parse_dialogue(f"customer: my card is {card}\nagent: thank you, that is {card}", "en")
    rubric = load_rubric(ROOT / "rubric" / "en-US.default.yaml")
    stored = score_analysis(data, Settings(pii=PiiSettings(mask=False)), rubric)
    before = copy.deepcopy(stored)
    shown = masked_result(stored, keep_last=4)
    assert stored == before
    texts = [u["text"] for u in shown["utterances"]] + [
        e["text"] for f in shown["findings"] for e in f["evidence"]
    ]
    assert any(
        e["text"].startswith("thank you, that is four five")
        for f in stored["findings"]
        for e in f["evidence"]
    )
    assert texts and all("four five three two" not in t for t in texts)
    assert any(t.endswith("three three five one") for t in texts)
