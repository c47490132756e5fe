"""Webhooks: an outbox row is written with the call's final status, then delivered and retried.

Body: JSON. Headers: ``QA-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">``
with the key's webhook secret, and ``QA-Event``. Receivers should reject a timestamp older than a
few minutes (replays) and compare signatures in constant time; see :func:`verify`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from datetime import timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from qa_service.config import Settings
from qa_service.db.session import session_scope
from qa_service.db.tables import ApiKey, Call, WebhookDelivery, utcnow

log = logging.getLogger("qa_service.webhooks")

SIGNATURE_HEADER = "QA-Signature"
_BATCH = 20


def sign(secret: str, body: bytes, timestamp: int) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(
    secret: str, body: bytes, header: str, *, tolerance_s: int = 300, now: float | None = None
) -> bool:
    try:
        fields = dict(part.split("=", 1) for part in header.split(","))
        timestamp = int(fields["t"])
    except (ValueError, KeyError):
        return False
    if abs((now or time.time()) - timestamp) > tolerance_s:
        return False
    return hmac.compare_digest(sign(secret, body, timestamp), f"t={timestamp},v1={fields.get('v1', '')}")


def payload(call: Call) -> dict[str, object]:
    return {
        "event": f"call.{call.status}",
        "call_id": call.id,
        "external_id": call.external_id,
        "status": call.status,
        "score": call.score_total,
        "flagged": call.flagged,
        "flag_reasons": call.flag_reasons,
        "error": {"code": call.error_code, "message": call.error, "stage": call.failed_stage}
        if call.status == "failed"
        else None,
        "url": f"/v1/calls/{call.id}",
    }


def enqueue_for_call(session: Session, call: Call) -> None:
    """Queue the notification in the caller's transaction, if the uploading key has a webhook."""
    key = session.get(ApiKey, call.uploaded_by)
    if key is None or not key.webhook_url:
        return
    body = payload(call)
    session.add(
        WebhookDelivery(
            call_id=call.id,
            key_id=key.id,
            event=str(body["event"]),
            url=key.webhook_url,
            payload=json.dumps(body, ensure_ascii=False),
        )
    )


def deliver_due(settings: Settings, client: httpx.Client | None = None) -> int:
    """Attempt every delivery that is due; returns how many were attempted."""
    now = utcnow()
    with session_scope(settings.db_url) as session:
        due = session.scalars(
            select(WebhookDelivery)
            .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now)
            .order_by(WebhookDelivery.next_attempt_at)
            .limit(_BATCH)
            .with_for_update(skip_locked=True)
        ).all()
        for d in due:  # a lease, so that another worker does not send it at the same time
            d.next_attempt_at = now + timedelta(seconds=3 * settings.service.webhook_timeout_s)
        jobs = [(d.id, d.url, d.payload, d.event, session.get(ApiKey, d.key_id)) for d in due]
        secrets = {d_id: (key.webhook_secret if key else None) for d_id, *_, key in jobs}
    if not jobs:
        return 0
    own_client = client is None
    client = client or httpx.Client(timeout=settings.service.webhook_timeout_s)
    try:
        for delivery_id, url, body, event, _ in jobs:
            _attempt(settings, client, delivery_id, url, body.encode(), event, secrets[delivery_id] or "")
    finally:
        if own_client:
            client.close()
    return len(jobs)


def _attempt(
    settings: Settings, client: httpx.Client, delivery_id: int, url: str, body: bytes, event: str, secret: str
) -> None:
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: sign(secret, body, int(time.time())),
        "QA-Event": event,
        "QA-Delivery": str(delivery_id),
    }
    code: int | None = None
    error: str | None = None
    try:
        response = client.post(url, content=body, headers=headers)
        code = response.status_code
        if not 200 <= code < 300:
            error = f"HTTP {code}"
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"
    with session_scope(settings.db_url) as session:
        row = session.get(WebhookDelivery, delivery_id)
        if row is None:
            return
        row.attempts += 1
        row.last_status_code, row.last_error = code, error
        if error is None:
            row.status, row.delivered_at = "delivered", utcnow()
        elif row.attempts >= settings.service.webhook_max_attempts:
            row.status = "failed"
            log.warning("webhook gave up", extra={"delivery": delivery_id, "error": error})
        else:
            delay = settings.service.webhook_backoff_s * 2 ** (row.attempts - 1)
            row.next_attempt_at = utcnow() + timedelta(seconds=delay)
