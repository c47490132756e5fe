"""`qa-service bench api` runs the real service and reports throughput and latency."""

from __future__ import annotations

from qa_service.evaluation.bench_api import bench_api, one_megabyte_wav
from tests.conftest import SAMPLES


def test_bench_api_measures_uploads_on_a_live_service():
    lines: list[str] = []
    result = bench_api(SAMPLES, lines.append, uploads=12, concurrency=4, calls=0)
    uploads = result["uploads"]
    assert uploads["count"] == 12 and uploads["failed"] == 0
    assert uploads["uploads_per_s"] > 0 and 0 < uploads["p50_ms"] <= uploads["p99_ms"]
    assert abs(uploads["size_mb"] - 1.0) < 0.01 and "uploads/s" in lines[0]


def test_the_bench_recordings_are_distinct():
    assert one_megabyte_wav(1) != one_megabyte_wav(2)
