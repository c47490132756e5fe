"""``eval facts`` end to end on the samples: the default rubric's findings against their truth."""

from qa_service.evaluation.facts import eval_facts
from tests.conftest import SAMPLES


def test_eval_facts_on_samples(settings):
    lines: list[str] = []
    summary = eval_facts(SAMPLES, settings, lines.append)
    assert summary["calls"] == 4
    facts = summary["facts"]
    for name in ("greeting", "closing", "confirm_other_questions", "forbidden", "interruptions", "dead_air"):
        assert facts[name]["f1"] == 1.0, name
    assert facts["greeting"]["tp"] == 2  # zh-dev-11-cut and zh-dev-23-cut begin without one
    assert summary["by_layout"]["stereo"]["f1"] == 1.0
    assert summary["agent_speech_rate_error"] < 0.1
    timing = summary["scoring_ms"]
    assert 0 < timing["mean"] <= timing["max"]
    assert lines[-1].startswith("SUMMARY facts samples: 4 calls") and "scoring ms mean" in lines[-1]
    assert sum(1 for line in lines if line.startswith("zh-dev-")) == 4
