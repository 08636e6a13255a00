"""The judged path, as people run it: a staff member created on the command line with an email address, a case
started through the API that puts a task in their department, and `onestop worker --once` (twice) delivering
exactly one email through a real SMTP server, with a link to the task; the API lists the notification."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ESCALATION, ROOT

pytestmark = pytest.mark.sqlite_only


def onestop(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ui.cli", *args], input=stdin, capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=120)


def test_a_staff_member_gets_one_email_naming_the_new_task_with_its_link_and_the_api_lists_it(
        tmp_path: Path, mailbox, monkeypatch):
    box, smtp_url = mailbox
    env = {"ONESTOP_DATABASE_URL": f"sqlite:///{tmp_path}/e2e.db", "ONESTOP_INSTANCE_DIR": str(tmp_path),
           "ONESTOP_PROCESSES_DIR": str(ROOT / "processes" / "liaocheng"), "PATH": os.environ.get("PATH", ""),
           "ONESTOP_SMTP_URL": smtp_url, "ONESTOP_MAIL_FROM": "noreply@onestop.example",
           "ONESTOP_BASE_URL": "https://rencai.example.gov.cn"}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert onestop(env, "db", "upgrade").returncode == 0
    assert onestop(env, "deploy", str(ESCALATION)).returncode == 0
    made = onestop(env, "users", "create", "wang", "--role", "staff", "--department", "county_window", "--county",
                   "dongchangfu", "--display-name", "王窗口", "--email", "wang@example.org",
                   stdin="a long enough password\n")
    assert made.returncode == 0, made.stderr
    assert onestop(env, "users", "create", "li", "--role", "applicant", stdin="another long password\n") \
        .returncode == 0
    applicant = onestop(env, "token", "create", "li").stdout.strip()
    staff = onestop(env, "token", "create", "wang").stdout.strip()

    from engine.config import Settings
    from engine.platform import Platform
    from ui import create_app

    client = create_app({"TESTING": True}, platform=Platform(Settings.from_env(env))).test_client()
    started = client.post("/api/v1/process-instances", headers={"Authorization": f"Bearer {applicant}"},
                          json={"model_key": "escalation_demo", "data": {"county": "dongchangfu"}})
    assert started.status_code == 201, started.get_json()
    assert box.messages == []  # nothing goes out inside the request
    [task] = client.get("/api/v1/tasks?scope=department", headers={"Authorization": f"Bearer {staff}"}).get_json()

    runs = [onestop(env, "worker", "--once") for _run in range(2)]
    assert [run.returncode for run in runs] == [0, 0], [run.stderr for run in runs]
    assert "messages: 1 sent (1 notifications)" in runs[0].stderr
    assert "messages: 0 sent (0 notifications)" in runs[1].stderr

    [email] = box.messages
    assert box.envelopes == [("noreply@onestop.example", ["wang@example.org"])]
    assert email["Subject"] == f"新的待办任务：县级窗口受理（办件{task['instance_id']}）"
    [raw_subject] = [line for line in email.as_string().splitlines() if line.startswith("Subject:")]
    assert raw_subject.startswith("Subject: =?utf-8?")  # RFC 2047: the Chinese subject is encoded, not raw bytes
    assert "聊城市人才“一站式”服务平台" in str(email["From"])
    body = email.get_content()
    assert "县级窗口受理" in body and f"https://rencai.example.gov.cn/tasks/{task['id']}" in body

    listed = client.get("/api/v1/notifications", headers={"Authorization": f"Bearer {staff}"}).get_json()
    assert listed["unread"] == 1
    [item] = listed["items"]
    assert item["kind"] == "task_ready" and item["task_id"] == task["id"] and "县级窗口受理" in item["subject"]
    assert item["link"] == f"/tasks/{task['id']}"
    read = client.post(f"/api/v1/notifications/{item['id']}/read", headers={"Authorization": f"Bearer {staff}"})
    assert read.status_code == 200 and read.get_json()["read"] is True
    assert client.get("/api/v1/notifications", headers={"Authorization": f"Bearer {staff}"}).get_json()["unread"] == 0
