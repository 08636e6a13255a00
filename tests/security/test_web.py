"""The web UI against a browser-borne attacker: CSRF on every form, cookie flags, the strict CSP on every page, no
HTML injection through a diagram's names and texts or the case data, password policy and lock-out, tokens that
expire and can be revoked, and documents that are never rendered inline."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from typing import Any
from xml.sax.saxutils import escape as xml_escape

import pytest
from sqlalchemy import select
from web.conftest import MATERIALS, START
from web.webkit import PDF, PNG, deploy_files, health_card_files, sign_in

from engine.errors import AuthenticationRequired, InvalidInput, SignInThrottled
from engine.people.identity import (
    authenticate_password,
    authenticate_token,
    create_token,
    create_user,
    password_problems,
    revoke_tokens,
    set_password,
)
from engine.store.models import Attachment
from ui import create_app
from ui.web.pages import CONTENT_SECURITY_POLICY, SECURITY_HEADERS

from .conftest import World
from .diagrams import escalation_files
from .test_authorisation_matrix import MATRIX

SCRIPT = "<script>alert(1)</script>"
IMG = '<img src=x onerror="alert(2)">'


def _example_path(rule: str) -> str:
    """The rule with example values: 1 for numbers, an any()'s first choice, x for text."""
    rule = re.sub(r"<any\(\s*([^,)\s]+)[^>]*>", r"\1", rule)
    return re.sub(r"<([^:>]+:)?[^>]+>", lambda m: "1" if (m.group(1) or "").startswith("int") else "x", rule)


def _web_posts(app: Any) -> list[str]:
    """Every state-changing web route (the API authenticates with bearer tokens, not cookies)."""
    return sorted({_example_path(rule.rule) for rule in app.url_map.iter_rules()
                   if not rule.rule.startswith("/api/") and rule.methods & {"POST", "PUT", "PATCH", "DELETE"}})


@pytest.fixture
def csrf_app(platform: Any, people: Any) -> Any:
    return create_app({"TESTING": True}, platform=platform)  # CSRF on, as in production


