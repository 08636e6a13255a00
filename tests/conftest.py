"""Shared fixtures: a platform on a fresh database (SQLite, or PostgreSQL when configured), a clock to move,
the example flow, users with tokens, and the Flask test client."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from engine.calendar.store import seed_official_years
from engine.clock import FixedClock
from engine.config import Settings
from engine.people.identity import Actor, create_token, create_user
from engine.platform import Platform
from engine.sandbox.limits import RunLimits
from engine.store.db import make_engine
from engine.store.models import Base

SHANGHAI = ZoneInfo("Asia/Shanghai")
ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
REQUIRE_ALL = os.environ.get("ONESTOP_TEST_REQUIRE_ALL") == "1"
PG_URL = os.environ.get("ONESTOP_TEST_DATABASE_URL")
if PG_URL is not None and not PG_URL.startswith("postgresql"):
    raise RuntimeError(f"ONESTOP_TEST_DATABASE_URL must be a PostgreSQL URL, got {PG_URL!r}")


def pytest_configure(config: Any) -> None:
    config.addinivalue_line("markers", "sqlite_only: runs on the SQLite pass only")
    config.addinivalue_line("markers", "postgres_only: runs on the PostgreSQL pass only (deselected in the other)")
    config.addinivalue_line("markers", "policy(*articles): the seed articles a scenario exercises (政策条款对照表; "
                                       "scripts/policy_index.py collects them into processes/<city>/policy_tests.json)")


def pytest_runtest_setup(item: Any) -> None:
    # Run without a PostgreSQL URL and not deselected (`make test` deselects it in the SQLite pass): a skip,
    # or a failure under ONESTOP_TEST_REQUIRE_ALL=1.
    if item.get_closest_marker("postgres_only") is not None:
        need(PG_URL is not None, "needs PostgreSQL: set ONESTOP_TEST_DATABASE_URL (scripts/postgres.sh)")


def need(condition: bool, why: str) -> None:
    """Skip when an optional part is missing — but fail instead under ONESTOP_TEST_REQUIRE_ALL=1."""
    if condition:
        return
    if REQUIRE_ALL:
        pytest.fail(f"required by ONESTOP_TEST_REQUIRE_ALL: {why}")
    pytest.skip(why)


def at(text_: str) -> datetime:
    """A moment in Shanghai time: at('2026-09-30 10:00')."""
    return datetime.fromisoformat(text_).replace(tzinfo=SHANGHAI)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(at("2026-09-30 10:00"))


@pytest.fixture(scope="session")
def pg_engine() -> Iterator[Any]:
    if not PG_URL:
        yield None
        return
    engine = make_engine(PG_URL)
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def database_url(tmp_path: Path, pg_engine: Any) -> str:
    if pg_engine is not None:
        tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
        with pg_engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        return str(PG_URL)
    return f"sqlite:///{tmp_path}/onestop.db"


CITIES = ("liaocheng", "lianyungang")


@pytest.fixture
def limits() -> RunLimits | None:
    """The limits of one engine run (None: the defaults); a test module overrides this fixture to tighten them."""
    return None


@pytest.fixture
def city() -> str:
    """The city package the platform serves; a test module of the other city overrides this fixture."""
    return "liaocheng"


@pytest.fixture
def platform(database_url: str, tmp_path: Path, clock: FixedClock, pg_engine: Any, city: str,
             limits: RunLimits | None) -> Iterator[Platform]:
    settings = Settings(database_url=database_url, processes_dir=ROOT / "processes" / city, instance_dir=tmp_path,
                        secret_key="test-secret", city=city)
    engine = pg_engine if pg_engine is not None else make_engine(database_url)
    if pg_engine is None:
        Base.metadata.create_all(engine)
    platform = Platform(settings, clock=clock, db_engine=engine, limits=limits)
    with platform.uow() as uow:
        seed_official_years(uow=uow, now=clock.now())
        uow.commit()
    yield platform
    if pg_engine is None:
        engine.dispose()


def read_flow(folder: Path, **replace: str) -> dict[str, bytes]:
    """The files of a flow folder; ``replace`` edits the .bpmn text (old=new pairs as a dict)."""
    files = {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.suffix in (".bpmn", ".dmn", ".json")}
    return files


def edit(files: dict[str, bytes], name: str, old: str, new: str) -> dict[str, bytes]:
    content = files[name].decode()
    assert old in content, f"{old!r} not in {name}"
    return {**files, name: content.replace(old, new).encode()}


ESCALATION = DATA / "escalation"


@dataclass
class People:
    """Users of the example organisation, each with an API token."""

    tokens: dict[str, str]

    def headers(self, username: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[username]}"}

    def actor(self, username: str, platform: Platform) -> Actor:
        from engine.people.identity import authenticate_token

        with platform.uow(write=False) as uow:
            return authenticate_token(self.tokens[username], uow=uow, now=platform.now())


PEOPLE = [
    ("admin", "admin", None, None),
    ("designer", "designer", None, None),
    ("applicant", "applicant", None, None),
    ("other_applicant", "applicant", None, None),
    ("win_dcf", "staff", "county_window", "dongchangfu"),
    ("win_dcf2", "staff", "county_window", "dongchangfu"),
    ("win_lq", "staff", "county_window", "linqing"),
    ("city1", "staff", "city_window", None),
    ("talent1", "staff", "talent_office", None),
    ("hrss1", "staff", "hrss", None),
]


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """scrypt at full cost makes each test user take ~50 ms; the stored hash records its own parameters."""
    monkeypatch.setattr("engine.people.identity._SCRYPT", {"n": 2**4, "r": 8, "p": 1})


def everyone(platform: Platform) -> list[tuple[str, str, str | None, str | None]]:
    """PEOPLE (those whose department and county the city has) plus one staff member per department (named by
    its code) and per county window."""
    organisation = platform.organisation
    known = [person for person in PEOPLE if (person[2] is None or person[2] in organisation.departments)
             and (person[3] is None or person[3] in organisation.counties)]
    extra = []
    for code, department in platform.organisation.departments.items():
        if department.per_county:
            extra += [(f"{code}_{county}", "staff", code, county) for county in platform.organisation.counties]
        else:
            extra.append((code, "staff", code, None))
    return known + extra


@pytest.fixture
def people(platform: Platform) -> People:
    tokens = {}
    with platform.uow() as uow:
        for username, role, department, county in everyone(platform):
            create_user(username, "correct horse battery", role=role, department=department, county=county,
                        organisation=platform.organisation, uow=uow, now=platform.now())
            tokens[username] = create_token(username, uow=uow, now=platform.now())
        uow.commit()
    return People(tokens)


@pytest.fixture
def app(platform: Platform) -> Any:
    from ui import create_app

    return create_app({"TESTING": True}, platform=platform)


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


@pytest.fixture
def deployed(platform: Platform) -> str:
    from engine.cases.deployment import deploy

    with platform.uow() as uow:
        result = deploy(read_flow(ESCALATION), actor=Actor("designer", "designer"), uow=uow, now=platform.now())
        uow.commit()
    return result.key


@pytest.fixture
def flow(platform: Platform, people: People) -> Any:
    """Drive flows through the service layer (tests/flowkit.py) with the example users of PEOPLE."""
    from flowkit import Flow

    return Flow(platform)


# Real local servers for the notification channels (an SMTP server, an HTTP SMS gateway / group robot).
from outside import gateway, mailbox  # noqa: E402, F401 — fixtures
