"""The `onestop` command line, run as a user would, against a real database file."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ESCALATION, ROOT

pytestmark = pytest.mark.sqlite_only


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"ONESTOP_DATABASE_URL": f"sqlite:///{tmp_path}/cli.db", "ONESTOP_INSTANCE_DIR": str(tmp_path),
            "ONESTOP_PROCESSES_DIR": str(ROOT / "processes" / "liaocheng"), "PATH": "/usr/bin:/bin"}


def onestop(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ui.cli", *args], input=stdin, capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=120)


def test_validate_prints_one_line_per_problem_as_file_line_message_and_exits_1(env, tmp_path):
    assert onestop(env, "validate", str(ESCALATION)).returncode == 0
    broken = tmp_path / "broken"
    shutil.copytree(ESCALATION, broken)
    bpmn = broken / "escalation.bpmn"
    bpmn.write_text(bpmn.read_text().replace('name="talent_office"', 'name="nobody"')
                    .replace("approved and amount &gt; 0", "__import__('os')"))
    result = onestop(env, "validate", str(broken))
    assert result.returncode == 1
    lines = result.stdout.strip().splitlines()
    assert len(lines) >= 2
    for line in lines:
        file, lineno, message = line.split(":", 2)
        assert file.endswith("escalation.bpmn") and int(lineno) > 0 and message.strip()
    assert any("nobody" in line for line in lines)


def test_db_upgrade_deploy_users_token_and_calendar_check(env):
    upgraded = onestop(env, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    assert onestop(env, "db", "upgrade").returncode == 0, "upgrading twice is harmless"
    first = onestop(env, "deploy", str(ESCALATION))
    assert first.returncode == 0 and "escalation_demo version 1 deployed" in first.stdout
    again = onestop(env, "deploy", str(ESCALATION))
    assert "escalation_demo version 1 unchanged" in again.stdout
    created = onestop(env, "users", "create", "win", "--role", "staff", "--department", "county_window",
                      "--county", "linqing", stdin="a long enough password\n")
    assert created.returncode == 0, created.stderr
    bad = onestop(env, "users", "create", "x", "--role", "staff", "--department", "nowhere", stdin="pw\n")
    assert bad.returncode == 1 and "department" in bad.stderr and "password" in bad.stderr
    token = onestop(env, "token", "create", "win")
    assert token.returncode == 0 and len(token.stdout.strip()) >= 40
    assert onestop(env, "token", "create", "ghost").returncode == 1
    official = onestop(env, "calendar", "check", "2026")
    assert official.returncode == 0 and "official" in official.stdout
    fallback = onestop(env, "calendar", "check", "2027")
    assert fallback.returncode == 1 and "weekends only" in fallback.stdout
    worker = onestop(env, "worker", "--once")
    assert worker.returncode == 0 and worker.stdout.startswith("due 0")


def test_a_token_from_the_cli_works_against_the_api(env, tmp_path):
    onestop(env, "db", "upgrade")
    onestop(env, "users", "create", "boss", "--role", "admin", stdin="a long enough password\n")
    token = onestop(env, "token", "create", "boss").stdout.strip()
    from engine.config import Settings
    from engine.platform import Platform
    from ui import create_app

    settings = Settings.from_env(env)
    client = create_app({"TESTING": True}, platform=Platform(settings)).test_client()
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.get_json()["role"] == "admin"


def test_demo_loads_accounts_once(env):
    onestop(env, "db", "upgrade")
    onestop(env, "deploy", str(ESCALATION))
    first = onestop(env, "demo")
    assert first.returncode == 0, first.stderr
    assert "password 'onestop-demo'" in first.stdout and "admin API token" in first.stdout
    second = onestop(env, "demo")
    assert "nothing loaded" in second.stdout



def test_deploy_puts_called_flows_first_whatever_the_order_given(env):
    onestop(env, "db", "upgrade")
    parent = str(ROOT / "tests" / "data" / "call_parent")
    validated = onestop(env, "validate", parent, str(ESCALATION))
    assert validated.returncode == 0, validated.stdout
    alone = onestop(env, "validate", parent)
    assert alone.returncode == 1 and "escalation_demo" in alone.stdout and "parent.bpmn:" in alone.stdout
    deployed = onestop(env, "deploy", parent, str(ESCALATION))
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    assert deployed.stdout.splitlines() == ["escalation_demo version 1 deployed", "parent_flow version 1 deployed"]


def test_validate_and_deploy_a_city_package_read_its_own_organisation(env):
    """The configured city is Liaocheng; Lianyungang's package (tourism bureau, 市民航站 lanes) checks against its own
    organisation.yaml, a flow folder inside it too, and deploys as a whole in call order."""
    lianyungang = ROOT / "processes" / "lianyungang"
    whole = onestop(env, "validate", str(lianyungang))
    assert whole.returncode == 0, whole.stdout + whole.stderr
    assert "one_stop_intake: ok" in whole.stderr and "problem_handling: ok" in whole.stderr
    one = onestop(env, "validate", str(lianyungang / "gold_card"))
    assert one.returncode == 0, one.stdout
    onestop(env, "db", "upgrade")
    deployed = onestop(env, "deploy", str(ROOT / "processes" / "liaocheng"))
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    lines = deployed.stdout.splitlines()
    assert lines[-1] == "one_stop_intake version 1 deployed" and len(lines) == 5
    served = onestop({**env, "ONESTOP_PROCESSES_DIR": "", "ONESTOP_CITY": "lianyungang"}, "validate",
                     str(ESCALATION))
    assert served.returncode == 1 and "talent_office" not in served.stdout  # judged against Lianyungang's lanes


def test_worker_accounts_are_made_with_their_topics_and_get_a_token(env):
    """The contract's `onestop users create NAME --role worker --topics t1,t2` (password on stdin) and `onestop token
    create NAME`; the token fetches only those topics."""
    onestop(env, "db", "upgrade")
    created = onestop(env, "users", "create", "finance", "--role", "worker", "--topics",
                      "finance.payment, payment_confirmed", stdin="a long enough password\n")
    assert created.returncode == 0, created.stderr
    assert "finance.payment, payment_confirmed" in created.stdout
    without = onestop(env, "users", "create", "nobody", "--role", "worker", stdin="a long enough password\n")
    assert without.returncode == 1 and "topics" in without.stderr
    staff = onestop(env, "users", "create", "clerk", "--role", "staff", "--department", "city_window", "--topics",
                    "finance.payment", stdin="a long enough password\n")
    assert staff.returncode == 1 and "only worker accounts have topics" in staff.stderr
    bad = onestop(env, "users", "create", "odd", "--role", "worker", "--topics", "no spaces allowed",
                  stdin="a long enough password\n")
    assert bad.returncode == 1 and "topics" in bad.stderr
    token = onestop(env, "token", "create", "finance").stdout.strip()
    from engine.config import Settings
    from engine.platform import Platform
    from ui import create_app

    client = create_app({"TESTING": True}, platform=Platform(Settings.from_env(env))).test_client()
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=headers).get_json()["role"] == "worker"
    fetched = client.post("/api/v1/external-tasks/fetch-and-lock", headers=headers,
                          json={"worker_id": "f-1", "topics": ["finance.payment"]})
    assert fetched.status_code == 200 and fetched.get_json() == []
    foreign = client.post("/api/v1/external-tasks/fetch-and-lock", headers=headers,
                          json={"worker_id": "f-1", "topics": ["elicence.issue"]})
    assert foreign.status_code == 403
    missing = onestop({**env}, "external-worker", "--worker-id", "w", "--topic", "finance.payment=simulated")
    assert missing.returncode != 0 and "ONESTOP_WORKER_TOKEN" in missing.stdout + missing.stderr
