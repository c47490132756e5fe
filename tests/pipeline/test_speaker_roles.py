"""Roles from evidence on constructed transcripts (no models), and the stereo channel-map check."""

import pytest

from qa_service.backends.base import Diarization, SpeakerTurn
from qa_service.config import PacingSettings
from qa_service.pipeline.diarize import mono_transcript, word_speaker
from qa_service.pipeline.speaker_roles import (
    RoleEvidence,
    assign_speaker_roles,
    check_channel_map,
)
from qa_service.scoring.schema import load_rubric
from qa_service.transcript import ChannelTranscript, Segment, Span, Utterance, Word


@pytest.fixture(scope="module")
def zh_evidence(settings):
    return RoleEvidence.from_rubric(load_rubric(settings.rubric_dir / "zh-CN.default.yaml").rubric, "zh")


@pytest.fixture(scope="module")
def en_evidence(settings):
    return RoleEvidence.from_rubric(load_rubric(settings.rubric_dir / "en-US.default.yaml").rubric, "en")


def utt(speaker, start, end, text, role="customer", language="zh"):
    return Utterance(role, speaker, start, end, text, text, (), -0.2, language)


def test_evidence_comes_from_the_active_rubric(zh_evidence):
    phrases = dict(zh_evidence.agent_phrases)
    assert "很高兴为您服务" in phrases and "感谢您的来电" in phrases and "非常抱歉" in phrases
    assert "您" in zh_evidence.courtesy_markers


def test_a_customer_who_says_ninhao_first_is_still_the_customer(zh_evidence):
    dialogue = [
        utt("SPEAKER_00", 0.5, 1.2, "您好？"),
        utt("SPEAKER_01", 1.5, 5.0, "您好，星河家居客服中心，很高兴为您服务，请问有什么可以帮您？"),
        utt("SPEAKER_00", 5.5, 9.0, "您好，我上周在你们店买的沙发到现在还没到。"),
        utt("SPEAKER_01", 9.5, 13.0, "非常抱歉，请您提供一下订单号，我帮您查询一下。"),
        utt("SPEAKER_00", 13.5, 15.0, "好的，谢谢。"),
        utt("SPEAKER_01", 15.5, 18.0, "感谢您的来电，祝您生活愉快，再见。"),
    ]
    result = assign_speaker_roles(dialogue, ["SPEAKER_00", "SPEAKER_01"], zh_evidence)
    assert result.method == "evidence"
    assert result.roles == {"SPEAKER_00": "customer", "SPEAKER_01": "agent"}
    assert result.confidence > 0.9
    assert result.evidence["SPEAKER_00"].features["speaks_first"] == 1.0


def test_an_agent_without_greeting_is_found_by_service_language(zh_evidence):
    dialogue = [
        utt("A", 0.5, 1.5, "喂，你说。"),
        utt("B", 2.0, 6.0, "我买的那个冰箱一直不制冷，你们怎么回事？"),
        utt("A", 6.5, 9.0, "订单号给我，我给您查一下。"),
        utt("B", 9.5, 11.0, "我的订单号是一二三四。"),
    ]
    result = assign_speaker_roles(dialogue, ["A", "B"], zh_evidence)
    assert result.roles == {"A": "agent", "B": "customer"}
    assert 0.5 < result.confidence < 1.0


def test_english_roles(en_evidence):
    dialogue = [
        utt("SPEAKER_00", 0, 3, "hello?", language="en"),
        utt(
            "SPEAKER_01",
            3,
            7,
            "thank you for calling acme support, my name is sam, how can i help you today?",
            language="en",
        ),
        utt("SPEAKER_00", 7, 10, "hi, my order never arrived and i want a refund", language="en"),
    ]
    en_utts = [u for u in dialogue]
    result = assign_speaker_roles(en_utts, ["SPEAKER_00", "SPEAKER_01"], en_evidence)
    assert result.roles["SPEAKER_01"] == "agent"
    assert result.confidence > 0.9


def test_a_curt_english_agent_without_greeting_is_found_by_service_language(en_evidence):
    """A rude agent says none of the rubric's courtesy phrases; the procedure talk gives them away."""
    dialogue = [
        utt("A", 0.5, 1.3, "yeah, what?", language="en"),
        utt(
            "B",
            1.8,
            9.0,
            "hi, i've been waiting all day for a delivery and you say nobody was home",
            language="en",
        ),
        utt("A", 9.5, 10.5, "tracking number?", language="en"),
        utt("B", 11.0, 13.0, "it's four four one eight", language="en"),
        utt(
            "A",
            13.5,
            16.0,
            "well, that's what the system says. you can book a redelivery online.",
            language="en",
        ),
        utt("B", 16.5, 19.0, "why should i pay? this is ridiculous.", language="en"),
        utt(
            "A", 19.5, 22.0, "that's not our problem, you'd have to take it up with the depot.", language="en"
        ),
    ]
    result = assign_speaker_roles(dialogue, ["A", "B"], en_evidence)
    assert result.roles == {"A": "agent", "B": "customer"}
    assert result.confidence > 0.8


