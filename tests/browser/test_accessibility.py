"""Accessibility (GB/T 37668, the 适老化 rules) in real Chromium: axe-core (npm, served from ui/static/vendor) on
every page of every role — no serious or critical violation, on a desktop, on a phone and in large-text mode; a
form filled and sent by keyboard alone with the focus always visible; text at 200 % without loss; the 大字 switch
in the header, remembered."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import need
from test_supervision import scenario  # noqa: F401 — the shared fixture

from .conftest import screenshot
from .world import World, build_world

pytestmark = pytest.mark.sqlite_only

AXE = Path(__file__).resolve().parents[2] / "ui" / "static" / "vendor" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def world(scenario: Any, flow: Any, platform: Any) -> World:  # noqa: F811
    return build_world(scenario, flow, platform)


def pages(world: World) -> dict[str | None, list[str]]:
    """Every page each role works with (the anonymous visitor's first)."""
    e, t = world.escalation, world.tasks
    return {
        None: ["/sign-in", "/no-such-page", "/register"],
        "applicant": ["/portal", "/portal/services/health_card", f"/cases/{world.materials}",
                      f"/tasks/{t['materials']}", f"/cases/{world.suspended}"],
        "win_dcf": ["/tasks", "/tasks?view=department", "/tasks?view=department&due=overdue",
                    f"/tasks/{t['county_check']}", f"/tasks/{t['suspended_check']}", f"/cases/{world.county}",
                    "/console/instances", "/notifications", "/notifications/settings"],
        "city1": ["/tasks", f"/tasks/{t['city_review']}"],
        "talent1": ["/console/supervision", "/console/overdue", f"/cases/{e['D']}", f"/tasks/{t['supervise']}"],
        "admin": ["/console/instances", f"/console/instances/{e['F']}", f"/console/instances/{e['D']}",
                  f"/console/instances/{world.suspended}", "/console/flows", "/console/flows/escalation_demo/1",
                  "/console/supervision?from=2026-10-01&to=2026-11-01", "/console/supervision/print",
                  "/console/overdue", "/console/calendar/2026", "/console/notifications", "/console/users",
                  "/console/incidents"],
        "designer": ["/designer/", "/designer/flows/health_card", "/designer/flows/health_card/versions/2/edit",
                     "/designer/flows/health_card/diff?from=1&to=2", "/designer/flows/health_card/migrate",
                     "/designer/api"],
    }


def settle(page: Any) -> None:
    """Wait for what scripts draw: a diagram, the modeler, the diff's two viewers."""
    page.wait_for_load_state("load")
    for ready in ("#diagram", "#designer", "#diff-old", "#diff-new", "#dmn-editor", "#api-explorer"):
        if page.locator(ready).count():
            page.wait_for_selector(f"{ready}[data-ready]")


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's serious and critical findings on the page as it stands."""
    page.add_script_tag(url="/static/vendor/axe-core/axe.min.js")
    found = page.evaluate("""tags => axe.run(document, {runOnly: {type: 'tag', values: tags}}).then(result =>
        result.violations.filter(v => v.impact === 'serious' || v.impact === 'critical').map(v => ({
          id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))})))""", AXE_TAGS)
    return list(found)


def signed_in_or_not(chromium: Any, live_server: str, signed_in: Any, user: str | None, **options: Any) -> Any:
    if user is not None:
        return signed_in(user, **options)
    context = chromium.new_context(base_url=live_server, locale="zh-CN", timezone_id="Asia/Shanghai",
                                   viewport=options.get("viewport") or {"width": 1366, "height": 900})
    return context.new_page()


def test_axe_finds_no_serious_or_critical_violation_on_any_page_of_any_role(chromium, live_server, signed_in,
                                                                          world):
    need(AXE.exists(), "axe-core is not in ui/static/vendor (make assets copies it from npm)")
    found: dict[str, Any] = {}
    for user, paths in pages(world).items():
        page = signed_in_or_not(chromium, live_server, signed_in, user)
        for path in paths:
            page.goto(path)
            settle(page)
            violations = axe_violations(page)
            if violations:
                found[f"{user} {path}"] = violations
            name = "a11y-" + (user or "anonymous") + "-" + path.strip("/").replace("/", "-").replace("?", "-")
            screenshot(page, name.replace("=", "-").replace("&", "-")[:90])
        page.close()
    assert found == {}


def test_phones_and_large_text_pass_axe_too(chromium, live_server, signed_in, world):
    need(AXE.exists(), "axe-core is not in ui/static/vendor (make assets copies it from npm)")
    found: dict[str, Any] = {}
    walk = {"applicant": ["/portal", f"/tasks/{world.tasks['materials']}"],
            "win_dcf": ["/tasks?view=department", f"/tasks/{world.tasks['county_check']}"],
            "talent1": ["/console/supervision", "/console/overdue"],
            "admin": [f"/console/instances/{world.escalation['F']}", "/console/calendar/2026", "/console/incidents"]}
    for large in (False, True):
        for user, paths in walk.items():
            page = signed_in(user, viewport=PHONE)
            if large:
                page.click("button:has-text('菜单')")
                page.click(".text-size-switch button")
                assert page.locator("html.large-text").count() == 1
            for path in paths:
                page.goto(path)
                settle(page)
                violations = axe_violations(page)
                if violations:
                    found[f"{user} {path} large={large}"] = violations
                assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], path
            if large:
                screenshot(page, f"a11y-phone-large-text-{user}")
    assert found == {}


