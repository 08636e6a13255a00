"""Demo accounts and sample cases for a fresh database (`onestop demo`, run by `make run`)."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import func, select

from engine.identity import Actor, create_token, create_user
from engine.instances import start_instance
from engine.models import ProcessModel, User
from engine.platform import Platform

DEMO_PASSWORD = "onestop-demo"  # noqa: S105 — printed for the demo; never used outside `onestop demo`


def demo_accounts(platform: Platform) -> list[tuple[str, str, str | None, str | None, str]]:
    """(username, role, department, county, display name) for every department and county window."""
    accounts: list[tuple[str, str, str | None, str | None, str]] = [
        ("admin", "admin", None, None, "平台管理员"),
        ("designer", "designer", None, None, "流程设计员"),
        ("applicant", "applicant", None, None, "张博士"),
    ]
    for code, department in platform.organisation.departments.items():
        if department.per_county:
            for county in platform.organisation.counties.values():
                accounts.append((f"{code}_{county.code}", "staff", code, county.code, f"{county.name}窗口"))
        else:
            accounts.append((code, "staff", code, None, department.short_name or department.name))
    return accounts


def load_demo(platform: Platform) -> Iterator[str]:
    now = platform.now()
    with platform.uow() as uow:
        if uow.session.scalar(select(func.count(User.id))):
            yield "demo: the database has users already; nothing loaded"
            return
        for username, role, department, county, name in demo_accounts(platform):
            create_user(username, DEMO_PASSWORD, role=role, department=department, county=county,
                        display_name=name, organisation=platform.organisation, uow=uow, now=now)
        admin_token = create_token("admin", name="demo", uow=uow, now=now)
        keys = sorted(set(uow.session.scalars(select(ProcessModel.key)).all()))
        started = 0
        for key in keys:
            start_instance(key, {"applicant": "张博士", "county": "dongchangfu"}, business_key=f"DEMO-{key}",
                           actor=Actor(username="applicant", role="applicant"), uow=uow, now=now)
            started += 1
        uow.commit()
    yield f"demo: {len(demo_accounts(platform))} accounts, password '{DEMO_PASSWORD}' for each"
    yield "demo: admin / designer / applicant; staff by department code, e.g. city_window, talent_office, " \
          "county_window_dongchangfu"
    yield f"demo: {started} sample cases started"
    yield f"demo: admin API token: {admin_token}"
