"""Prometheus metrics. Queue depth and per-stage figures are read from the database at scrape
time, so they cover every worker process on every host, not just this one."""

from __future__ import annotations

import os
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, generate_latest, multiprocess
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from qa_service.db.session import session_scope
from qa_service.db.tables import Call, StageTiming, WebhookDelivery

UPLOADS = Counter("qa_uploads_total", "upload requests by outcome", ["outcome"], registry=None)


class DatabaseCollector(Collector):
    def __init__(self, url: str) -> None:
        self._url = url

    def collect(self) -> Iterator[Metric]:
        with session_scope(self._url, readonly=True) as session:
            by_status = dict(session.execute(select(Call.status, func.count()).group_by(Call.status)).all())
            stages = session.execute(
                select(
                    StageTiming.stage, StageTiming.failed, func.count(), func.sum(StageTiming.seconds)
                ).group_by(StageTiming.stage, StageTiming.failed)
            ).all()
            webhooks = dict(
                session.execute(
                    select(WebhookDelivery.status, func.count()).group_by(WebhookDelivery.status)
                ).all()
            )
        depth = GaugeMetricFamily("qa_queue_depth", "calls waiting for a worker")
        depth.add_metric([], by_status.get("queued", 0))
        yield depth
        calls = GaugeMetricFamily("qa_calls", "calls by status", labels=["status"])
        for status in ("queued", "running", "done", "failed"):
            calls.add_metric([status], by_status.get(status, 0))
        yield calls
        seconds = CounterMetricFamily(
            "qa_stage_seconds", "processing seconds per pipeline stage (successful runs)", labels=["stage"]
        )
        runs = CounterMetricFamily("qa_stage_runs", "successful runs per pipeline stage", labels=["stage"])
        failures = CounterMetricFamily("qa_stage_failures", "failures per pipeline stage", labels=["stage"])
        for stage, failed, count, total in stages:
            if failed:
                failures.add_metric([stage], count)
            else:
                seconds.add_metric([stage], float(total or 0.0))
                runs.add_metric([stage], count)
        yield from (seconds, runs, failures)
        hooks = GaugeMetricFamily("qa_webhook_deliveries", "webhook deliveries by status", labels=["status"])
        for status in ("pending", "delivered", "failed"):
            hooks.add_metric([status], webhooks.get(status, 0))
        yield hooks


def registry_for(url: str) -> CollectorRegistry:
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):  # `serve`: counters summed over its processes
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(UPLOADS)
    registry.register(DatabaseCollector(url))
    return registry


def render(registry: CollectorRegistry) -> bytes:
    return generate_latest(registry)
