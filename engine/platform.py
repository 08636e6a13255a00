"""The wiring of one OneStop deployment: settings, database, organisation, caches and the clock."""

from __future__ import annotations

import threading
from datetime import datetime

from sqlalchemy import Engine

from engine.bpmn.serialization import InstanceSerializer
from engine.calendar.store import CalendarCache
from engine.cases.deployment import LatestVersions, SpecCache
from engine.clock import Clock, SystemClock
from engine.config import Settings
from engine.notify.config import NotifyConfig
from engine.notify.outbox import StaffCache
from engine.notify.templates import TemplateBook
from engine.people.organisation import Organisation
from engine.people.tokens import TokenCache, watch
from engine.sandbox.limits import RunLimits
from engine.sandbox.pool import shared_pool
from engine.store.db import OPTIMISTIC_OPTION, WRITE_OPTION, make_engine, make_session_factory
from engine.store.uow import UnitOfWork

# What a child process has imported before it is forked, so a run never waits for an import.
ENGINE_MODULES = ("engine.cases.jobs", "engine.integration.runs")


class Platform:
    def __init__(self, settings: Settings, *, clock: Clock | None = None, organisation: Organisation | None = None,
                 db_engine: Engine | None = None, limits: RunLimits | None = None) -> None:
        self.settings = settings
        self.clock = clock or SystemClock()
        self.engine = db_engine or make_engine(settings.database_url)
        self.session_factory = make_session_factory(self.engine)
        watch(self.session_factory)  # a change to a user or a token moves the revision cached tokens are checked by
        self.tokens = TokenCache()
        self.staff = StaffCache()  # a department's staff, confirmed by the same revision as the tokens
        self.write_engine = self.engine.execution_options(**{WRITE_OPTION: True})
        self.optimistic_engine = self.engine.execution_options(**{OPTIMISTIC_OPTION: True})
        self.local_write_lock = threading.Lock() if self.engine.dialect.name == "sqlite" else None
        self.organisation = organisation or Organisation.load(settings.processes_dir / "organisation.yaml")
        self.specs = SpecCache(self.organisation)
        self.latest_versions = LatestVersions()  # each flow's newest version, confirmed by the `flows` revision
        self.calendar = CalendarCache(settings)
        self.serializer = InstanceSerializer()
        # Notifications (engine/notify/): where they go out, and their wording from the city package.
        self.notify = NotifyConfig.from_env()
        self.templates = TemplateBook.load(settings.processes_dir / "notifications")
        self.limits = limits or RunLimits.from_env()
        # Diagram code runs in these child processes (engine/sandbox/), started when the first run needs one and
        # shared by every platform of this process.
        self.sandbox = shared_pool(self.limits, preload=ENGINE_MODULES)

    def uow(self, *, write: bool = True, optimistic: bool = False) -> UnitOfWork:
        return UnitOfWork(self, write=write, optimistic=optimistic)

    def now(self) -> datetime:
        return self.clock.now()

    def deliver_events(self, outbox_ids: list[int]) -> None:
        """Deliver messages and signals cases threw (called after the commit that wrote them)."""
        from engine.integration.delivery import deliver_outbox

        deliver_outbox(self, outbox_ids)

    def close(self) -> None:
        self.engine.dispose()
