"""Every route of the app × every role, with the answer each role must get, from one table keyed by endpoint:
a route without an entry (or an entry without a route) fails the test.

Each request aims at a real target: a case whose county check waits at the Dongchangfu window, its task, its
document, a saved filter, a timer. A route that changes something gets a fresh target per role, and where it
matters the table says how to see that the change happened — and the test checks it did not for a refused role."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select
from web.conftest import FORWARD, START
from web.webkit import PDF, sign_in

from engine.store.integration_tables import ExternalTask
from engine.store.models import HumanTask, ProcessInstance, SavedFilter

from .conftest import ROLES, USERS, World
from .diagrams import escalation_files

LOGIN = "login"  # a web page's answer to anonymous visitors: a redirect to the sign-in page
OUTSIDER = "198.51.100.7"  # not the loopback address: /metrics then wants an administrator's token
Expected = int | tuple[int, ...] | str


def roles(*answers: Expected) -> dict[str, Expected]:
    assert len(answers) == len(ROLES)
    return dict(zip(ROLES, answers, strict=True))


def everyone(answer: Expected, anonymous: Expected) -> dict[str, Expected]:
    return roles(anonymous, *[answer] * (len(ROLES) - 1))


def _task_state(world: World, target: dict[str, Any]) -> tuple[str, str | None]:
    with world.platform.uow(write=False) as uow:
        row = uow.session.get(HumanTask, target["task"])
        assert row is not None
        return row.state, row.assignee


def _status(world: World, target: dict[str, Any]) -> str:
    with world.platform.uow(write=False) as uow:
        row = uow.session.get(ProcessInstance, target["instance"])
        assert row is not None
        return row.status


def claimed_by(world: World, target: dict[str, Any], user: str) -> bool:
    return _task_state(world, target) == ("claimed", user)


def released(world: World, target: dict[str, Any], user: str) -> bool:
    return _task_state(world, target) == ("open", None)


def completed(world: World, target: dict[str, Any], user: str) -> bool:
    return _task_state(world, target)[0] == "completed"


def handed_over(world: World, target: dict[str, Any], user: str) -> bool:
    return _task_state(world, target) == ("claimed", "win_dcf2")


def filter_gone(world: World, target: dict[str, Any], user: str) -> bool:
    with world.platform.uow(write=False) as uow:
        return uow.session.get(SavedFilter, target["filter"]) is None


def job_is(state: str) -> Callable[[World, dict[str, Any], str], bool]:
    def check(world: World, target: dict[str, Any], user: str) -> bool:
        with world.platform.uow(write=False) as uow:
            return uow.session.get(ExternalTask, target["job"]).state == state
    return check
def _priority(world: World, target: dict[str, Any]) -> int:
    with world.platform.uow(write=False) as uow:
        row = uow.session.get(ProcessInstance, target["instance"])
        assert row is not None
        return row.priority


def status_is(status: str) -> Callable[[World, dict[str, Any], str], bool]:
    return lambda world, target, user: _status(world, target) == status


@dataclass(frozen=True)
class Check:
    """One method of one route: the path (formatted with the target), who gets what, and the request."""

    path: str
    expect: dict[str, Expected]
    target: str = "shared"  # a World builder giving each role a fresh target, or the one shared case
    json: Any = None
    form: Callable[[str], dict[str, Any]] | None = None  # built per role
    changed: Callable[[World, dict[str, Any], str], bool] | None = None


API, WEB = "api", "web"
NEW_FLOW = "files"  # a form builder marker: the upload of a new flow named after the role


def new_flow(role: str) -> dict[str, Any]:
    files = escalation_files(key=f"matrix_{role}")
    return {"files": [(io.BytesIO(content), name) for name, content in files.items()]}


def start_form(role: str) -> dict[str, Any]:
    return {**START}


ADMIN_PAGE = roles(LOGIN, 403, 403, 403, 403, 403, 200)
ADMIN_API = roles(401, 403, 403, 403, 403, 403, 200)
ADMIN_ACTION = roles(LOGIN, 403, 403, 403, 403, 403, 302)
DESIGNER_PAGE = roles(LOGIN, 403, 403, 403, 403, 200, 200)
DRAFT = {name: content.decode() for name, content in escalation_files(key="draft_demo").items()}


def REASON(role: str) -> dict[str, Any]:  # noqa: N802 — a form like the others in the table
    return {"reason": "核查"}


MATRIX: dict[str, dict[str, Check]] = {
    # --- the REST API (bearer tokens) -------------------------------------------------------------------
    "api.openapi": {"GET": Check("/api/v1/openapi.json", everyone(200, anonymous=200))},
    "api.me": {"GET": Check("/api/v1/me", everyone(200, anonymous=401))},
    "api.list_models": {"GET": Check("/api/v1/process-models", everyone(200, anonymous=401))},
    "api.deploy_model": {"POST": Check("/api/v1/process-models", roles(401, 403, 403, 403, 403, 201, 201),
                                       form=new_flow)},
    "api.model_bpmn": {"GET": Check("/api/v1/process-models/health_card/versions/1/bpmn",
                                    everyone(200, anonymous=401))},
    "api.start_instance": {"POST": Check("/api/v1/process-instances", everyone(201, anonymous=401),
                                         json={"model_key": "health_card", "data": START})},
    "api.list_instances": {"GET": Check("/api/v1/process-instances", everyone(200, anonymous=401))},
    "api.show_instance": {"GET": Check("/api/v1/process-instances/{instance}",
                                       roles(401, 200, 200, 404, 404, 200, 200))},
    "api.suspend": {"POST": Check("/api/v1/process-instances/{instance}/suspend",
                                  roles(401, 403, 403, 403, 403, 403, 200), target="county_case",
                                  json={"reason": "核查"}, changed=status_is("suspended"))},
    "api.resume": {"POST": Check("/api/v1/process-instances/{instance}/resume",
                                 roles(401, 403, 403, 403, 403, 403, 200), target="suspended_case",
                                 json={"reason": "核查完毕"}, changed=status_is("active"))},
    "api.cancel": {"POST": Check("/api/v1/process-instances/{instance}/cancel",
                                 roles(401, 403, 403, 403, 403, 403, 200), target="county_case",
                                 json={"reason": "重复申请"}, changed=status_is("cancelled"))},
    "api.retry": {"POST": Check("/api/v1/process-instances/{instance}/retry",
                                roles(401, 403, 403, 403, 403, 403, 200), target="error_case",
                                json={"reason": "重试", "data": {"months": 4}}, changed=status_is("active"))},
    "api.list_tasks": {"GET": Check("/api/v1/tasks", everyone(200, anonymous=401))},
    "api.show_task": {"GET": Check("/api/v1/tasks/{task}", roles(401, 200, 200, 404, 404, 200, 200))},
    "api.claim": {"POST": Check("/api/v1/tasks/{task}/claim", roles(401, 403, 200, 404, 404, 403, 200),
                                target="county_case", changed=claimed_by)},
    "api.release": {"POST": Check("/api/v1/tasks/{task}/release", roles(401, 403, 200, 404, 404, 403, 200),
                                  target="claimed_case", changed=released)},
    "api.complete": {"POST": Check("/api/v1/tasks/{task}/complete", roles(401, 403, 200, 404, 404, 403, 200),
                                   target="county_case", json={"data": FORWARD}, changed=completed)},
    "api.calendar_year": {"GET": Check("/api/v1/calendar/2026", everyone(200, anonymous=401))},
    "api.put_calendar_year": {"PUT": Check("/api/v1/calendar/2031", roles(401, 403, 403, 403, 403, 403, 200),
                                           json={"holidays": [{"date": "2031-01-01", "name": "元旦"}]})},
    # --- the console API (administrators; the talent office reads the supervision figures) ----------------
    "admin_api.dashboard": {"GET": Check("/api/v1/admin/dashboard", roles(401, 403, 403, 403, 403, 403, 200))},
    "admin_api.dashboard_csv": {"GET": Check("/api/v1/admin/dashboard/departments.csv",
                                             roles(401, 403, 403, 403, 403, 403, 200))},
    "admin_api.overdue": {"GET": Check("/api/v1/admin/overdue", roles(401, 403, 403, 403, 403, 403, 200))},
    "admin_api.overdue_csv": {"GET": Check("/api/v1/admin/overdue.csv", roles(401, 403, 403, 403, 403, 403, 200))},
    "admin_api.search_instances": {"GET": Check("/api/v1/admin/instances",
                                                roles(401, 403, 403, 403, 403, 403, 200))},
    "admin_api.node_counts": {"GET": Check("/api/v1/admin/process-models/health_card/versions/1/nodes",
                                           roles(401, 403, 403, 403, 403, 403, 200))},
    "admin_api.archive": {"GET": Check("/api/v1/admin/instances/{instance}/archive",
                                       roles(401, 403, 403, 403, 403, 403, 200), target="cancelled_case")},
    "admin_api.document_views": {"GET": Check("/api/v1/admin/instances/{instance}/document-views",
                                              roles(401, 403, 403, 403, 403, 403, 200))},
    "admin_api.timers": {"GET": Check("/api/v1/admin/instances/{instance}/timers",
                                      roles(401, 403, 403, 403, 403, 403, 200))},
    "admin_api.move_timer": {"POST": Check("/api/v1/admin/instances/{instance}/timers/{timer}/move",
                                           roles(401, 403, 403, 403, 403, 403, 200), target="timer_case",
                                           json={"due_at": "2026-10-20T18:00:00+08:00", "reason": "材料补正"})},
    "admin_api.recompute_year": {"POST": Check("/api/v1/admin/calendar/2026/recompute",
                                               roles(401, 403, 403, 403, 403, 403, 200),
                                               json={"reason": "国务院调休通知"})},
    "admin_api.reassign": {"POST": Check("/api/v1/admin/tasks/{task}/reassign",
                                         roles(401, 403, 403, 403, 403, 403, 200), target="county_case",
                                         json={"username": "win_dcf2", "reason": "原经办人休假"},
                                         changed=lambda w, t, u: _task_state(w, t) == ("claimed", "win_dcf2"))},
    # --- outside systems (worker accounts of the topic, and administrators; no role here is a worker) ---------
    "integration_api.fetch_and_lock": {"POST": Check("/api/v1/external-tasks/fetch-and-lock", ADMIN_API,
                                                     json={"worker_id": "w", "topics": ["finance.payment"]})},
    "integration_api.complete": {"POST": Check("/api/v1/external-tasks/{job}/complete", ADMIN_API,
                                               target="locked_job", json={"worker_id": "matrix", "result": {}},
                                               changed=job_is("completed"))},
    "integration_api.failure": {"POST": Check("/api/v1/external-tasks/{job}/failure", ADMIN_API,
                                              target="locked_job", changed=job_is("waiting"), json={
                                                  "worker_id": "matrix", "message": "维护", "retries": 1})},
    "integration_api.bpmn_error": {"POST": Check("/api/v1/external-tasks/{job}/bpmn-error", ADMIN_API,
                                                 target="locked_job", changed=job_is("completed"),
                                                 json={"worker_id": "matrix", "code": "PAYMENT_REFUSED"})},
    "integration_api.extend_lock": {"POST": Check("/api/v1/external-tasks/{job}/extend-lock", ADMIN_API,
                                                  target="locked_job",
                                                  json={"worker_id": "matrix", "lock_seconds": 120})},
    "integration_api.list_external_tasks": {"GET": Check("/api/v1/external-tasks", ADMIN_API)},
    # nothing waits for this message: an administrator passes the door and learns so (404)
    "integration_api.messages": {"POST": Check("/api/v1/messages", roles(401, 403, 403, 403, 403, 403, 404),
                                               json={"name": "payment_confirmed", "business_key": "none"})},
    "integration_api.signals": {"POST": Check("/api/v1/signals", ADMIN_API, json={"name": "policy_changed"})},
    # --- notifications (a person's own; the delivery console, contact details and 催办 for administrators) ---
    "api.list_notifications": {"GET": Check("/api/v1/notifications", everyone(200, anonymous=401))},
    "api.read_notification": {"POST": Check("/api/v1/notifications/999999/read", everyone(404, anonymous=401))},
    "api.read_all_notifications": {"POST": Check("/api/v1/notifications/read-all", everyone(200, anonymous=401))},
    "api.notification_settings": {"GET": Check("/api/v1/notifications/settings", everyone(200, anonymous=401))},
    "api.put_notification_settings": {"PUT": Check("/api/v1/notifications/settings", everyone(200, anonymous=401),
                                                   json={"language": "zh", "quiet_hours": "off"})},
    "admin_api.admin_notifications": {"GET": Check("/api/v1/admin/notifications",
                                                   roles(401, 403, 403, 403, 403, 403, 200))},
    "admin_api.resend_notification": {"POST": Check("/api/v1/admin/notifications/999999/resend",
                                                    roles(401, 403, 403, 403, 403, 403, 404))},
    "admin_api.urge": {"POST": Check("/api/v1/admin/tasks/{task}/urge", roles(401, 403, 403, 403, 403, 403, 200),
                                     target="county_case", json={"message": "请抓紧办理"})},
    "admin_api.user_contact": {"PUT": Check("/api/v1/admin/users/win_dcf/contact",
                                            roles(401, 403, 403, 403, 403, 403, 200),
                                            json={"email": "dcf@example.org"})},
    # --- working together on a case, and the administrators' operations (ui/case_api.py, ui/admin_ops_api.py) ---
    "case_api.case_comments": {"GET": Check("/api/v1/process-instances/{instance}/comments",
                                            roles(401, 200, 200, 404, 404, 200, 200))},
    "case_api.comment_on_case": {"POST": Check("/api/v1/process-instances/{instance}/comments",
                                               roles(401, 201, 201, 404, 404, 201, 201), json={"text": "请补充材料"})},
    "case_api.task_comments": {"GET": Check("/api/v1/tasks/{task}/comments",
                                            roles(401, 200, 200, 404, 404, 200, 200))},
    "case_api.comment_on_task": {"POST": Check("/api/v1/tasks/{task}/comments",
                                               roles(401, 201, 201, 404, 404, 201, 201), json={"text": "材料已收到"})},
    "case_api.priority": {"POST": Check("/api/v1/process-instances/{instance}/priority",
                                        roles(401, 403, 200, 404, 404, 403, 200), target="county_case",
                                        json={"priority": "urgent"}, changed=lambda w, t, u: _priority(w, t) == 1)},
    "case_api.withdraw": {"POST": Check("/api/v1/process-instances/{instance}/withdraw",
                                        roles(401, 200, 404, 404, 404, 404, 404), target="county_case",
                                        json={"reason": "不再申请"}, changed=status_is("cancelled"))},
    "admin_ops_api.bulk_action": {"POST": Check("/api/v1/admin/instances/bulk",
                                                roles(401, 403, 403, 403, 403, 403, 200),
                                                json={"action": "suspend", "reason": "核查",
                                                      "filters": {"model_key": "health_card"}})},
    "admin_ops_api.token_move_options": {"GET": Check("/api/v1/admin/instances/{instance}/moves",
                                                      roles(401, 403, 403, 403, 403, 403, 200))},
    "admin_ops_api.token_move": {"POST": Check("/api/v1/admin/instances/{instance}/moves",
                                               roles(401, 403, 403, 403, 403, 403, 200), target="county_case",
                                               json={"source": "county_check", "target": "city_review",
                                                     "reason": "线下已核验"},
                                               changed=lambda w, t, u: _task_state(w, t)[0] == "cancelled")},
    "admin_ops_api.incident_groups": {"GET": Check("/api/v1/admin/incidents",
                                                   roles(401, 403, 403, 403, 403, 403, 200))},
    "admin_ops_api.retry_incident_group": {"POST": Check("/api/v1/admin/incidents/0000000000000000/retry",
                                                         roles(401, 403, 403, 403, 403, 403, 404),
                                                         json={"reason": "重试"})},
    "metrics.metrics": {"GET": Check("/metrics", roles(401, 403, 403, 403, 403, 403, 200))},
    # --- the web UI (session cookies) ---------------------------------------------------------------------
    "static": {"GET": Check("/static/css/onestop.css", everyone(200, anonymous=200))},
    "auth.home": {"GET": Check("/", everyone(302, anonymous=LOGIN))},
    "auth.sign_in": {"GET": Check("/sign-in", everyone(200, anonymous=200)),
                     "POST": Check("/sign-in", everyone(401, anonymous=401),
                                   # a name per role: five failures for one name from one address make it wait
                                   form=lambda role: {"username": f"nobody_{role}", "password": "wrong password"})},
    "auth.sign_out": {"POST": Check("/sign-out", everyone(LOGIN, anonymous=LOGIN))},
    "auth.language": {"POST": Check("/language", everyone(302, anonymous=302), form=lambda role: {"lang": "en"})},
    "preferences.set_text_size": {"POST": Check("/text-size", everyone(302, anonymous=302),
                                                form=lambda role: {"size": "large"})},
    "portal.home": {"GET": Check("/portal", everyone(200, anonymous=LOGIN))},
    "portal.start_form": {"GET": Check("/portal/services/health_card", everyone(200, anonymous=LOGIN))},
    "portal.start": {"POST": Check("/portal/services/health_card", everyone(302, anonymous=LOGIN),
                                   form=start_form)},
    "portal.case": {"GET": Check("/cases/{instance}", roles(LOGIN, 200, 200, 404, 404, 200, 200))},
    "portal.download": {"GET": Check("/attachments/{attachment}", roles(LOGIN, 200, 200, 404, 404, 200, 200))},
    "tasklist.index": {"GET": Check("/tasks", everyone(200, anonymous=LOGIN))},
    "tasklist.save_filter": {"POST": Check("/tasks/filters", everyone(302, anonymous=LOGIN),
                                           form=lambda role: {"name": "我的", "view": "mine"})},
    "tasklist.delete_filter": {"POST": Check("/tasks/filters/{filter}/delete",
                                             roles(LOGIN, 404, 302, 404, 404, 404, 404), target="saved_filter",
                                             changed=filter_gone)},
    "taskpage.show": {"GET": Check("/tasks/{task}", roles(LOGIN, 302, 200, 404, 404, 200, 200))},
    "taskpage.submit": {"POST": Check("/tasks/{task}", roles(LOGIN, 403, 302, 404, 404, 403, 302),
                                      target="county_case", form=lambda role: dict(FORWARD), changed=completed)},
    "taskpage.claim": {"POST": Check("/tasks/{task}/claim", roles(LOGIN, 403, 302, 404, 404, 403, 302),
                                     target="county_case", changed=claimed_by)},
    "taskpage.release": {"POST": Check("/tasks/{task}/release", roles(LOGIN, 403, 302, 404, 404, 403, 302),
                                       target="claimed_case", changed=released)},
    "taskpage.hand_over": {"POST": Check("/tasks/{task}/handover", roles(LOGIN, 404, 302, 404, 404, 404, 302),
                                         target="claimed_case", form=lambda role: {"to": "win_dcf2"},
                                         changed=handed_over)},
    "notifications.index": {"GET": Check("/notifications", everyone(200, anonymous=LOGIN))},
    "notifications.open_notification": {"POST": Check("/notifications/999999/open", everyone(404, anonymous=LOGIN))},
    "notifications.read_all": {"POST": Check("/notifications/read-all", everyone(302, anonymous=LOGIN))},
    "notifications.settings": {"GET": Check("/notifications/settings", everyone(200, anonymous=LOGIN)),
                               "POST": Check("/notifications/settings", everyone(302, anonymous=LOGIN),
                                             form=lambda role: {"kind": "urge", "quiet_hours": "22:00-07:00",
                                                                "language": "zh", "email": ""})},
    "registration.register": {"GET": Check("/register", everyone(302, anonymous=200)),
                              "POST": Check("/register", everyone(302, anonymous=422),
                                            form=lambda role: {"action": "code", "mobile": "12345"})},
    "casework.comment": {"POST": Check("/cases/{instance}/comments", roles(LOGIN, 302, 302, 404, 404, 302, 302),
                                       form=lambda role: {"text": "请补充材料"})},
    "casework.priority": {"POST": Check("/cases/{instance}/priority", roles(LOGIN, 403, 302, 404, 404, 403, 302),
                                        target="county_case", form=lambda role: {"priority": "critical"},
                                        changed=lambda w, t, u: _priority(w, t) == 2)},
    "casework.withdraw": {"POST": Check("/cases/{instance}/withdraw", roles(LOGIN, 302, 404, 404, 404, 404, 404),
                                        target="county_case", form=lambda role: {"reason": "不再申请"},
                                        changed=status_is("cancelled"))},
    "console_ops.bulk_preview": {"POST": Check("/console/instances/bulk", ADMIN_PAGE,
                                               form=lambda role: {"action": "suspend", "reason": "核查",
                                                                  "model_key": "health_card"})},
    "console_ops.bulk_confirm": {"POST": Check("/console/instances/bulk/confirm", ADMIN_PAGE, target="county_case",
                                               form=lambda role: {"action": "suspend", "reason": "核查",
                                                                  "ids": "{instance}"},
                                               changed=status_is("suspended"))},
    "console_ops.incidents_page": {"GET": Check("/console/incidents", ADMIN_PAGE)},
    "console_ops.retry_group": {"POST": Check("/console/incidents/0000000000000000/retry", ADMIN_ACTION, form=REASON)},
    "console_ops.move": {"POST": Check("/console/instances/{instance}/move", ADMIN_ACTION, target="county_case",
                                       form=lambda role: {"source": "county_check", "target": "city_review",
                                                          "reason": "线下已核验"},
                                       changed=lambda w, t, u: _task_state(w, t)[0] == "cancelled")},
    # --- the administrators' console (/console; the supervision pages are the talent office's too) ----------
    "console.notifications": {"GET": Check("/console/notifications", ADMIN_PAGE)},
    "console.resend_notification": {"POST": Check("/console/notifications/999999/resend", ADMIN_ACTION)},
    "console.users": {"GET": Check("/console/users", ADMIN_PAGE)},
    "console.user_contact": {"POST": Check("/console/users/win_dcf/contact", ADMIN_ACTION,
                                           form=lambda role: {"email": "dcf@example.org"})},
    "console.urge": {"POST": Check("/console/tasks/{task}/urge", ADMIN_ACTION, target="county_case",
                                   form=lambda role: {"message": "请抓紧办理", "next": "/console/overdue"})},
    "console.index": {"GET": Check("/console", roles(LOGIN, 403, 403, 403, 403, 403, 302))},
    "console.instances": {"GET": Check("/console/instances", ADMIN_PAGE)},
    "console.instance": {"GET": Check("/console/instances/{instance}", ADMIN_PAGE)},
    "console.instance_action": {"POST": Check("/console/instances/{instance}/suspend", ADMIN_ACTION,
                                              target="county_case", form=REASON, changed=status_is("suspended"))},
    "console.retry": {"POST": Check("/console/instances/{instance}/retry", ADMIN_ACTION, target="error_case",
                                    form=lambda role: {"reason": "重试", "data": '{"months": 4}'},
                                    changed=status_is("active"))},
    "console.reassign": {"POST": Check("/console/instances/{instance}/tasks/{task}/reassign", ADMIN_ACTION,
                                       target="county_case",
                                       form=lambda role: {"username": "win_dcf2", "reason": "原经办人休假"},
                                       changed=lambda w, t, u: _task_state(w, t) == ("claimed", "win_dcf2"))},
    "console.move_timer": {"POST": Check("/console/instances/{instance}/timers/{timer}/move", ADMIN_ACTION,
                                         target="timer_case",
                                         form=lambda role: {"due_at": "2026-10-20T18:00", "reason": "材料补正"})},
    "console.archive": {"GET": Check("/console/instances/{instance}/archive", ADMIN_PAGE, target="cancelled_case")},
    "console.flows": {"GET": Check("/console/flows", ADMIN_PAGE)},
    "console.external_tasks_page": {"GET": Check("/console/external-tasks", ADMIN_PAGE)},
    "console.flow": {"GET": Check("/console/flows/health_card/1", ADMIN_PAGE)},
    "console.diagram": {"GET": Check("/console/flows/health_card/1/diagram.bpmn", ADMIN_PAGE)},
    "console.dashboard": {"GET": Check("/console/supervision", ADMIN_PAGE)},
    "console.dashboard_print": {"GET": Check("/console/supervision/print", ADMIN_PAGE)},
    "console.dashboard_csv": {"GET": Check("/console/supervision/departments.csv", ADMIN_PAGE)},
    "console.overdue": {"GET": Check("/console/overdue", ADMIN_PAGE)},
    "console.calendar_today": {"GET": Check("/console/calendar", everyone(302, anonymous=LOGIN))},
    "console.calendar": {"GET": Check("/console/calendar/2026", ADMIN_PAGE)},
    "console.save_calendar": {"POST": Check("/console/calendar/2031", ADMIN_ACTION,
                                            form=lambda role: {"holidays": "2031-01-01 元旦", "working_days": ""})},
    "console.recompute": {"POST": Check("/console/calendar/2026/recompute", ADMIN_ACTION, form=REASON)},
    # --- the designers' workspace (/designer: designers and administrators) --------------------------------
    "designer.index": {"GET": Check("/designer/", DESIGNER_PAGE)},
    "designer.policy_page": {"GET": Check("/designer/policy", DESIGNER_PAGE)},
    "designer.policy_csv": {"GET": Check("/designer/policy.csv", DESIGNER_PAGE)},
    "designer.new": {"POST": Check("/designer/new", DESIGNER_PAGE,
                                   form=lambda role: {"key": f"new_{role}", "name": "新流程",
                                                      "departments": "county_window"})},
    "designer.upload": {"POST": Check("/designer/upload", roles(LOGIN, 403, 403, 403, 403, 302, 302),
                                      form=new_flow)},
    "designer.versions": {"GET": Check("/designer/flows/health_card", DESIGNER_PAGE)},
    "designer.edit": {"GET": Check("/designer/flows/health_card/versions/1/edit", DESIGNER_PAGE)},
    "designer.diagram": {"GET": Check("/designer/flows/health_card/versions/1/diagram.bpmn", DESIGNER_PAGE)},
    "designer.export": {"GET": Check("/designer/flows/health_card/versions/1/export", DESIGNER_PAGE)},
    "designer.diff": {"GET": Check("/designer/flows/health_card/diff?from=1&to=1", DESIGNER_PAGE)},
    "designer.migrate": {"GET": Check("/designer/flows/health_card/migrate", DESIGNER_PAGE),
                         "POST": Check("/designer/flows/health_card/migrate", DESIGNER_PAGE,
                                       form=lambda role: {"from": "1", "to": "1", "mapping": ""})},
    "designer.check": {"POST": Check("/designer/check", DESIGNER_PAGE, json={"files": DRAFT})},
    "designer.deploy": {"POST": Check("/designer/deploy", DESIGNER_PAGE, json={"files": DRAFT})},
    "designer.dry_run": {"POST": Check("/designer/dry-run", DESIGNER_PAGE,
                                       json={"files": DRAFT, "data": {"applicant": "张三"}})},
    "designer.dmn_edit": {"GET": Check("/designer/flows/health_card/versions/1/dmn/none.dmn",  # no table: 404
                                       roles(LOGIN, 403, 403, 403, 403, 404, 404))},
    "designer.dmn_check": {"POST": Check("/designer/dmn-check", DESIGNER_PAGE, json={"files": DRAFT})},
    "designer.api_explorer": {"GET": Check("/designer/api", DESIGNER_PAGE)},
    "designer.form_preview": {"POST": Check("/designer/form-preview", DESIGNER_PAGE,
                                            json={"name": "accept.json", "schema": DRAFT["accept.json"]})},
}


def _routes(app: Any) -> set[tuple[str, str]]:
    return {(rule.endpoint, method) for rule in app.url_map.iter_rules()
            for method in rule.methods - {"HEAD", "OPTIONS"}}


def test_every_route_has_an_entry_and_every_entry_a_route(web_app: Any) -> None:
    routes = _routes(web_app)
    table = {(endpoint, method) for endpoint, methods in MATRIX.items() for method in methods}
    assert sorted(routes - table) == [], "routes without an entry in the authorisation matrix"
    assert sorted(table - routes) == [], "entries of the authorisation matrix without a route"


def _is_api(path: str) -> bool:
    return path.startswith("/api/") or path == "/metrics"


def _answer(response: Any) -> Expected:
    location = response.headers.get("Location", "")
    if response.status_code == 302 and location.startswith("/sign-in"):
        return LOGIN
    return int(response.status_code)


class Visitors:
    """A client per role: signed in for the web, with the role's bearer token for the API."""

    def __init__(self, app: Any, people: Any) -> None:
        self.app, self.people = app, people
        self.clients: dict[str, Any] = {}

    def request(self, role: str, method: str, path: str, check: Check, target: dict[str, Any] | None = None) -> Any:
        user = USERS[role]
        kwargs: dict[str, Any] = {"environ_base": {"REMOTE_ADDR": OUTSIDER}}
        if _is_api(path):
            client = self.app.test_client()
            if user:
                kwargs["headers"] = self.people.headers(user)
        else:
            client = self.clients.get(role)
            if client is None:
                client = self.clients[role] = self.app.test_client()
                if user:
                    assert sign_in(client, user).status_code == 302
        if check.json is not None:
            kwargs["json"] = check.json
        if check.form is not None:  # a value may name the target's case, like a path: {"ids": "{instance}"}
            case = str((target or {}).get("instance", ""))
            kwargs["data"] = {key: value.replace("{instance}", case) if isinstance(value, str) else value
                              for key, value in check.form(role).items()}
        return client.open(path, method=method, **kwargs)


