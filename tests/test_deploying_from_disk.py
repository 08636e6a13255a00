"""Deploying from disk (the contract's "Deploying from disk"): `onestop deploy DIR` — and so `make run` — never
supersedes a version deployed through the platform (web designer or API) after the flow's last deployment from
disk; it says so on one line and exits 0; `--force` deploys anyway; identical content deploys nothing."""

from __future__ import annotations

import io
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import ESCALATION, ROOT
from sqlalchemy import text
from test_cli import onestop

from engine.config import Settings
from engine.platform import Platform

pytestmark = pytest.mark.sqlite_only


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"ONESTOP_DATABASE_URL": f"sqlite:///{tmp_path}/disk.db", "ONESTOP_INSTANCE_DIR": str(tmp_path),
            "ONESTOP_PROCESSES_DIR": str(ROOT / "processes" / "liaocheng"), "PATH": "/usr/bin:/bin"}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A processes folder holding one flow, as `make run` deploys it."""
    copy = tmp_path / "processes" / "escalation"
    shutil.copytree(ESCALATION, copy)
    return copy.parent


def api(env: dict[str, str]) -> tuple[Any, dict[str, str]]:
    """The API of the same database, with a designer's token (made with the command line)."""
    from ui import create_app

    onestop(env, "users", "create", "li", "--role", "designer", stdin="a long enough password\n")
    token = onestop(env, "token", "create", "li").stdout.strip()
    client = create_app({"TESTING": True}, platform=Platform(Settings.from_env(env))).test_client()
    return client, {"Authorization": f"Bearer {token}"}


def upload(client: Any, headers: dict[str, str], folder: Path, **replace: str) -> Any:
    files = []
    for path in sorted(folder.iterdir()):
        content = path.read_bytes()
        for old, new in replace.items():
            content = content.replace(old.encode(), new.encode())
        files.append((io.BytesIO(content), path.name))
    return client.post("/api/v1/process-models", data={"files": files}, headers=headers,
                       content_type="multipart/form-data")


def newest(client: Any, headers: dict[str, str]) -> dict[str, Any]:
    [model] = [m for m in client.get("/api/v1/process-models", headers=headers).get_json()
               if m["key"] == "escalation_demo"]
    return dict(model)


def test_redeploying_a_folder_keeps_a_newer_version_deployed_through_the_api_as_the_newest(env, folder):
    assert onestop(env, "db", "upgrade").returncode == 0
    first = onestop(env, "deploy", str(folder))
    assert first.returncode == 0 and first.stdout.strip() == "escalation_demo version 1 deployed"
    client, headers = api(env)
    edited = upload(client, headers, folder / "escalation", **{"县级窗口受理": "县级窗口受理（网页修改）"})
    assert edited.status_code == 201 and edited.get_json()["version"] == 2

    again = onestop(env, "deploy", str(folder))
    assert again.returncode == 0, again.stderr
    [line] = again.stdout.strip().splitlines()
    assert line.startswith("escalation_demo: left alone") and "version 2" in line and "--force" in line
    assert (newest(client, headers)["version"], newest(client, headers)["source"]) == (2, "platform")

    bpmn = folder / "escalation" / "escalation.bpmn"  # the disk files change too: still left alone
    bpmn.write_text(bpmn.read_text().replace("市平台审核", "市平台复核"))
    assert "left alone" in onestop(env, "deploy", str(folder)).stdout
    assert newest(client, headers)["version"] == 2

    forced = onestop(env, "deploy", "--force", str(folder))
    assert forced.returncode == 0 and forced.stdout.strip() == "escalation_demo version 3 deployed"
    assert (newest(client, headers)["version"], newest(client, headers)["source"]) == (3, "disk")
    unchanged = onestop(env, "deploy", str(folder))
    assert unchanged.stdout.strip() == "escalation_demo version 3 unchanged", "identical content: nothing new"
    bpmn.write_text(bpmn.read_text().replace("市平台复核", "市平台审核（新）"))
    assert onestop(env, "deploy", str(folder)).stdout.strip() == "escalation_demo version 4 deployed"


def test_disk_files_identical_to_the_platform_version_deploy_nothing(env, folder):
    onestop(env, "db", "upgrade")
    client, headers = api(env)
    assert upload(client, headers, folder / "escalation").status_code == 201
    result = onestop(env, "deploy", str(folder))
    assert result.stdout.strip() == "escalation_demo version 1 unchanged"


def test_versions_deployed_before_the_source_was_recorded_are_read_from_who_deployed_them(tmp_path):
    from engine.store.db import make_engine, upgrade

    url = f"sqlite:///{tmp_path}/old.db"
    upgrade(url, "0003")
    engine = make_engine(url)
    with engine.begin() as connection:
        for version, who in ((1, "cli:root"), (2, "designer")):
            connection.execute(text(
                "INSERT INTO process_models (key, version, name, content_hash, links, deployed_by, deployed_at) "
                f"VALUES ('flow', {version}, 'flow', 'h{version}', '{{}}', '{who}', '2026-10-01 10:00:00')"))
    upgrade(url)
    with engine.connect() as connection:
        sources = connection.execute(text("SELECT version, source FROM process_models ORDER BY version")).all()
    engine.dispose()
    assert [tuple(row) for row in sources] == [(1, "disk"), (2, "platform")]
