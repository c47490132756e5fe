"""Signing in and out of the console: cookies, rotation, CSRF on the form, lockout, redirects."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api.app import create_app
from api.console.auth import SESSION_COOKIE
from tests.console.conftest import PASSWORD, csrf_of, sign_in, signed_in


def _plant(client, token: str) -> None:
    client.cookies.delete(SESSION_COOKIE)
    client.cookies.set(SESSION_COOKIE, token, domain="testserver.local")


def _cookie_header(response) -> str:
    return next(v for k, v in response.headers.multi_items() if k == "set-cookie" and SESSION_COOKIE in v)


def test_sign_in_sets_an_httponly_samesite_cookie_and_a_new_token_each_time(client, people):
    first = sign_in(client, "li")
    assert first.status_code == 303 and first.headers["location"] == "/queue"
    header = _cookie_header(first).lower()
    assert "httponly" in header and "samesite=lax" in header and "secure" not in header
    assert client.get("/login").headers["location"] == "/queue"  # signed in already


def test_signing_in_replaces_the_session_the_browser_had(client, people):
    sign_in(client, "zhao")
    planted = client.cookies[SESSION_COOKIE]
    client.cookies.clear()
    form = client.get("/login")
    _plant(client, planted)
    response = client.post(
        "/login", data={"username": "li", "password": PASSWORD, "csrf_token": csrf_of(form.text)}
    )
    assert response.status_code == 303 and client.cookies[SESSION_COOKIE] != planted
    _plant(client, planted)
    assert client.get("/queue").status_code == 303  # the old token no longer signs anyone in


def test_the_cookie_is_secure_over_https(settings, people):
    settings.console.secure_cookie = "auto"
    with TestClient(create_app(settings), base_url="https://qa.example", follow_redirects=False) as c:
        assert "secure" in _cookie_header(sign_in(c, "li")).lower()


def test_wrong_passwords_are_refused_with_a_message_and_lock_the_user_out(client, people, settings):
    settings.console.max_failed_sign_ins = 2
    refused = sign_in(client, "li", "wrong password")
    assert refused.status_code == 303 and refused.headers["location"].startswith("/login")
    assert "用户名或密码错误" in client.get(refused.headers["location"]).text
    sign_in(client, "li", "wrong password")
    locked = sign_in(client, "li", PASSWORD)
    assert "暂时锁定" in client.get(locked.headers["location"]).text
    assert SESSION_COOKIE not in client.cookies


def test_the_sign_in_form_needs_its_csrf_token(client, people):
    client.get("/login")
    refused = client.post("/login", data={"username": "li", "password": PASSWORD, "csrf_token": "forged"})
    assert refused.status_code == 403 and "安全校验失败" in refused.text
    assert SESSION_COOKIE not in client.cookies


def test_pages_send_visitors_to_sign_in_and_back(client, people):
    response = client.get("/calls?agent=A1024")
    assert response.status_code == 303 and response.headers["location"] == "/login?next=/calls?agent=A1024"
    assert client.get("/").headers["location"] == "/login"
    assert sign_in(client, "li", next="//evil.example/x").headers["location"] == "/queue"


def test_sign_out_needs_the_csrf_token_and_ends_the_session(client, people):
    csrf = signed_in(client, "li")
    assert client.post("/logout", data={"csrf_token": "nope"}).status_code == 403
    out = client.post("/logout", data={"csrf_token": csrf})
    assert out.status_code == 303 and out.headers["location"] == "/login"
    assert client.get("/queue").status_code == 303


def test_one_address_failing_on_many_user_names_is_held_off_and_not_checked(settings, people):
    settings.console.max_failed_sign_ins_per_client = 3
    with TestClient(create_app(settings), follow_redirects=False) as c:
        for name in ("li", "zhao", "nobody"):  # one wrong guess each: no user reaches its lockout
            assert sign_in(c, name, "wrong password").status_code == 303
        held = sign_in(c, "wang", PASSWORD)  # the right password, but from the same address
        assert held.status_code == 429 and "登录失败次数过多" in held.text
        assert SESSION_COOKIE not in c.cookies
    with TestClient(create_app(settings), follow_redirects=False) as other:  # another process's count
        assert sign_in(other, "wang", PASSWORD).headers["location"] == "/queue"