def test_the_large_text_switch_is_in_the_header_and_remembered(signed_in, world):
    page = signed_in("win_dcf")
    size = page.evaluate("parseFloat(getComputedStyle(document.querySelector('main')).fontSize)")
    switch = page.locator(".text-size-switch button")
    assert switch.inner_text() == "大字" and switch.get_attribute("aria-pressed") == "false"
    switch.click()
    page.wait_for_load_state()
    assert page.url.endswith("/tasks")  # back where the switch was pressed
    larger = page.evaluate("parseFloat(getComputedStyle(document.querySelector('main')).fontSize)")
    assert larger >= size * 1.2
    assert page.locator(".text-size-switch button").get_attribute("aria-pressed") == "true"
    page.goto(f"/tasks/{world.tasks['county_check']}")  # another page: still large
    assert page.locator("html.large-text").count() == 1
    screenshot(page, "a11y-large-text-task-page")
    page.click(".text-size-switch button")
    page.wait_for_load_state()
    assert page.locator("html.large-text").count() == 0


FOCUS_VISIBLE = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const st = getComputedStyle(el);
  const ring = st.outlineStyle !== 'none' && parseFloat(st.outlineWidth) >= 2;
  return {tag: el.tagName, name: el.name || el.id || el.textContent.trim().slice(0, 20), visible: ring,
          matches: el.matches(':focus-visible')};
}"""


def tab_to(page: Any, selector: str, *, limit: int = 80) -> list[dict[str, Any]]:
    """Press Tab until ``selector`` has the focus; every stop on the way is returned with its focus ring."""
    stops = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        stop = page.evaluate(FOCUS_VISIBLE)
        if stop is not None:
            stops.append(stop)
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return stops
    raise AssertionError(f"Tab never reached {selector}: {stops[-5:]}")


def test_a_task_is_claimed_filled_and_sent_by_keyboard_alone_with_the_focus_always_visible(chromium, live_server,
                                                                                          world, flow):
    context = chromium.new_context(base_url=live_server, locale="zh-CN", timezone_id="Asia/Shanghai",
                                   viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.goto("/sign-in")
    assert page.evaluate("document.activeElement.id") == "username", "the sign-in form starts with the focus"
    page.keyboard.press("Shift+Tab")
    stops = [page.evaluate(FOCUS_VISIBLE)]  # back over the language and text-size switches: ringed too
    stops += tab_to(page, "#username")
    page.keyboard.type("win_dcf")
    page.keyboard.press("Tab")
    page.keyboard.type("correct horse battery")
    page.keyboard.press("Enter")
    page.wait_for_url("**/tasks")
    page.goto(f"/tasks/{world.tasks['county_check']}")
    stops += tab_to(page, "form[action$='/claim'] button")
    page.keyboard.press("Enter")
    page.wait_for_selector(".flash-success")
    stops += tab_to(page, "input[name=county_decision][value=转报市平台]")
    page.keyboard.press("Space")
    stops += tab_to(page, "#f-county_opinion")
    page.keyboard.type("四项材料齐全（键盘填写）")
    screenshot(page, "a11y-keyboard-focus-on-the-form")
    stops += tab_to(page, ".schema-form button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url("**/tasks")
    assert "已提交" in page.inner_text(".flashes")
    hidden = [s for s in stops if not s["visible"]]
    assert hidden == [], "every element the keyboard reaches shows where the focus is"
    assert len(stops) >= 10
    [done] = [h for h in flow.view(world.county)["history"] if h["action"] == "complete" and h["actor"] == "win_dcf"]
    assert done["details"]["data"]["county_opinion"] == "四项材料齐全（键盘填写）"
    context.close()


OVERFLOW = """() => {
  const problems = [];
  const width = window.innerWidth;
  if (document.documentElement.scrollWidth > width + 1) problems.push('the page scrolls sideways');
  for (const el of document.querySelectorAll('main *, header *')) {
    const st = getComputedStyle(el);
    if (st.display === 'none' || st.visibility === 'hidden' || !el.textContent.trim()) continue;
    if (el.closest('.djs-container, .table-wrap, .case-data, pre, textarea, select, .sr-only')) continue;
    const clips = ['hidden', 'clip'].includes(st.overflowX) || ['hidden', 'clip'].includes(st.overflowY);
    if (clips && (el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1))
      problems.push('clipped: ' + el.tagName + ' ' + el.textContent.trim().slice(0, 30));
  }
  return problems.slice(0, 10);
}"""


def test_text_at_200_percent_loses_nothing(signed_in, world):
    walk = {"applicant": ["/portal", f"/tasks/{world.tasks['materials']}"],
            "win_dcf": ["/tasks?view=department", f"/tasks/{world.tasks['county_check']}"],
            "admin": ["/console/instances", f"/console/instances/{world.escalation['F']}",
                      "/console/supervision?from=2026-10-01&to=2026-11-01", "/console/calendar/2026"],
            "designer": ["/designer/", "/designer/flows/health_card"]}
    found = {}
    for user, paths in walk.items():
        page = signed_in(user)
        for path in paths:
            page.goto(path)
            settle(page)
            page.evaluate("document.documentElement.style.fontSize = '200%'")
            problems = page.evaluate(OVERFLOW)
            if problems:
                found[f"{user} {path}"] = problems
        screenshot(page, f"a11y-text-200-{user}")
    assert found == {}


def test_an_applicant_applies_by_keyboard_alone(signed_in, world, flow):
    page = signed_in("applicant")
    stops = tab_to(page, "a.button[href='/portal/services/health_card']")  # past the header and the tasks
    page.keyboard.press("Enter")
    page.wait_for_url("**/portal/services/health_card")
    stops += tab_to(page, "#f-applicant_name")
    page.keyboard.press("Control+A")
    page.keyboard.type("王五")
    stops += tab_to(page, "#f-talent_category")
    page.keyboard.press("ArrowDown")  # the first category
    stops += tab_to(page, "#f-county")
    page.keyboard.press("ArrowDown")
    stops += tab_to(page, ".schema-form button[type=submit]")
    screenshot(page, "a11y-keyboard-start-form")
    page.keyboard.press("Enter")
    page.wait_for_url("**/cases/*")
    assert "申请已提交" in page.inner_text(".flashes")
    assert [s for s in stops if not s["visible"]] == []
    case = int(page.url.rsplit("/", 1)[1])
    assert flow.view(case)["data"]["applicant_name"] == "王五"
