"""End to end in Debian's Chromium (driven by Playwright) against the app on loopback: a call
processed by the real pipeline is reviewed in the console and the agent's scorecard follows.
Screenshots go to test-artifacts/console/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize, sync_playwright

from api.app import create_app
from qa_service.config import Settings
from qa_service.db.session import get_engine, session_scope
from qa_service.db.tables import Call
from qa_service.keys import create_key
from qa_service.users import create_user
from qa_service.worker import claim_next, process_call
from tests.conftest import ROOT, SAMPLES, ZH_DEFAULT_VERSION
from tests.console.conftest import PASSWORD, make_settings
from tests.service.conftest import metadata, upload
from tests.service.live import live_server

CHROMIUM = Path("/usr/bin/chromium")
# This machine's network is closed: without these flags Chromium stalls on its own services.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]
ARTIFACTS = ROOT / "test-artifacts" / "console"
LAPTOP: ViewportSize = {"width": 1366, "height": 768}
PERIOD = "2026-11"  # the month of the uploaded call (tests.service.conftest.metadata)


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """One service for the module: a reviewer and a supervisor, and zh-dev-11-cut uploaded and
    processed by the real pipeline (flagged: a forbidden expression, an interruption)."""
    tmp = tmp_path_factory.mktemp("console-e2e")
    settings: Settings = make_settings(tmp, f"sqlite:///{tmp / 'qa.db'}")
    with session_scope(settings.db_url) as session:
        create_user(session, "li", PASSWORD, "reviewer")
        create_user(session, "wang", PASSWORD, "supervisor")
        uploader = create_key(session, "uploader", "pbx-e2e")
    with TestClient(create_app(settings)) as client:
        call_id = upload(client, uploader, SAMPLES / "zh-dev-11-cut.wav", metadata("e2e-1")).json()["id"]
    assert claim_next(settings, "e2e") == call_id
    assert process_call(call_id, settings, "e2e").status == "done"
    with session_scope(settings.db_url) as session:
        call = session.get(Call, call_id)
        assert call is not None and call.flagged and call.result is not None
        failed = next(
            f
            for f in call.result["findings"]
            if f["check_id"] == "forbidden_expressions" and f["status"] == "failed"
        )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with live_server(settings) as url:
        yield {"url": url, "call_id": call_id, "finding_start": failed["evidence"][0]["start"]}
    get_engine(settings.db_url).dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert CHROMIUM.is_file(), (
        "the console's browser tests need Debian's Chromium: apt-get install chromium "
        "(make test and .ci/run install it as root)"
    )
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _signed_in(browser: Browser, url: str, username: str) -> tuple[BrowserContext, Page]:
    context = browser.new_context(viewport=LAPTOP, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{url}/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{url}/queue")
    return context, page


def _total(page: Page) -> float:
    return float(page.locator("#scorecard-total").inner_text())


def _audio_time(page: Page) -> float:
    return float(page.evaluate("document.getElementById('audio').currentTime"))


def test_review_from_the_queue_to_the_scorecard(browser: Browser, service: dict[str, Any]) -> None:
    url, call_id = service["url"], service["call_id"]
    boss, scorecard = _signed_in(browser, url, "wang")
    scorecard.goto(f"{url}/agents/A1024/scorecard?period={PERIOD}")
    scorecard.wait_for_function(
        "() => window.Chart && Chart.getChart(document.getElementById('trend-chart'))"
    )
    assert scorecard.evaluate("Chart.getChart(document.getElementById('category-chart')) !== undefined")
    before = _total(scorecard)
    scorecard.screenshot(path=ARTIFACTS / "scorecard-before.png", full_page=True)

    reviewer, page = _signed_in(browser, url, "li")
    row = page.locator(f"#sec-open ~ table tr[data-call='{call_id}']")
    assert "严重违规" in row.inner_text()
    page.screenshot(path=ARTIFACTS / "queue.png", full_page=True)
    row.get_by_role("button", name=re.compile("分配给我")).click()
    page.wait_for_url(f"{url}/calls/{call_id}")
    assert "已分配给我" in page.locator("#flash").inner_text()

    page.wait_for_function("document.getElementById('audio').readyState >= 1")
    start = service["finding_start"]
    finding = page.locator("li.finding[data-check='forbidden_expressions']")
    finding.locator(".finding-jump").first.click()
    page.wait_for_function(f"Math.abs(document.getElementById('audio').currentTime - {start}) < 0.5")
    assert abs(_audio_time(page) - start) < 0.5
    page.wait_for_selector(".w.current")  # the word being said is highlighted
    page.screenshot(path=ARTIFACTS / "call-playing.png", full_page=True)
    page.evaluate("document.getElementById('audio').pause()")

    first_utterance = page.locator(".utt").nth(1)
    first_utterance.locator(".utt-time").click()
    utterance_start = float(first_utterance.get_attribute("data-start") or 0)
    page.wait_for_function(
        f"Math.abs(document.getElementById('audio').currentTime - {utterance_start}) < 0.5"
    )
    page.evaluate("document.getElementById('audio').pause()")

    finding.get_by_label("推翻").check()
    finding.get_by_label(re.compile("理由")).fill("客户原话，非坐席")
    page.get_by_label("说明").fill("退货时限说错")
    page.get_by_label("扣分").fill("2")
    page.get_by_role("button", name="提交复核").click()
    page.wait_for_selector("#flash >> text=复核已提交")
    assert "人工复核" in page.locator("#effective-score").inner_text()
    reviews = page.locator("#h-reviews ~ table").inner_text()
    assert "客户原话，非坐席" in reviews and "业务知识: 退货时限说错 (−2.0)" in reviews
    page.screenshot(path=ARTIFACTS / "call-reviewed.png", full_page=True)

    scorecard.reload()
    after = _total(scorecard)
    assert after > before, (before, after)
    scorecard.screenshot(path=ARTIFACTS / "scorecard-after.png", full_page=True)
    boss.close()
    reviewer.close()


def test_the_player_works_from_the_keyboard(browser: Browser, service: dict[str, Any]) -> None:
    context, page = _signed_in(browser, service["url"], "wang")
    page.goto(f"{service['url']}/calls/{service['call_id']}")
    page.wait_for_function("document.getElementById('audio').readyState >= 1")
    page.screenshot(path=ARTIFACTS / "call-laptop-screen.png")  # what a 1366×768 screen shows
    page.focus("#player")
    page.keyboard.press("Space")
    page.wait_for_function("!document.getElementById('audio').paused")
    page.keyboard.press("Space")
    page.wait_for_function("document.getElementById('audio').paused")
    before = _audio_time(page)
    page.keyboard.press("ArrowRight")
    assert _audio_time(page) == pytest.approx(before + 5, abs=0.3)
    page.keyboard.press("ArrowLeft")
    assert _audio_time(page) == pytest.approx(before, abs=0.3)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "play"
    assert page.get_attribute("#play", "aria-label") == "播放"
    page.keyboard.press("Enter")
    page.wait_for_function("!document.getElementById('audio').paused")
    assert page.get_attribute("#play", "aria-label") == "暂停"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")  # back, forward, then the position slider
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "seek"
    at = _audio_time(page)
    page.keyboard.press("ArrowRight")
    assert _audio_time(page) == pytest.approx(
        min(at + 5, page.evaluate("document.getElementById('audio').duration")), abs=0.3
    )
    context.close()


UNNAMED_CONTROLS = """() => Array.from(document.querySelectorAll(
    'input:not([type=hidden]), select, textarea, button, canvas, audio, [role=group]')).filter((el) => {
  const text = (node) => (node && node.textContent || '').trim();
  if ((el.getAttribute('aria-label') || '').trim() || el.getAttribute('aria-labelledby')) return false;
  if (el.id && text(document.querySelector(`label[for="${CSS.escape(el.id)}"]`))) return false;
  if (text(el.closest('label'))) return false;
  if (el.tagName === 'BUTTON' && text(el)) return false;
  if (el.tagName === 'AUDIO' && !el.controls) return false;  // driven by the labelled controls
  return true;
}).map((el) => el.outerHTML.slice(0, 160))"""


def test_every_control_has_an_accessible_name(browser: Browser, service: dict[str, Any]) -> None:
    url, call_id = service["url"], service["call_id"]
    context, page = _signed_in(browser, url, "wang")
    for path in (
        "/queue",
        f"/calls/{call_id}",
        "/calls?all=1",
        f"/agents/A1024/scorecard?period={PERIOD}",
        f"/team?period={PERIOD}",
        "/spot-checks",
        "/disputes",
        f"/rubrics/zh-CN.default/{ZH_DEFAULT_VERSION}",
    ):
        page.goto(f"{url}{path}")
        assert page.evaluate(UNNAMED_CONTROLS) == [], path
        assert page.evaluate("document.documentElement.lang") == "zh-CN"
    context.close()


def test_english_is_one_click_away(browser: Browser, service: dict[str, Any]) -> None:
    context, page = _signed_in(browser, service["url"], "wang")
    page.goto(f"{service['url']}/team?period={PERIOD}")
    page.get_by_role("link", name="English").click()
    page.wait_for_function("document.documentElement.lang === 'en'")
    assert "Team scorecards" in page.locator("h1").inner_text()
    assert "A1024" in page.locator("#team-table").inner_text()
    page.screenshot(path=ARTIFACTS / "team-en.png", full_page=True)
    context.close()
