"""Bearer tokens are cached per server process (engine/people/tokens.py), yet a revocation, a disabled account or
a new department made by ANOTHER process — the command line here — takes effect at this process's very next
request, whatever the request: a read, a write, or one that would have answered 404."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest
from conftest import ROOT
from sqlalchemy import func, select

from engine.people.tokens import token_hash
from engine.store.models import ProcessInstance

START = {"data": {"county": "dongchangfu"}}


def in_another_process(platform: Any, *args: str, code: str | None = None) -> None:
    """`onestop ARGS` — or a Python snippet given a ``platform`` — run as a separate process on this database."""
    env = {**os.environ, "ONESTOP_DATABASE_URL": platform.settings.database_url,
           "ONESTOP_INSTANCE_DIR": str(platform.settings.instance_dir),
           "ONESTOP_PROCESSES_DIR": str(platform.settings.processes_dir)}
    command = [sys.executable, "-m", "ui.cli", *args] if code is None else [sys.executable, "-c", (
        "from engine.config import Settings\nfrom engine.platform import Platform\n"
        "platform = Platform(Settings.from_env())\n" + code)]
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def _cases(platform: Any) -> int:
    with platform.uow(write=False) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(ProcessInstance)))


def _warm(client: Any, people: Any, platform: Any, username: str, deployed: str) -> int:
    """The user starts a case and lists their tasks: the token is now in this process's cache."""
    started = client.post("/api/v1/process-instances", json={"model_key": deployed, **START},
                          headers=people.headers(username))
    assert started.status_code == 201
    for _ in range(2):
        assert client.get("/api/v1/tasks?scope=department", headers=people.headers(username)).status_code == 200
    assert platform.tokens.get(token_hash(people.tokens[username])) is not None
    listed = client.get("/api/v1/tasks?scope=department", headers=people.headers(username)).get_json()
    return int(next(t["id"] for t in listed if t["instance_id"] == started.get_json()["id"]))


def test_a_token_revoked_by_another_process_is_refused_at_its_next_request(client, people, platform, deployed):
    task_id = _warm(client, people, platform, "win_dcf", deployed)
    cases = _cases(platform)
    in_another_process(platform, "token", "revoke", "win_dcf")
    headers = people.headers("win_dcf")
    assert client.get("/api/v1/tasks?scope=department", headers=headers).status_code == 401
    assert client.post("/api/v1/process-instances", json={"model_key": deployed, **START},
                       headers=headers).status_code == 401
    assert client.post(f"/api/v1/tasks/{task_id}/complete", json={"data": {"approved": True, "months": 3}},
                       headers=headers).status_code == 401
    assert client.get("/api/v1/tasks/999999", headers=headers).status_code == 401  # not a 404: nothing learnt
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    assert _cases(platform) == cases  # the refused start wrote nothing
    with platform.uow(write=False) as uow:
        from engine.store.models import HumanTask

        assert uow.session.get(HumanTask, task_id).state == "open"  # type: ignore[union-attr]
    # Another clerk's cached token is unaffected: the revision moved, their token is read again and still holds.
    assert client.get("/api/v1/tasks?scope=department", headers=people.headers("win_dcf2")).status_code == 200


def test_a_revocation_right_after_a_cached_completion_stops_the_next_one(client, people, platform, deployed):
    """The write path: a completion with a cached token, then a revocation elsewhere, then the next completion."""
    first = _warm(client, people, platform, "win_dcf", deployed)
    second = _warm(client, people, platform, "win_dcf", deployed)
    form = {"data": {"approved": True, "months": 3}}
    assert client.post(f"/api/v1/tasks/{first}/complete", json=form,
                       headers=people.headers("win_dcf")).status_code == 200
    in_another_process(platform, "token", "revoke", "win_dcf")
    refused = client.post(f"/api/v1/tasks/{second}/complete", json=form, headers=people.headers("win_dcf"))
    assert refused.status_code == 401, refused.get_json()


def test_an_account_disabled_by_another_process_is_refused(client, people, platform, deployed):
    _warm(client, people, platform, "win_dcf", deployed)
    in_another_process(platform, code=(
        "from sqlalchemy import select\nfrom engine.store.models import User\n"
        "with platform.uow() as uow:\n"
        "    uow.session.scalar(select(User).where(User.username == 'win_dcf')).active = False\n"
        "    uow.commit()\n"))
    refused = client.get("/api/v1/tasks?scope=department", headers=people.headers("win_dcf"))
    assert refused.status_code == 401 and "disabled" in refused.get_json()["message"]


@pytest.mark.parametrize("path", ["/api/v1/tasks?scope=department", "/api/v1/me"])
def test_a_new_department_set_by_another_process_is_used_at_once(client, people, platform, deployed, path):
    """The cached account is read again, and the request answered as the moved clerk (the task list, whose own
    read confirms the token, runs again with the new account rather than answering with the old one)."""
    _warm(client, people, platform, "win_dcf", deployed)
    in_another_process(platform, code=(
        "from sqlalchemy import select\nfrom engine.store.models import User\n"
        "with platform.uow() as uow:\n"
        "    user = uow.session.scalar(select(User).where(User.username == 'win_dcf'))\n"
        "    user.department, user.county = 'city_window', None\n"
        "    uow.commit()\n"))
    answer = client.get(path, headers=people.headers("win_dcf"))
    assert answer.status_code == 200, answer.get_json()
    if path.endswith("/me"):
        assert answer.get_json()["department"] == "city_window"
    else:  # the county window's open task is no longer in the list: the city window has none open
        assert answer.get_json() == []


