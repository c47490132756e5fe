"""The real pipeline (Silero VAD + faster-whisper base) on real calls from samples/."""

from __future__ import annotations

import json

import numpy as np
import pytest

from qa_service.audio import decode_audio
from qa_service.config import Settings
from qa_service.errors import LayoutError
from qa_service.evaluation.measures import error_count
from qa_service.pipeline import CallAnalysis, run_pipeline
from qa_service.report import analysis_to_dict, render_report
from tests.conftest import SAMPLES, load_truth, write_audio

_CACHE: dict[tuple[str, int | None], CallAnalysis] = {}


def analyse(settings: Settings, name: str, agent_channel: int | None = None) -> CallAnalysis:
    key = (name, agent_channel)
    if key not in _CACHE:
        _CACHE[key] = run_pipeline(SAMPLES / f"{name}.wav", settings, agent_channel=agent_channel)
    return _CACHE[key]


def role_text(analysis: CallAnalysis, role: str) -> str:
    return "".join(u.text for u in analysis.transcript.utterances if u.role == role and u.suspect is None)


@pytest.mark.parametrize("name", ["zh-dev-01", "zh-dev-23-cut", "zh-dev-11-cut"])
def test_transcript_matches_the_truth(settings, name):
    analysis = analyse(settings, name)
    truth = load_truth(name)
    assert analysis.transcript.layout == "stereo"
    assert analysis.audio["agent_channel"] == truth["agent_channel"]
    for role in ("agent", "customer"):
        reference = "".join(t["text"] for t in truth["turns"] if t["speaker"] == role)
        cer = error_count(reference, role_text(analysis, role), "zh").rate
        assert cer is not None and cer < 0.25, (role, cer)
    # One utterance per truth turn; edges typically within 0.15 s, a short missed syllable at most.
    utts = [u for u in analysis.transcript.utterances if u.suspect is None]
    assert [u.role for u in utts] == [t["speaker"] for t in truth["turns"]]
    edge_errors = [
        abs(a - b)
        for u, t in zip(utts, truth["turns"], strict=True)
        for a, b in ((u.start, t["start"]), (u.end, t["end"]))
    ]
    assert float(np.median(edge_errors)) < 0.15
    assert max(edge_errors) < 0.6


def test_words_carry_times_and_probabilities_inside_their_utterance(settings):
    analysis = analyse(settings, "zh-dev-01")
    for u in analysis.transcript.utterances:
        assert u.words, u
        for w in u.words:
            assert u.start - 0.5 <= w.start <= w.end <= u.end + 0.5
            assert 0.0 <= w.prob <= 1.0


def test_normalised_text_is_simplified_and_matches_the_greeting(settings):
    analysis = analyse(settings, "zh-dev-01")
    first = analysis.transcript.utterances[0]
    assert first.role == "agent"
    assert "客服中心" in first.text_normalized
    assert "为您服务" in first.text_normalized
    assert not set("為務請問麼幫") & set("".join(u.text_normalized for u in analysis.transcript.utterances))


def test_pacing_of_a_compliant_call(settings):
    analysis = analyse(settings, "zh-dev-01")
    truth = load_truth("zh-dev-01")["facts"]
    m = analysis.metrics
    assert m.dead_air == ()
    assert m.interruptions == ()
    assert m.speech_rate["agent"] == pytest.approx(truth["agent_speech_rate_cpm"], rel=0.12)
    assert m.speech_rate["customer"] == pytest.approx(truth["customer_speech_rate_cpm"], rel=0.12)
    assert m.talk_ratio["agent"] > m.talk_ratio["customer"]
    assert m.response_latency.count >= 4
    assert 0.2 < (m.response_latency.mean_s or 0) < 1.5
    for role in ("agent", "customer"):
        assert -40 < (m.loudness[role].mean_dbfs or -120) < -10


def test_dead_air_and_the_agent_channel_from_file_metadata(settings):
    analysis = analyse(settings, "zh-dev-23-cut")
    truth = load_truth("zh-dev-23-cut")
    assert analysis.audio["agent_channel"] == 1
    [gap] = analysis.metrics.dead_air
    [expected] = truth["facts"]["dead_air"]
    assert gap.start == pytest.approx(expected["start"], abs=0.4)
    assert gap.end == pytest.approx(expected["end"], abs=0.4)
    agent = "".join(u.text_normalized for u in analysis.transcript.utterances if u.role == "agent")
    assert "不归我" in agent


def test_the_caller_can_override_the_channel_map(settings):
    default = analyse(settings, "zh-dev-23-cut")
    swapped = analyse(settings, "zh-dev-23-cut", agent_channel=0)
    assert swapped.audio["agent_channel"] == 0
    assert role_text(swapped, "agent") == role_text(default, "customer")


def test_interruption_by_the_customer(settings):
    analysis = analyse(settings, "zh-dev-11-cut")
    [expected] = load_truth("zh-dev-11-cut")["facts"]["interruptions"]
    [found] = analysis.metrics.interruptions
    assert found.by == "customer"
    assert found.start == pytest.approx(expected["start"], abs=0.3)
    assert found.overlap_s == pytest.approx(expected["overlap_s"], abs=0.3)


