"""/v1/keys (admin) and /v1/webhook (the caller's own key)."""

from __future__ import annotations

import secrets

from fastapi import APIRouter
from sqlalchemy import select

from api import schemas
from api.deps import Admin, Reader, SessionDep, Uploader
from qa_service import keys
from qa_service.db.tables import ApiKey, WebhookDelivery
from qa_service.errors import NotFoundError

router = APIRouter(tags=["keys and webhooks"], responses=schemas.ERRORS)


@router.post(
    "/v1/keys", status_code=201, summary="Create an API key (shown once)", response_model=schemas.KeyCreated
)
def create_key(body: schemas.KeyIn, principal: Admin, session: SessionDep) -> schemas.KeyCreated:
    key = keys.create_key(session, body.role, body.name, body.webhook_url)
    row = session.scalars(select(ApiKey).where(ApiKey.prefix == key.split("_")[1])).one()
    return schemas.KeyCreated(key=key, prefix=row.prefix, role=row.role, name=row.name)


@router.get("/v1/keys", summary="API keys (never their secrets)", response_model=list[schemas.KeyOut])
def list_keys(principal: Admin, session: SessionDep) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).order_by(ApiKey.id)))


@router.delete("/v1/keys/{prefix}", status_code=204, summary="Revoke an API key")
def revoke_key(prefix: str, principal: Admin, session: SessionDep) -> None:
    keys.revoke_key(session, prefix)


@router.put(
    "/v1/webhook",
    summary="Register the URL that is told when this key's uploads finish or fail",
    response_model=schemas.WebhookOut,
)
def set_webhook(body: schemas.WebhookIn, principal: Uploader, session: SessionDep) -> schemas.WebhookOut:
    row = session.get(ApiKey, principal.key_id)
    assert row is not None
    row.webhook_url = body.url
    row.webhook_secret = row.webhook_secret or secrets.token_urlsafe(32)
    return schemas.WebhookOut(url=row.webhook_url, secret=row.webhook_secret)


@router.delete("/v1/webhook", status_code=204, summary="Stop notifications for this key")
def delete_webhook(principal: Uploader, session: SessionDep) -> None:
    row = session.get(ApiKey, principal.key_id)
    if row is None or row.webhook_url is None:
        raise NotFoundError("no webhook registered for this key")
    row.webhook_url = None


@router.get(
    "/v1/webhook/deliveries",
    summary="Delivery log: this key's notifications (admin: all)",
    response_model=list[schemas.DeliveryOut],
)
def deliveries(principal: Reader, session: SessionDep, limit: int = 100) -> list[WebhookDelivery]:
    query = select(WebhookDelivery).order_by(WebhookDelivery.id.desc()).limit(min(limit, 1000))
    if principal.role != "admin":
        query = query.where(WebhookDelivery.key_id == principal.key_id)
    return list(session.scalars(query))
