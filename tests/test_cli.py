"""The command line: exit codes, one JSON object, readable errors."""

from __future__ import annotations

import json

import pytest

from qa_service.cli import main
from tests.conftest import SAMPLES


def test_analyze_json_prints_exactly_one_object(capsys):
    assert main(["analyze", str(SAMPLES / "zh-dev-11-cut.wav"), "--json", "--language", "zh"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    data = json.loads(out)
    assert data["layout"] == "stereo"
    assert data["utterances"][0]["role"] == "agent"


def test_analyze_report_is_readable(capsys):
    assert main(["analyze", str(SAMPLES / "zh-dev-11-cut.wav"), "--agent-channel", "1"]) == 0
    out = capsys.readouterr().out
    assert "agent on channel 1" in out
    assert "interruptions 1" in out


@pytest.mark.parametrize(
    ("content", "code"),
    [(b"", "empty_audio"), (b"not audio at all" * 10, "not_audio")],
)
def test_bad_input_exits_2_with_a_typed_error(tmp_path, capsys, content, code):
    path = tmp_path / "bad.wav"
    path.write_bytes(content)
    assert main(["analyze", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {code}: bad.wav")


def test_truncated_input(tmp_path, capsys):
    path = tmp_path / "cut.wav"
    path.write_bytes((SAMPLES / "zh-dev-01.wav").read_bytes()[:50_000])
    assert main(["analyze", str(path), "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "truncated_audio" in captured.err


def test_models_install_is_idempotent(capsys):
    assert main(["models", "install"]) == 0
    assert "whisper-base: already present" in capsys.readouterr().out


def test_unknown_command_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["transcribe-everything"])
    assert exc.value.code == 2


def test_a_language_without_a_default_rubric_is_analysed_but_not_scored(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("QA_RUBRIC_DIR", str(tmp_path))
    assert main(["analyze", str(SAMPLES / "zh-dev-11-cut.wav"), "--json"]) == 0
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert "score" not in data and data["pii"] == [] and data["utterances"]
    assert "not scored" in captured.err
