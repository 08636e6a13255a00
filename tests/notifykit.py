"""Helpers for the notification tests: contact details and settings of the example users, the outbox rows, and a
channel configuration pointing at the local servers of tests/outside.py."""

from __future__ import annotations

import dataclasses
from typing import Any

from sqlalchemy import select

from engine.notify.config import NotifyConfig
from engine.platform import Platform
from engine.store.models import Notification, User


def contact(platform: Platform, username: str, *, email: str | None = None, mobile: str | None = None,
            settings: dict[str, Any] | None = None) -> None:
    with platform.uow() as uow:
        user = uow.session.scalar(select(User).where(User.username == username))
        assert user is not None
        user.email, user.mobile = email, mobile
        if settings is not None:
            user.notification_settings = settings
        uow.commit()


def outbox(platform: Platform, **where: Any) -> list[Notification]:
    with platform.uow(write=False) as uow:
        query = select(Notification).order_by(Notification.id)
        for column, value in where.items():
            query = query.where(getattr(Notification, column) == value)
        rows = list(uow.session.scalars(query).all())
        uow.session.expunge_all()  # loaded: readable after the unit of work ends
        return rows


def channels(platform: Platform, *, smtp: str = "", sms: str = "", quiet: str = "22:00-07:00") -> None:
    platform.notify = NotifyConfig(smtp_url=smtp, mail_from="noreply@onestop.example", sms_url=sms,
                                   base_url="https://rencai.example.gov.cn", quiet_hours=quiet)


def robot(platform: Platform, department: str, url: str) -> None:
    """Give a department a group robot (as `webhook:` in organisation.yaml would)."""
    departments = platform.organisation.departments
    departments[department] = dataclasses.replace(departments[department], webhook=url)


def notices(platform: Platform, instance_id: int, kind: str) -> list[Notification]:
    """The rows a case's notification of ``kind`` wrote (in-app first, then the other channels)."""
    return [row for row in outbox(platform, instance_id=instance_id, kind=kind)]
