"""The review loop through the API: queue, assignment, reviews, disputes, audit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from qa_service.db.session import session_scope
from qa_service.db.tables import ApiKey, AuditEntry, Call, ReviewItem, utcnow
from qa_service.keys import create_key
from qa_service.reviews.queue import enqueue_flagged
from qa_service.worker import apply_score, claim_next, process_call
from tests.conftest import SAMPLES
from tests.service.conftest import auth, metadata, upload

BLAME = SAMPLES / "zh-dev-11-cut.wav"


@pytest.fixture
def reviewers(settings):
    with session_scope(settings.db_url) as session:
        keys = [create_key(session, "reviewer", f"reviewer-{n}") for n in range(3)]
        ids = [
            session.scalars(select(ApiKey.id).where(ApiKey.name == f"reviewer-{n}")).one() for n in range(3)
        ]
    return list(zip(ids, keys, strict=True))


@pytest.fixture
def flagged_calls(client, keys, settings):
    """Three flagged calls: one analysed by the real pipeline, two more carrying its result."""
    ids = [upload(client, keys["uploader"], BLAME, metadata(f"rev-{n}")).json()["id"] for n in range(3)]
    call_id = claim_next(settings, "w")
    assert call_id == ids[0] and process_call(call_id, settings, "w").status == "done"
    with session_scope(settings.db_url) as session:
        first = session.get(Call, ids[0])
        assert first is not None and first.flagged
        for other in ids[1:]:
            call = session.get(Call, other)
            assert call is not None
            call.status, call.finished_at = "done", utcnow()
            apply_score(session, call, first.result or {}, first.rubric_pk)
            enqueue_flagged(session, call)
    return ids


def test_flagged_calls_enter_the_queue_with_reasons_and_priority(client, keys, flagged_calls):
    items = client.get("/v1/review-queue", headers=auth(keys["supervisor"])).json()
    assert sorted(i["call_id"] for i in items) == sorted(flagged_calls)
    first = next(i for i in items if i["call_id"] == flagged_calls[0])
    assert "critical:forbidden_expressions" in first["reasons"] and first["priority"] == 3
    assert first["status"] == "open" and first["call"]["agent"]["agent_id"] == "A1024"
    by_reason = client.get(
        "/v1/review-queue", headers=auth(keys["supervisor"]), params={"reason": "critical"}
    ).json()
    assert len(by_reason) == 3
    assert (
        client.get("/v1/review-queue", headers=auth(keys["supervisor"]), params={"team": "nobody"}).json()
        == []
    )
    assert client.get("/v1/review-queue", headers=auth(keys["reviewer"])).json() == []  # nothing assigned yet


def test_even_assignment_respects_the_daily_cap(client, keys, flagged_calls, reviewers, settings):
    (r1, k1), (r2, _), _ = reviewers
    settings.review.daily_cap = 1
    given = client.post(
        "/v1/review-queue/assign",
        headers=auth(keys["supervisor"]),
        json={"mode": "even", "reviewer_ids": [r1, r2]},
    ).json()
    assert sorted(len(v) for v in given.values()) == [1, 1]  # the third waits for tomorrow
    mine = client.get("/v1/review-queue", headers=auth(k1)).json()
    assert [i["id"] for i in mine] == given[str(r1)] and mine[0]["status"] == "assigned"
    left = client.get("/v1/review-queue", headers=auth(keys["supervisor"]), params={"status": "open"}).json()
    assert len(left) == 1
    full = client.post(f"/v1/review-queue/{left[0]['id']}/claim", headers=auth(k1))
    assert full.status_code == 409 and "daily cap" in full.json()["detail"]


def test_review_overturn_dispute_and_audit_end_to_end(client, keys, flagged_calls, reviewers, settings):
    (r1, k1), (r2, k2), (_, k3) = reviewers
    call_id = flagged_calls[0]
    item = next(
        i
        for i in client.get("/v1/review-queue", headers=auth(keys["admin"])).json()
        if i["call_id"] == call_id
    )
    assert client.post(f"/v1/review-queue/{item['id']}/claim", headers=auth(k1)).status_code == 200
    before = client.get(f"/v1/calls/{call_id}", headers=auth(k1)).json()
    assert before["provenance"] == "machine" and before["effective_score"] == before["score"] < 60

    not_mine = client.post(f"/v1/calls/{call_id}/reviews", headers=auth(k2), json={"decisions": []})
    assert not_mine.status_code == 403
    unreasoned = client.post(
        f"/v1/calls/{call_id}/reviews",
        headers=auth(k1),
        json={"decisions": [{"check_id": "forbidden_expressions", "decision": "overturn"}]},
    )
    assert unreasoned.status_code == 422 and "needs a reason" in unreasoned.json()["detail"]

    review = client.post(
        f"/v1/calls/{call_id}/reviews",
        headers=auth(k1),
        json={
            "decisions": [
                {"check_id": "forbidden_expressions", "decision": "overturn", "reason": "转述快递公司的说法"},
                {"check_id": "greeting", "decision": "confirm"},
            ],
            "manual_findings": [
                {"category": "业务知识", "description": "赔偿规定讲错", "deduction": 5, "start": 10.0}
            ],
        },
    )
    assert review.status_code == 201, review.text
    body = review.json()
    assert body["version"] == 1 and body["human_score"] == body["computed_score"]
    after = client.get(f"/v1/calls/{call_id}", headers=auth(k1)).json()
    assert after["provenance"] == "human_reviewed" and after["score"] == before["score"]  # machine score kept
    assert after["effective_score"] == body["human_score"] > before["score"]  # no critical cap any more
    queue_item = client.get("/v1/review-queue", headers=auth(k1), params={"status": "done"}).json()
    assert [i["call_id"] for i in queue_item] == [call_id]

    # The agent's supervisor disputes the failed closing; a second reviewer upholds it.
    dispute = client.post(
        "/v1/disputes",
        headers=auth(keys["supervisor"]),
        json={"call_id": call_id, "check_id": "closing", "reason": "录音截断，结束语不在片段里"},
    ).json()
    assert dispute["status"] == "open"
    again = client.post(
        "/v1/disputes",
        headers=auth(keys["supervisor"]),
        json={"call_id": call_id, "check_id": "closing", "reason": "x"},
    )
    assert again.status_code == 409
    assert (
        client.post(
            f"/v1/disputes/{dispute['id']}/resolve",
            headers=auth(k1),
            json={"upheld": True, "resolution": "ok"},
        ).status_code
        == 403
    )
    assert (
        client.post(
            f"/v1/disputes/{dispute['id']}/resolve",
            headers=auth(keys["supervisor"]),
            json={"upheld": True, "resolution": "ok"},
        ).status_code
        == 403
    )
    resolved = client.post(
        f"/v1/disputes/{dispute['id']}/resolve",
        headers=auth(k2),
        json={"upheld": True, "resolution": "复核属实"},
    ).json()
    assert resolved["status"] == "upheld" and resolved["resolved_by"] == r2
    final = client.get(f"/v1/calls/{call_id}", headers=auth(k1)).json()
    assert final["effective_score"] > after["effective_score"]

    # A second review by the same reviewer is a new version; both are kept.
    second = client.post(f"/v1/calls/{call_id}/reviews", headers=auth(k1), json={"human_score": 88})
    assert second.status_code == 201, second.text
    versions = client.get(f"/v1/calls/{call_id}/reviews", headers=auth(k3)).json()
    assert [(v["reviewer_id"], v["version"]) for v in versions] == [(r1, 1), (r1, 2)]
    assert client.get(f"/v1/calls/{call_id}", headers=auth(k3)).json()["effective_score"] == 88

    log = client.get("/v1/audit", headers=auth(keys["admin"])).json()
    actions = [e["action"] for e in log]
    for action in ("review_item.assigned", "review.submitted", "dispute.opened", "dispute.upheld"):
        assert action in actions, actions
    submitted = next(e for e in reversed(log) if e["action"] == "review.submitted")  # the first review
    assert submitted["detail"]["overturned"] == ["forbidden_expressions"]
    assert submitted["detail"]["machine_score"] == before["score"]


def test_disputes_close_after_the_window_and_respect_team_scope(client, keys, flagged_calls, settings):
    call_id = flagged_calls[0]
    with session_scope(settings.db_url) as session:
        scoped = create_key(session, "supervisor", "other-team-lead")
        session.scalars(select(ApiKey).where(ApiKey.name == "other-team-lead")).one().team = "二组"
    foreign = client.post(
        "/v1/disputes", headers=auth(scoped), json={"call_id": call_id, "check_id": "closing", "reason": "x"}
    )
    assert foreign.status_code == 403
    with session_scope(settings.db_url) as session:
        item = session.scalars(select(ReviewItem).where(ReviewItem.call_id == call_id)).one()
        create_key(session, "reviewer", "any-reviewer")
        reviewer_id = session.scalars(select(ApiKey.id).where(ApiKey.name == "any-reviewer")).one()
    explicit = {"mode": "explicit", "reviewer_ids": [reviewer_id], "item_ids": [item.id]}
    assert client.post("/v1/review-queue/assign", headers=auth(scoped), json=explicit).status_code == 403
    with session_scope(settings.db_url) as session:
        call = session.get(Call, call_id)
        assert call is not None
        call.finished_at = utcnow() - timedelta(days=settings.review.dispute_window_days + 1)
    late = client.post(
        "/v1/disputes",
        headers=auth(keys["supervisor"]),
        json={"call_id": call_id, "check_id": "closing", "reason": "x"},
    )
    assert late.status_code == 409 and "window" in late.json()["detail"]
    with session_scope(settings.db_url) as session:
        assert session.scalars(select(AuditEntry).where(AuditEntry.action == "dispute.opened")).all() == []