def test_no_evidence_gives_low_confidence(zh_evidence):
    dialogue = [utt("A", 0, 1, "嗯。"), utt("B", 1.5, 2.5, "嗯。")]
    result = assign_speaker_roles(dialogue, ["A", "B"], zh_evidence)
    assert result.confidence < 0.6  # -> needs_review: role_uncertain in the pipeline


def test_uploader_metadata_forces_roles(zh_evidence):
    dialogue = [utt("A", 0, 3, "您好，客服中心，很高兴为您服务。"), utt("B", 3.5, 5, "我的快递没到。")]
    result = assign_speaker_roles(dialogue, ["A", "B"], zh_evidence, forced={"B": "agent"})
    assert result.method == "metadata" and result.confidence == 1.0
    assert result.roles == {"A": "customer", "B": "agent"}


def test_channel_map_check_warns_when_the_agent_channel_sounds_like_the_customer(zh_evidence):
    swapped = [
        utt(
            "channel_0",
            0,
            3,
            "您好，欢迎致电优选生鲜客服中心，很高兴为您服务，请问有什么可以帮您？",
            role="customer",
        ),
        utt("channel_1", 3.5, 7, "我买的橙子坏了一半，你们怎么回事？", role="agent"),
        utt("channel_0", 7.5, 10, "非常抱歉，给您带来不便，我帮您登记退款。", role="customer"),
    ]
    result = check_channel_map(swapped, zh_evidence)
    assert result.method == "channel_map" and result.roles["channel_1"] == "agent"
    assert "agent_channel_looks_like_customer" in result.warnings
    right = [
        utt(u.speaker, u.start, u.end, u.text, role="agent" if u.role == "customer" else "customer")
        for u in swapped
    ]
    assert check_channel_map(right, zh_evidence).warnings == ()


def w(start, end, text):
    return Word(start, end, text, 0.9)


def test_words_go_to_the_speaker_they_overlap_most():
    exclusive = (SpeakerTurn(0.0, 2.0, "SPEAKER_00"), SpeakerTurn(2.0, 4.0, "SPEAKER_01"))
    assert word_speaker(w(1.5, 2.2, "好"), exclusive) == "SPEAKER_00"
    assert word_speaker(w(1.9, 2.6, "的"), exclusive) == "SPEAKER_01"
    assert word_speaker(w(4.3, 4.5, "吗"), exclusive) == "SPEAKER_01"  # nearest turn
    assert word_speaker(w(0.1, 0.2, "x"), ()) is None


def test_mono_transcript_splits_one_segment_between_speakers_and_keeps_overtalk(zh_evidence):
    words = (
        w(0.5, 1.0, "您好，"),
        w(1.0, 2.0, "客服中心，"),
        w(2.0, 3.0, "很高兴为您服务。"),
        w(3.6, 4.4, "我的快递没到。"),
    )
    segment = Segment(0.5, 4.4, "".join(x.text for x in words), words, -0.2, 1.2, 0.01, 1.0, "zh", 0.99)
    channel = ChannelTranscript(0, (Span(0.5, 4.4),), (segment,))
    diarization = Diarization(
        turns=(SpeakerTurn(0.5, 3.4, "SPEAKER_00"), SpeakerTurn(3.0, 4.4, "SPEAKER_01")),
        exclusive=(SpeakerTurn(0.5, 3.2, "SPEAKER_00"), SpeakerTurn(3.2, 4.4, "SPEAKER_01")),
        speakers=("SPEAKER_00", "SPEAKER_01"),
    )
    transcript, roles = mono_transcript(channel, diarization, "zh", PacingSettings(), zh_evidence)
    assert transcript.layout == "mono"
    assert [(u.speaker, u.role) for u in transcript.utterances] == [
        ("SPEAKER_00", "agent"),
        ("SPEAKER_01", "customer"),
    ]
    assert transcript.utterances[1].text == "我的快递没到。"
    assert all(u.role_confidence == roles.confidence for u in transcript.utterances)
    # overlapping speech stays with both speakers (interruption evidence), not in solo speech
    assert transcript.speech["agent"] == (Span(0.5, 3.4),)
    assert transcript.speech["customer"] == (Span(3.0, 4.4),)
    assert transcript.solo_speech["customer"] == (Span(3.4, 4.4),)
