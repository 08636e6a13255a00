"""The task list: views and their counts, filters, due-time order, keyset pages, saved filters, permissions."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from conftest import at
from sqlalchemy import insert

from engine.store.models import HumanTask, ProcessInstance, ProcessModel, table_of
from tasks import listing

from .conftest import FORWARD, MATERIALS, open_task
from .webkit import text


def rows(page: str) -> list[str]:
    return re.findall(r'class="task-link" href="/tasks/\d+">([^<]+)</a>', page)


def tab_count(page: str, label: str) -> int:
    match = re.search(label + r'\s*<span class="count">(\d+)</span>', page)
    assert match, label
    return int(match.group(1))


def test_a_county_window_sees_its_own_county_only_with_counts_per_view(client_for, flow, start_case):
    for county in ("dongchangfu", "dongchangfu", "linqing"):
        case = start_case(county=county)
        flow.complete("applicant", "submit_materials", MATERIALS, case)
    page = text(client_for("win_dcf").get("/tasks"))
    assert "本部门待办" in page and tab_count(page, "本部门待办") == 2 and tab_count(page, "我的待办") == 0
    assert rows(page) == ["县级平台核验转报", "县级平台核验转报"]  # no own task yet: the department's view
    assert 'name="county"' not in page  # a county window cannot look at other counties
    linqing = text(client_for("win_lq").get("/tasks?view=department&county=dongchangfu"))
    assert tab_count(linqing, "本部门待办") == 1 and len(rows(linqing)) == 1  # the county stays its own


def test_my_tasks_lists_what_i_claimed_and_staff_land_there_once_they_hold_some(client_for, flow, county_case):
    client = client_for("win_dcf")
    task_id = open_task(flow, county_case, "county_check")["id"]
    client.post(f"/tasks/{task_id}/claim")
    page = text(client.get("/tasks"))
    assert tab_count(page, "我的待办") == 1 and rows(page) == ["县级平台核验转报"]
    assert "办理中" in page
    assert rows(text(client_for("win_dcf2").get("/tasks?view=mine"))) == []


def test_due_today_and_overdue_follow_the_working_day_calendar(client_for, flow, county_case, clock):
    flow.complete("county_window_dongchangfu", "county_check", FORWARD, county_case)
    client = client_for("city1")  # city review: due 2026-10-13 18:00, five working days after 09-30
    page = text(client.get("/tasks?view=department"))
    assert "剩余 5 个工作日" in page and "2026年10月13日 18:00" in page
    assert tab_count(page, "今日到期") == 0 and tab_count(page, "已超期") == 0
    clock.set(at("2026-10-13 09:00"))
    page = text(client.get("/tasks?view=department&due=today"))
    assert rows(page) == ["市平台受理审核"] and "今日 18:00 到期" in page and tab_count(page, "今日到期") == 1
    clock.set(at("2026-10-15 09:00"))
    page = text(client.get("/tasks?view=department&due=overdue"))
    assert rows(page) == ["市平台受理审核"] and "已超期 2 个工作日" in page and tab_count(page, "已超期") == 1
    assert rows(text(client.get("/tasks?view=department&due=today"))) == []


def test_filters_by_flow_state_county_and_applicant(client_for, flow, start_case):
    for name, county in (("张三", "dongchangfu"), ("李四", "linqing"), ("王五", "linqing")):
        case = start_case(county=county, applicant_name=name)
        flow.complete("applicant", "submit_materials", MATERIALS, case)
        flow.complete(f"county_window_{county}", "county_check", FORWARD, case)
    client = client_for("city1")
    assert len(rows(text(client.get("/tasks?view=department")))) == 3
    assert len(rows(text(client.get("/tasks?view=department&county=linqing")))) == 2
    page = text(client.get("/tasks?view=department&applicant=李"))
    assert len(rows(page)) == 1 and "李四" in page and "共 1 件" in page
    assert len(rows(text(client.get("/tasks?view=department&applicant=%25")))) == 0  # LIKE wildcards are text
    assert len(rows(text(client.get("/tasks?view=department&flow=health_card&state=open")))) == 3
    assert len(rows(text(client.get("/tasks?view=department&flow=subsidy")))) == 0
    assert len(rows(text(client.get("/tasks?view=department&state=claimed")))) == 0
    bad = client.get("/tasks?view=department&state=lost")
    assert bad.status_code == 200 and "筛选条件无效" in text(bad)


def test_saved_filters_belong_to_their_owner(client_for, flow, start_case):
    client = client_for("city1")
    response = client.post("/tasks/filters", data={"name": "临清件", "view": "department", "county": "linqing"})
    assert response.headers["Location"] == "/tasks?view=department&county=linqing"
    page = text(client.get("/tasks"))
    assert '<a href="/tasks?view=department&amp;county=linqing">临清件</a>' in page
    client.post("/tasks/filters", data={"name": "临清件", "view": "department", "county": "yanggu"})  # overwrite
    assert "county=yanggu" in text(client.get("/tasks")) and "county=linqing" not in text(client.get("/tasks"))
    assert "请填写1至40个字的名称" in text(client.post("/tasks/filters", data={"name": " "}, follow_redirects=True))
    other = client_for("hrss1")
    assert "临清件" not in text(other.get("/tasks"))
    filter_id = int(re.search(r"/tasks/filters/(\d+)/delete", page).group(1))
    assert other.post(f"/tasks/filters/{filter_id}/delete").status_code == 404
    assert "已删除" in text(client.post(f"/tasks/filters/{filter_id}/delete", follow_redirects=True))
    assert "临清件" not in text(client.get("/tasks"))


def test_applicants_have_no_department_list(client_for):
    client = client_for("applicant")
    assert client.get("/tasks?view=department").status_code == 403
    assert client.get("/tasks?view=all").status_code == 403
    assert client.get("/tasks").status_code == 200


def _many_tasks(platform, count: int, *, department: str = "city_window") -> None:
    """``count`` open tasks of the city window on 50 cases, deadlines spread over the month, some with none."""
    now = at("2026-09-30 10:00")
    with platform.uow() as uow:
        uow.session.execute(insert(table_of(ProcessModel)), [{
            "id": 1, "key": "bulk", "version": 1, "name": "批量事项", "content_hash": "x", "deployed_at": now,
            "deployed_by": "t", "links": {}}])
        uow.session.execute(insert(table_of(ProcessInstance)), [{
            "id": i, "model_id": 1, "model_key": "bulk", "version": 1, "status": "active", "county": "linqing",
            "started_by": "applicant", "created_at": now, "updated_at": now, "data": {"applicant_name": f"申请人{i}"},
            "state": "{}", "lock_version": 1} for i in range(1, 51)])
        uow.session.execute(insert(table_of(HumanTask)), [{
            "instance_id": i % 50 + 1, "spiff_task_id": f"t{i}", "name": "work", "title": f"任务{i}",
            "model_key": "bulk", "department": department, "county": None, "state": "open",
            "due_at": None if i % 10 == 0 else now + timedelta(minutes=(i * 7919) % 40000), "created_at": now}
            for i in range(count)])
        uow.commit()


def test_keyset_pages_walk_every_task_once_in_due_order(platform, people, flow):
    _many_tasks(platform, 95)
    actor = flow.actor("city1")
    seen, after = [], None
    with platform.uow(write=False) as uow:
        while True:
            page = listing.list_task_page(listing.TaskQuery("department"), actor=actor, uow=uow,
                                          now=platform.now(), after=after, size=20)
            assert page.total == 95
            seen += page.rows
            after = page.next_cursor
            if after is None:
                break
    assert len(seen) == 95 and len({r["id"] for r in seen}) == 95
    dated = [r["due_at"] for r in seen if r["due_at"] is not None]
    assert dated == sorted(dated) and all(r["due_at"] is None for r in seen[len(dated):])


def test_pages_stay_fast_with_tens_of_thousands_of_open_tasks(platform, people, client_for):
    _many_tasks(platform, 30_000)
    client = client_for("city1")
    started = time.perf_counter()
    first = text(client.get("/tasks?view=department"))
    assert len(rows(first)) == 20 and "共 30000 件" in first
    cursor = None
    for _ in range(5):  # walk a few pages deep
        link = re.search(r'href="(/tasks\?after=[^"]+)" rel="next"|rel="next" href="([^"]+)"', first)
        assert link
        cursor = (link.group(1) or link.group(2)).replace("&amp;", "&")
        first = text(client.get(cursor))
        assert len(rows(first)) == 20
    filtered = text(client.get("/tasks?view=department&applicant=申请人7&due=overdue"))
    assert "共" in filtered
    elapsed = time.perf_counter() - started
    assert elapsed < 6, f"7 task-list pages over 30,000 tasks took {elapsed:.1f}s"


@pytest.mark.parametrize("view", ["mine", "department"])
def test_the_task_list_in_english(client_for, view):
    client = client_for("city1")
    client.post("/language", data={"lang": "en"})
    page = text(client.get(f"/tasks?view={view}"))
    assert "My department" in page and "Due today" in page and "Overdue" in page
