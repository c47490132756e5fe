"""Phrase matching on normalised text, in characters and pinyin, across utterance boundaries."""

import pytest

from qa_service.scoring.matching import Stream, find
from tests.scoring.conftest import dialogue


def stream(text: str, role: str = "agent", language: str = "zh") -> Stream:
    call = dialogue(text, language)
    return Stream(call.trusted(role), language)


@pytest.mark.parametrize(
    ("phrase", "said", "threshold", "matched"),
    [
        ("您好", "您好，请讲", 0.8, "您好"),
        ("您好", "你好，请讲", 0.8, "你好"),  # near sound
        ("很高兴为您服务", "很高兴为你服务", 0.9, "很高兴为你服务"),
        ("再见", "好的，在见", 0.9, "在见"),  # homophone
        ("请问还有其他问题吗", "請問還有其它問題嗎？", 0.9, "请问还有其它问题吗"),  # traditional script
        ("订单号", "您的订单好是多少", 0.9, "订单好"),
        ("不归我管", "这个就不归我馆了", 0.9, "不归我馆"),
    ],
)
def test_fuzzy_hits(phrase, said, threshold, matched):
    [hit] = find(stream(f"agent: {said}"), phrase, threshold)
    assert hit.matched == matched
    assert threshold <= hit.similarity <= 1.0


@pytest.mark.parametrize(
    ("phrase", "said", "threshold"),
    [
        ("感谢您的来电", "感谢您的耐心", 0.85),
        ("很高兴为您服务", "今天天气很好", 0.5),
        ("这不归我管", "这个归我们管", 0.85),
        ("投诉", "我头疼", 0.8),
    ],
)
def test_near_misses_do_not_match(phrase, said, threshold):
    assert find(stream(f"agent: {said}"), phrase, threshold) == []


def test_exact_hit_has_similarity_one_and_homophones_slightly_less():
    [exact] = find(stream("agent: 再见"), "再见", 0.9)
    [homophone] = find(stream("agent: 在见"), "再见", 0.9)
    assert exact.similarity == 1.0
    assert homophone.similarity < 1.0


def test_matches_span_consecutive_utterances_of_one_role():
    s = stream("[0-2] agent: 您好，很高兴为\n[2.5-3] customer: 嗯\n[3.2-4] agent: 您服务。")
    [hit] = find(s, "很高兴为您服务", 0.95)
    assert hit.utterances == (0, 2)
    assert hit.start == pytest.approx(0.857, abs=0.01)
    assert hit.end == pytest.approx(3.8, abs=0.01)  # 务 is the third of four pieces (。 last) of 3.2-4.0
    assert all(p == 1.0 for p in hit.word_probs)


def test_every_hit_is_found_when_asked():
    s = stream("agent: 不知道，不知道，我真的不知道")
    assert len(find(s, "不知道", 0.95, all_hits=True)) == 3
    assert len(find(s, "不知道", 0.95)) == 1


def test_english_is_case_and_punctuation_insensitive_and_token_fuzzy():
    s = stream("agent: Thank you for calling! How may I help you today?", language="en")
    [hit] = find(s, "how may i help you", 0.9)
    assert hit.matched == "how may i help you"
    [fuzzy] = find(s, "how can I help you", 0.8)
    assert fuzzy.similarity < 1.0
    assert find(s, "goodbye", 0.8) == []


def test_the_cheap_bound_never_undercuts_the_weighted_syllable_similarity():
    # Windows are skipped on the bound alone: were it ever below the real score, a hit could be lost.
    import random

    from qa_service.scoring.matching import _Similarity

    rng = random.Random(7)
    alphabet = "您你好号在再见间是四十时知资请情问文还换有又其齐他它题提吗嘛了呢发哈让浪应因找早行长还得"
    for _ in range(2000):
        target = "".join(rng.choices(alphabet, k=rng.randint(2, 9)))
        window = "".join(rng.choices(alphabet, k=max(1, len(target) + rng.randint(-1, 1))))
        similarity = _Similarity(target, window, "zh")
        assert similarity.upper >= similarity.exact() - 1e-9


def test_a_phrase_heard_with_folded_sounds_throughout_still_matches():
    # zhi/zi, shi/si, si/shi: three near sounds in four syllables, each costing 0.1, not 1.
    [hit] = find(stream("agent: 好的，资道四是"), "知道是四", 0.9)
    assert hit.matched == "资道四是"
    assert 0.9 <= hit.similarity < 0.91
