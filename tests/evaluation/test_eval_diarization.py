"""``eval diarization`` on the samples (the mono clip) and on an RTTM reference written here."""

from qa_service.audio import decode_audio
from qa_service.evaluation.diarization import eval_diarization, read_rttm
from tests.conftest import SAMPLES, load_truth, write_audio


def test_eval_diarization_on_the_mono_sample(settings):
    lines: list[str] = []
    summary = eval_diarization(SAMPLES, settings, lines.append)
    assert [row["file"] for row in summary["files"]] == ["zh-dev-12-cut"]
    row = summary["files"][0]
    assert row["der_full"] < 0.1 and row["der_collar"] <= row["der_full"] + 0.01
    assert 0 <= row["jer"] < 0.15
    assert row["role_accuracy"] > 0.95 and summary["roles_right"] == 1
    assert 0 < summary["rtf"] < 1
    assert lines[-1].startswith("SUMMARY diarization samples:")


def test_rttm_references_find_their_audio(settings, tmp_path):
    rec = decode_audio(SAMPLES / "zh-dev-12-cut.wav")
    write_audio(tmp_path / "corpus_clip.wav", rec.samples, 16000, "pcm_s16le", "wav")
    lines = [
        f"SPEAKER clip 1 {t['start']:.3f} {t['end'] - t['start']:.3f} <NA> <NA> {t['speaker']} <NA> <NA>"
        for t in load_truth("zh-dev-12-cut")["turns"]
    ]
    (tmp_path / "clip.rttm").write_text("\n".join(lines) + "\n")
    assert len(read_rttm(tmp_path / "clip.rttm")["clip"]) == 4
    summary = eval_diarization(tmp_path, settings, lambda line: None)
    assert summary["files"][0]["file"] == "corpus_clip"
    assert summary["files"][0]["der_full"] < 0.1
    assert summary["role_accuracy_mean"] is None
