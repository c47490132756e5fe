"""The default zh-CN rubric on real calls processed by the real pipeline."""

from __future__ import annotations

import json
import time

import pytest

from qa_service.cli import main
from qa_service.report import analysis_to_dict
from qa_service.scoring.engine import score_analysis
from tests.conftest import SAMPLES
from tests.pipeline.test_run_samples import analyse


def scored(settings, name):
    return score_analysis(analysis_to_dict(analyse(settings, name)), settings)


def by_id(result):
    return {f["check_id"]: f for f in result["findings"]}


def test_a_compliant_call_passes(settings):
    result = scored(settings, "zh-dev-01")
    f = by_id(result)
    for check in (
        "greeting",
        "closing",
        "confirm_other_questions",
        "apology_after_complaint",
        "forbidden_expressions",
        "interruptions",
        "dead_air",
        "agent_speech_rate",
        "pii_disclosure",
    ):
        assert f[check]["status"] == "passed", (check, f[check]["detail"])
    assert f["greeting"]["evidence"][0]["start"] < 6
    assert f["apology_after_complaint"]["evidence"][0]["role"] == "customer"
    assert f["apology_after_complaint"]["evidence"][1]["role"] == "agent"
    assert result["score"]["total"] >= 80
    assert result["rubric"]["id"] == "zh-CN.default" and len(result["rubric"]["sha256"]) == 64


def test_blame_shifting_and_dead_air_are_critical_and_flagged(settings):
    result = scored(settings, "zh-dev-23-cut")
    f = by_id(result)
    forbidden = f["forbidden_expressions"]
    assert forbidden["status"] == "failed" and forbidden["severity"] == "critical"
    assert any(
        "不归我" in e["matched"] and e["role"] == "agent" and 1.5 < e["start"] < 4
        for e in forbidden["evidence"]
    )
    assert f["dead_air"]["status"] == "failed"
    assert result["flagged"] and "critical:forbidden_expressions" in result["flag_reasons"]
    assert result["score"]["total"] <= 60  # the critical policy caps the score


def test_forbidden_expression_mid_sentence(settings):
    f = by_id(scored(settings, "zh-dev-11-cut"))
    [hit] = f["forbidden_expressions"]["evidence"]
    assert hit["start"] == pytest.approx(2.1, abs=1.0)
    assert f["interruptions"]["status"] == "passed"  # the customer interrupted, not the agent


def test_scoring_a_stored_analysis_is_fast_and_needs_no_audio(settings, tmp_path, capsys):
    data = analysis_to_dict(analyse(settings, "zh-dev-23-cut"))
    path = tmp_path / "call.json"
    path.write_text(json.dumps(data, ensure_ascii=False))
    start = time.perf_counter()
    for _ in range(5):
        score_analysis(data, settings)
    assert (time.perf_counter() - start) / 5 < 0.5  # generous bound; `make bench` reports the figure
    assert main(["score", str(path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["findings"] == scored(settings, "zh-dev-23-cut")["findings"]
    assert main(["score", str(path)]) == 0
    assert "FAIL forbidden_expressions" in capsys.readouterr().out


def test_rubric_cli(tmp_path, capsys):
    assert main(["rubric", "validate", "rubric/zh-CN.default.yaml"]) == 0
    assert "valid rubric zh-CN.default" in capsys.readouterr().out
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\nversion: 1\nlanguage: zh\nname: n\ncategories: []\nchecks: []\n")
    assert main(["rubric", "validate", str(bad)]) == 2
    assert "bad.yaml: categories: List should have at least 1 item" in capsys.readouterr().err
    dialogue = tmp_path / "d.txt"
    dialogue.write_text(
        "agent: 您好，很高兴为您服务，请问有什么可以帮您？\ncustomer: 我的快递三天了还没到\nagent: 这不归我管\n",
        encoding="utf-8",
    )
    assert main(["rubric", "test", "rubric/zh-CN.default.yaml", "--dialogue", str(dialogue), "--json"]) == 0
    f = by_id(json.loads(capsys.readouterr().out))
    assert f["greeting"]["status"] == "passed"
    assert f["forbidden_expressions"]["status"] == "failed"
    assert f["apology_after_complaint"]["status"] == "failed"


def test_analyze_with_an_explicit_rubric_and_masking(settings, tmp_path, capsys):
    assert (
        main(
            ["analyze", str(SAMPLES / "zh-dev-11-cut.wav"), "--json", "--rubric", "rubric/zh-CN.default.yaml"]
        )
        == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert {"rubric", "score", "flagged", "flag_reasons", "pii", "findings"} <= set(data)
    assert {"check_id", "kind", "category", "status", "severity", "needs_review", "evidence"} <= set(
        data["findings"][0]
    )


def test_rubric_test_measures_pacing_with_the_configured_thresholds(tmp_path, capsys, monkeypatch):
    dialogue = tmp_path / "d.txt"
    dialogue.write_text(
        "[0-3] agent: 您好，很高兴为您服务\n[3.5-6] customer: 我查一下订单\n[10-13] agent: 好的，请问还有其他问题吗\n",
        encoding="utf-8",
    )
    args = ["rubric", "test", "rubric/zh-CN.default.yaml", "--dialogue", str(dialogue), "--json"]
    assert main(args) == 0
    assert json.loads(capsys.readouterr().out)["metrics"]["dead_air"] == []  # a 4 s gap is not dead air
    monkeypatch.setenv("QA_PACING__DEAD_AIR_MIN_S", "3")
    assert main(args) == 0
    assert json.loads(capsys.readouterr().out)["metrics"]["dead_air"] == [{"start": 6.0, "end": 10.0}]
