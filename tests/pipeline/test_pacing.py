"""Exact unit tests for every pacing metric on constructed transcripts."""

import numpy as np
import pytest

from qa_service.audio import SAMPLE_RATE, Recording
from qa_service.config import PacingSettings
from qa_service.pipeline.pacing import (
    find_dead_air,
    find_interruptions,
    measure_loudness,
    measure_pacing,
    response_latency,
)
from qa_service.pipeline.speech import group_turns
from qa_service.transcript import Span, Transcript, Utterance


def spans(*pairs):
    return tuple(Span(a, b) for a, b in pairs)


def utt(role, start, end, text, suspect=None):
    return Utterance(
        role, f"channel_{0 if role == 'agent' else 1}", start, end, text, text, (), -0.2, "zh", suspect
    )


def test_group_turns_merges_short_pauses_only():
    assert group_turns(spans((0, 1), (1.5, 2), (3.2, 4)), max_pause=1.0) == [Span(0, 2), Span(3.2, 4)]
    assert group_turns(spans((0, 10), (10.5, 20), (20.5, 30)), 1.0, max_length=25) == [
        Span(0, 20),
        Span(20.5, 30),
    ]


def test_dead_air_counts_only_gaps_between_speech_of_either_party():
    speech = {"agent": spans((6.0, 10.0), (25.0, 30.0)), "customer": spans((11.0, 14.0), (19.5, 21.0))}
    # silence before the first word is not dead air; 14.0-19.5 (5.5 s) is; 21-25 (4 s) is not
    assert find_dead_air(speech, 5.0) == [Span(14.0, 19.5)]
    assert find_dead_air(speech, 3.9) == [Span(14.0, 19.5), Span(21.0, 25.0)]


def test_dead_air_threshold_is_inclusive():
    speech = {"agent": spans((0, 1), (6, 7)), "customer": ()}
    assert find_dead_air(speech, 5.0) == [Span(1, 6)]


def test_interruption_needs_a_running_turn_and_enough_overlap():
    speech = {
        "agent": spans((0.0, 5.0), (10.0, 14.0)),
        "customer": spans((4.2, 8.0), (13.8, 16.0)),
    }
    turns = {r: group_turns(s, 1.0) for r, s in speech.items()}
    found = find_interruptions(turns, speech, 0.5)
    # customer starts at 4.2 while the agent speaks until 5.0: 0.8 s overlap; at 13.8 only 0.2 s
    assert [(i.by, i.start, round(i.overlap_s, 3)) for i in found] == [("customer", 4.2, 0.8)]


def test_interruption_overlap_ignores_pauses_inside_the_running_turn():
    # The agent pauses 4.0-4.8 inside one turn; the customer talks 4.1-5.4: both at once only 4.8-5.0.
    speech = {
        "agent": spans((0.0, 4.0), (4.8, 5.0)),
        "customer": spans(
            (4.1, 5.4),
        ),
    }
    turns = {r: group_turns(s, 1.0) for r, s in speech.items()}
    assert find_interruptions(turns, speech, 0.5) == []
    found = find_interruptions(turns, speech, 0.1)
    assert len(found) == 1 and found[0].overlap_s == pytest.approx(0.2)


def test_response_latency_mean_and_max():
    customer = [Span(2, 5), Span(9, 12), Span(20, 22)]
    agent = [Span(5.5, 8), Span(14, 18), Span(21.5, 25)]  # the last answer overlaps: not a latency
    lat = response_latency(customer, agent)
    assert lat.count == 2
    assert lat.mean_s == pytest.approx(1.25)
    assert lat.max_s == pytest.approx(2.0)


def test_response_latency_skips_customer_turns_followed_by_more_customer_speech():
    lat = response_latency([Span(0, 1), Span(3, 4)], [Span(4.5, 6)])
    assert (lat.count, lat.mean_s) == (1, pytest.approx(0.5))


def _recording(left, right):
    return Recording(
        samples=np.stack([left, right]).astype(np.float32),
        source_sample_rate=8000,
        codec="pcm",
        container="wav",
    )


def test_loudness_of_a_known_sine():
    t = np.arange(2 * SAMPLE_RATE) / SAMPLE_RATE
    sine = 0.5 * np.sin(2 * np.pi * 440 * t)  # RMS 0.354 -> -9.03 dBFS
    rec = _recording(sine, np.zeros_like(sine))
    level = measure_loudness(rec, 0, spans((0.0, 2.0)))
    assert level.mean_dbfs == pytest.approx(-9.03, abs=0.05)
    assert level.max_dbfs == pytest.approx(-9.03, abs=0.05)
    assert measure_loudness(rec, 1, ()).mean_dbfs is None


def test_measure_pacing_speech_rate_talk_ratio_and_suspect_text():
    rec = _recording(np.zeros(40 * SAMPLE_RATE), np.zeros(40 * SAMPLE_RATE))
    transcript = Transcript(
        language="zh",
        layout="stereo",
        utterances=(
            utt("agent", 1.0, 7.0, "您好，很高兴为您服务！"),  # 9 chars in 6 s
            utt("customer", 8.0, 11.0, "你好我想退货"),  # 6 chars in 3 s
            utt("agent", 12.0, 18.0, "好的我帮您查一下"),  # 8 chars in 6 s
            utt("customer", 30.0, 31.0, "字幕由Amara.org社区提供", suspect="stock_hallucination"),
        ),
        speech={
            "agent": spans((1.0, 7.0), (12.0, 18.0)),
            "customer": spans(
                (8.0, 11.0),
            ),
        },
        channel_of={"agent": 0, "customer": 1},
    )
    m = measure_pacing(transcript, rec, PacingSettings())
    assert m.speech_rate["agent"] == pytest.approx(17 / (12 / 60))
    assert m.speech_rate["customer"] == pytest.approx(6 / (3 / 60))
    assert m.talk_ratio["agent"] == pytest.approx(0.8)
    assert m.dead_air == ()
    assert m.response_latency.mean_s == pytest.approx(1.0)
    assert m.speech_rate_unit == "chars_per_minute"