def test_json_contract(settings):
    data = json.loads(json.dumps(analysis_to_dict(analyse(settings, "zh-dev-11-cut")), ensure_ascii=False))
    assert {"duration_s", "language", "layout", "utterances", "metrics", "timings"} <= set(data)
    assert data["language"] == "zh" and data["layout"] == "stereo"
    utt = data["utterances"][0]
    assert {"role", "speaker", "start", "end", "text", "text_normalized", "words"} <= set(utt)
    assert {"start", "end", "text", "prob"} == set(utt["words"][0])
    assert {
        "agent_speech_rate",
        "customer_speech_rate",
        "talk_ratio",
        "dead_air",
        "interruptions",
        "response_latency",
        "loudness_dbfs",
    } <= set(data["metrics"])
    assert {"mean_s", "max_s"} <= set(data["metrics"]["response_latency"])
    assert data["metrics"]["interruptions"][0]["by"] == "customer"
    assert {"decode", "detect_speech", "transcribe", "measure_pacing"} <= set(data["timings"])
    assert "Transcript" in render_report(analyse(settings, "zh-dev-11-cut"))


def test_a_silent_channel_yields_no_text(settings, tmp_path):
    rec = decode_audio(SAMPLES / "zh-dev-11-cut.wav")
    rng = np.random.default_rng(0)
    noise = (rng.standard_normal(rec.samples.shape[1]) * 0.003).astype(np.float32)
    path = write_audio(
        tmp_path / "one-sided.wav", np.stack([rec.samples[0], noise]), 16000, "pcm_s16le", "wav"
    )
    analysis = run_pipeline(path, settings)
    assert [u for u in analysis.transcript.utterances if u.role == "customer" and u.suspect is None] == []
    assert analysis.metrics.speech_rate["customer"] is None
    assert analysis.metrics.talk_ratio["agent"] == 1.0


def test_hook_sees_every_stage(settings):
    steps: list[str] = []
    run_pipeline(
        SAMPLES / "zh-dev-11-cut.wav", settings, hook=lambda step, artefact, **kw: steps.append(step)
    )
    assert steps == ["decode", "detect_speech", "transcribe", "transcribe", "assign_roles", "measure_pacing"]


def test_swapped_stereo_clip_with_the_wrong_channel_map_is_warned(settings):
    # zh-dev-23-cut has the agent on the right; forcing channel 0 makes the customer the "agent".
    wrong = analyse(settings, "zh-dev-23-cut", agent_channel=0)
    assert wrong.roles is not None and "agent_channel_looks_like_customer" in wrong.roles.warnings
    right = analyse(settings, "zh-dev-23-cut")
    assert right.roles is not None and right.roles.warnings == ()
    assert all(u.role_confidence == 1.0 for u in right.transcript.utterances)


def test_more_than_two_channels_is_a_layout_error(settings, tmp_path):
    path = tmp_path / "quad.wav"
    import av

    with av.open(str(path), "w", format="wav") as out:
        stream = out.add_stream("pcm_s16le", rate=8000, layout="quad")
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 8000 * 4), np.int16), format="s16", layout="quad")
        frame.sample_rate = 8000
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            out.mux(packet)
    with pytest.raises(LayoutError, match="4 channels"):
        run_pipeline(path, settings)


def test_very_short_and_speechless_input_gives_an_empty_analysis(settings, tmp_path):
    rng = np.random.default_rng(1)
    noise = (rng.standard_normal((2, 1600)) * 0.002).astype(np.float32)  # 0.2 s of line noise
    analysis = run_pipeline(write_audio(tmp_path / "blip.wav", noise, 8000, "pcm_s16le", "wav"), settings)
    assert analysis.duration_s == pytest.approx(0.2, abs=0.01)
    assert analysis.transcript.utterances == ()
    assert analysis.metrics.speech_rate == {"agent": None, "customer": None}
    assert analysis.metrics.response_latency.count == 0
    assert "Transcript" in render_report(analysis)


def test_agent_speech_is_identified_as_mandarin_and_survives_the_json(settings):
    from qa_service.scoring.call import facts_from_dict

    analysis = analyse(settings, "zh-dev-01")
    agent = [u for u in analysis.transcript.utterances if u.role == "agent" and u.suspect is None]
    assert agent and all(u.language_id is not None for u in agent if u.end - u.start >= 1.5)
    assert {u.language_id[0] for u in agent if u.language_id} == {"zh"}
    assert min(u.language_id[1] for u in agent if u.language_id) > 0.9
    assert all(u.language_id is None for u in analysis.transcript.utterances if u.role == "customer")
    facts = facts_from_dict(analysis_to_dict(analysis))
    stored = [u.language_id for u in facts.utterances]
    measured = [u.language_id for u in analysis.transcript.utterances]
    assert [i and i[0] for i in stored] == [i and i[0] for i in measured]
    assert all(a == b or abs(a[1] - b[1]) < 1e-3 for a, b in zip(stored, measured, strict=True) if a and b)
