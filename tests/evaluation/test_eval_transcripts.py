"""``eval transcripts`` end to end on the samples (which carry truth files)."""

from qa_service.evaluation.transcripts import eval_transcripts
from tests.conftest import SAMPLES


def test_eval_transcripts_on_samples(settings):
    lines: list[str] = []
    summary = eval_transcripts(SAMPLES, settings, lines.append)
    assert summary["files"] == 4  # three stereo calls and a mono clip
    assert summary["channel_map_errors"] == 0
    assert summary["error_rate"]["agent"] < 0.2
    assert summary["error_rate"]["customer"] < 0.3
    assert summary["dead_air"]["f1"] == 1.0
    assert summary["interruptions"]["f1"] == 1.0
    assert 0 < summary["rtf"] < 2
    assert lines[-1].startswith("SUMMARY samples:")
    assert sum(1 for line in lines if line.startswith("zh-dev-")) == 4
