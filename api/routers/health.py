"""Liveness, readiness and metrics (no key needed: expose them on the internal network only)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST

from api.deps import SettingsDep
from api.metrics import render
from qa_service.backends.faster_whisper import locate_model
from qa_service.db.session import check_database
from qa_service.errors import QAError

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="The process is up")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="Database reachable and models in place")
def readyz(settings: SettingsDep) -> JSONResponse:
    checks: dict[str, Any] = {}
    try:
        check_database(settings.db_url)
        checks["database"] = "ok"
    except QAError as exc:
        checks["database"] = exc.message
    try:
        checks["asr_model"] = locate_model(settings.asr, settings.models_dir)
        model_ok = True
    except QAError as exc:
        checks["asr_model"], model_ok = exc.message, False
    ready = checks["database"] == "ok" and model_ok
    return JSONResponse(
        {"status": "ready" if ready else "not_ready", "checks": checks}, status_code=200 if ready else 503
    )


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
def metrics(request: Request) -> Response:
    return Response(render(request.app.state.registry), media_type=CONTENT_TYPE_LATEST)
