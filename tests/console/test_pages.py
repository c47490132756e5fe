"""Console pages by role, CSRF on forms and on cookie-signed API calls, the review actions,
translations and PII masking."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.app import create_app
from api.console import i18n
from qa_service.config import PiiSettings
from qa_service.db.session import session_scope
from qa_service.db.tables import AuditEntry, Review, ReviewItem
from qa_service.users import attempt_sign_in, create_user
from tests.conftest import ZH_DEFAULT_VERSION
from tests.console.conftest import PASSWORD, PEOPLE, make_settings, scored_call, signed_in

TEMPLATES = Path(i18n.__file__).parent / "templates"


@pytest.fixture
def call_id(client, settings, people):
    return scored_call(client, settings)


def _item(settings, call_id: str) -> int:
    with session_scope(settings.db_url) as session:
        return int(session.scalars(select(ReviewItem.id).where(ReviewItem.call_id == call_id)).one())


PAGES = {  # path: roles that may open it
    "/queue": {"reviewer", "supervisor", "admin"},
    "/calls?all=1": {"reviewer", "supervisor", "admin"},
    "/spot-checks": {"reviewer", "supervisor", "admin"},
    "/disputes": {"reviewer", "supervisor", "admin"},
    "/rubrics": {"reviewer", "supervisor", "admin"},
    f"/rubrics/zh-CN.default/{ZH_DEFAULT_VERSION}": {"reviewer", "supervisor", "admin"},
    "/team": {"supervisor", "admin"},
    "/agents/A1024/scorecard?period=2026-11": {"supervisor", "admin"},
}


@pytest.mark.parametrize("username", ["li", "wang", "root"])
def test_each_role_reaches_its_pages_and_no_others(client, people, call_id, username):
    signed_in(client, username)
    role = PEOPLE[username]
    for path, roles in {**PAGES, f"/calls/{call_id}": {"reviewer", "supervisor", "admin"}}.items():
        response = client.get(path)
        expected = 200 if role in roles else 403
        assert response.status_code == expected, (path, role, response.text[:300])
        if expected == 403:
            assert "您的角色无权访问此页面" in response.text


def test_forms_of_other_roles_are_refused(client, people, call_id):
    csrf = signed_in(client, "li")
    for path, data in {
        "/spot-checks/plans": {"name": "x", "mode": "count", "size": "2"},
        "/queue/assign": {"reviewer": "1"},
        f"/rubrics/zh-CN.default/{ZH_DEFAULT_VERSION}/activate": {},
    }.items():
        assert client.post(path, data={**data, "csrf_token": csrf}).status_code == 403, path


def test_every_console_form_needs_the_session_csrf_token(client, people, call_id, settings):
    csrf = signed_in(client, "li")
    item = _item(settings, call_id)
    forged = client.post(f"/queue/{item}/claim", data={"csrf_token": "forged"})
    assert forged.status_code == 403 and "安全校验失败" in forged.text
    assert client.post(f"/queue/{item}/claim", data={}).status_code == 403
    claimed = client.post(f"/queue/{item}/claim", data={"csrf_token": csrf})
    assert claimed.status_code == 303 and claimed.headers["location"] == f"/calls/{call_id}"
    assert "已分配给我" in client.get(claimed.headers["location"]).text


def test_a_supervisor_assigns_one_call_to_the_reviewer_they_choose(client, people, call_id, settings):
    with session_scope(settings.db_url) as session:
        create_user(session, "qian", PASSWORD, "supervisor", team="二组")
    item = _item(settings, call_id)
    csrf = signed_in(client, "qian")  # scoped to another team: refused, nothing assigned
    refused = client.post(f"/queue/{item}/assign", data={"reviewer": str(people["zhao"]), "csrf_token": csrf})
    assert refused.status_code == 303 and "分配失败" in client.get(refused.headers["location"]).text
    client.cookies.clear()
    csrf = signed_in(client, "wang")
    page = client.get("/queue").text
    assert f'action="/queue/{item}/assign"' in page and 'aria-label="分配给 pbx-c1"' in page
    done = client.post(f"/queue/{item}/assign", data={"reviewer": str(people["zhao"]), "csrf_token": csrf})
    assert done.status_code == 303 and "已分配的通话数" in client.get(done.headers["location"]).text
    with session_scope(settings.db_url) as session:
        stored = session.get(ReviewItem, item)
        assert stored is not None and (stored.status, stored.assigned_to) == ("assigned", people["zhao"])
    client.cookies.clear()
    csrf = signed_in(client, "li")  # reviewers cannot assign to others
    assert client.post(f"/queue/{item}/assign", data={"reviewer": "1", "csrf_token": csrf}).status_code == 403


def test_templates_put_a_csrf_field_in_every_post_form():
    for path in TEMPLATES.glob("*.html"):
        for form in re.findall(r"<form[^>]*method=\"post\"[^>]*>(.*?)</form>", path.read_text(), re.S):
            assert "csrf" in form, path.name


def test_the_json_api_accepts_the_session_cookie_with_the_csrf_header(client, people, call_id, settings):
    csrf = signed_in(client, "li")
    item = _item(settings, call_id)
    assert client.post(f"/v1/review-queue/{item}/claim").status_code == 403  # no header
    assert client.post(f"/v1/review-queue/{item}/claim", headers={"X-CSRF-Token": "x"}).status_code == 403
    assert client.post(f"/v1/review-queue/{item}/claim", headers={"X-CSRF-Token": csrf}).status_code == 200
    assert [i["call_id"] for i in client.get("/v1/review-queue").json()] == [call_id]
    review = {
        "decisions": [
            {"check_id": "forbidden_expressions", "decision": "overturn", "reason": "客户原话，非坐席"}
        ]
    }
    posted = client.post(f"/v1/calls/{call_id}/reviews", json=review, headers={"X-CSRF-Token": csrf})
    assert posted.status_code == 201, posted.text
    assert client.get("/v1/agents/A1024/scorecard?period=2026-11").status_code == 403  # reviewers
    with session_scope(settings.db_url) as session:
        stored = session.scalars(select(Review)).one()
        assert stored.reviewer_id == people["li"]
        actors = set(session.scalars(select(AuditEntry.actor)))
        assert "reviewer:li" in actors


def test_the_call_page_shows_player_timeline_transcript_and_findings(client, people, call_id):
    signed_in(client, "wang")
    page = client.get(f"/calls/{call_id}").text
    assert f'src="/v1/calls/{call_id}/audio"' in page
    assert 'class="tl-seg tl-agent jump"' in page and 'class="tl-seg tl-customer jump"' in page
    assert page.count('class="w"') > 20  # words to highlight
    assert 'class="jump finding-jump" data-start="9.5"' in page  # the forbidden expression
    assert 'name="decision-forbidden_expressions"' in page
    assert "服务之星" not in page and "/agents/A1024/scorecard" in page


def test_the_reviewer_reviews_through_the_page_and_the_scorecard_follows(client, people, call_id, settings):
    csrf = signed_in(client, "wang")
    before = client.get("/agents/A1024/scorecard?period=2026-11").text
    total = re.search(r'id="scorecard-total">([\d.]+)<', before)
    assert total
    assert client.post(
        f"/v1/calls/{call_id}/reviews",
        json={"decisions": [{"check_id": "forbidden_expressions", "decision": "overturn", "reason": "误判"}]},
        headers={"X-CSRF-Token": csrf},
    ).is_success
    after = re.search(
        r'id="scorecard-total">([\d.]+)<', client.get("/agents/A1024/scorecard?period=2026-11").text
    )
    assert after and float(after.group(1)) > float(total.group(1))
    assert "误判" in client.get(f"/calls/{call_id}").text


def _text(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html)


def test_personal_numbers_are_masked_unless_the_role_may_see_them(tmp_path, db_url):
    settings = make_settings(tmp_path, db_url, pii=PiiSettings(mask=False, unmasked_roles=["admin"]))
    with session_scope(settings.db_url) as session:
        create_user(session, "wang", PASSWORD, "supervisor")
        create_user(session, "root", PASSWORD, "admin")
    with TestClient(create_app(settings), follow_redirects=False) as client:
        call_id = scored_call(client, settings)
        signed_in(client, "wang")
        masked = _text(client.get(f"/calls/{call_id}").text)
        assert "13812764509" not in masked and "*******4509" in masked and "个人信息已脱敏" in masked
        client.cookies.clear()
        signed_in(client, "root")
        shown = _text(client.get(f"/calls/{call_id}").text)
        assert "13812764509" in shown and "个人信息已脱敏" not in shown


def test_chinese_by_default_and_english_on_request(client, people):
    signed_in(client, "li")
    page = client.get("/queue").text
    assert '<html lang="zh-CN">' in page and "复核队列" in page
    switched = client.get("/lang?to=en&next=/queue")
    assert switched.status_code == 303 and switched.headers["location"] == "/queue"
    page = client.get("/queue").text
    assert '<html lang="en">' in page and "Review queue" in page and "复核队列" not in page


def test_both_catalogues_hold_the_same_keys_and_every_key_the_templates_use():
    zh, en = i18n.catalogue("zh-CN"), i18n.catalogue("en")
    assert set(zh) == set(en)
    used = set()
    sources = [*TEMPLATES.glob("*.html"), *TEMPLATES.parent.glob("*.py")]
    for path in sources:
        used |= set(re.findall(r"""t\(\s*["']([a-z_]+\.[a-z_.]+)["']""", path.read_text()))
        used |= set(re.findall(r"""["'](flash\.[a-z_]+|error\.[a-z_]+)["']""", path.read_text()))
    keys = {k for k in used if not k.endswith((".", ".html"))}  # prefixes of composed keys, file names
    assert len(keys) > 150 and keys - set(zh) == set()


def test_bad_input_gets_a_clear_message(client, people, settings):
    csrf = signed_in(client, "wang")
    bad_date = client.get("/calls?from=2026-13-01")
    assert bad_date.status_code == 400 and "日期格式不正确" in bad_date.text
    plan = client.post(
        "/spot-checks/plans", data={"csrf_token": csrf, "name": "p", "mode": "count", "size": "0"}
    )
    assert plan.status_code == 303
    assert "抽查计划有误" in client.get("/spot-checks").text


def test_spot_check_plans_disputes_and_rubrics_through_the_forms(client, people, call_id, settings):
    csrf = signed_in(client, "wang")
    created = client.post(
        "/spot-checks/plans",
        data={
            "csrf_token": csrf,
            "name": "每人每月2通",
            "period": "month",
            "mode": "count",
            "size": "2",
            "stratify_by": "flagged",
        },
    )
    assert created.status_code == 303 and "已创建抽查计划" in client.get("/spot-checks").text
    ran = client.post("/spot-checks/plans/1/run", data={"csrf_token": csrf, "day": "2026-11-15"})
    assert ran.status_code == 303 and ran.headers["location"].startswith("/spot-checks/runs/")
    run_page = client.get(ran.headers["location"]).text
    assert "A1024" in run_page and "随机种子" in run_page

    opened = client.post(
        f"/calls/{call_id}/disputes",
        data={"csrf_token": csrf, "check_id": "forbidden_expressions", "reason": "客户原话"},
    )
    assert opened.status_code == 303 and "已提交申诉" in client.get(f"/calls/{call_id}").text
    client.cookies.clear()
    csrf = signed_in(client, "zhao")
    resolved = client.post(
        "/disputes/1/resolve", data={"csrf_token": csrf, "outcome": "upheld", "resolution": "同意"}
    )
    assert resolved.status_code == 303 and "申诉已处理" in client.get("/disputes").text

    tried = client.post(
        f"/rubrics/zh-CN.default/{ZH_DEFAULT_VERSION}/try",
        data={
            "csrf_token": csrf,
            "content": _rubric(settings),
            "dialogue": "agent: 这不是我们的问题，我们不负责。",
        },
    )
    assert tried.status_code == 200 and "标准有效" in tried.text and "forbidden_expressions" in tried.text
    broken = client.post(
        f"/rubrics/zh-CN.default/{ZH_DEFAULT_VERSION}/try",
        data={"csrf_token": csrf, "content": "id: [", "dialogue": ""},
    )
    assert "标准有误" in broken.text


def _rubric(settings) -> str:
    return (settings.rubric_dir / "zh-CN.default.yaml").read_text(encoding="utf-8")


def test_search_by_words_said_and_by_failed_check(client, people, call_id):
    signed_in(client, "li")
    assert call_id in client.get("/calls?q=快递").text
    assert call_id not in client.get("/calls?q=退款").text
    assert call_id in client.get("/calls?failed_check=forbidden_expressions").text


def test_the_users_command_reads_the_password_from_stdin(settings, monkeypatch, capsys):
    import io

    from qa_service import cli

    monkeypatch.setenv("QA_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("QA_DATABASE_URL", settings.db_url)
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-password\n"))
    assert (
        cli.main(["users", "create", "--username", "chen", "--role", "supervisor", "--team", "售后一组"]) == 0
    )
    out = capsys.readouterr().out
    assert "chen" in out and "a-long-password" not in out
    with session_scope(settings.db_url) as session:
        user = attempt_sign_in(session, "chen", "a-long-password", settings.console)
        assert not isinstance(user, Exception) and user.team == "售后一组"


def test_the_scorecard_keeps_its_tables_without_the_chart_library(
    client, people, call_id, monkeypatch, tmp_path
):
    from api.console import render

    signed_in(client, "wang")
    page = client.get("/agents/A1024/scorecard?period=2026-11").text
    if render.CHART_JS.is_file():
        assert '<script src="/static/vendor/chart.umd.min.js"' in page
    monkeypatch.setattr(render, "CHART_JS", tmp_path / "missing.js")
    page = client.get("/agents/A1024/scorecard?period=2026-11").text
    assert "chart.umd.min.js" not in page and 'id="trend-table"' in page and "2026-11" in page


def test_console_pages_forbid_outside_assets_and_framing(client, people):
    signed_in(client, "li")
    headers = client.get("/queue").headers
    assert "default-src 'self'" in headers["content-security-policy"]
    assert "script-src 'self'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY" and headers["cache-control"] == "no-store"
    for path in (Path(i18n.__file__).parent / "templates").glob("*.html"):
        assert not re.search(r"""(src|href)=["']https?://""", path.read_text()), path.name


def test_admins_activate_a_rubric_version_for_a_queue(client, people, settings):
    csrf = signed_in(client, "root")
    done = client.post(
        f"/rubrics/zh-CN.default/{ZH_DEFAULT_VERSION}/activate", data={"csrf_token": csrf, "queue": "vip"}
    )
    assert done.status_code == 303 and "已启用" in client.get("/rubrics").text
    assert "启用中: vip" in client.get("/rubrics").text
    missing = client.post("/rubrics/zh-CN.default/9/activate", data={"csrf_token": csrf})
    assert "启用失败" in client.get(missing.headers["location"]).text


@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_no_page_shows_a_catalogue_key_instead_of_its_text(client, people, call_id, language):
    signed_in(client, "root")
    client.get(f"/lang?to={language}")
    untranslated = re.compile(r"\b(?:[a-z_]+\.)+[a-z_]+\b")
    known = set(i18n.catalogue(language))
    for path in (*PAGES, f"/calls/{call_id}", "/calls?q=快递"):
        text = _text(re.sub(r"<script.*?</script>", "", client.get(path).text, flags=re.S))
        leaked = {k for k in untranslated.findall(text) if k in known or k.split(".")[0] in _PREFIXES}
        assert leaked == set(), (path, leaked)


_PREFIXES = {k.split(".")[0] for k in i18n.catalogue("zh-CN")} - {"zh-CN"}


def test_the_player_streams_byte_ranges_to_a_signed_in_browser(client, people, call_id):
    signed_in(client, "li")
    part = client.get(f"/v1/calls/{call_id}/audio", headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and len(part.content) == 100
    assert part.headers["content-range"].startswith("bytes 100-199/")
