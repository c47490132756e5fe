"""Spot-check plans, their statistics, calibration and monthly assessments through the API,
on calls analysed by the real pipeline (one flagged, one compliant; their results are given to
more calls of two agents)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from qa_service.db.session import session_scope
from qa_service.db.tables import ApiKey, Call, SpotCheckPlan, utcnow
from qa_service.keys import create_key
from qa_service.reviews.queue import enqueue_flagged
from qa_service.spotchecks.plans import run_due_plans
from qa_service.worker import apply_score, claim_next, process_call
from tests.conftest import SAMPLES
from tests.service.conftest import auth, metadata, upload

FLAGGED = SAMPLES / "zh-dev-11-cut.wav"
COMPLIANT = SAMPLES / "zh-dev-01.wav"
# (external id, agent, queue, flagged, satisfaction, tags)
CALLS = [
    *[(f"a1-f{n}", "A1", "sales", True, 2, []) for n in range(3)],
    *[(f"a1-c{n}", "A1", "after-sales", False, 5, []) for n in range(4)],
    *[(f"a2-c{n}", "A2", "sales", False, 4, ["投诉"] if n == 0 else []) for n in range(6)],
]


@pytest.fixture
def month(client, keys, settings):
    """13 analysed calls in November 2026: A1 has 3 flagged and 4 compliant, A2 6 compliant."""
    ids = {}
    for n, (external_id, agent, queue, flagged, rating, tags) in enumerate(CALLS):
        meta = metadata(
            external_id,
            agent_id=agent,
            team="一组",
            queue=queue,
            customer_satisfaction=rating,
            tags=tags,
            started_at=f"2026-11-{n + 2:02d}T10:00:00+08:00",
        )
        ids[external_id] = upload(client, keys["uploader"], FLAGGED if flagged else COMPLIANT, meta).json()[
            "id"
        ]
    for source in ("a1-f0", "a1-c0"):  # the real pipeline on one call of each kind
        with session_scope(settings.db_url) as session:
            session.get(Call, ids[source]).created_at = utcnow() - timedelta(days=1)
        call_id = claim_next(settings, "w")
        assert call_id == ids[source] and process_call(call_id, settings, "w").status == "done"
    with session_scope(settings.db_url) as session:
        analysed = {k: session.get(Call, ids[k]) for k in ("a1-f0", "a1-c0")}
        assert analysed["a1-f0"].flagged and not analysed["a1-c0"].flagged
        for external_id, _, _, flagged, _, _ in CALLS:
            call = session.get(Call, ids[external_id])
            assert call is not None
            if call.status == "done":
                continue
            source = analysed["a1-f0" if flagged else "a1-c0"]
            assert source is not None
            call.status, call.finished_at, call.timings = "done", utcnow(), source.timings
            apply_score(session, call, source.result or {}, source.rubric_pk)
            enqueue_flagged(session, call)
    return ids


def test_a_plan_samples_reproducibly_by_stratum_and_feeds_the_queue(client, keys, month):
    sup = auth(keys["supervisor"])
    plan = client.post(
        "/v1/spot-check-plans",
        headers=sup,
        json={"name": "每人每月2通", "spec": {"period": "month", "count": 2, "stratify_by": ["flagged"]}},
    ).json()
    first = client.post(
        f"/v1/spot-check-plans/{plan['id']}/run", headers=sup, json={"day": "2026-11-20", "seed": 7}
    ).json()
    again = client.post(
        f"/v1/spot-check-plans/{plan['id']}/run", headers=sup, json={"day": "2026-11-20", "seed": 7}
    ).json()
    assert first["period"] == "2026-11" and first["seed"] == 7
    assert [p["call_id"] for p in first["picks"]] == [p["call_id"] for p in again["picks"]]
    by_agent: dict[str, list[dict]] = {}
    for p in first["picks"]:
        by_agent.setdefault(p["agent_id"], []).append(p)
    assert {a: len(p) for a, p in by_agent.items()} == {"A1": 2, "A2": 2}
    assert sorted(p["stratum"] for p in by_agent["A1"]) == ["flagged=no", "flagged=yes"]  # both strata
    assert {(p["stratum"], p["stratum_population"]) for p in by_agent["A1"]} == {
        ("flagged=no", 4),
        ("flagged=yes", 3),
    }
    queue = client.get("/v1/review-queue", headers=sup, params={"reason": "spot_check"}).json()
    assert {i["call_id"] for i in queue} == {p["call_id"] for p in first["picks"]}
    runs = client.get(
        "/v1/spot-checks", headers=auth(keys["reviewer"]), params={"plan_id": plan["id"]}
    ).json()
    assert len(runs) == 2 and runs[0]["triggered_by"].startswith("supervisor:")
    bad = client.post(
        "/v1/spot-check-plans", headers=sup, json={"name": "x", "spec": {"count": 2, "fraction": 0.1}}
    )
    assert bad.status_code == 422


def test_statistics_calibration_and_assessments_follow_reviews(client, keys, month, settings):
    sup, admin = auth(keys["supervisor"]), auth(keys["admin"])
    with session_scope(settings.db_url) as session:
        second = create_key(session, "reviewer", "second")
        second_id = session.scalars(select(ApiKey.id).where(ApiKey.name == "second")).one()
    plan = client.post(
        "/v1/spot-check-plans", headers=sup, json={"name": "A1", "spec": {"count": 4, "agents": ["A1"]}}
    ).json()
    run = client.post(
        f"/v1/spot-check-plans/{plan['id']}/run", headers=sup, json={"day": "2026-11-10", "seed": 1}
    ).json()
    picks = [p["call_id"] for p in run["picks"]]
    flagged_picks = [p["call_id"] for p in run["picks"] if p["stratum"] == "flagged=yes"]
    assert len(picks) == 4 and flagged_picks
    for call_id in picks:  # the admin confirms everything; the blame-shifting is real
        assert (
            client.post(
                f"/v1/calls/{call_id}/reviews",
                headers=admin,
                json={"decisions": [{"check_id": "forbidden_expressions", "decision": "confirm"}]},
            ).status_code
            == 201
        )
    stats = client.get(f"/v1/spot-checks/{run['id']}/statistics", headers=sup, params={"margin": 0.1}).json()
    [a1] = stats
    assert (a1["agent_id"], a1["calls"], a1["sampled"], a1["reviewed"]) == ("A1", 7, 4, 4)
    assert a1["sampled_fraction"] == round(4 / 7, 4)
    forbidden = a1["compliance"]["forbidden_expressions"]
    # Weighted by strata: 3/7 of A1's calls are flagged (all fail), 4/7 compliant (all pass).
    assert forbidden["estimate"] == pytest.approx(4 / 7, abs=1e-6)
    assert 0 <= forbidden["low"] < forbidden["estimate"] < forbidden["high"] <= 1
    assert a1["needed_for_margin"] == 7  # a ±10 % estimate needs every one of 7 calls

    # A second reviewer disagrees on one call: calibration shows it.
    target = flagged_picks[0]
    client.post(
        "/v1/review-queue/assign",
        headers=sup,
        json={
            "mode": "explicit",
            "reviewer_ids": [second_id],
            "item_ids": [
                next(
                    i["id"]
                    for i in client.get("/v1/review-queue", headers=sup).json()
                    if i["call_id"] == target
                )
            ],
        },
    )
    client.post(
        f"/v1/calls/{target}/reviews",
        headers=auth(second),
        json={"decisions": [{"check_id": "forbidden_expressions", "decision": "overturn", "reason": "转述"}]},
    )
    calib = client.get("/v1/calibration", headers=sup).json()["forbidden_expressions"]
    assert calib["agreement"]["pairs"] == 1 and calib["agreement"]["percent_agreement"] == 0.0
    assert calib["decisions"]["failed_overturned"] == 1 and calib["failure_precision"]["estimate"] < 1

    # Assessments: A1 is worse than A2; A2's complaint costs points; reviews move A1's card.
    cards = {
        c["agent_id"]: c
        for c in client.get("/v1/assessments", headers=sup, params={"period": "2026-11"}).json()
    }
    assert set(cards) == {"A1", "A2"} and cards["A1"]["calls"] == 7 and cards["A2"]["calls"] == 6
    assert cards["A2"]["complaints"] == 1 and cards["A2"]["penalty"] == 5
    assert cards["A1"]["rank_in_team"] == 2 and cards["A2"]["rank_in_team"] == 1
    top = cards["A1"]["top_failed_checks"][0]
    assert top["count"] >= 3 and set(top["example_calls"]) <= set(month.values())
    before = cards["A1"]["total"]
    for call_id in flagged_picks:  # reviewers find the forbidden expressions were quotes
        client.post(
            f"/v1/calls/{call_id}/reviews",
            headers=admin,
            json={
                "decisions": [{"check_id": "forbidden_expressions", "decision": "overturn", "reason": "转述"}]
            },
        )
    after = client.get("/v1/agents/A1/scorecard", headers=sup, params={"period": "2026-11"}).json()
    assert after["total"] > before

    exported = client.get("/v1/assessments", headers=sup, params={"period": "2026-11", "format": "csv"})
    assert exported.headers["content-type"].startswith("text/csv") and exported.content.startswith(
        b"\xef\xbb\xbf"
    )
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert {r["agent_id"] for r in rows} == {"A1", "A2"}
    xlsx = client.get("/v1/assessments", headers=sup, params={"period": "2026-11", "format": "xlsx"})
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None and sheet.max_row == 3 and sheet.cell(1, 1).value == "agent_id"
    assert (
        client.get(
            "/v1/assessments", headers=auth(keys["reviewer"]), params={"period": "2026-11"}
        ).status_code
        == 403
    )
    assert client.get("/v1/assessments", headers=sup, params={"period": "November"}).status_code == 422


def test_scheduled_plans_run_when_their_period_ends(client, keys, month, settings):
    sup = auth(keys["supervisor"])
    plan = client.post(
        "/v1/spot-check-plans",
        headers=sup,
        json={"name": "weekly", "spec": {"period": "week", "count": 1}, "scheduled": True},
    ).json()
    assert plan["next_run_at"] is not None
    with session_scope(settings.db_url) as session:
        assert run_due_plans(session) == 0  # not due yet
        row = session.get(SpotCheckPlan, plan["id"])
        assert row is not None
        row.next_run_at = utcnow() - timedelta(minutes=1)
    with session_scope(settings.db_url) as session:
        assert run_due_plans(session) == 1
        row = session.get(SpotCheckPlan, plan["id"])
        assert row is not None and row.next_run_at is not None and row.next_run_at > utcnow()
    [run] = client.get("/v1/spot-checks", headers=sup, params={"plan_id": plan["id"]}).json()
    assert run["triggered_by"] == "schedule"
