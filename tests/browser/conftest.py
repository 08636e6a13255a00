"""Browser fixtures: the app served from a thread on 127.0.0.1 (test platform, fixed clock) and Chromium."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import need
from web.webkit import PASSWORD, compile_catalogues

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
# What a vendor bundle logs as an error on every page load, whatever the page does: dmn-js 17 ships Inferno's
# development build, which says so unconditionally.
VENDOR_NOTICES = ("It looks like you're using a minified copy of the development build of Inferno",)
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    need(CHROMIUM.exists(), "Chromium is not installed at /usr/bin/chromium (make test installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def live_server(platform: Any, people: Any) -> Iterator[str]:
    """The whole app, CSRF on, served by werkzeug from a thread; yields its base URL."""
    from werkzeug.serving import make_server

    from ui import create_app

    compile_catalogues()
    app = create_app({"TESTING": True}, platform=platform)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


@pytest.fixture
def signed_in(chromium: Any, live_server: str) -> Iterator[Callable[..., Any]]:
    """Opens a fresh browser context signed in as a user; returns its page."""
    contexts: list[Any] = []
    problems: list[str] = []  # console errors: a CSP violation or a script error fails the test

    def open_as(username: str, *, viewport: dict[str, int] | None = None, shot: str | None = None) -> Any:
        context = chromium.new_context(base_url=live_server, locale="zh-CN", timezone_id="Asia/Shanghai",
                                       viewport=viewport or {"width": 1366, "height": 900}, accept_downloads=True)
        contexts.append(context)
        page = context.new_page()
        page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.set_default_timeout(15_000)
        page.goto("/sign-in")
        if shot:
            screenshot(page, shot)
        page.fill("#username", username)
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]:has-text('登录')")
        page.wait_for_load_state()
        return page

    yield open_as
    for context in contexts:
        context.close()
    # Expected 4xx answers are not problems, nor the notice dmn-js's bundled Inferno prints on every load.
    assert [p for p in problems if "status of 4" not in p and not p.startswith(VENDOR_NOTICES)] == []


def screenshot(page: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
