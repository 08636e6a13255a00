"""Notification templates: each city's package has its wording (Chinese first, English too) over the platform's
defaults; `onestop validate` checks them; an unknown template falls back to a generic one."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
from conftest import ROOT

from engine.errors import InvalidInput
from engine.notify.templates import DEFAULTS, TemplateBook, read_template

pytestmark = pytest.mark.sqlite_only
TZ = __import__("zoneinfo").ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize("city", ["liaocheng", "lianyungang"])
def test_each_city_package_words_its_notifications_in_chinese_and_english(city):
    folder = ROOT / "processes" / city / "notifications"
    book = TemplateBook.load(folder)
    for path in folder.glob("*.yaml"):
        template = read_template(path)
        assert book.get(template.kind).source == str(path)
        for language in ("zh", "en"):
            assert template.parts[language]["subject"] and template.parts[language]["body"]
    task = book.render("task_ready", {"task_title": "市平台审核", "case_id": 12, "flow_name": "人才服务金卡",
                                      "due_at": "2026-10-10T10:00:00+00:00", "link": "https://x/tasks/3",
                                      "department_name": "市“一站式”服务平台"}, language="zh", tz=TZ)
    assert task.subject == "新的待办任务：市平台审核（办件12）" and "2026年10月10日 18:00" in task.body
    english = book.render("task_ready", {"task_title": "Review", "case_id": 12, "due_at": "2026-10-10T10:00:00+00:00"},
                          language="en", tz=TZ)
    assert english.subject == "New task: Review (case 12)" and "10 Oct 2026 18:00" in english.body


def test_a_city_file_overrides_the_default_and_an_unknown_kind_reads_as_generic(tmp_path):
    (tmp_path / "urge.yaml").write_text(
        "zh: {subject: '请抓紧：{{ task_title }}', body: 正文}\nen: {subject: 'Hurry: {{ task_title }}', body: Body}\n",
        encoding="utf-8")
    book = TemplateBook.load(tmp_path)
    assert book.render("urge", {"task_title": "审核"}, language="zh", tz=TZ).subject == "请抓紧：审核"
    assert book.render("no_such_kind", {"title": "告知", "message": "内容"}, language="zh", tz=TZ).body \
        .startswith("内容")
    assert set(TemplateBook.load(None).templates) == set(__import__("yaml").safe_load(DEFAULTS.read_text()))


def test_a_broken_template_is_refused_with_what_to_fix(tmp_path):
    path = tmp_path / "decision.yaml"
    path.write_text("zh: {subject: '{{ oops', body: x}\nen: {body: y}\nchannels: [fax]\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as refused:
        read_template(path)
    messages = [d["message"] for d in refused.value.details]
    assert any(m.startswith("zh.subject:") for m in messages) and "en.subject: missing" in messages
    assert any("'fax'" in m for m in messages)


def test_onestop_validate_checks_the_packages_templates(tmp_path):
    package = tmp_path / "liaocheng"
    shutil.copytree(ROOT / "processes" / "liaocheng", package)
    env = {"ONESTOP_DATABASE_URL": f"sqlite:///{tmp_path}/v.db", "ONESTOP_INSTANCE_DIR": str(tmp_path),
           "PATH": "/usr/bin:/bin"}
    good = subprocess.run([sys.executable, "-m", "ui.cli", "validate", str(package)], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=300)
    assert good.returncode == 0, good.stdout
    (package / "notifications" / "urge.yaml").write_text("zh: {subject: '{% if %}', body: x}\n", encoding="utf-8")
    bad = subprocess.run([sys.executable, "-m", "ui.cli", "validate", str(package)], capture_output=True, text=True,
                         env=env, cwd=ROOT, timeout=300)
    assert bad.returncode == 1 and "urge.yaml:0: zh.subject:" in bad.stdout and "en: missing" in bad.stdout
