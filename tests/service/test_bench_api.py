"""`qa-service bench api` runs the real service and reports throughput and latency."""

from __future__ import annotations

import pytest

from qa_service.evaluation.bench_api import bench_api, one_megabyte_wav
from tests.conftest import SAMPLES


def test_bench_api_measures_uploads_on_a_live_service():
    lines: list[str] = []
    result = bench_api(SAMPLES, lines.append, uploads=12, concurrency=4, rate=10, calls=0, processes=2)
    assert result["processes"] == 2
    for phase in ("saturation", "fixed_rate"):
        uploads = result[phase]
        assert uploads["count"] == 12 and uploads["failed"] == 0
        assert uploads["uploads_per_s"] > 0 and 0 < uploads["p50_ms"] <= uploads["p99_ms"]
    # The fixed schedule of 10 a second spreads 12 uploads over at least 1.1 s.
    assert result["fixed_rate"]["uploads_per_s"] <= 12 / 1.1
    assert any("saturation" in line for line in lines) and any("fixed rate" in line for line in lines)


def test_the_bench_recordings_are_distinct_and_one_megabyte():
    assert one_megabyte_wav(1) != one_megabyte_wav(2)
    assert abs(len(one_megabyte_wav(1)) - 1_000_000) < 100


def test_bench_api_times_real_calls_end_to_end(tmp_path):
    (tmp_path / "call.wav").symlink_to(SAMPLES / "zh-dev-23-cut.wav")
    lines: list[str] = []
    result = bench_api(tmp_path, lines.append, uploads=0, calls=2, processes=1)
    processing = result["processing"]
    assert processing["calls"] == 2 and processing["audio_s"] == pytest.approx(72.4, abs=0.5)
    assert 0 < processing["first_call_s"] < processing["wall_s"]
    assert processing["calls_per_hour"] > 0 and processing["audio_hours_per_hour"] > 0
    assert "calls/hour" in lines[-1]
