"""A start over the API takes its flow's newest version from the process's cache instead of reading it
(engine/cases/deployment.py ``LatestVersions``): the case's INSERT brings back the ``flows`` revision and the
bearer token's, so a version deployed by ANOTHER process, a revoked token or a changed account are seen by that
very start — it keeps nothing it started on an old version or for a stale account, and runs again, once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conftest import ESCALATION, edit, read_flow
from sqlalchemy import func, select
from test_request_cost import counting
from test_token_cache import in_another_process

from engine.cases.deployment import LatestVersions, deploy
from engine.people.identity import Actor
from engine.people.tokens import token_hash
from engine.store.models import ProcessInstance

START = {"data": {"county": "dongchangfu"}}
NEW_TITLE = ("县级窗口受理", "县级窗口受理（新版）")


def _start(client: Any, people: Any, key: str, username: str = "win_dcf") -> Any:
    return client.post("/api/v1/process-instances", json={"model_key": key, **START}, headers=people.headers(username))


def _cases(platform: Any) -> list[tuple[int, int]]:
    with platform.uow(write=False) as uow:
        return [tuple(row) for row in uow.session.execute(  # type: ignore[misc]
            select(ProcessInstance.id, ProcessInstance.version).order_by(ProcessInstance.id))]


def _newer_files(tmp_path: Path) -> Path:
    folder = tmp_path / "escalation-v2"
    folder.mkdir()
    for name, content in edit(read_flow(ESCALATION), "escalation.bpmn", *NEW_TITLE).items():
        (folder / name).write_bytes(content)
    return folder


def _deploy_elsewhere(platform: Any, folder: Path) -> None:
    in_another_process(platform, code=(
        "from pathlib import Path\nfrom engine.cases.deployment import deploy\n"
        "from engine.people.identity import Actor\n"
        f"files = {{p.name: p.read_bytes() for p in Path({str(folder)!r}).iterdir()}}\n"
        "with platform.uow() as uow:\n"
        "    assert deploy(files, actor=Actor('designer', 'designer'), uow=uow, now=platform.now()).created\n"
        "    uow.commit()\n"))


def _reads_newest_version(seen: dict[str, list[str]]) -> bool:
    return any(s.startswith("SELECT process_models.id") for s in seen["statements"])


def test_a_start_reads_nothing_before_its_case_is_written_once_the_version_is_cached(client, people, platform,
                                                                                      deployed):
    assert _start(client, people, deployed).status_code == 201  # reads the newest version (and the token)
    with counting(platform) as seen:
        started = _start(client, people, deployed)
    assert started.status_code == 201, started.get_json()
    assert seen["statements"][0].startswith("INSERT INTO process_instances"), seen["statements"]
    assert "revisions" in seen["statements"][0]  # the revisions that confirm the version and the token
    assert not _reads_newest_version(seen)


def test_a_start_takes_the_version_another_process_deployed_meanwhile_and_keeps_nothing_of_the_old(
        client, people, platform, deployed, tmp_path):
    assert _start(client, people, deployed).status_code == 201
    assert _start(client, people, deployed).status_code == 201  # version 1 now cached, confirmed by the insert
    before = _cases(platform)
    assert {version for _id, version in before} == {1}
    _deploy_elsewhere(platform, _newer_files(tmp_path))
    with counting(platform) as seen:
        started = _start(client, people, deployed)
    assert started.status_code == 201, started.get_json()
    after = _cases(platform)
    assert after[:-1] == before and after[-1] == (started.get_json()["id"], 2)  # one case more, on version 2
    inserts = [s for s in seen["statements"] if s.startswith("INSERT INTO process_instances")]
    assert len(inserts) == 2 and _reads_newest_version(seen)  # the first, on version 1, was not kept: run again
    assert len(seen["commits"]) == 1
    task = client.get("/api/v1/tasks?scope=department", headers=people.headers("win_dcf")).get_json()
    assert {t["title"] for t in task if t["instance_id"] == after[-1][0]} == {NEW_TITLE[1]}
    with counting(platform) as seen:  # version 2 is cached now: no read, no second attempt
        again = _start(client, people, deployed)
    assert again.status_code == 201 and _cases(platform)[-1] == (again.get_json()["id"], 2)
    assert not _reads_newest_version(seen)
    assert len([s for s in seen["statements"] if s.startswith("INSERT INTO process_instances")]) == 1


def test_a_version_deployed_in_this_process_is_read_by_its_next_start_without_a_wasted_run(client, people,
                                                                                           platform, deployed):
    assert _start(client, people, deployed).status_code == 201
    with platform.uow() as uow:
        assert deploy(edit(read_flow(ESCALATION), "escalation.bpmn", *NEW_TITLE), actor=Actor("designer", "designer"),
                      uow=uow, now=platform.now()).created
        uow.commit()
    with counting(platform) as seen:
        started = _start(client, people, deployed)
    assert started.status_code == 201 and _cases(platform)[-1] == (started.get_json()["id"], 2)
    assert _reads_newest_version(seen)
    assert len([s for s in seen["statements"] if s.startswith("INSERT INTO process_instances")]) == 1


def test_a_token_revoked_elsewhere_is_refused_by_a_start_that_reads_nothing_first(client, people, platform, deployed):
    """The start is the first request after the revocation: its engine run happens, its INSERT finds the token's
    revision moved, the token is read again and refused — and the case is not kept."""
    assert _start(client, people, deployed).status_code == 201
    assert _start(client, people, deployed).status_code == 201
    assert platform.tokens.get(token_hash(people.tokens["win_dcf"])) is not None
    before = _cases(platform)
    in_another_process(platform, "token", "revoke", "win_dcf")
    refused = _start(client, people, deployed)
    assert refused.status_code == 401, refused.get_json()
    assert _cases(platform) == before
    assert platform.tokens.get(token_hash(people.tokens["win_dcf"])) is None
    assert _start(client, people, deployed, "win_dcf2").status_code == 201  # another clerk's token still holds


def test_a_start_whose_account_changed_elsewhere_runs_again_as_the_changed_account(client, people, platform,
                                                                                   deployed):
    assert _start(client, people, deployed).status_code == 201
    assert _start(client, people, deployed).status_code == 201
    in_another_process(platform, code=(
        "from sqlalchemy import select\nfrom engine.store.models import User\n"
        "with platform.uow() as uow:\n"
        "    user = uow.session.scalar(select(User).where(User.username == 'win_dcf'))\n"
        "    user.role, user.department, user.county = 'applicant', None, None\n"
        "    uow.commit()\n"))
    count = len(_cases(platform))
    started = _start(client, people, deployed)
    assert started.status_code == 201, started.get_json()
    assert len(_cases(platform)) == count + 1  # one case, not two
    with platform.uow(write=False) as uow:
        assert uow.session.get(ProcessInstance, started.get_json()["id"]).started_by == "win_dcf"  # type: ignore
    # The account is an applicant's now: the token was read again.
    assert client.get("/api/v1/me", headers=people.headers("win_dcf")).get_json()["role"] == "applicant"
    with platform.uow(write=False) as uow:
        assert uow.session.scalar(select(func.count()).select_from(ProcessInstance)) == count + 1


def test_the_cache_holds_one_revision_and_a_bounded_number_of_flows():
    cache = LatestVersions(size=2)
    cache.put("a", (1, "a", 1), revision=5)
    cache.put("b", (2, "b", 1), revision=5)
    assert cache.get("a") == ((1, "a", 1), 5) and cache.get("b") == ((2, "b", 1), 5)
    cache.put("a", (9, "a", 0), revision=4)  # read before a deployment another thread has seen: not kept
    assert cache.get("a") == ((1, "a", 1), 5)
    cache.put("c", (3, "c", 1), revision=5)  # full: emptied, then this one
    assert cache.get("a") is None and cache.get("c") == ((3, "c", 1), 5)
    cache.put("a", (4, "a", 2), revision=6)  # a newer revision: what was read before it is gone
    assert cache.get("c") is None and cache.get("a") == ((4, "a", 2), 6)
    cache.clear()
    assert cache.get("a") is None
