"""A small driver for flow scenario tests: deploy a folder, start a case, work tasks, move the clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from engine.cases.deployment import deploy
from engine.cases.instances import get_visible, instance_view, start_instance
from engine.cases.scheduler import fire_due_timers
from engine.people.identity import Actor
from engine.platform import Platform
from tasks import service as tasks

PROCESSES = Path(__file__).resolve().parent.parent / "processes"


@dataclass
class Flow:
    """Drives one platform through the service layer, as each named user, at the clock's time."""

    platform: Platform

    def actor(self, username: str) -> Actor:
        from sqlalchemy import select

        from engine.store.models import User

        with self.platform.uow(write=False) as uow:
            user = uow.session.scalar(select(User).where(User.username == username))
            assert user is not None, f"no user {username}"
            return Actor.of(user)

    def deploy_folder(self, name: str) -> str:
        """A flow folder of the platform's city package (processes/<city>/<name>)."""
        folder = self.platform.settings.processes_dir / name
        files = {p.name: p.read_bytes() for p in folder.iterdir() if p.suffix in (".bpmn", ".dmn", ".json")}
        with self.platform.uow() as uow:
            result = deploy(files, actor=Actor("designer", "designer"), uow=uow, now=self.platform.now())
            uow.commit()
        return result.key

    def start(self, key: str, data: dict[str, Any], who: str = "applicant") -> int:
        with self.platform.uow(optimistic=True) as uow:
            result = start_instance(key, data, actor=self.actor(who), uow=uow, now=self.platform.now())
            uow.commit()
        return int(result["id"])

    def tasks(self, who: str, scope: str = "department") -> list[dict[str, Any]]:
        with self.platform.uow(write=False) as uow:
            return tasks.list_tasks(actor=self.actor(who), uow=uow, scope=scope)

    def task(self, who: str, name: str, instance_id: int | None = None) -> dict[str, Any]:
        """The one open task called ``name`` (element id) that ``who`` may work on."""
        scope = "mine" if self.actor(who).role == "applicant" else "department"
        found = [t for t in self.tasks(who, scope) if t["name"] == name and
                 (instance_id is None or t["instance_id"] == instance_id)]
        assert len(found) == 1, f"{who} sees {[t['name'] for t in self.tasks(who, scope)]}, not one {name!r}"
        return found[0]

    def complete(self, who: str, name: str, data: dict[str, Any], instance_id: int | None = None) -> None:
        task = self.task(who, name, instance_id)
        with self.platform.uow(optimistic=True) as uow:
            tasks.complete_task(task["id"], data, actor=self.actor(who), uow=uow, now=self.platform.now())
            uow.commit()

    def fire(self, now: datetime | None = None) -> list[int]:
        return fire_due_timers(self.platform, now=now).fired

    def view(self, instance_id: int) -> dict[str, Any]:
        with self.platform.uow(write=False) as uow:
            row = get_visible(instance_id, actor=Actor("admin", "admin"), uow=uow)
            return instance_view(row, uow=uow, tasks=tasks.instance_tasks(row.id, uow=uow))

    def open_task_names(self, instance_id: int) -> list[str]:
        return sorted(t["name"] for t in self.view(instance_id)["tasks"] if t["state"] in ("open", "claimed"))

    # --- helpers the scenario tests share ---------------------------------------------------------------

    def open_task(self, instance_id: int, name: str, process_id: str | None = None) -> dict[str, Any]:
        """The one open task ``name`` of the case (of the called flow ``process_id`` when given)."""
        found = [t for t in self.view(instance_id)["tasks"] if t["name"] == name and t["state"] in ("open", "claimed")
                 and (process_id is None or t["process_id"] == process_id)]
        assert len(found) == 1, f"not one open {name!r}: {self.open_task_names(instance_id)}"
        return found[0]

    def due(self, instance_id: int, name: str) -> datetime:
        return datetime.fromisoformat(self.open_task(instance_id, name)["due_at"])

    def actions(self, instance_id: int) -> list[tuple[str, str | None]]:
        return [(h["action"], h["task_name"]) for h in self.view(instance_id)["history"]]

    def data(self, instance_id: int) -> dict[str, Any]:
        return dict(self.view(instance_id)["data"])

    def answer_jobs(self, topic: str, result: Any = None) -> list[dict[str, Any]]:
        """Answer every waiting job of ``topic`` as the outside system's worker would: with ``result``, or
        ``result(job)`` when it is callable (None: the demo's simulated system of that topic). The jobs answered."""
        from engine.integration.external_tasks import complete, fetch_and_lock
        from onestop_worker.client import Job
        from onestop_worker.simulated import SIMULATED

        admin = Actor("admin", "admin")
        with self.platform.uow() as uow:
            jobs = fetch_and_lock("scenario", [topic], max_tasks=100, actor=admin, uow=uow, now=self.platform.now())
            uow.commit()
        for job in jobs:
            answer = result if not callable(result) and result is not None else \
                (result or SIMULATED[topic])(Job.of(job))
            with self.platform.uow(optimistic=True) as uow:
                complete(job["id"], "scenario", answer, actor=admin, uow=uow, now=self.platform.now())
                uow.commit()
        return jobs

    def complete_in(self, who: str, instance_id: int, process_id: str, name: str, data: dict[str, Any]) -> None:
        """Complete ``name`` of the called flow ``process_id`` (parallel sub-flows of a case share task names)."""
        task = self.open_task(instance_id, name, process_id)
        with self.platform.uow(optimistic=True) as uow:
            tasks.complete_task(task["id"], data, actor=self.actor(who), uow=uow, now=self.platform.now())
            uow.commit()