def test_every_web_post_without_its_csrf_token_is_refused(csrf_app: Any, world: World) -> None:
    posts = _web_posts(csrf_app)
    assert {"/sign-in", "/sign-out", "/tasks/1", "/tasks/1/claim", "/portal/services/x"} <= set(posts)
    anonymous = csrf_app.test_client()
    assert anonymous.post("/sign-in", data={"username": "admin", "password": "correct horse battery"}
                          ).status_code == 400
    for user in ("admin", "win_dcf", "applicant", "designer"):
        client = csrf_app.test_client()
        assert sign_in(client, user).status_code == 302
        for path in posts:
            response = client.post(path, data={"name": "x", "lang": "en"})
            assert response.status_code == 400, (user, path, response.status_code)
            assert "CSRF" in response.get_data(as_text=True), path
            forged = client.post(path, data={"csrf_token": "forged"}, headers={"X-CSRFToken": "forged"})
            assert forged.status_code == 400, (user, path)
    target = world.county_case()
    staff = csrf_app.test_client()
    sign_in(staff, "win_dcf")
    page = staff.get(f"/tasks/{target['task']}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token, "the task page carries its token"
    assert staff.post(f"/tasks/{target['task']}/claim", data={"csrf_token": token.group(1)}).status_code == 302


def test_production_cookies_are_secure_httponly_and_samesite(platform: Any, people: Any) -> None:
    app = create_app({}, platform=platform)
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["SESSION_COOKIE_HTTPONLY"]
    assert app.config["SESSION_COOKIE_SAMESITE"] in ("Lax", "Strict")
    assert app.config["REMEMBER_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_HTTPONLY"]
    client = app.test_client()
    page = client.get("/sign-in", base_url="https://localhost").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    signed = client.post("/sign-in", base_url="https://localhost", headers={"Referer": "https://localhost/sign-in"},
                         data={"username": "win_dcf", "password": "correct horse battery",
                               "csrf_token": token.group(1) if token else ""})
    assert signed.status_code == 302
    set_cookies = signed.headers.getlist("Set-Cookie")
    assert set_cookies, "signing in sets the session cookie"
    for cookie in set_cookies:
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie, cookie
    assert not any(c.startswith("remember_token") for c in set_cookies), "no long-lived remember cookie"


def _web_gets(world: World) -> list[str]:
    target = {**world.county_case(), **world.timer_case(), **world.saved_filter()}
    return [check.path.format(**target) for methods in MATRIX.values() for method, check in methods.items()
            if method == "GET" and not check.path.startswith("/api/") and check.path not in ("/metrics",)]


INLINE_STYLE_PAGES = ("/designer/api", "/designer/flows/health_card/versions/1/dmn/")
INLINE_STYLES = CONTENT_SECURITY_POLICY.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")


def test_every_html_page_has_the_strict_csp_and_no_inline_code(web_app: Any, world: World) -> None:
    assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY and "'unsafe-eval'" not in CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY and "object-src 'none'" in CONTENT_SECURITY_POLICY
    assert "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY
    pages = 0
    for user in (None, "applicant", "win_dcf", "designer", "admin"):
        client = web_app.test_client()
        if user:
            sign_in(client, user)
        for path in [*_web_gets(world), "/no-such-page"]:
            response = client.get(path)
            response.close()
            assert response.headers.get("X-Content-Type-Options") == "nosniff", path
            for name, _value in SECURITY_HEADERS:  # once each: a view's own value replaces the default
                assert len(response.headers.getlist(name)) == 1, (path, name)
            if response.mimetype != "text/html":
                continue
            pages += 1
            assert "no-store" in response.headers.getlist("Cache-Control")[-1], path
            assert len(response.headers.getlist("Cache-Control")) == 1, path
            html = response.get_data(as_text=True)
            # dmn-js and Swagger UI set style attributes as they draw: those two pages allow inline styles, and
            # nothing else is relaxed (ui/web/dmn_editor.py); every other page keeps the strict policy.
            relaxed = path.startswith(INLINE_STYLE_PAGES) and response.status_code == 200
            policy = INLINE_STYLES if relaxed else CONTENT_SECURITY_POLICY
            assert response.headers["Content-Security-Policy"] == policy, path
            assert response.headers["X-Frame-Options"] == "DENY", path
            assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), f"inline script on {path}"
            assert not re.search(r"\son[a-z]+\s*=", html), f"inline event handler on {path}"
            assert not re.search(r"\sstyle\s*=", html), f"inline style on {path}"
    assert pages > 20


def test_an_api_answer_carries_each_security_header_once_and_no_page_cache_header(web_app: Any) -> None:
    """JSON answers get the same headers as pages, each once; Cache-Control: no-store is for pages only."""
    response = web_app.test_client().get("/api/v1/me")  # no token: a JSON 401 through the error handlers
    assert response.status_code == 401 and response.mimetype == "application/json"
    for name, value in SECURITY_HEADERS:
        assert response.headers.getlist(name) == [value], name
    assert "Cache-Control" not in response.headers


def test_markup_in_a_diagram_or_the_data_is_shown_as_text(web_app: Any, platform: Any, flow: Any,
                                                          people: Any) -> None:
    files = escalation_files(key="escape_html", name=f'name="县级窗口受理{xml_escape(SCRIPT)}"',
                             instructions=f"请核对 {{{{ applicant }}}} 的材料 {SCRIPT} {IMG}")
    files["accept.json"] = files["accept.json"].replace("县级窗口受理".encode(), f"表单{SCRIPT}".encode())
    files["accept.json"] = files["accept.json"].replace("补贴月数".encode(), f"月数{IMG}".encode().replace(
        b'"', b'\\"'))
    files["escalation.bpmn"] = files["escalation.bpmn"].replace("受理与督办示例".encode(),
                                                                f"流程{SCRIPT}".encode().replace(b"<", b"&lt;"))
    key = deploy_files(platform, files)
    case = flow.start(key, {"applicant": f"张三{SCRIPT}{IMG}", "county": "dongchangfu", "note": IMG})
    task = flow.task("win_dcf", "accept", case)
    for user, paths in (("win_dcf", ["/tasks", f"/tasks/{task['id']}", f"/cases/{case}"]),
                        ("applicant", ["/portal", f"/cases/{case}"]), ("admin", ["/tasks?view=all"])):
        client = web_app.test_client()
        sign_in(client, user)
        for path in paths:
            html = client.get(path).get_data(as_text=True)
            assert SCRIPT not in html and "<img src=x" not in html, (user, path)
    html = web_app.test_client()
    sign_in(html, "win_dcf")
    page = html.get(f"/tasks/{task['id']}").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # shown, as text
    assert "张三&lt;script&gt;" in page  # the data inside the instructions, escaped too


