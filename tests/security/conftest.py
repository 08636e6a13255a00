"""Fixtures of the security tests: real targets of every kind an attacker could aim at, and each role's user."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select
from web.conftest import MATERIALS, START
from web.webkit import PDF, compile_catalogues, deploy_files, health_card_files

from engine.cases.instances import cancel_instance, suspend_instance
from engine.people.identity import Actor
from engine.store.models import Attachment
from tasks import listing
from tasks import service as tasks
from tasks.attachments import Upload, store_submission

from .diagrams import escalation_files

ROLES = ("anonymous", "applicant", "staff", "other_department", "other_county", "designer", "admin")
#: The user acting in each role: the applicant starts the cases; their county checks wait at the Dongchangfu
#: window (win_dcf's); hrss1 works in another department and win_lq at another county's window.
USERS: dict[str, str | None] = {"anonymous": None, "applicant": "applicant", "staff": "win_dcf",
                                "other_department": "hrss1", "other_county": "win_lq", "designer": "designer",
                                "admin": "admin"}


@pytest.fixture(scope="session", autouse=True)
def catalogues() -> None:
    compile_catalogues()


@dataclass
class World:
    """Deployed flows and builders of fresh targets (each builder makes a new case)."""

    platform: Any
    flow: Any
    health_card: str
    escalation: str
    failing: str

    def actor(self, username: str) -> Actor:
        return self.flow.actor(username)  # type: ignore[no-any-return]

    def county_case(self) -> dict[str, Any]:
        """A health-card case at its county check (Dongchangfu window), its proof uploaded as a document."""
        case = self.flow.start(self.health_card, START)
        task = self.flow.task("applicant", "submit_materials", case)
        data = {k: v for k, v in MATERIALS.items() if k != "certification_proof"}
        with self.platform.uow() as uow:
            submission = store_submission(task["id"], data, [Upload("certification_proof", "rencai.pdf", PDF)],
                                          actor=self.actor("applicant"), uow=uow, now=self.platform.now())
            uow.commit()
        with self.platform.uow(optimistic=True) as uow:
            tasks.complete_task(task["id"], submission.data, actor=self.actor("applicant"), uow=uow,
                                now=self.platform.now())
            uow.commit()
            document = uow.session.scalar(select(Attachment.id).where(Attachment.instance_id == case))
        county = self.flow.task("win_dcf", "county_check", case)
        return {"instance": case, "task": county["id"], "attachment": document}

    def claimed_case(self) -> dict[str, Any]:
        """A county case whose check win_dcf has claimed."""
        target = self.county_case()
        with self.platform.uow() as uow:
            tasks.claim_task(target["task"], actor=self.actor("win_dcf"), uow=uow, now=self.platform.now())
            uow.commit()
        return target

    def _repaired(self, repair: Any) -> dict[str, Any]:
        """A county case an administrator has suspended or cancelled (``repair`` is the service function)."""
        target = self.county_case()
        with self.platform.uow() as uow:
            repair(target["instance"], reason="核查", actor=self.actor("admin"), uow=uow, now=self.platform.now())
            uow.commit()
        return target

    def suspended_case(self) -> dict[str, Any]:
        return self._repaired(suspend_instance)

    def cancelled_case(self) -> dict[str, Any]:
        return self._repaired(cancel_instance)

    def error_case(self) -> dict[str, Any]:
        """A case whose script divides by zero once the window accepts it: status error."""
        case = self.flow.start(self.failing, {"applicant": "张三", "county": "dongchangfu"})
        self.flow.complete("win_dcf", "accept", {"approved": True, "months": 3}, case)
        assert self.flow.view(case)["status"] == "error"
        return {"instance": case}

    def timer_case(self) -> dict[str, Any]:
        """A case of the escalation example waiting at its accept deadline."""
        case = self.flow.start(self.escalation, {"applicant": "张三", "county": "dongchangfu"})
        return {"instance": case, "timer": "accept_deadline"}

    def locked_job(self) -> dict[str, Any]:
        """A payment case whose job for the finance system is locked by worker process 'matrix'."""
        from integration_kit import PAYMENT, TOPIC

        from engine.integration.external_tasks import fetch_and_lock

        key = deploy_files(self.platform, {"payment.bpmn": PAYMENT.read_bytes()})  # the same version each time
        case = self.flow.start(key, {"amount": 1, "applicant_name": "王"})
        with self.platform.uow() as uow:
            [job] = fetch_and_lock("matrix", [TOPIC], max_tasks=1, actor=Actor("admin", "admin"), uow=uow,
                                   now=self.platform.now())
            uow.commit()
        assert job["instance_id"] == case
        return {"instance": case, "job": job["id"]}

    def saved_filter(self) -> dict[str, Any]:
        """A task-list filter win_dcf saved."""
        with self.platform.uow() as uow:
            saved = listing.save_filter("本部门", listing.TaskQuery(view="department"),
                                        actor=self.actor("win_dcf"), uow=uow, now=self.platform.now())
            uow.commit()
        return {"filter": saved["id"]}


@pytest.fixture
def web_app(platform: Any, people: Any) -> Any:
    """The app with CSRF off (test_web.py turns it on to test it)."""
    from ui import create_app

    return create_app({"TESTING": True, "WTF_CSRF_ENABLED": False}, platform=platform)


@pytest.fixture
def world(platform: Any, people: Any, flow: Any) -> World:
    health_card = deploy_files(platform, health_card_files(uploads=True))
    escalation = deploy_files(platform, escalation_files())
    failing = deploy_files(platform, escalation_files(key="failing_demo", script="amount = 1000 / (months - 3)"))
    return World(platform, flow, health_card, escalation, failing)