@pytest.mark.parametrize("endpoint", sorted(MATRIX))
def test_each_role_gets_its_answer(endpoint: str, web_app: Any, people: Any, world: World) -> None:
    visitors = Visitors(web_app, people)
    shared = {**world.county_case(), **world.timer_case(), "filter": world.saved_filter()["filter"]}
    wrong = []
    for method, check in MATRIX[endpoint].items():
        for role in ROLES:
            target = shared if check.target == "shared" else getattr(world, check.target)()
            if "attachment" in check.path and role != "anonymous":
                assert target["attachment"] is not None
            response = visitors.request(role, method, check.path.format(**target), check, target)
            expected, got = check.expect[role], _answer(response)
            response.close()
            if got != expected:
                wrong.append(f"{method} {check.path} as {role}: expected {expected}, got {got} "
                             f"{response.get_data(as_text=True)[:200]!r}")
            if check.changed is not None:
                allowed = expected in (200, 201, 302)
                if check.changed(world, target, USERS[role] or "") != allowed:
                    outcome = "did not happen" if allowed else "happened"
                    wrong.append(f"{method} {check.path} as {role}: the change {outcome}")
    assert wrong == []


def test_the_api_ignores_a_signed_in_session(web_app: Any, people: Any, world: World) -> None:
    """A browser's cookie never authenticates the API (so a forged cross-site request carries no power)."""
    client = web_app.test_client()
    assert sign_in(client, "admin").status_code == 302
    for path in ("/api/v1/me", "/api/v1/process-instances", "/api/v1/admin/instances"):
        assert client.get(path).status_code == 401


def test_a_document_is_served_only_to_those_who_see_its_case(web_app: Any, people: Any, world: World) -> None:
    target = world.county_case()
    owner = web_app.test_client()
    sign_in(owner, "applicant")
    assert owner.get(f"/attachments/{target['attachment']}").data == PDF
    other = web_app.test_client()
    sign_in(other, "other_applicant")
    assert other.get(f"/attachments/{target['attachment']}").status_code == 404
    assert other.get(f"/cases/{target['instance']}").status_code == 404
    assert web_app.test_client().get("/api/v1/process-instances/{}".format(target["instance"]),
                                        headers=people.headers("other_applicant")).status_code == 404
    with world.platform.uow(write=False) as uow:
        assert uow.session.scalar(select(HumanTask.id).where(HumanTask.id == target["task"])) is not None