# --- passwords, lock-out, tokens --------------------------------------------------------------------------

@pytest.mark.parametrize("password", ["short", "12345678901", "aaaaaaaaaa", "abababab", "password1",
                                      "win_lq-2026!", "WIN_LQ-pass", "x" * 300])
def test_weak_passwords_are_refused(platform: Any, password: str) -> None:
    assert password_problems(password, username="win_lq")
    with platform.uow() as uow, pytest.raises(InvalidInput) as refused:
        create_user("win_lq", password, role="staff", department="county_window", county="linqing",
                    organisation=platform.organisation, uow=uow, now=platform.now())
    assert any(d["field"] == "password" for d in refused.value.details)


def test_a_good_password_passes_and_changing_it_revokes_tokens(platform: Any, people: Any) -> None:
    assert password_problems("correct horse battery", username="win_lq") == []
    with platform.uow() as uow:
        with pytest.raises(InvalidInput):
            set_password("win_lq", "12345678", uow=uow, now=platform.now())
        set_password("win_lq", "一站式 服务 2026", uow=uow, now=platform.now())
        uow.commit()
    with platform.uow() as uow:
        with pytest.raises(AuthenticationRequired):
            authenticate_token(people.tokens["win_lq"], uow=uow, now=platform.now())
        assert authenticate_password("win_lq", "一站式 服务 2026", source="127.0.0.1", uow=uow,
                                     now=platform.now()).username == "win_lq"