def test_the_cache_keeps_at_most_its_size_and_an_evicted_token_is_simply_read_again(client, people, platform):
    from engine.people.tokens import TOKEN_CACHE_SIZE, TokenCache

    assert TOKEN_CACHE_SIZE == 10_000
    platform.tokens = TokenCache(size=2)
    for username in ("win_dcf", "win_dcf2", "city1", "win_dcf"):
        assert client.get("/api/v1/me", headers=people.headers(username)).status_code == 200
    assert len(platform.tokens) == 2
    assert platform.tokens.get(token_hash(people.tokens["win_dcf2"])) is None  # the least recently used went
    assert client.get("/api/v1/me", headers=people.headers("win_dcf2")).get_json()["username"] == "win_dcf2"


# --- a department's staff, read once per process for the notices of arriving tasks (engine/notify/outbox.py) ---

def _start_and_notified(client: Any, people: Any, platform: Any, deployed: str) -> tuple[int, set[str], list[str]]:
    """A case started over the API by win_dcf: its id, who got the in-app notice of its first task, and the
    statements that read accounts."""
    from test_request_cost import counting

    from engine.store.models import Notification

    with counting(platform) as seen:
        started = client.post("/api/v1/process-instances", json={"model_key": deployed, **START},
                              headers=people.headers("win_dcf"))
    assert started.status_code == 201, started.get_json()
    case = int(started.get_json()["id"])
    with platform.uow(write=False) as uow:
        told = set(uow.session.scalars(select(Notification.recipient).where(
            Notification.instance_id == case, Notification.channel == "in_app")))
    return case, told, [s for s in seen["statements"] if s.startswith("SELECT users.") and "notification_settings" in s]


def test_a_departments_staff_read_once_still_follow_every_change_another_process_makes(client, people, platform,
                                                                                        deployed):
    _case, staff, reads = _start_and_notified(client, people, platform, deployed)
    assert {"win_dcf", "win_dcf2"} <= staff and "win_lq" not in staff and len(reads) == 1  # the county's staff, read
    _case, told, reads = _start_and_notified(client, people, platform, deployed)
    assert told == staff and reads == []  # and kept: confirmed by the request's own first read
    in_another_process(platform, code=(
        "from engine.people.identity import create_user\n"
        "with platform.uow() as uow:\n"
        "    create_user('win_dcf3', 'a-long-password-1', role='staff', department='county_window',\n"
        "                county='dongchangfu', organisation=platform.organisation, uow=uow, now=platform.now())\n"
        "    uow.commit()\n"))
    _case, told, reads = _start_and_notified(client, people, platform, deployed)
    assert told == staff | {"win_dcf3"} and len(reads) == 1  # a new colleague is told at once
    in_another_process(platform, code=(
        "from sqlalchemy import select\nfrom engine.store.models import User\n"
        "with platform.uow() as uow:\n"
        "    user = uow.session.scalar(select(User).where(User.username == 'win_dcf2'))\n"
        "    user.email = 'dcf2@example.org'\n"
        "    uow.commit()\n"))
    _case, told, reads = _start_and_notified(client, people, platform, deployed)
    assert told == staff | {"win_dcf3"} and len(reads) == 1  # new contact details: read again
    in_another_process(platform, code=(
        "from sqlalchemy import select\nfrom engine.store.models import User\n"
        "with platform.uow() as uow:\n"
        "    uow.session.scalar(select(User).where(User.username == 'win_dcf2')).active = False\n"
        "    uow.commit()\n"))
    _case, told, reads = _start_and_notified(client, people, platform, deployed)
    assert told == (staff | {"win_dcf3"}) - {"win_dcf2"} and len(reads) == 1  # a disabled one is not told


def test_staff_read_by_a_unit_that_changed_an_account_itself_are_not_kept(client, people, platform, deployed):
    """A unit that added a colleague reads the staff with that colleague in them — which a rollback takes back:
    such a read is not kept for others."""
    from engine.notify.outbox import To, notify
    from engine.people.identity import create_user
    from engine.store.models import User

    with platform.uow() as uow:
        uow.auth_revision = int(uow.session.scalar(select(func.coalesce(func.max(text_revision()), 0))))
        create_user("phantom", "a-long-password-1", role="staff", department="county_window", county="dongchangfu",
                    organisation=platform.organisation, uow=uow, now=platform.now())
        uow.session.flush()
        assert notify(uow, "task_ready", [To.staff("county_window", "dongchangfu")], {}, now=platform.now())
        assert "phantom" in set(uow.session.scalars(select(User.username)))
        # left without a commit: rolled back
    _case, told, _reads = _start_and_notified(client, people, platform, deployed)
    assert {"win_dcf", "win_dcf2"} <= told and "phantom" not in told


def text_revision() -> Any:
    from engine.store.models import Revision

    return select(Revision.value).where(Revision.name == "auth").scalar_subquery()


def test_the_staff_kept_are_bounded_and_each_is_only_good_at_its_revision():
    from engine.notify.outbox import StaffCache

    cache = StaffCache(size=2)
    for county in ("a", "b", "c"):
        cache.put(("county_window", county), 7, [county])
    assert cache.get(("county_window", "a"), 7) is None  # the oldest dropped: read again at its next use
    assert cache.get(("county_window", "c"), 7) == ["c"]
    assert cache.get(("county_window", "c"), 8) is None  # an account changed since: read again
    assert cache.get(("county_window", "c"), None) is None  # a unit that read no revision: read
    cache.put(("city_window", None), None, ["x"])
    assert cache.get(("city_window", None), None) is None