def test_the_cli_applies_the_password_policy(platform: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from ui import cli

    monkeypatch.setattr(cli, "_platform", lambda: platform)
    runner = CliRunner()
    weak = runner.invoke(cli.main, ["users", "create", "newbie", "--role", "applicant"], input="12345678\n")
    assert weak.exit_code == 1 and "not only digits" in weak.output
    good = runner.invoke(cli.main, ["users", "create", "newbie", "--role", "applicant"], input="聊城 人才 2026\n")
    assert good.exit_code == 0, good.output
    change = runner.invoke(cli.main, ["users", "password", "newbie"], input="newbie-2026\n")
    assert change.exit_code == 1 and "user name" in change.output
    assert runner.invoke(cli.main, ["users", "password", "newbie"], input="另一个 密码 ok\n").exit_code == 0



def test_the_cli_revokes_every_token_of_a_user(client: Any, platform: Any, people: Any,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from ui import cli

    monkeypatch.setattr(cli, "_platform", lambda: platform)
    assert client.get("/api/v1/me", headers=people.headers("win_lq")).status_code == 200
    revoked = CliRunner().invoke(cli.main, ["token", "revoke", "win_lq"])
    assert revoked.exit_code == 0 and "1 token(s) of win_lq revoked" in revoked.output, revoked.output
    assert client.get("/api/v1/me", headers=people.headers("win_lq")).status_code == 401
    assert client.get("/api/v1/me", headers=people.headers("hrss1")).status_code == 200
    unknown = CliRunner().invoke(cli.main, ["token", "revoke", "nobody"])
    assert unknown.exit_code == 1 and "no user 'nobody'" in unknown.output

def test_repeated_failures_make_that_machine_wait_but_never_lock_the_account(web_app: Any, platform: Any,
                                                                            people: Any, clock: Any) -> None:
    # Before issue 12 five anonymous wrong passwords locked the account everywhere for 15 minutes: anyone could
    # lock the administrator out. Now only the machine that failed waits.
    client = web_app.test_client()
    for _ in range(5):
        assert sign_in(client, "win_dcf", "wrong password").status_code == 401
    waiting = sign_in(client, "win_dcf")  # the right password, from the same machine: not yet
    assert waiting.status_code == 429 and "登录失败次数过多" in waiting.get_data(as_text=True)
    with platform.uow() as uow, pytest.raises(SignInThrottled):
        authenticate_password("win_dcf", "correct horse battery", source="127.0.0.1", uow=uow, now=platform.now())
    with platform.uow() as uow:  # the person at their own desk
        assert authenticate_password("win_dcf", "correct horse battery", source="10.1.2.3", uow=uow,
                                     now=platform.now()).username == "win_dcf"
    clock.advance(timedelta(seconds=61))
    assert sign_in(client, "win_dcf").status_code == 302


def test_revoked_and_expired_tokens_get_401(client: Any, platform: Any, people: Any, clock: Any) -> None:
    with platform.uow() as uow:
        short = create_token("hrss1", uow=uow, now=platform.now(), lifetime=timedelta(hours=1))
        uow.commit()
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {short}"}).status_code == 200
    with platform.uow() as uow:
        revoke_tokens("win_lq", uow=uow, now=platform.now())
        uow.commit()
    revoked = client.get("/api/v1/me", headers=people.headers("win_lq"))
    assert revoked.status_code == 401 and revoked.headers["WWW-Authenticate"].startswith("Bearer")
    clock.advance(timedelta(hours=2))
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {short}"}).status_code == 401
    assert client.get("/api/v1/me", headers=people.headers("hrss1")).status_code == 200  # the others still work
    for header in ("Bearer", "Bearer ", "Basic YWRtaW46eA==", f"Bearer {short}x", "Bearer " + "A" * 10000):
        assert client.get("/api/v1/me", headers={"Authorization": header}).status_code == 401


# --- documents ------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("content", "filename"), [
    (b"<html><script>alert(1)</script></html>", "evil.html"),
    (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "evil.svg"),
    (b"%PDF-1.4<script>alert(1)</script>", "evil.html"),
    (b"<html><script>alert(1)</script></html>", "looks-fine.pdf"),
])
def test_uploaded_markup_is_refused_or_never_served_as_markup(web_app: Any, flow: Any, people: Any,
                                                              world: World, content: bytes,
                                                              filename: str) -> None:
    case = flow.start(world.health_card, START)
    task = flow.task("applicant", "submit_materials", case)
    client = web_app.test_client()
    sign_in(client, "applicant")
    # The other documents are good ones: a rejected submission stores nothing at all (tasks/attachments.py).
    response = client.post(f"/tasks/{task['id']}", content_type="multipart/form-data", data={
        "id_number": MATERIALS["id_number"], "contact_phone": MATERIALS["contact_phone"], "photo_confirmed": "true",
        "approval_form": (io.BytesIO(PDF), "审批表.pdf"), "id_card_copy": (io.BytesIO(PDF), "身份证.pdf"),
        "photo": (io.BytesIO(PNG), "张三.png"), "certification_proof": (io.BytesIO(content), filename)})
    with world.platform.uow(write=False) as uow:
        stored = uow.session.execute(select(Attachment.id, Attachment.content_type, Attachment.filename)
                                     .where(Attachment.instance_id == case,
                                            Attachment.field == "certification_proof")).all()
    if not content.startswith(b"%PDF-"):
        assert response.status_code == 422 and stored == []
        return
    [document] = stored
    assert document.content_type == "application/pdf" and document.filename.endswith(".pdf")
    download = client.get(f"/attachments/{document.id}")
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment;")


def test_a_stored_document_of_another_type_goes_out_as_an_opaque_download(web_app: Any, world: World) -> None:
    target = world.county_case()
    with world.platform.uow() as uow:  # a row written before the sniffing, or by hand: it claims to be HTML
        row = uow.session.get(Attachment, target["attachment"])
        row.content, row.content_type, row.filename = b"<script>alert(1)</script>", "text/html", "x.html"
        uow.commit()
    client = web_app.test_client()
    sign_in(client, "applicant")
    response = client.get(f"/attachments/{target['attachment']}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/octet-stream"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


def test_health_card_documents_keep_their_sniffed_type(web_app: Any, world: World) -> None:
    target = world.county_case()
    client = web_app.test_client()
    sign_in(client, "win_dcf")
    response = client.get(f"/attachments/{target['attachment']}")
    assert response.data == PDF and response.headers["Content-Type"] == "application/pdf"
    assert deploy_files(world.platform, health_card_files(uploads=True)) == "health_card"
